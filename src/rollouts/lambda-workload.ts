import { ConfigurationError } from '../shared/errors';
import { workloadOf, type Deps } from './deps';
import type { ExecutionState, RolloutState } from './state';

/**
 * The deploy phase of a spec with `target.lambda`, on the same states as ECS (DeployCanary →
 * (WaitForCanary → CheckCanary)* → Step): the pushed image becomes a published version, which is
 * written into the rollout's snapshot as the canary. Promotion and rollback are the alias
 * router's; a version that failed to deploy never received traffic.
 */

type LambdaRollout = RolloutState & { spec: { target: { lambda: NonNullable<RolloutState['spec']['target']['lambda']> } } };

function requireLambda(r: RolloutState): LambdaRollout {
  if (!r.spec.target.lambda) throw new ConfigurationError(`${r.specName}: the spec has no target.lambda, yet a Lambda workload state ran`);
  return r as LambdaRollout;
}

function functionOf(r: RolloutState): string {
  return r.spec.router.lambda?.function ?? '(no router.lambda)';
}

/** UpdateFunctionCode with the execution's image; the deadline for LastUpdateStatus Successful starts now. */
export async function deployLambdaCanary(state: ExecutionState, deps: Deps): Promise<RolloutState> {
  const r = requireLambda(state.rollout);
  if (!r.image) throw new ConfigurationError(`${r.specName} has target.lambda but the rollout has no image to deploy`);
  const canary = await workloadOf(r.spec, deps).deployCanary({ image: r.image });
  const deadline = new Date(deps.now().getTime() + r.spec.target.lambda.readyTimeout * 1000).toISOString();
  await deps.store.appendEvent(r.id, { at: deps.now().toISOString(), kind: 'workload', message: `function ${functionOf(r)} → ${r.image} (CodeSha256 ${canary.codeSha256}); LastUpdateStatus Successful expected by ${deadline}` });
  return { ...r, workload: { canary, deadline, status: { phase: 'progressing', reason: 'code update started', running: 0, desired: 1 } } };
}

/**
 * One look at the code update. Once Successful the version is published and becomes the canary
 * (`snapshot.canary`); Failed, past the deadline, or a version that is the stable one (the image
 * was already live) sets `action: rollback` with the reason, before any traffic moved.
 */
export async function checkLambdaCanary(state: ExecutionState, deps: Deps): Promise<RolloutState> {
  const r = requireLambda(state.rollout);
  const progress = r.workload;
  if (!progress) throw new ConfigurationError(`${r.specName}: CheckCanary ran before DeployCanary (no workload in the state)`);
  let status = await workloadOf(r.spec, deps).canaryStatus(progress.canary);
  if (status.phase === 'progressing' && deps.now().getTime() >= Date.parse(progress.deadline)) {
    status = { ...status, phase: 'failed', reason: `not updated within target.lambda.readyTimeout (${r.spec.target.lambda.readyTimeout}s): ${status.reason}` };
  }
  if (status.phase === 'steady' && status.version === r.snapshot.stable) {
    status = { ...status, phase: 'failed', reason: `the image is already version ${status.version}, the stable version: nothing to roll out` };
  }
  const next: RolloutState = { ...r, workload: { ...progress, status } };
  if (status.phase === 'failed') return { ...next, action: 'rollback', reason: `function ${functionOf(r)} did not deploy the canary: ${status.reason}` };
  if (status.phase !== 'steady') return next;
  if (!status.version) throw new Error(`${r.specName}: the Lambda workload reported steady without a version`);
  await deps.store.appendEvent(r.id, { at: deps.now().toISOString(), kind: 'workload', message: `function ${functionOf(r)}: ${status.reason}; canary is version ${status.version}` });
  return { ...next, snapshot: { ...r.snapshot, canary: status.version } };
}
