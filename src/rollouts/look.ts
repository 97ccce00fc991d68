import { sequentialEvidence } from '../analysis/sequential-check';
import { redactingReplacer } from '../shared/redact';
import { sequentialChecks } from './analysis';
import { notWorseAfterMin } from './bake';
import type { Deps } from './deps';
import { TaskNotWaitingError } from './executions';
import { ExecutionStateSchema, type RolloutState } from './state';

/** What one look at one baking rollout decided. */
export type LookDecision =
  | { kind: 'not-due' }
  | { kind: 'continue'; why: string }
  | { kind: 'regression'; why: string }
  | { kind: 'not-worse'; why: string };

export interface LookoutResult {
  /** Rollouts whose sequential comparisons were judged on this run. */
  looked: string[];
  /** Bakes ended because a comparison found a regression (the Step then rolls back). */
  interrupted: string[];
  /** Bakes ended because every comparison is "not worse" and min has passed (the Step moves on). */
  endedEarly: string[];
  /** Not baking now, not due for a look, or not reachable on this run. */
  skipped: string[];
}

/**
 * The lookout: runs on a schedule (once a minute in AWS, every `tickSeconds`) and looks into the
 * bake of every rollout with a `test: sequential` comparison, so that looking often costs no
 * state transition. A regression ends the bake at once the way an alarm does (SendTaskFailure
 * `Canary.BakeInterrupted`, then the Step judges and rolls back); "not worse" after the step's
 * `min` ends a `{ min, max }` bake with SendTaskSuccess (the Step judges and moves on). Otherwise
 * nothing happens and the bake runs on to max. The lookout holds no state: the bake's task
 * token and the rollout come from the execution history, the statistic is refolded from
 * CloudWatch counts since the rollout started. A lookout that fails or does not run only
 * means bakes last their full time.
 */
export async function lookIntoBakes(deps: Deps, options: { tickSeconds: number }): Promise<LookoutResult> {
  const result: LookoutResult = { looked: [], interrupted: [], endedEarly: [], skipped: [] };
  for (const w of await deps.store.lookers()) {
    // One rollout that cannot be read (history throttled, metrics failing) must not stop the others.
    try {
      const bake = await deps.executions.findBake(w.executionArn);
      const parsed = bake ? ExecutionStateSchema.safeParse(bake.state) : undefined;
      if (!bake || !parsed?.success || parsed.data.rollout.step < 0) {
        result.skipped.push(w.rolloutId);
        continue;
      }
      const decision = await lookAt(parsed.data.rollout, deps, options.tickSeconds);
      if (decision.kind === 'not-due') {
        result.skipped.push(w.rolloutId);
        continue;
      }
      result.looked.push(w.rolloutId);
      if (decision.kind === 'continue') continue;
      const r = parsed.data.rollout;
      if (decision.kind === 'regression') {
        await deps.executions.sendTaskFailure(bake.token, 'Canary.BakeInterrupted', JSON.stringify({ sequential: decision.why }));
        result.interrupted.push(w.rolloutId);
      } else {
        await deps.executions.sendTaskSuccess(bake.token, { endedBy: 'not-worse', why: decision.why });
        result.endedEarly.push(w.rolloutId);
      }
      const message = decision.kind === 'regression' ? `${decision.why}: judging now` : `${decision.why}: ending the bake`;
      await deps.store.appendEvent(r.id, { at: deps.now().toISOString(), kind: 'bake-interrupted', step: r.step, weight: r.weight, message }).catch(() => undefined);
    } catch (error) {
      if (!(error instanceof TaskNotWaitingError)) {
        console.error(JSON.stringify({ level: 'WARN', message: 'lookout could not look into a bake', rolloutId: w.rolloutId, error: String(error) }, redactingReplacer));
      }
      result.skipped.push(w.rolloutId);
    }
  }
  return result;
}

/**
 * One look at a baking rollout: due when a multiple of the look interval (a fixed bake: every
 * run) fell since the lookout's previous run; then the sequential comparisons decide.
 */
export async function lookAt(r: RolloutState, deps: Deps, tickSeconds: number): Promise<LookDecision> {
  const now = deps.now();
  const elapsed = Math.max(0, (now.getTime() - Date.parse(r.stepStartedAt ?? r.startedAt)) / 1000);
  const bake = r.spec.strategy.bake;
  const interval = typeof bake === 'number' ? tickSeconds : bake.lookInterval;
  const due = interval <= tickSeconds || Math.floor(elapsed / interval) > Math.floor((elapsed - tickSeconds) / interval);
  if (!due || elapsed < 1) return { kind: 'not-due' };
  const checks = await sequentialChecks(r, deps);
  const failing = checks.filter((c) => c.state === 'ALARM');
  if (failing.length > 0) return { kind: 'regression', why: failing.map((c) => `${c.name}: ${c.reason ?? 'regression'}`).join('; ') };
  const evidence = checks.map(sequentialEvidence).filter((e) => e !== undefined);
  const notWorse = notWorseAfterMin(r, checks, now);
  if (notWorse) return { kind: 'not-worse', why: notWorse };
  return { kind: 'continue', why: evidence.map((e) => e.decision).join(', ') || 'no sequential comparison' };
}
