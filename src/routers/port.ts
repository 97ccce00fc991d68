/**
 * The TrafficRouter port. The core speaks only this; App Mesh, VPC Lattice, ALB and the local
 * mesh are adapters behind it (one folder each, chosen by `createRouter` on the spec's router kind).
 */

/** A weighted target as the core sees it: a name (virtual node, target group) and an integer weight. */
export interface Target {
  name: string;
  weight: number;
}

/** One route as it was before the rollout touched it. `raw` is the provider's full spec, written back verbatim by restore. */
export interface RouteSnapshot {
  /** Stable identity of the route, e.g. `appmesh:my-mesh/user-router/user-route`; also the lock key. */
  key: string;
  name: string;
  /** Provider version (App Mesh `metadata.version`) when snapshotted. */
  version: string;
  targets: Target[];
  raw: unknown;
}

export interface RouterSnapshot {
  kind: string;
  stable: string;
  canary: string;
  routes: RouteSnapshot[];
  takenAt: string;
}

/** Route key → the provider version we expect to find (the one our last write produced). */
export type RouteVersions = Record<string, string>;

/** What a read-back should find: a step's canary weight, the promoted state, or the snapshot restored. */
export type VerifyTarget = number | 'promoted' | 'restored';

export type VerifyResult =
  | { supported: true; ok: boolean; routes: Array<{ key: string; expected: Target[]; actual: Target[] }> }
  | { supported: false; reason: string };

export interface TrafficRouter {
  readonly kind: string;
  /**
   * Resolves the routes and checks that every named resource exists, before any write.
   * Throws ResourceNotFoundError naming the missing mesh, router, route or node.
   */
  snapshot(): Promise<RouterSnapshot>;
  /** Writes absolute weights: the canary gets `weight` % of the share stable and canary hold together. */
  setCanaryWeight(snapshot: RouterSnapshot, weight: number, expected: RouteVersions): Promise<RouteVersions>;
  /** Writes the promoted state: the canary takes the whole stable + canary share and the stable target is removed. */
  promote(snapshot: RouterSnapshot, expected: RouteVersions): Promise<RouteVersions>;
  /**
   * Writes every route back exactly as snapshotted. With `force`, a route changed by another
   * writer is overwritten too (an operator's explicit decision); without it, that is a
   * ConcurrentModificationError.
   */
  restore(snapshot: RouterSnapshot, expected: RouteVersions, options?: { force?: boolean }): Promise<RouteVersions>;
  /** Reads the routes back and compares them with what a step's `weight`, the promotion or the restore should produce. */
  verify(snapshot: RouterSnapshot, target: VerifyTarget): Promise<VerifyResult>;
}
