import { sequentialEvidence } from '../analysis/sequential-check';
import { ErrorNames } from '../shared/errors';
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
  /** Registrations of executions that had ended, removed on this run. */
  forgotten: string[];
}

/**
 * The lookout: runs on a schedule (once a minute in AWS, every `tickSeconds`) and looks into the
 * bake of every rollout with a `test: sequential` comparison, so that looking often costs no
 * state transition. A regression ends the bake at once the way an alarm does (SendTaskFailure
 * `Canary.BakeInterrupted`, then the Step judges and rolls back); "not worse" after the step's
 * `min` ends a `{ min, max }` bake with `Canary.BakeEndedEarly`, which the Bake catches like its
 * timeout (the Step judges and moves on). Otherwise
 * nothing happens and the bake runs on to max. The lookout holds no state: the bake's task
 * token and the rollout come from the execution history, the statistic is refolded from
 * CloudWatch counts since the rollout started. A lookout that fails or does not run only
 * means bakes last their full time.
 */
export async function lookIntoBakes(deps: Deps, options: LookoutOptions): Promise<LookoutResult> {
  const result: LookoutResult = { looked: [], interrupted: [], endedEarly: [], skipped: [], forgotten: [] };
  const all = await deps.store.lookers();
  // A run that cannot finish (many rollouts, a slow API) must not always starve the same ones:
  // each run starts at another place in the list.
  const offset = all.length ? Math.floor(deps.now().getTime() / (options.tickSeconds * 1000)) % all.length : 0;
  const queue = [...all.slice(offset), ...all.slice(0, offset)];
  const worker = async () => {
    for (let w = queue.shift(); w; w = queue.shift()) {
      if (options.remainingMs !== undefined && options.remainingMs() < LEAVE_MS) {
        result.skipped.push(w.rolloutId);
        continue;
      }
      await lookInto(w, deps, options.tickSeconds, result);
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, queue.length) }, worker));
  return result;
}

/** Rollouts looked into at once by one run. */
const CONCURRENCY = 8;
/** Time a run keeps for the looks it has started: none is started closer than this to the function's timeout. */
const LEAVE_MS = 10_000;

export interface LookoutOptions {
  /** Seconds between two runs (the schedule's rate). */
  tickSeconds: number;
  /** Milliseconds left before the function times out (Lambda's getRemainingTimeInMillis). */
  remainingMs?: () => number;
}

async function lookInto(w: { rolloutId: string; executionArn: string }, deps: Deps, tickSeconds: number, result: LookoutResult): Promise<void> {
  // One rollout that cannot be read (history throttled, metrics failing) must not stop the others.
  try {
    const bake = await deps.executions.findBake(w.executionArn);
    if (!bake) {
      await forgetIfEnded(w, deps, result);
      return;
    }
    const parsed = ExecutionStateSchema.safeParse(bake.state);
    if (!parsed.success) {
      warn('lookout found a bake whose state it cannot read: it bakes to its end unlooked', w.rolloutId, parsed.error.message);
      result.skipped.push(w.rolloutId);
      return;
    }
    const r = parsed.data.rollout;
    const decision = r.step < 0 ? ({ kind: 'not-due' } as const) : await lookAt(r, deps, tickSeconds);
    if (decision.kind === 'not-due') {
      result.skipped.push(w.rolloutId);
      return;
    }
    result.looked.push(w.rolloutId);
    if (decision.kind === 'continue') return;
    if (decision.kind === 'regression') {
      await deps.executions.sendTaskFailure(bake.token, ErrorNames.bakeInterrupted, JSON.stringify({ sequential: decision.why }));
      result.interrupted.push(w.rolloutId);
    } else {
      // A failure the Bake catches like its timeout, not SendTaskSuccess: the lookout's role may
      // then never send a success, so it can never approve a gate whose token it could read.
      await deps.executions.sendTaskFailure(bake.token, ErrorNames.bakeEndedEarly, JSON.stringify({ notWorse: decision.why }));
      result.endedEarly.push(w.rolloutId);
    }
    const message = decision.kind === 'regression' ? `${decision.why}: judging now` : `${decision.why}: ending the bake`;
    await deps.store.appendEvent(r.id, { at: deps.now().toISOString(), kind: 'bake-interrupted', step: r.step, weight: r.weight, message }).catch(() => undefined);
  } catch (error) {
    if (error instanceof TaskNotWaitingError) await forgetIfEnded(w, deps, result).catch(() => undefined);
    else {
      warn('lookout could not look into a bake', w.rolloutId, String(error));
      result.skipped.push(w.rolloutId);
    }
  }
}

/**
 * Not baking now: shifting, judging, waiting for approval, or ended. An execution that ended
 * without giving its registration back (stopped from the console, a failed promotion's end, a
 * release that gave up) is forgotten here, so a leaked registration costs one more run at most.
 */
async function forgetIfEnded(w: { rolloutId: string; executionArn: string }, deps: Deps, result: LookoutResult): Promise<void> {
  if (await deps.executions.isRunning(w.executionArn)) {
    result.skipped.push(w.rolloutId);
    return;
  }
  await deps.store.unwatchLooks(w.rolloutId);
  result.forgotten.push(w.rolloutId);
}

function warn(message: string, rolloutId: string, error: string): void {
  console.error(JSON.stringify({ level: 'WARN', message, rolloutId, error }, redactingReplacer));
}

/**
 * One look at a baking rollout: due when a multiple of the look interval (a fixed bake: every
 * run) fell within the last 1.5 runs' time; then the sequential comparisons decide. The half run
 * of slack keeps a late schedule from skipping a look (EventBridge's rate(1 minute) is not to the
 * second); the price is an occasional second look at the same multiple, which costs one
 * GetMetricData and never the test's validity.
 */
export async function lookAt(r: RolloutState, deps: Deps, tickSeconds: number): Promise<LookDecision> {
  const now = deps.now();
  const elapsed = Math.max(0, (now.getTime() - Date.parse(r.stepStartedAt ?? r.startedAt)) / 1000);
  const bake = r.spec.strategy.bake;
  const interval = typeof bake === 'number' ? tickSeconds : bake.lookInterval;
  const due = interval <= tickSeconds || Math.floor(elapsed / interval) > Math.floor((elapsed - 1.5 * tickSeconds) / interval);
  if (!due || elapsed < 1) return { kind: 'not-due' };
  const checks = await sequentialChecks(r, deps);
  const failing = checks.filter((c) => c.state === 'ALARM');
  if (failing.length > 0) return { kind: 'regression', why: failing.map((c) => `${c.name}: ${c.reason ?? 'regression'}`).join('; ') };
  const evidence = checks.map(sequentialEvidence).filter((e) => e !== undefined);
  const notWorse = notWorseAfterMin(r, checks, now);
  if (notWorse) return { kind: 'not-worse', why: notWorse };
  return { kind: 'continue', why: evidence.map((e) => e.decision).join(', ') || 'no sequential comparison' };
}
