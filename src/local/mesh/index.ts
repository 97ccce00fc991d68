/** Local App Mesh stand-in: route control plane, HTTP data plane and request stats. */
export { LocalMesh, type LocalMeshOptions, type Resolution } from './local-mesh';
export { LocalMeshError, type LocalMeshErrorCode } from './errors';
export { MeshStats, percentile, type MeshTotals, type RequestRecord, type TargetWindowStats } from './stats';
export { SmoothWeightedRoundRobin } from './balancer';
export { compareRoutes, compileMatcher, parseRequest } from './match';
export { validateRouteSpec } from './validate';
export type * from './types';
export { ROUTE_KINDS } from './types';
