import { ECSClient } from '@aws-sdk/client-ecs';
import { ConfigurationError } from '../shared/errors';
import type { RolloutSpec } from '../spec';
import { EcsWorkload } from './ecs';
import type { Workload } from './port';

export type { Workload, WorkloadStatus, CanaryDeployment, DeploymentRef } from './port';

let ecsClient: ECSClient | undefined;

/**
 * Picks the workload adapter for the spec's target kind (only `target.ecs` today). A spec without
 * a workload has its canary deployed by someone else and never reaches here: the state machine
 * skips the deploy and promote phases for it.
 */
export function createWorkload(spec: RolloutSpec, clients: { ecs?: ECSClient } = {}): Workload {
  const { ecs, canary, stable } = spec.target;
  if (ecs === undefined) throw new ConfigurationError(`${spec.name}: target has no workload to deploy (add target.ecs)`);
  const mesh = spec.router.appMesh;
  if (mesh === undefined) throw new ConfigurationError(`${spec.name}: target.ecs pairs each service with an App Mesh virtual node: router.appMesh is required`);
  if (stable === undefined) {
    throw new ConfigurationError(`${spec.name}: target.ecs needs target.stable, the virtual node of ${ecs.primaryService}`);
  }
  return new EcsWorkload(
    ecs,
    { mesh: mesh.mesh, canaryNode: canary, primaryNode: stable, ...(mesh.meshOwner ? { meshOwner: mesh.meshOwner } : {}) },
    clients.ecs ?? (ecsClient ??= new ECSClient({})),
  );
}
