import type { SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDesiredStateStore, type DesiredStateStore } from '../gitops/desired-state';
import type { Deps } from '../rollouts/deps';
import { logger } from '../shared/lambda';
import { ConfigurationError } from '../shared/errors';
import type { EcrTriggerDeps } from './ecr';
import { RolloutStarter, type Log } from './starter';

/*
 * The ports every trigger shares. Kept apart from the git triggers' deps so the ECR handler's
 * bundle does not carry the YAML parser and the git clients (bench/report.md: bundle sizes).
 */

/** Powertools logger behind the use cases' small log port. */
export const powertoolsLog: Log = (level, message, extra) => logger[level](message, extra ?? {});

export function required(env: NodeJS.ProcessEnv, name: string): string {
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
let sfn: SFNClient | undefined;

/** The ports every trigger shares, built once per process on top of the engine's ports. */
export function commonDeps(deps: Deps, env: NodeJS.ProcessEnv): Common {
  common ??= {
    desired: new DynamoDesiredStateStore(required(env, 'TABLE_NAME')),
    starter: new RolloutStarter({
      // Built when a rollout starts: pushes and images that no synced spec tracks never load it.
      get sfn() {
        return (sfn ??= new (require('@aws-sdk/client-sfn') as typeof import('@aws-sdk/client-sfn')).SFNClient({}));
      },
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
