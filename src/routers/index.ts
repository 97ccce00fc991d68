import { AppMeshClient } from '@aws-sdk/client-app-mesh';
import type { RolloutSpec } from '../spec';
import { AppMeshRouter } from './appmesh';
import type { TrafficRouter } from './port';

export type { TrafficRouter, RouterSnapshot, RouteSnapshot, RouteVersions, Target, VerifyResult } from './port';

let appMeshClient: AppMeshClient | undefined;

/** Picks the adapter for the spec's router kind. The core never names a provider. */
export function createRouter(spec: RolloutSpec, clients: { appMesh?: AppMeshClient } = {}): TrafficRouter {
  if (spec.router.appMesh) {
    return new AppMeshRouter(spec.router.appMesh, { canary: spec.target.virtualNode, stable: spec.target.stableVirtualNode }, clients.appMesh ?? (appMeshClient ??= new AppMeshClient({})));
  }
  throw new Error(`router kind not supported: ${Object.keys(spec.router).join(', ')}`);
}
