import { GitHubClient } from '../gitops/github';
import { specLocationFromEnv } from '../gitops/spec-files';
import type { Deps } from '../rollouts/deps';
import { ConfigurationError } from '../shared/errors';
import { commonDeps } from './common-deps';
import { listFromEnv } from './git-push';
import type { GitHubTriggerDeps } from './github';
import { SecretReader } from './secrets';

let secrets: SecretReader | undefined;

export function gitHubTriggerDeps(deps: Deps, env: NodeJS.ProcessEnv = process.env): GitHubTriggerDeps {
  secrets ??= new SecretReader();
  const reader = secrets;
  const tokenArn = env.GITHUB_TOKEN_SECRET_ARN;
  return {
    ...commonDeps(deps, env),
    webhookSecret: () => {
      if (env.GITHUB_WEBHOOK_SECRET_ARN) return reader.secret(env.GITHUB_WEBHOOK_SECRET_ARN);
      if (env.GITHUB_WEBHOOK_SECRET_PARAMETER) return reader.parameter(env.GITHUB_WEBHOOK_SECRET_PARAMETER);
      throw new ConfigurationError('set GITHUB_WEBHOOK_SECRET_PARAMETER or GITHUB_WEBHOOK_SECRET_ARN: unsigned webhooks are never accepted');
    },
    github: async () => new GitHubClient(tokenArn ? await reader.secret(tokenArn) : undefined, undefined, env.GITHUB_API_URL || undefined),
    location: specLocationFromEnv(env),
    branches: listFromEnv(env.GITOPS_BRANCHES, ['main']),
    repositories: listFromEnv(env.GITHUB_REPOSITORIES),
    reportStatus: Boolean(tokenArn) && env.GITHUB_COMMIT_STATUS !== 'false',
  };
}
