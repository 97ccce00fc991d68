import type { RouterSnapshot, TrafficRouter } from '../routers/port';
import { RouteNotCleanError, TransientError } from '../shared/errors';
import type { RolloutSpec } from '../spec';
import type { Deps } from './deps';
import type { RolloutRecord } from './records';

/** How many of the spec's latest rollouts are searched for one that did not end cleanly. */
const HISTORY_DEPTH = 10;

/** Statuses of a rollout that ended with its routes in a final state and its locks given back. */
const CLEAN_ENDS = new Set<RolloutRecord['status']>(['promoted', 'rolled back']);

/**
 * The baseline Prepare snapshots is what a rollback restores, byte for byte, so it must be a route
 * at rest. Called once the locks are held: the routes are snapshotted again (a rollout that ended
 * between the first snapshot and the lock may have moved them), then refused when a route still
 * carries the canary of an earlier rollout of this spec that did not end cleanly, or this spec's
 * own canary already has traffic. The refusal names the earlier rollout.
 */
export async function cleanBaseline(spec: RolloutSpec, router: TrafficRouter, first: RouterSnapshot, rolloutId: string, deps: Deps): Promise<RouterSnapshot> {
  const snapshot = await router.snapshot();
  const keys = (s: RouterSnapshot) => s.routes.map((r) => r.key).join('\n');
  if (keys(snapshot) !== keys(first)) throw new TransientError(`routes of ${spec.name} changed while Prepare took their locks; retry`);

  const earlier = (await deps.store.listRollouts({ specName: spec.name, limit: HISTORY_DEPTH })).filter((r) => r.rolloutId !== rolloutId);
  for (const record of earlier) {
    if (CLEAN_ENDS.has(record.status)) continue;
    // A rollout still running holds its locks and Prepare could not have taken them; the history
    // of one that ran on other routes says nothing about these.
    if (!record.routes.some((k) => snapshot.routes.some((r) => r.key === k))) continue;
    if ((record.status === 'running' || record.status === 'waiting') && (await deps.executions.isRunning(record.executionArn))) continue;
    const canary = canaryOf(record);
    const split = canary === undefined ? undefined : carrying(snapshot, canary);
    if (split) {
      throw new RouteNotCleanError(
        `route ${split.key} still sends ${split.weight} to ${canary}, the canary of rollout ${record.rolloutId} (${record.status}), which did not end cleanly: ` +
          'it is not taken as a baseline; put the route back (or finish that rollout) by hand, clear its lock with `canaryctl unlock`, then start again',
      );
    }
  }
  const own = splitToward(snapshot, snapshot.canary);
  if (own) {
    const last = earlier[0];
    throw new RouteNotCleanError(
      `route ${own.key} already sends ${own.weight} to the canary ${snapshot.canary} next to ${snapshot.stable}` +
        `${last ? ` (last rollout of ${spec.name}: ${last.rolloutId}, ${last.status})` : ''}: a split is not taken as a baseline; put the route back by hand, then start again`,
    );
  }
  return snapshot;
}

function canaryOf(record: RolloutRecord): string | undefined {
  const canary = (record.spec as { target?: { canary?: unknown } } | undefined)?.target?.canary;
  return typeof canary === 'string' ? canary : undefined;
}

/**
 * The first route where an earlier canary still has traffic. Only a route where it became the
 * stable and holds every share is at rest (a promotion whose history write failed).
 */
function carrying(snapshot: RouterSnapshot, canary: string): { key: string; weight: number } | undefined {
  for (const route of snapshot.routes) {
    const weight = route.targets.find((t) => t.name === canary)?.weight ?? 0;
    const alone = route.targets.every((t) => t.name === canary || t.weight === 0);
    if (weight > 0 && !(canary === snapshot.stable && alone)) return { key: route.key, weight };
  }
  return undefined;
}

/** The first route where `canary` has a share while another target of the route has one too. */
function splitToward(snapshot: RouterSnapshot, canary: string): { key: string; weight: number } | undefined {
  for (const route of snapshot.routes) {
    const mine = route.targets.find((t) => t.name === canary)?.weight ?? 0;
    if (mine > 0 && route.targets.some((t) => t.name !== canary && t.weight > 0)) return { key: route.key, weight: mine };
  }
  return undefined;
}
