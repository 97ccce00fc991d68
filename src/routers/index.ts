import type { AppMeshClient } from '@aws-sdk/client-app-mesh';
import type { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { LambdaClient } from '@aws-sdk/client-lambda';
import type { VPCLatticeClient } from '@aws-sdk/client-vpc-lattice';
import { canaryOf } from '../spec/target';
import type { RolloutSpec } from '../spec';
import type { TrafficRouter } from './port';

export type { TrafficRouter, RouterSnapshot, RouteSnapshot, RouteVersions, Target, VerifyResult, VerifyTarget } from './port';

/** SDK clients a router may use; tests and the local world pass look-alikes, AWS gets real ones. */
export interface RouterClients {
  appMesh?: AppMeshClient;
  elbv2?: ElasticLoadBalancingV2Client;
  vpcLattice?: VPCLatticeClient;
  lambda?: LambdaClient;
}

const realClients: RouterClients = {};

/*
 * Each adapter is required on first use: a deployment that uses one router never loads the SDK
 * clients of the others (each costs tens of ms of cold start).
 */

/** Picks the adapter for the spec's router kind. The core never names a provider. */
export function createRouter(spec: RolloutSpec, clients: RouterClients = {}): TrafficRouter {
  const targets = { canary: spec.target.canary, stable: spec.target.stable };
  // Only the Lambda router takes a spec without a canary (target.lambda publishes it at deploy).
  const named = () => ({ canary: canaryOf(spec), stable: spec.target.stable });
  const { appMesh, alb, vpcLattice, lambda } = spec.router;
  if (appMesh) {
    const { AppMeshRouter } = require('./appmesh') as typeof import('./appmesh');
    const client = clients.appMesh ?? (realClients.appMesh ??= new (require('@aws-sdk/client-app-mesh') as typeof import('@aws-sdk/client-app-mesh')).AppMeshClient({}));
    return new AppMeshRouter(appMesh, named(), client);
  }
  if (alb) {
    const { AlbRouter } = require('./alb') as typeof import('./alb');
    const client =
      clients.elbv2 ??
      (realClients.elbv2 ??= new (require('@aws-sdk/client-elastic-load-balancing-v2') as typeof import('@aws-sdk/client-elastic-load-balancing-v2')).ElasticLoadBalancingV2Client({}));
    return new AlbRouter(alb, named(), client);
  }
  if (vpcLattice) {
    const { LatticeRouter } = require('./vpc-lattice') as typeof import('./vpc-lattice');
    const client = clients.vpcLattice ?? (realClients.vpcLattice ??= new (require('@aws-sdk/client-vpc-lattice') as typeof import('@aws-sdk/client-vpc-lattice')).VPCLatticeClient({}));
    return new LatticeRouter(vpcLattice, named(), client);
  }
  if (lambda) {
    const { LambdaAliasRouter } = require('./lambda') as typeof import('./lambda');
    const client = clients.lambda ?? (realClients.lambda ??= new (require('@aws-sdk/client-lambda') as typeof import('@aws-sdk/client-lambda')).LambdaClient({}));
    return new LambdaAliasRouter(lambda, targets, client);
  }
  throw new Error(`router kind not supported: ${Object.keys(spec.router).join(', ')}`);
}
