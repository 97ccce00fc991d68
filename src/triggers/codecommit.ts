import * as z from '../shared/zod-mini';
import type { CodeCommitSpecSource } from '../gitops/codecommit';
import type { SpecLocation } from '../gitops/spec-files';
import { applyGitPush, type GitPushDeps } from './git-push';
import { finish } from './record';
import { skippedResult, type TriggerResult } from './result';
import type { Log } from './starter';

/** EventBridge `CodeCommit Repository State Change` (source `aws.codecommit`). */
const CodeCommitEventSchema = z.looseObject({
  source: z.literal('aws.codecommit', { error: 'source is not aws.codecommit' }),
  'detail-type': z.literal('CodeCommit Repository State Change', { error: 'detail-type is not "CodeCommit Repository State Change"' }),
  time: z.optional(z.string()),
  detail: z.looseObject(
    {
      event: z.string({ error: 'detail.event is missing' }),
      repositoryName: z.string({ error: 'detail.repositoryName is missing' }).check(z.minLength(1, { error: 'detail.repositoryName is empty' })),
      referenceType: z.optional(z.string()),
      referenceName: z.optional(z.string()),
      commitId: z.optional(z.string()),
      oldCommitId: z.optional(z.string()),
      callerUserArn: z.optional(z.string()),
    },
    { error: 'detail is missing' },
  ),
});

export interface CodeCommitTriggerDeps extends GitPushDeps {
  source: CodeCommitSpecSource;
  location: SpecLocation;
  /** Branches whose pushes sync specs (a spec may narrow it with `triggers.branch`). */
  branches: string[];
  /** Repositories accepted; empty: any (the EventBridge rule already filters). */
  repositories: string[];
  log: Log;
}

const PUSH_EVENTS = new Set(['referenceCreated', 'referenceUpdated']);

/**
 * A push to the configuration repository: read the spec files the push changed at the pushed
 * commit, sync them to the desired state and start a rollout for each spec whose target changed.
 */
export async function handleCodeCommitPush(event: unknown, deps: CodeCommitTriggerDeps): Promise<TriggerResult> {
  const parsed = CodeCommitEventSchema.safeParse(event);
  if (!parsed.success) return finish(deps, 'CodeCommit event', skippedResult(`not a CodeCommit push event: ${parsed.error.issues[0]?.message ?? 'malformed'}`));
  const d = parsed.data.detail;
  const what = `CodeCommit ${d.event} ${d.repositoryName} ${d.referenceType ?? '?'} ${d.referenceName ?? '?'}${d.commitId ? `@${d.commitId.slice(0, 12)}` : ''}`;
  if (!PUSH_EVENTS.has(d.event)) return finish(deps, what, skippedResult(`event ${d.event} is not a push (referenceCreated or referenceUpdated)`));
  if (d.referenceType !== 'branch') return finish(deps, what, skippedResult(`reference type ${d.referenceType ?? 'unknown'} is not a branch`));
  if (deps.repositories.length === 0) return finish(deps, what, skippedResult(`no spec repository is configured (deployment parameter codeCommitRepository): push refused`));
  if (!deps.repositories.includes(d.repositoryName)) {
    return finish(deps, what, skippedResult(`repository ${d.repositoryName} is not a configured spec repository (${deps.repositories.join(', ')})`));
  }
  if (!d.referenceName || !deps.branches.includes(d.referenceName)) {
    return finish(deps, what, skippedResult(`branch ${d.referenceName ?? '(none)'} is not tracked (tracked: ${deps.branches.join(', ')})`));
  }
  if (!d.commitId) return finish(deps, what, skippedResult('detail.commitId is missing'));

  const changes = await deps.source.changedSpecs(d.repositoryName, d.oldCommitId, d.commitId, deps.location);
  if (changes.changed.length === 0 && changes.removed.length === 0) {
    return finish(deps, what, skippedResult(`no file under ${deps.location.folder} changed`));
  }
  const result = await applyGitPush(
    {
      repository: d.repositoryName,
      branch: d.referenceName,
      commitId: d.commitId,
      pushedAt: parsed.data.time ?? deps.now().toISOString(),
      changed: changes.changed,
      removed: changes.removed,
    },
    `codecommit:${d.repositoryName}@${d.referenceName}`,
    d.callerUserArn,
    deps,
  );
  return finish(deps, what, result);
}
