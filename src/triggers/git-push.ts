import type { DesiredStateStore } from '../gitops/desired-state';
import { syncPush, type GitPush } from '../gitops/sync';
import { record } from './record';
import { emptyResult, type TriggerResult } from './result';
import type { RolloutStarter } from './starter';

export interface GitPushDeps {
  desired: DesiredStateStore;
  starter: RolloutStarter;
  now(): Date;
}

/** The part CodeCommit and GitHub share: sync the changed specs, then start what changed its target. */
export async function applyGitPush(push: GitPush, source: string, requestedBy: string | undefined, deps: GitPushDeps): Promise<TriggerResult> {
  const sync = await syncPush(push, deps.desired, deps.now);
  const result: TriggerResult = { ...emptyResult(), skipped: sync.skipped, invalid: sync.invalid, updated: sync.updated, removed: sync.removed };
  for (const req of sync.toStart) {
    const outcome = await deps.starter.start({
      spec: req.spec,
      revision: req.revision,
      ...(req.image ? { image: req.image } : {}),
      source: `${source}:${req.path}`,
      ...(requestedBy ? { requestedBy } : {}),
    });
    record(result, outcome);
  }
  return result;
}

/** `a,b , c` → `['a','b','c']`. */
export function listFromEnv(value: string | undefined, fallback: string[] = []): string[] {
  const items = (value ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  return items.length ? items : fallback;
}
