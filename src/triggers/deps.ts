import { CodeCommitClient } from '@aws-sdk/client-codecommit';
import { SFNClient } from '@aws-sdk/client-sfn';
import { CodeCommitSpecSource } from '../gitops/codecommit';
import { DynamoDesiredStateStore, type DesiredStateStore } from '../gitops/desired-state';
import { GitHubClient } from '../gitops/github';
import { specLocationFromEnv } from '../gitops/spec-files';
import type { Deps } from '../rollouts/deps';
import { logger } from '../shared/lambda';
import { ConfigurationError } from '../shared/errors';
import type { CodeCommitTriggerDeps } from './codecommit';
import type { EcrTriggerDeps } from './ecr';
import { listFromEnv } from './git-push';
import type { GitHubTriggerDeps } from './github';
import { SecretReader } from './secrets';
import { RolloutStarter, type Log } from './starter';

/** Powertools logger behind the use cases' small log port. */
export const powertoolsLog: Log = (level, message, extra) => logger[level](message, extra ?? {});

function required(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (!value) throw new ConfigurationError(`${name} is not set: the function must be deployed by serverless/triggers.yml`);
  return value;
}

interface Common {
  desired: DesiredStateStore;
  starter: RolloutStarter;
  now(): Date;
  log: Log;
}

let common: Common | undefined;
let secrets: SecretReader | undefined;

/** The ports every trigger shares, built once per process on top of the engine's ports. */
function commonDeps(deps: Deps, env: NodeJS.ProcessEnv): Common {
  common ??= {
    desired: new DynamoDesiredStateStore(required(env, 'TABLE_NAME')),
    starter: new RolloutStarter({
      sfn: new SFNClient({}),
      stateMachineArn: required(env, 'STATE_MACHINE_ARN'),
      store: deps.store,
      executions: deps.executions,
      notifier: deps.notifier,
      now: deps.now,
      log: powertoolsLog,
    }),
    now: deps.now,
    log: powertoolsLog,
  };
  return common;
}

export function ecrTriggerDeps(deps: Deps, env: NodeJS.ProcessEnv = process.env): EcrTriggerDeps {
  return commonDeps(deps, env);
}

export function codeCommitTriggerDeps(deps: Deps, env: NodeJS.ProcessEnv = process.env): CodeCommitTriggerDeps {
  return {
    ...commonDeps(deps, env),
    source: new CodeCommitSpecSource(new CodeCommitClient({})),
    location: specLocationFromEnv(env),
    branches: listFromEnv(env.GITOPS_BRANCHES, ['main']),
    repositories: listFromEnv(env.CODECOMMIT_REPOSITORIES),
  };
}

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
