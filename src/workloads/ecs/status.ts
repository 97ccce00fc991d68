import type { Deployment, Service } from '@aws-sdk/client-ecs';
import type { DeploymentRef, WorkloadStatus } from '../port';

/** ECS service events that explain why tasks do not start (no capacity, no matching instance, ...). */
const PLACEMENT_FAILURE = /unable to place/i;

/**
 * Reads where the deployment of `ref.taskDefinitionArn` stands on an ECS service, from one
 * DescribeServices result. Pure.
 *
 * - failed: the deployment's circuit breaker tripped (rolloutState FAILED), another deployment
 *   replaced it, or it is gone (ECS rolled it back and cleaned it up);
 * - steady: rolloutState COMPLETED, or all desired tasks run and no other deployment is left;
 * - progressing: anything else, with the counts and the latest placement failure, if any.
 */
export function deploymentStatus(service: Service, ref: DeploymentRef): WorkloadStatus {
  const name = service.serviceName ?? service.serviceArn ?? '(unnamed service)';
  const deployments = service.deployments ?? [];
  const primary = deployments.find((d) => d.status === 'PRIMARY');
  const ours = findDeployment(deployments, ref);
  const current = primary?.taskDefinition ?? service.taskDefinition;

  if (ours === undefined) {
    return {
      phase: 'failed',
      reason:
        `service ${name} has no deployment of ${ref.taskDefinitionArn}` +
        (current ? `; it runs ${current}` : '') +
        ' (rolled back by the deployment circuit breaker, or replaced by another deployment)',
      running: service.runningCount ?? 0,
      desired: service.desiredCount ?? 0,
      ...(current ? { taskDefinition: current } : {}),
    };
  }

  const running = ours.runningCount ?? 0;
  const desired = ours.desiredCount ?? 0;
  const counts = { running, desired, ...(current ? { taskDefinition: current } : {}) };
  const id = ours.id ?? '(no id)';

  if (ours.rolloutState === 'FAILED') {
    return {
      phase: 'failed',
      reason: `deployment ${id} of service ${name} failed: ${ours.rolloutStateReason ?? 'no reason given'}`,
      ...counts,
    };
  }
  if (ours.status !== 'PRIMARY' && primary !== undefined) {
    return {
      phase: 'failed',
      reason: `deployment ${id} of service ${name} was replaced by deployment ${primary.id ?? '(no id)'} (${primary.taskDefinition ?? 'unknown task definition'})`,
      ...counts,
    };
  }
  if (ours.rolloutState === 'COMPLETED' || (running === desired && deployments.length === 1)) {
    return { phase: 'steady', reason: `service ${name}: ${running}/${desired} tasks running ${ref.taskDefinitionArn}`, ...counts };
  }

  const details = [`${running}/${desired} tasks running`];
  if (ours.pendingCount) details.push(`${ours.pendingCount} pending`);
  if (ours.failedTasks) details.push(`${ours.failedTasks} failed to start`);
  if (deployments.length > 1) details.push(`${deployments.length - 1} older deployment(s) draining`);
  const placement = latestPlacementFailure(service, ours);
  return {
    phase: 'progressing',
    reason: `deployment ${id} of service ${name}: ${details.join(', ')}${placement ? `; latest event: ${placement}` : ''}`,
    ...counts,
  };
}

/** The deployment named by the ref if it still runs our task definition; else the service's deployment of it, PRIMARY first. */
function findDeployment(deployments: Deployment[], ref: DeploymentRef): Deployment | undefined {
  const byId = ref.deploymentId === undefined ? undefined : deployments.find((d) => d.id === ref.deploymentId);
  if (byId?.taskDefinition === ref.taskDefinitionArn) return byId;
  const candidates = deployments.filter((d) => d.taskDefinition === ref.taskDefinitionArn);
  return candidates.find((d) => d.status === 'PRIMARY') ?? candidates[0];
}

/** Events are newest first; only those since the deployment started say something about it. */
function latestPlacementFailure(service: Service, deployment: Deployment): string | undefined {
  const since = deployment.createdAt?.getTime();
  return (service.events ?? []).find(
    (e) =>
      e.message !== undefined &&
      PLACEMENT_FAILURE.test(e.message) &&
      (since === undefined || e.createdAt === undefined || e.createdAt.getTime() >= since),
  )?.message;
}
