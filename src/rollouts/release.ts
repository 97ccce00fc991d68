import { hasSequentialComparison } from '../spec/predicates';
import type { RolloutSpec } from '../spec';
import { ConfigurationError } from '../shared/errors';
import type { Deps } from './deps';
import type { ExecutionState } from './state';

/**
 * Gives back a finished rollout's route locks, alarm watches and lookout registration (after Promote, FinishPromotion,
 * Rollback or ScaleDownCanary). Every failure throws: the state machine retries this Task until
 * it is done, and both calls are idempotent (a release deletes only locks this rollout holds).
 */
export async function releaseRollout(state: ExecutionState, deps: Deps): Promise<{ released: string[] }> {
  const r = state.rollout;
  const keys = r.snapshot.routes.map((x) => x.key);
  await deps.store.unwatchAlarms(r.id, r.spec.analysis.alarms);
  if (hasSequentialComparison(r.spec)) await deps.store.unwatchLooks(r.id);
  await deps.store.releaseLocks(keys, r.id);
  return { released: keys };
}

/**
 * A start that failed (or whose Prepare crashed after taking its locks): gives back whatever this
 * execution may hold. Nothing was shifted, so the routes to release are the ones a snapshot of the
 * spec resolves; a spec that does not parse or resolve never got as far as taking a lock.
 */
export async function releaseFailedStart(raw: { spec?: unknown }, executionName: string, deps: Deps): Promise<{ released: string[] }> {
  // Required here: every rollout's end goes through Release, a failed start rarely; only the
  // latter needs the spec schema (building it is most of a cold start).
  const { parseSpec } = require('../spec') as typeof import('../spec');
  let spec: RolloutSpec;
  try {
    spec = parseSpec(raw.spec, 'execution input .spec');
  } catch {
    return { released: [] };
  }
  let keys: string[];
  try {
    keys = (await deps.routerFor(spec).snapshot()).routes.map((x) => x.key);
  } catch (error) {
    if (error instanceof ConfigurationError) return { released: [] };
    throw error;
  }
  await deps.store.unwatchAlarms(executionName, spec.analysis.alarms);
  if (hasSequentialComparison(spec)) await deps.store.unwatchLooks(executionName);
  await deps.store.releaseLocks(keys, executionName);
  return { released: keys };
}
