import type { DesiredState } from '../gitops/desired-state';
import { stableStringify } from '../shared/stable-json';
import { parseSpec, type RolloutSpec } from '../spec';
import { NotFromGitError } from '../shared/errors';
import { checkOwnership, describeSource, type Ownership, type SpecSource } from './ownership';
import type { StartInput } from './state';

/**
 * What Prepare needs to decide whether an execution may run: the deployment's ownership
 * bindings, whether manual starts are allowed, and the git desired state to compare with.
 */
export interface Admission {
  ownership(): Ownership;
  /** Deployment flag `allowManualStart`: executions whose spec is not the synced git spec may run (recorded as manual). */
  allowManualStart: boolean;
  desired: { get(specName: string): Promise<DesiredState | undefined> };
}

/**
 * Establishes where the spec comes from and checks its ownership binding, before any AWS call:
 * - with a revision, the input must be exactly the synced spec (and image) of that revision;
 * - anything else is a manual start, refused unless the deployment allows manual starts.
 * The input's own `source` field is never trusted: anyone who can start an execution can write it.
 */
export async function admitStart(spec: RolloutSpec, start: StartInput, admission: Admission): Promise<SpecSource> {
  const git = await fromGit(spec, start, admission);
  let source: SpecSource;
  if ('desired' in git) {
    source = { kind: 'git', repository: git.desired.repository, path: git.desired.path, revision: start.revision! };
  } else if (admission.allowManualStart) {
    source = { kind: 'manual', ...(start.requestedBy ? { by: start.requestedBy } : {}) };
  } else {
    throw new NotFromGitError(`${spec.name}: ${git.why}; rollouts start from git (a manual start needs the deployment parameter allowManualStart=true). Nothing was changed`);
  }
  checkOwnership(spec, source, admission.ownership());
  return source;
}

/** One line for the history: where the rollout's spec came from. */
export function describeOrigin(source: SpecSource): string {
  return source.kind === 'git' ? `from git ${describeSource(source)} at ${source.revision}` : `started by hand${source.by ? ` by ${source.by}` : ''} (manual starts allowed by the deployment)`;
}

/** The synced desired state the input is exactly, or why it is not. */
async function fromGit(spec: RolloutSpec, start: StartInput, admission: Admission): Promise<{ desired: DesiredState } | { why: string }> {
  if (!start.revision) return { why: 'the execution input has no git revision' };
  const desired = await admission.desired.get(spec.name);
  if (!desired) return { why: `no spec named ${spec.name} was synced from git` };
  if (desired.latestRevision !== start.revision) return { why: `revision ${start.revision} is not the synced revision of ${spec.name}` };
  if (stableStringify(parseSpec(desired.spec, 'desired state')) !== stableStringify(spec)) {
    return { why: `the execution input's spec differs from the one synced from ${desired.repository}:${desired.path} at ${desired.commitId.slice(0, 12)}` };
  }
  if (start.image !== undefined && start.image !== desired.latestImage) return { why: `image ${start.image} is not the latest image recorded for ${spec.name}` };
  return { desired };
}
