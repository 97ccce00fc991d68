import type { CheckResult } from '../analysis/judge';
import { sequentialEvidence } from '../analysis/sequential-check';
import type { RolloutState } from './state';

/** What a `{ min, max }` bake does after a healthy look: move on, or look again after `waitSeconds`. */
export type LookOutcome = { moveOn: true; why: string } | { moveOn: false; waitSeconds: number; why: string };

/**
 * The first wait after a shift: the bake itself when fixed; with `{ min, max }` the first look
 * (lookInterval, never beyond max), or all of max when no sequential comparison could end it early.
 */
export function firstWaitSeconds(r: Pick<RolloutState, 'spec' | 'bakeSeconds'>): number {
  const bake = r.spec.strategy.bake;
  if (typeof bake === 'number') return r.bakeSeconds;
  if (!hasSequentialComparison(r.spec)) return bake.max;
  return Math.max(1, Math.min(bake.lookInterval, bake.max));
}

/**
 * After a healthy judgement of a step baked with `{ min, max }`: move on once every sequential
 * comparison says "not worse" and `min` has passed, or at `max`; otherwise look again after
 * lookInterval (or what is left of max). Regressions never get here: they fail the judgement.
 * Undefined for a fixed bake, which moves on after its one judgement as before.
 */
export function afterHealthyLook(r: Pick<RolloutState, 'spec' | 'stepStartedAt' | 'startedAt'>, checks: CheckResult[], now: Date): LookOutcome | undefined {
  const bake = r.spec.strategy.bake;
  if (typeof bake === 'number') return undefined;
  const elapsed = Math.max(0, (now.getTime() - Date.parse(r.stepStartedAt ?? r.startedAt)) / 1000);
  const left = bake.max - elapsed;
  // Within a second of max counts as max: Step Functions' timer and the Lambda's clock differ by that much.
  if (left < 1) return { moveOn: true, why: `baked ${Math.round(elapsed)}s of max ${bake.max}s` };
  const sequential = checks.map(sequentialEvidence).filter((e) => e !== undefined);
  const notWorse = sequential.length > 0 && sequential.every((e) => e.decision === 'not-worse');
  if (notWorse && elapsed >= bake.min - 1) {
    return { moveOn: true, why: `not worse after ${Math.round(elapsed)}s (min ${bake.min}s)` };
  }
  const interval = sequential.length > 0 ? bake.lookInterval : left;
  const why = notWorse ? `not worse, waiting for min ${bake.min}s` : sequential.length > 0 ? 'no decision yet' : 'no sequential comparison: baking to max';
  return { moveOn: false, waitSeconds: Math.max(1, Math.round(Math.min(interval, left))), why };
}

function hasSequentialComparison(spec: RolloutState['spec']): boolean {
  return spec.analysis.compare.some((c) => c.test === 'sequential');
}
