import type { ECSClient } from '@aws-sdk/client-ecs';
import { ConfigurationError } from '../shared/errors';
import type { RolloutSpec } from '../spec';
import type { Workload } from './port';
import { canaryOf } from '../spec/target';
import type { LambdaClient } from '@aws-sdk/client-lambda';

let lambdaClient: LambdaClient | undefined;

/** The Lambda workload, required on first use: an ECS deployment never loads the Lambda SDK. */
function createLambdaWorkload(spec: RolloutSpec, client: LambdaClient | undefined): Workload {
  const router = spec.router.lambda;
  if (router === undefined) throw new ConfigurationError(`${spec.name}: target.lambda publishes a version of the alias' function: router.lambda is required`);
  const { LambdaWorkload } = require('./lambda') as typeof import('./lambda');
  const { LambdaClient: Client } = require('@aws-sdk/client-lambda') as typeof import('@aws-sdk/client-lambda');
  return new LambdaWorkload(router.function, client ?? (lambdaClient ??= new Client({})));
}

export type { Workload, WorkloadStatus, CanaryDeployment, DeploymentRef } from './port';

let ecsClient: ECSClient | undefined;

/**
 * Picks the workload adapter for the spec's target kind (only `target.ecs` today). A spec without
 * a workload has its canary deployed by someone else and never reaches here: the state machine
 * skips the deploy and promote phases for it.
 *
 * With App Mesh each service is a virtual node named in its task definition, which the workload
 * rewrites; behind ALB or VPC Lattice each service is registered in its own target group, so the
 * task definitions change only by their image.
 */
export function createWorkload(spec: RolloutSpec, clients: { ecs?: ECSClient; lambda?: LambdaClient } = {}): Workload {
  if (spec.target.lambda) return createLambdaWorkload(spec, clients.lambda);
  const { ecs, stable } = spec.target;
  if (ecs === undefined) throw new ConfigurationError(`${spec.name}: target has no workload to deploy (add target.ecs or target.lambda)`);
  // Required on first use, like the Lambda workload: the functions that never deploy (Step,
  // Rollback, ...) and Lambda deployments never load the ECS SDK.
  const { EcsWorkload } = require('./ecs') as typeof import('./ecs');
  const client = clients.ecs ?? (ecsClient ??= new (require('@aws-sdk/client-ecs') as typeof import('@aws-sdk/client-ecs')).ECSClient({}));
  // Behind target groups the services need no mesh wiring: the router alone splits traffic.
  if (spec.router.alb || spec.router.vpcLattice) return new EcsWorkload(ecs, undefined, client);
  const canary = canaryOf(spec);
  const mesh = spec.router.appMesh;
  if (mesh === undefined) {
    throw new ConfigurationError(`${spec.name}: target.ecs needs a router that splits traffic between two ECS services: router.alb, router.vpcLattice or router.appMesh`);
  }
  if (stable === undefined) {
    throw new ConfigurationError(`${spec.name}: target.ecs needs target.stable, the virtual node of ${ecs.primaryService}`);
  }
  return new EcsWorkload(
    ecs,
    { mesh: mesh.mesh, canaryNode: canary, primaryNode: stable, ...(mesh.meshOwner ? { meshOwner: mesh.meshOwner } : {}) },
    client,
  );
}
