import { hasSequentialComparison } from '../spec/predicates';
import { requireAlarms } from '../analysis/alarms';
import { planRollout } from '../plan';
import { parseSpec, SpecValidationError } from '../spec';
import { ConfigurationError, SupersededError } from '../shared/errors';
import { admitStart, describeOrigin } from './admission';
import { requireAnalysis } from './analysis';
import { cleanBaseline } from './clean-baseline';
import { workloadOf, type Deps } from './deps';
import { StartInputSchema, type ExecutionState, type PrepareInput, type RolloutState } from './state';
import { toSpecIssues, type RolloutSpec } from '../spec';
import { isPinnedByDigest } from '../workloads/ecs/task-definition';

/**
 * A spec with `target.ecs` or `target.lambda` deploys an image: the input must name it (pinned by
 * digest), and for ECS the primary's virtual node or target group must be explicit, since the route
 * snapshot is restored onto it at promotion.
 * Checked before anything is deployed, so a bad start deploys nothing.
 */
function requireWorkloadInput(spec: RolloutSpec, image: string | undefined): void {
  if (image === undefined || image === '') {
    throw new ConfigurationError(
      `${spec.name} has target.${spec.target.ecs ? 'ecs' : 'lambda'}: the execution input needs an \`image\` to deploy as the canary (<repository>@sha256:<digest>); ` +
        'ECR push triggers pass it, canaryctl start takes --image',
    );
  }
  if (!isPinnedByDigest(image)) {
    throw new ConfigurationError(`${spec.name}: execution input \`image\` "${image}" is not pinned by digest (<repository>@sha256:<digest>): a tag can move`);
  }
  if (spec.target.ecs && spec.target.stable === undefined) {
    throw new ConfigurationError(
      `${spec.name} has target.ecs: set target.stable to what the router sends ${spec.target.ecs!.primaryService} traffic to (its App Mesh virtual node, or the ALB / VPC Lattice target group it is registered in)`,
    );
  }
}

/**
 * Prepare: validate everything, snapshot the routes, take the route locks. Nothing is written to
 * a route here, so every error at Prepare leaves traffic exactly as it was.
 */
export async function prepare(input: PrepareInput, deps: Deps): Promise<Pick<ExecutionState, 'rollout' | 'bake'>> {
  // A retry after WaitForLock carries the last try's error next to the original input.
  const { error: _lastTry, ...raw } = (input.input ?? {}) as Record<string, unknown>;
  const start = StartInputSchema.safeParse(raw);
  if (!start.success) throw new SpecValidationError(toSpecIssues(start.error), 'execution input');
  const spec = parseSpec(start.data.spec, 'execution input .spec');
  const plan = planRollout(spec);
  const workload = spec.target.ecs ?? spec.target.lambda;
  if (workload) requireWorkloadInput(spec, start.data.image);

  if (start.data.revision && deps.revisions && !(await deps.revisions.isLatest(spec.name, start.data.revision))) {
    throw new SupersededError(`revision ${start.data.revision} of ${spec.name} was superseded by a newer one before it started`);
  }
  // Git-only starts and ownership: decided from the spec alone, before any AWS resource is read.
  const origin = deps.admission ? await admitStart(spec, start.data, deps.admission) : undefined;
  // A typo in a service, cluster or container name fails here, before any deployment or write.
  if (workload) await workloadOf(spec, deps).validate({ image: start.data.image! });
  const router = deps.routerFor(spec);
  const first = await router.snapshot();
  if (first.routes.length === 0) throw new ConfigurationError(`router of ${spec.name}: no route to shift`);
  await requireAlarms(deps.checks, spec.analysis.alarms);
  requireAnalysis(spec, first);

  const rolloutId = input.executionName;
  const keys = first.routes.map((r) => r.key);
  await deps.store.acquireLocks(keys, { rolloutId, executionArn: input.executionArn, specName: spec.name }, (arn) => deps.executions.isRunning(arn));
  // The baseline is taken under the lock and must be a route at rest (no earlier canary left on it).
  const snapshot = await cleanBaseline(spec, router, first, rolloutId, deps).catch(async (error: unknown) => {
    await deps.store.releaseLocks(keys, rolloutId).catch(() => undefined);
    throw error;
  });

  const now = deps.now().toISOString();
  const rollout: RolloutState = {
    id: rolloutId,
    specName: spec.name,
    executionArn: input.executionArn,
    revision: start.data.revision,
    startedAt: input.startTime ?? now,
    spec,
    weights: plan.steps.map((s) => s.weight),
    bakeSeconds: plan.bakeSeconds,
    recheckSeconds: spec.analysis.recheckInterval,
    approvalTimeoutSeconds: spec.approval.timeout,
    onApprovalTimeout: spec.approval.onTimeout,
    snapshot,
    versions: Object.fromEntries(snapshot.routes.map((r) => [r.key, r.version])),
    step: -1,
    weight: 0,
    counters: { failedChecks: 0, waitedForData: 0 },
    action: 'bake',
    waitSeconds: plan.bakeSeconds,
    ...(workload && start.data.image ? { image: start.data.image } : {}),
  };
  try {
    await deps.store.putRollout({
      rolloutId,
      specName: spec.name,
      executionArn: input.executionArn,
      revision: start.data.revision,
      status: 'running',
      routes: keys,
      weights: rollout.weights,
      step: -1,
      canaryWeight: 0,
      startedAt: rollout.startedAt,
      updatedAt: now,
      spec,
    });
    await deps.store.watchAlarms(rolloutId, input.executionArn, spec.analysis.alarms);
    if (hasSequentialComparison(spec)) await deps.store.watchLooks(rolloutId, input.executionArn);
    const message = `stable ${snapshot.stable} → canary ${snapshot.canary || '(the version the image deploy publishes)'} on ${keys.length} route(s), steps ${rollout.weights.join(' → ')}%${origin ? `; ${describeOrigin(origin)}` : ''}`;
    await deps.store.appendEvent(rolloutId, { at: now, kind: 'started', message });
    await deps.notifier.notify({ type: 'started', rolloutId, specName: spec.name, at: now, revision: start.data.revision, steps: rollout.weights.length, reason: message });
  } catch (error) {
    // Nothing was shifted: give the routes back so a retried Prepare or the next rollout can start.
    await deps.store.unwatchAlarms(rolloutId, spec.analysis.alarms).catch(() => undefined);
    if (hasSequentialComparison(spec)) await deps.store.unwatchLooks(rolloutId).catch(() => undefined);
    await deps.store.releaseLocks(keys, rolloutId).catch(() => undefined);
    throw error;
  }
  return { rollout, bake: null };
}
