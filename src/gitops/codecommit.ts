import type { CodeCommitClient, Difference } from '@aws-sdk/client-codecommit';

/**
 * The CodeCommit SDK, required on the first read: the trigger sees pushes to every branch of the
 * repository and skips those to other branches without reading anything.
 */
function codeCommitSdk(): typeof import('@aws-sdk/client-codecommit') {
  return require('@aws-sdk/client-codecommit') as typeof import('@aws-sdk/client-codecommit');
}
import { classifyAwsError } from '../shared/errors';
import type { ChangedFile } from './sync';
import { isSpecPath, type SpecLocation } from './spec-files';

export interface SpecChanges {
  changed: ChangedFile[];
  removed: string[];
}

/** Reads the spec files a CodeCommit push changed, at the pushed commit. */
export class CodeCommitSpecSource {
  constructor(private clientOrUndefined?: CodeCommitClient) {}

  private get client(): CodeCommitClient {
    return (this.clientOrUndefined ??= new (codeCommitSdk().CodeCommitClient)({}));
  }

  /**
   * Lists the differences between the old and the new commit (every page) and keeps the spec
   * files. The path filter is applied here rather than with `afterPath`/`beforePath`, so that
   * deletions and a spec folder created or removed by this very push are seen the same way.
   * Without `oldCommitId` (a new branch) every spec file of the commit counts as added.
   */
  async changedSpecs(repositoryName: string, oldCommitId: string | undefined, commitId: string, location: SpecLocation): Promise<SpecChanges> {
    const upsert = new Set<string>();
    const removed = new Set<string>();
    let nextToken: string | undefined;
    do {
      const out = await this.client
        .send(
          new (codeCommitSdk().GetDifferencesCommand)({
            repositoryName,
            afterCommitSpecifier: commitId,
            ...(oldCommitId ? { beforeCommitSpecifier: oldCommitId } : {}),
            NextToken: nextToken,
          }),
        )
        .catch((error: unknown) => {
          throw classifyAwsError(error, `GetDifferences ${repositoryName} ${oldCommitId ?? '(none)'}..${commitId}`);
        });
      for (const d of out.differences ?? []) classify(d, location, upsert, removed);
      nextToken = out.NextToken;
    } while (nextToken);
    for (const p of upsert) removed.delete(p);

    const changed: ChangedFile[] = [];
    for (const path of [...upsert].sort()) changed.push(await this.read(repositoryName, commitId, path));
    return { changed, removed: [...removed].sort() };
  }

  private async read(repositoryName: string, commitId: string, filePath: string): Promise<ChangedFile> {
    try {
      const out = await this.client.send(new (codeCommitSdk().GetFileCommand)({ repositoryName, commitSpecifier: commitId, filePath }));
      return { path: filePath, text: Buffer.from(out.fileContent ?? new Uint8Array()).toString('utf8') };
    } catch (error) {
      const shaped = classifyAwsError(error, `GetFile ${repositoryName} ${filePath}@${commitId}`);
      if (shaped !== error) throw shaped; // transient: let the invocation retry
      return { path: filePath, readError: `cannot be read at ${commitId}: ${(error as Error).name}: ${(error as Error).message}` };
    }
  }
}

/** A: added, M: modified (a rename shows as different before/after paths), D: deleted. */
function classify(d: Difference, location: SpecLocation, upsert: Set<string>, removed: Set<string>): void {
  const before = d.beforeBlob?.path;
  const after = d.afterBlob?.path;
  if (d.changeType === 'D') {
    if (before && isSpecPath(before, location)) removed.add(before);
    return;
  }
  if (after && isSpecPath(after, location)) upsert.add(after);
  if (before && before !== after && isSpecPath(before, location)) removed.add(before);
}
