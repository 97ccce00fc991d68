import { CodeCommitSpecSource } from '../gitops/codecommit';
import { specLocationFromEnv } from '../gitops/spec-files';
import type { Deps } from '../rollouts/deps';
import type { CodeCommitTriggerDeps } from './codecommit';
import { commonDeps } from './common-deps';
import { listFromEnv } from './git-push';

/* One deps module per trigger source, so each handler loads only its own SDK clients. */
export { ecrTriggerDeps, powertoolsLog } from './common-deps';

/** One per process: its SDK client (made on first use) keeps its connections across warm invocations. */
let source: CodeCommitSpecSource | undefined;

export function codeCommitTriggerDeps(deps: Deps, env: NodeJS.ProcessEnv = process.env): CodeCommitTriggerDeps {
  return {
    ...commonDeps(deps, env),
    source: (source ??= new CodeCommitSpecSource()),
    location: specLocationFromEnv(env),
    branches: listFromEnv(env.GITOPS_BRANCHES, ['main']),
    repositories: listFromEnv(env.CODECOMMIT_REPOSITORIES),
  };
}
