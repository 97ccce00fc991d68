import type { RouterClients } from '../../routers';
import type { RouterKind } from '../../spec/schema';
import type { LocalMesh } from '../mesh';
import type { CanaryTasks } from './ecs';

/** Base URLs of the two sample services the local world runs. */
export interface LocalUpstreams {
  stable: string;
  canary: string;
  /** The canary sample service as the new code's runtime, for worlds that deploy it (target.lambda): started once a deploy succeeds. */
  canaryTasks?: CanaryTasks;
}

/**
 * One router kind played locally: the local mesh carries real HTTP traffic, and a facade answers
 * the router's AWS API with its real shapes over that mesh, so the production adapter runs
 * unchanged (`createRouter(spec, routing.clients)`).
 */
export interface LocalRouting {
  readonly kind: RouterKind;
  /** The data plane (not started yet: the runner starts and stops it). */
  readonly mesh: LocalMesh;
  /** Names under which the mesh's stats count the stable and canary versions: the spec's target names (with target.lambda, the version its deploy will publish). */
  readonly stable: string;
  readonly canary: string;
  /** Request paths the load generator spreads over, one per route or rule shifted. */
  readonly paths: string[];
  /** SDK client look-alikes answering from the local world. */
  readonly clients: RouterClients;
  /** The canary's share (0-100) of the stable + canary pool on the first route, as the data plane applies it now. */
  canaryWeight(): number;
  /** API calls answered so far, per operation. */
  calls(): Record<string, number>;
}

/** The canary's share (0-100) of stable + canary on one installed route of the mesh. */
export function meshShare(mesh: LocalMesh, route: string, stable: string, canary: string): number {
  const targets = (mesh.describeRoute(route).spec.httpRoute?.action.weightedTargets ?? []) as Array<{ virtualNode: string; weight: number }>;
  const s = targets.find((t) => t.virtualNode === stable)?.weight ?? 0;
  const c = targets.find((t) => t.virtualNode === canary)?.weight ?? 0;
  return s + c === 0 ? 0 : Math.round((100 * c) / (s + c));
}
