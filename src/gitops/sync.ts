import type { RolloutSpec } from '../spec';
import type { DesiredStateStore } from './desired-state';
import { parseSpecFile, stableStringify } from './spec-files';

/** One changed spec file at the pushed commit: its text, or why it could not be read. */
export type ChangedFile = { path: string; text: string } | { path: string; readError: string };

export interface GitPush {
  /** `owner/repo` for GitHub, the repository name for CodeCommit. */
  repository: string;
  branch: string;
  commitId: string;
  /** When the source saw the push (ISO): orders pushes delivered out of order. */
  pushedAt: string;
  changed: ChangedFile[];
  removed: string[];
}

/** A spec whose target changed (or that is new): the trigger starts a rollout of this revision. */
export interface RolloutRequest {
  spec: RolloutSpec;
  revision: string;
  path: string;
  /** The latest image of a spec with an ECR trigger, so a git-started rollout deploys what is current. */
  image?: string;
}

export interface SyncResult {
  toStart: RolloutRequest[];
  /** Specs whose desired state changed without a new rollout (only non-target fields changed). */
  updated: Array<{ specName: string; path: string }>;
  removed: Array<{ specName: string; path: string }>;
  invalid: Array<{ path: string; reason: string }>;
  skipped: Array<{ path: string; specName?: string; reason: string }>;
}

/** `<commit>:<first 16 hex of the content hash>`: the revision of a spec synced from git. */
export function gitRevision(commitId: string, contentHash: string): string {
  return `${commitId}:${contentHash.slice(0, 16)}`;
}

/**
 * Applies a push to the desired state. Each valid changed spec is stored (spec, commit, content
 * hash); it asks for a rollout only when it is new or its `target` changed: a change of strategy,
 * analysis, approval or notify alone only updates the desired state (the next rollout uses it).
 * One invalid file never blocks the others. Removed files delete their desired state and start nothing.
 */
export async function syncPush(push: GitPush, store: DesiredStateStore, now: () => Date = () => new Date()): Promise<SyncResult> {
  const result: SyncResult = { toStart: [], updated: [], removed: [], invalid: [], skipped: [] };
  const seen = new Map<string, string>();
  for (const file of push.changed) {
    if ('readError' in file) {
      result.invalid.push({ path: file.path, reason: `${file.path}: ${file.readError}` });
      continue;
    }
    const parsed = parseSpecFile(file.path, file.text);
    if (!parsed.ok) {
      result.invalid.push({ path: file.path, reason: parsed.error });
      continue;
    }
    const spec = parsed.spec;
    const other = seen.get(spec.name);
    if (other !== undefined) {
      result.invalid.push({ path: file.path, reason: `${file.path}: name: "${spec.name}" is already declared by ${other}` });
      continue;
    }
    seen.set(spec.name, file.path);
    if (spec.triggers?.branch !== undefined && spec.triggers.branch !== push.branch) {
      result.skipped.push({ path: file.path, specName: spec.name, reason: `${file.path}: ${spec.name} tracks branch ${spec.triggers.branch}, not ${push.branch}` });
      continue;
    }
    const stored = await store.get(spec.name);
    if (stored && stored.repository !== push.repository) {
      // A spec is identified by its source: another repository declaring the same name must not
      // take it over (its rollouts would run with the first one's name, locks and history).
      result.invalid.push({ path: file.path, reason: `${file.path}: name: "${spec.name}" belongs to ${stored.repository}:${stored.path}; a spec from ${push.repository} cannot replace it` });
      continue;
    }
    const revision = gitRevision(push.commitId, parsed.contentHash);
    if (stored && stored.contentHash === parsed.contentHash && stored.repository === push.repository && stored.path === file.path) {
      if (stored.commitId === push.commitId && stored.latestRevision === revision) {
        // The same push delivered again (or retried after a failed start): ask again; the
        // execution name derived from the revision makes the second start a no-op.
        result.toStart.push(request(spec, revision, file.path, stored.latestImage));
      } else {
        result.skipped.push({ path: file.path, specName: spec.name, reason: `${file.path}: ${spec.name} is unchanged` });
      }
      continue;
    }
    const targetChanged = !stored || stableStringify(stored.spec.target) !== stableStringify(spec.target);
    const written = await store.put({
      specName: spec.name,
      spec,
      repository: push.repository,
      branch: push.branch,
      path: file.path,
      commitId: push.commitId,
      contentHash: parsed.contentHash,
      pushedAt: push.pushedAt,
      syncedAt: now().toISOString(),
      ...(targetChanged ? { latestRevision: revision } : {}),
    });
    if (!written) {
      result.skipped.push({ path: file.path, specName: spec.name, reason: `${file.path}: a later push of ${spec.name} is already synced` });
      continue;
    }
    if (!targetChanged) {
      result.updated.push({ specName: spec.name, path: file.path });
      continue;
    }
    result.toStart.push(request(spec, revision, file.path, stored?.latestImage));
  }

  if (push.removed.length > 0) {
    const all = await store.list();
    for (const path of push.removed) {
      const owners = all.filter((s) => s.path === path && s.repository === push.repository && s.branch === push.branch);
      if (owners.length === 0) {
        result.skipped.push({ path, reason: `${path}: removed, but no synced spec came from it` });
        continue;
      }
      for (const owner of owners) {
        if (seen.has(owner.specName)) continue; // moved to another file in the same push
        if (await store.delete(owner.specName, push.pushedAt)) result.removed.push({ specName: owner.specName, path });
        else result.skipped.push({ path, specName: owner.specName, reason: `${path}: a later push of ${owner.specName} is already synced` });
      }
    }
  }
  return result;
}

function request(spec: RolloutSpec, revision: string, path: string, latestImage: string | undefined): RolloutRequest {
  const image = spec.triggers?.ecrRepository !== undefined ? latestImage : undefined;
  return { spec, revision, path, ...(image ? { image } : {}) };
}
