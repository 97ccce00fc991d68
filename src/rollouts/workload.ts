import { hasSequentialComparison } from '../spec/predicates';
import { bestEffort } from './best-effort';
import { ConfigurationError } from '../shared/errors';
import type { WorkloadStatus } from '../workloads/port';
import { workloadOf, type Deps } from './deps';
import { verifyShift } from './verify';
import { close, deliverAlert, describeCaught, finishRollback } from './finish';
import { checkLambdaCanary, deployLambdaCanary } from './lambda-workload';
import type { ExecutionState, RolloutState, WorkloadProgress } from './state';

/**
 * The workload phases of a rollout whose spec has `target.ecs` (the fixed primary/canary pair):
 * DeployCanary → (WaitForCanary → CheckCanary)* → traffic steps → PromotePrimary →
 * (WaitForPrimary → CheckPrimary)* → FinishPromotion; ScaleDownCanary after a rollback.
 * Each use case is one quick round of API calls: the state machine does the waiting.
 */

type EcsRollout = RolloutState & { spec: { target: { ecs: NonNullable<RolloutState['spec']['target']['ecs']> } } };

function requireEcs(r: RolloutState): EcsRollout {
  if (!r.spec.target.ecs) throw new ConfigurationError(`${r.specName}: the spec has no target.ecs, yet a workload state ran`);
  return r as EcsRollout;
}

function requireProgress(r: RolloutState, what: string): WorkloadProgress {
  if (!r.workload) throw new ConfigurationError(`${r.specName}: ${what} ran before DeployCanary (no workload in the state)`);
  return r.workload;
}

function deadlineFrom(deps: Deps, seconds: number): string {
  return new Date(deps.now().getTime() + seconds * 1000).toISOString();
}

function started(desired: number, reason: string): WorkloadStatus {
  return { phase: 'progressing', reason, running: 0, desired };
}

/** Deploys the execution's image as the canary; the deadline for it to become steady starts now. */
export async function deployCanary(state: ExecutionState, deps: Deps): Promise<RolloutState> {
  if (state.rollout.spec.target.lambda) return deployLambdaCanary(state, deps);
  const r = requireEcs(state.rollout);
  if (!r.image) throw new ConfigurationError(`${r.specName} has target.ecs but the rollout has no image to deploy`);
  const { canaryService, readyTimeout } = r.spec.target.ecs;
  const canary = await workloadOf(r.spec, deps).deployCanary({ image: r.image });
  const deadline = deadlineFrom(deps, readyTimeout);
  const message = `canary service ${canaryService} → ${canary.taskDefinitionArn} (${canary.desiredCount} task(s), ${r.image}); steady by ${deadline}`;
  await deps.store.appendEvent(r.id, { at: deps.now().toISOString(), kind: 'workload', message });
  return { ...r, workload: { canary, deadline, status: started(canary.desiredCount, 'canary deployment started') } };
}

/**
 * One look at the deployment being watched (`side`). A deployment still progressing after its
 * deadline is failed. A failed canary sets `action: rollback` with the reason, so Rollback says why.
 */
export async function checkWorkload(state: ExecutionState, side: 'canary' | 'primary', deps: Deps): Promise<RolloutState> {
  if (state.rollout.spec.target.lambda && side === 'canary') return checkLambdaCanary(state, deps);
  const r = requireEcs(state.rollout);
  const progress = requireProgress(r, side === 'canary' ? 'CheckCanary' : 'CheckPrimary');
  const workload = workloadOf(r.spec, deps);
  const { readyTimeout, canaryService, primaryService } = r.spec.target.ecs;
  let status: WorkloadStatus;
  if (side === 'canary') {
    status = await workload.canaryStatus(progress.canary);
  } else {
    if (!progress.primary) throw new ConfigurationError(`${r.specName}: CheckPrimary ran before PromotePrimary`);
    status = await workload.primaryStatus(progress.primary);
  }
  if (status.phase === 'progressing' && deps.now().getTime() >= Date.parse(progress.deadline)) {
    status = { ...status, phase: 'failed', reason: `not steady within target.ecs.readyTimeout (${readyTimeout}s): ${status.reason}` };
  }
  const next: RolloutState = { ...r, workload: { ...progress, status } };
  const service = side === 'canary' ? canaryService : primaryService;
  if (status.phase === 'steady') {
    await deps.store.appendEvent(r.id, { at: deps.now().toISOString(), kind: 'workload', message: `${side} service ${service} is steady: ${status.reason}` });
    return next;
  }
  if (status.phase === 'failed') {
    const reason = side === 'canary' ? `canary service ${service} did not become ready: ${status.reason}` : `primary service ${service} did not take the new version: ${status.reason}`;
    return side === 'canary' ? { ...next, action: 'rollback', reason } : { ...next, reason };
  }
  return next;
}

/** Rolls the primary service onto the judged version (same image, primary node); its own deadline starts now. */
export async function promotePrimary(state: ExecutionState, deps: Deps): Promise<RolloutState> {
  const r = requireEcs(state.rollout);
  const progress = requireProgress(r, 'PromotePrimary');
  const { primaryService, readyTimeout } = r.spec.target.ecs;
  const primary = await workloadOf(r.spec, deps).promotePrimary({ taskDefinitionArn: progress.canary.taskDefinitionArn });
  const deadline = deadlineFrom(deps, readyTimeout);
  await deps.store.appendEvent(r.id, {
    at: deps.now().toISOString(),
    kind: 'workload',
    step: r.step,
    weight: r.weight,
    message: `promoting: primary service ${primaryService} → ${primary.taskDefinitionArn}; steady by ${deadline}`,
  });
  return { ...r, workload: { ...progress, primary, deadline, status: started(progress.canary.desiredCount, 'primary deployment started') } };
}

/**
 * The primary runs the new version: every route goes back to its snapshot (all traffic on the
 * primary node), then the canary service is scaled to zero, then the rollout is closed. A retry
 * after a partial failure is harmless: a restored route is not written again, scaling is idempotent.
 */
export async function finishPromotion(state: ExecutionState, deps: Deps): Promise<RolloutState> {
  const r = requireEcs(state.rollout);
  const progress = requireProgress(r, 'FinishPromotion');
  const router = deps.routerFor(r.spec);
  const versions = await router.restore(r.snapshot, r.versions);
  // All traffic must be back on the primary before its canary is scaled away.
  await verifyShift(router, r.snapshot, 'restored');
  await workloadOf(r.spec, deps).scaleCanaryToZero();
  const { primaryService, canaryService } = r.spec.target.ecs;
  const promoted = { ...r, versions };
  await close(
    promoted,
    deps,
    'promoted',
    `promoted: ${primaryService} runs ${progress.primary?.taskDefinitionArn ?? 'the new version'} and ${r.snapshot.stable} takes all traffic again; ${canaryService} scaled to zero`,
  );
  await deps.notifier.notify({ type: 'promoted', rolloutId: r.id, specName: r.specName, at: deps.now().toISOString(), revision: r.revision, weight: 100 });
  return { ...promoted, weight: 0, outcome: 'promoted' };
}

/** After Rollback restored the routes: the canary service to zero, then the rollout is closed as rolled back. */
export async function scaleDownCanary(state: ExecutionState, deps: Deps): Promise<RolloutState> {
  const r = requireEcs(state.rollout);
  await workloadOf(r.spec, deps).scaleCanaryToZero();
  await deps.store.appendEvent(r.id, { at: deps.now().toISOString(), kind: 'workload', message: `canary service ${r.spec.target.ecs.canaryService} scaled to zero` });
  return finishRollback(r, deps);
}

/**
 * The loud end of a failed promotion. Traffic stays where the last step put it (on the canary,
 * which passed every check), the primary is in whatever state ECS left it: the route locks stay
 * held and flagged so nothing else starts until an operator acts.
 */
export async function promotionFailed(state: ExecutionState, deps: Deps): Promise<{ Error: string; Cause: string }> {
  const r = state.rollout;
  // A failed CheckPrimary says why in `reason`; a Task that threw left its error in `$.error`
  // (which, before promotion, may also hold an approval timeout that was approved on: not ours).
  const checked = r.workload?.primary && r.workload.status.phase === 'failed' ? r.reason : undefined;
  const reason = `${checked ?? describeCaught(state.error) ?? 'promotion failed'}; traffic stays on ${r.snapshot.canary} (${r.weight}%)`;
  const keys = r.snapshot.routes.map((x) => x.key);
  const now = deps.now().toISOString();
  // As rollbackFailed: flag, alert (retried until a channel accepts it), then history.
  await deps.store.flagLocks(keys, r.id, `promotion failed: ${reason}`);
  await deliverAlert(r.id, { type: 'promotion-failed', rolloutId: r.id, specName: r.specName, at: now, step: r.step, steps: r.weights.length, weight: r.weight, revision: r.revision, reason, urgent: true }, deps);
  // The rollout has ended: its alarm watches and lookout registration go (the locks stay flagged).
  await bestEffort('unwatch alarms', r.id, () => deps.store.unwatchAlarms(r.id, r.spec.analysis.alarms));
  if (hasSequentialComparison(r.spec)) await bestEffort('unwatch looks', r.id, () => deps.store.unwatchLooks(r.id));
  await deps.store.appendEvent(r.id, { at: now, kind: 'promotion-failed', step: r.step, weight: r.weight, message: reason });
  await deps.store.updateRollout(r.id, { status: 'failed', endedAt: now, outcome: `promotion failed: ${reason}`, gate: undefined });
  return { Error: 'Canary.PromotionFailed', Cause: reason };
}
