import type { RolloutSpec } from '../../spec';
import type { LocalRouting, LocalUpstreams } from './routing';

export { meshShare, type LocalRouting, type LocalUpstreams } from './routing';

/**
 * The local world for the spec's router kind. Each facade lives in its own file, one per AWS API,
 * and is loaded only when its router is asked for.
 */
export function createLocalRouting(spec: RolloutSpec, upstreams: LocalUpstreams): LocalRouting {
  if (spec.router.appMesh) return (require('./appmesh') as typeof import('./appmesh')).localAppMeshRouting(spec, upstreams);
  if (spec.router.alb) return (require('./elbv2') as typeof import('./elbv2')).localAlbRouting(spec, upstreams);
  if (spec.router.vpcLattice) return (require('./vpc-lattice') as typeof import('./vpc-lattice')).localLatticeRouting(spec, upstreams);
  if (spec.router.lambda) return (require('./lambda') as typeof import('./lambda')).localLambdaRouting(spec, upstreams);
  throw new Error(`the local world has no router for ${Object.keys(spec.router).join(', ')}`);
}
