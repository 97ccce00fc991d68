import { createHash } from 'node:crypto';
import { ConcurrentModificationError } from '../shared/errors';
import { stableStringify } from '../shared/stable-json';
import { partialRestoreError } from './errors';
import type { RouteSnapshot, RouteVersions, Target } from './port';
import { sameTargets } from './weights';

/**
 * The version of a route whose API has no version field (ALB, VPC Lattice): a digest of its
 * content in canonical JSON, so key order and undefined keys do not count. Not persisted across
 * releases: a rollout compares digests computed by one release.
 */
export function contentDigest(content: unknown): string {
  return `sha256:${createHash('sha256').update(stableStringify(content)).digest('hex').slice(0, 32)}`;
}

/**
 * Refuses to overwrite a route another writer changed. The version we expect is the one our last
 * write recorded or, before any recorded write (first step, or a rollback before one), the
 * snapshot's: a change made between Prepare and the first write is another writer's too.
 * `what` names the kind of version in the message (`version`, `content`).
 */
export function checkDrift(route: RouteSnapshot, expected: RouteVersions, actual: string, opts: { label: string; what: string }): void {
  const want = expected[route.key] ?? route.version;
  if (want !== actual) {
    throw new ConcurrentModificationError(
      `${opts.label} (${route.key}) was changed by another writer: expected ${opts.what} ${want}, found ${opts.what} ${actual}; not overwriting it`,
    );
  }
}

/**
 * Restores every route with `restoreOne` (which returns the route's version afterwards), going on
 * after a failure, then throws the failures together: a partial restore is never silent, and one
 * route's failure never keeps the others split.
 */
export async function restoreEach(routes: RouteSnapshot[], restoreOne: (route: RouteSnapshot) => Promise<string>): Promise<RouteVersions> {
  const versions: RouteVersions = {};
  const failures: Array<{ route: string; error: unknown }> = [];
  for (const route of routes) {
    try {
      versions[route.key] = await restoreOne(route);
    } catch (error) {
      failures.push({ route: route.name, error });
    }
  }
  if (failures.length > 0) throw partialRestoreError(failures, routes.length);
  return versions;
}

/**
 * True when `actual` is one of the target lists this rollout writes: the split at some step
 * weight 0-100 (`split`) or the promoted state (`promoted`). Such a state under an unrecorded
 * version is our own write whose Task failed afterwards, not another writer's.
 */
export function isRolloutTargets(actual: Target[], split: (weight: number) => Target[], promoted: () => Target[]): boolean {
  if (sameTargets(promoted(), actual)) return true;
  for (let w = 0; w <= 100; w++) if (sameTargets(split(w), actual)) return true;
  return false;
}
