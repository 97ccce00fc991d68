import type { CheckResult } from '../analysis/judge';
import { sequentialEvidence } from '../analysis/sequential-check';
import type { RolloutState } from './state';

/** What a `{ min, max }` bake does after a healthy judgement: move on, or bake on for `waitSeconds`. */
export type LookOutcome = { moveOn: true; why: string } | { moveOn: false; waitSeconds: number; why: string };

/**
 * The wait after a shift: the bake itself when fixed; `max` with `{ min, max }`. A `{ min, max }`
 * bake is one callback wait, not a loop of short ones: the lookout (look.ts) looks into it every
 * lookInterval and ends it early, so looking costs no state transition.
 */
export function firstWaitSeconds(r: Pick<RolloutState, 'spec' | 'bakeSeconds'>): number {
  const bake = r.spec.strategy.bake;
  return typeof bake === 'number' ? r.bakeSeconds : bake.max;
}

/**
 * Why a `{ min, max }` bake may end now: every sequential comparison says "not worse" and `min`
 * has passed. Undefined otherwise (and always for a fixed bake, which lasts its time).
 */
export function notWorseAfterMin(r: Pick<RolloutState, 'spec' | 'stepStartedAt' | 'startedAt'>, checks: CheckResult[], now: Date): string | undefined {
  const bake = r.spec.strategy.bake;
  if (typeof bake === 'number') return undefined;
  const elapsed = elapsedSeconds(r, now);
  const sequential = checks.map(sequentialEvidence).filter((e) => e !== undefined);
  const notWorse = sequential.length > 0 && sequential.every((e) => e.decision === 'not-worse');
  // Within a second of min counts as min: Step Functions' timer and the Lambda's clock differ by that much.
  return notWorse && elapsed >= bake.min - 1 ? `not worse after ${Math.round(elapsed)}s (min ${bake.min}s)` : undefined;
}

/**
 * After a healthy judgement of a step baked with `{ min, max }`: move on once every sequential
 * comparison says "not worse" and `min` has passed, or at `max`; otherwise bake on for what is
 * left of max (the judgement came early: an alarm that is OK again, an early look's signal the
 * data no longer bear out). Regressions never get here: they fail the judgement. Undefined for a
 * fixed bake, which moves on after its one judgement as before.
 */
export function afterHealthyLook(r: Pick<RolloutState, 'spec' | 'stepStartedAt' | 'startedAt'>, checks: CheckResult[], now: Date): LookOutcome | undefined {
  const bake = r.spec.strategy.bake;
  if (typeof bake === 'number') return undefined;
  const elapsed = elapsedSeconds(r, now);
  const left = bake.max - elapsed;
  // Within a second of max counts as max, for the same reason.
  if (left < 1) return { moveOn: true, why: `baked ${Math.round(elapsed)}s of max ${bake.max}s` };
  const notWorse = notWorseAfterMin(r, checks, now);
  if (notWorse) return { moveOn: true, why: notWorse };
  return { moveOn: false, waitSeconds: Math.max(1, Math.round(left)), why: 'no decision yet: baking on to max' };
}

function elapsedSeconds(r: Pick<RolloutState, 'stepStartedAt' | 'startedAt'>, now: Date): number {
  return Math.max(0, (now.getTime() - Date.parse(r.stepStartedAt ?? r.startedAt)) / 1000);
}
