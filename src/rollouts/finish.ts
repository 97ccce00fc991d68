import { hasSequentialComparison } from '../spec/predicates';
import { ErrorNames } from '../shared/errors';
import { bestEffort } from './best-effort';
import type { LifecycleEvent } from '../approvals/notifier';
import type { Deps } from './deps';
import type { CaughtError, ExecutionState, RolloutState } from './state';
import { verifyShift } from './verify';

/** Promote: the final route state and history closed; ReleaseAfterPromotion then gives the locks back. */
export async function promote(state: ExecutionState, deps: Deps): Promise<RolloutState> {
  const r = state.rollout;
  const router = deps.routerFor(r.spec);
  const versions = await router.promote(r.snapshot, r.versions);
  // Accepted is not applied: a promotion the routes do not show is never reported done (the Task
  // fails and is retried; a retry finds its own write and only reads again).
  await verifyShift(router, r.snapshot, 'promoted');
  await close(r, deps, 'promoted', `promoted: ${r.snapshot.canary} takes all traffic of ${r.snapshot.stable}`);
  await deps.notifier.notify({ type: 'promoted', rolloutId: r.id, specName: r.specName, at: deps.now().toISOString(), revision: r.revision, weight: 100 });
  return { ...r, versions, weight: 100, outcome: 'promoted' };
}

/** Why the rollout is rolling back, from a failed verdict or from the error a Catch put in the state. */
export function rollbackReason(state: ExecutionState): string {
  if (state.rollout.action === 'rollback' && state.rollout.reason && !state.error) return state.rollout.reason;
  // An unanswered gate leaves its timeout in $.approval (not $.error, so that a gate that timed out
  // into `approve` does not become the reason of a later, unrelated rollback).
  const timedOut = (state.approval as { Error?: string } | undefined)?.Error === 'States.Timeout';
  const gateTimeout = timedOut && state.rollout.action !== 'rollback' ? 'approval timed out (approval.onTimeout: rollback)' : undefined;
  return describeCaught(state.error) ?? gateTimeout ?? state.rollout.reason ?? 'unknown reason';
}

export function describeCaught(error: CaughtError | undefined): string | undefined {
  if (!error) return undefined;
  const cause = parseCause(error.Cause);
  switch (error.Error) {
    case 'Canary.Rejected':
      return `approval rejected${cause ? `: ${cause}` : ''}`;
    case 'Canary.Aborted':
      return `aborted by an operator${cause ? `: ${cause}` : ''}`;
    case 'States.Timeout':
      return 'approval timed out (approval.onTimeout: rollback)';
    default:
      return `${error.Error}${cause ? `: ${cause}` : ''}`;
  }
}

function parseCause(cause: string | undefined): string | undefined {
  if (!cause) return undefined;
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: string; reason?: string };
    return parsed.errorMessage ?? parsed.reason ?? cause;
  } catch {
    return cause;
  }
}

/**
 * Rollback: every route back to its snapshot, exactly. The state machine retries this for a long
 * time; a route changed by another writer is not overwritten (ConcurrentModificationError ends in
 * RollbackFailed instead).
 */
export async function rollback(state: ExecutionState, deps: Deps): Promise<RolloutState> {
  const r = state.rollout;
  const reason = rollbackReason(state);
  // Only the lock holder writes: re-entrant for this rollout (and re-taken if an operator cleared
  // it); held by another rollout, it refuses with RouteLockedError and the rollback ends loudly.
  await deps.store.acquireLocks(r.snapshot.routes.map((x) => x.key), { rolloutId: r.id, executionArn: r.executionArn, specName: r.specName }, (arn) =>
    deps.executions.isRunning(arn),
  );
  const router = deps.routerFor(r.spec);
  const versions = await router.restore(r.snapshot, r.versions);
  // The snapshot must be what the routes show before the rollback counts as done; otherwise the
  // Task fails and Rollback's retries (then the loud end) take over.
  await verifyShift(router, r.snapshot, 'restored');
  const restored: RolloutState = { ...r, versions, reason };
  if (r.spec.target.ecs) {
    // The canary service still runs: ScaleDownCanary closes the rollout once it is scaled to zero.
    // The locks stay held until then, so a new rollout cannot deploy a canary that this one would stop.
    await deps.store.appendEvent(r.id, { at: deps.now().toISOString(), kind: 'workload', step: r.step, weight: r.weight, message: `routes restored (${reason}); scaling the canary service to zero` });
    return restored;
  }
  return finishRollback(restored, deps);
}

/** The end of a rollback once traffic is restored (and the canary stopped, for a workload): history closed, locks released, people told. */
export async function finishRollback(r: RolloutState, deps: Deps): Promise<RolloutState> {
  const reason = r.reason ?? 'unknown reason';
  await close(r, deps, 'rolled back', `rolled back: ${reason}`);
  await deps.notifier.notify({
    type: 'rolled-back',
    rolloutId: r.id,
    specName: r.specName,
    at: deps.now().toISOString(),
    step: r.step >= 0 ? r.step : undefined,
    steps: r.weights.length,
    weight: r.step >= 0 ? r.weight : undefined,
    revision: r.revision,
    reason,
    checks: r.lastVerdict?.checks.filter((c) => c.state !== 'OK'),
  });
  return { ...r, weight: 0, reason, outcome: 'rolled back' };
}

/** The loud end: routes could not be restored. Locks stay held and flagged until an operator acts. */
export async function rollbackFailed(state: ExecutionState, deps: Deps): Promise<RolloutState> {
  const r = state.rollout;
  const reason = `${describeCaught(state.error) ?? 'rollback failed'} (while rolling back because: ${r.reason ?? 'see history'})`;
  const keys = r.snapshot.routes.map((x) => x.key);
  const now = deps.now().toISOString();
  // Flag first, then alert, then history: each step throws on failure and the whole Task is
  // retried (all three are idempotent), so the end is never quiet and never unflagged.
  await deps.store.flagLocks(keys, r.id, reason);
  await deliverAlert(r.id, { type: 'rollback-failed', rolloutId: r.id, specName: r.specName, at: now, step: r.step, steps: r.weights.length, weight: r.weight, reason, urgent: true }, deps);
  await bestEffort('unwatch alarms', r.id, () => deps.store.unwatchAlarms(r.id, r.spec.analysis.alarms));
  if (hasSequentialComparison(r.spec)) await bestEffort('unwatch looks', r.id, () => deps.store.unwatchLooks(r.id));
  await deps.store.appendEvent(r.id, { at: now, kind: 'rollback-failed', step: r.step, weight: r.weight, message: reason });
  await deps.store.updateRollout(r.id, { status: 'rollback failed', endedAt: now, outcome: reason, gate: undefined });
  return { ...r, reason, outcome: 'rollback failed' };
}

/**
 * Sends the urgent alert of a loud end and records that a channel accepted it. A notifier that
 * reached no channel throws (AlertNotDeliveredError), so the loud state's Retry sends it again.
 */
export async function deliverAlert(rolloutId: string, event: LifecycleEvent, deps: Deps): Promise<void> {
  await deps.notifier.notify(event);
  await deps.store.updateRollout(rolloutId, { alertDeliveredAt: deps.now().toISOString() });
}

/**
 * Prepare failed: nothing was shifted; say why to the people who wait for the rollout. A route
 * refused as not clean is urgent (an earlier rollout left traffic split): that alert is retried
 * until a channel accepts it.
 */
export async function prepareFailed(state: { error?: CaughtError; spec?: { name?: unknown } }, executionName: string, deps: Deps): Promise<{ reason: string }> {
  const reason = describeCaught(state.error) ?? 'unknown error';
  const specName = typeof state.spec?.name === 'string' ? state.spec.name : 'unknown spec';
  const urgent = state.error?.Error === ErrorNames.notClean;
  await deps.notifier.notify({ type: 'failed-to-start', rolloutId: executionName, specName, at: deps.now().toISOString(), reason, ...(urgent ? { urgent } : {}) });
  return { reason };
}

/**
 * Closes the history after the final route write. Best effort: the write is done and must not be
 * undone by a history failure. The locks are released by the next state (ReleaseAfterPromotion or
 * ReleaseAfterRollback), which is retried until done.
 */
export async function close(r: RolloutState, deps: Deps, status: 'promoted' | 'rolled back', message: string): Promise<void> {
  const now = deps.now().toISOString();
  await bestEffort('record the outcome', r.id, async () => {
    await deps.store.appendEvent(r.id, { at: now, kind: status === 'promoted' ? 'promoted' : 'rolled-back', step: r.step, weight: r.weight, message });
    await deps.store.updateRollout(r.id, { status, endedAt: now, outcome: message, gate: undefined, canaryWeight: status === 'promoted' ? 100 : 0 });
  });
}
