import { CloudWatchAlarms, type CheckSource } from '../analysis/alarms';
import type { Notifier } from '../approvals/notifier';
import { createRouter } from '../routers';
import type { TrafficRouter } from '../routers/port';
import type { RolloutSpec } from '../spec';
import { DynamoStore } from './dynamo-store';
import type { ExecutionControl } from './executions';
import { SfnExecutions } from './sfn-executions';
import type { RolloutStore } from './store';
import { defaultNotifier } from '../approvals/aws-notifiers';

/** The ports every use case needs. Real AWS adapters by default; the local runner and tests pass their own. */
export interface Deps {
  store: RolloutStore;
  routerFor(spec: RolloutSpec): TrafficRouter;
  checks: CheckSource;
  notifier: Notifier;
  executions: ExecutionControl;
  /** Knows the newest synced revision of each spec (GitOps desired state); absent: every revision may start. */
  revisions?: RevisionGuard;
  now(): Date;
}

export interface RevisionGuard {
  isLatest(specName: string, revision: string): Promise<boolean>;
}

let configured: Deps | undefined;

/** Replaces the ports for every handler in this process (local runner, tests). */
export function configureDeps(deps: Deps | undefined): void {
  configured = deps;
}

/** The ports for this process: configured ones, else real AWS clients built once from the environment. */
export function getDeps(): Deps {
  configured ??= awsDeps();
  return configured;
}

function awsDeps(): Deps {
  const table = process.env.TABLE_NAME;
  if (!table) throw new Error('TABLE_NAME is not set: the function must be deployed by serverless.yml');
  return {
    store: new DynamoStore(table),
    routerFor: (spec) => createRouter(spec),
    checks: new CloudWatchAlarms(),
    notifier: defaultNotifier(),
    executions: new SfnExecutions(),
    revisions: new (require('../gitops/desired-state') as typeof import('../gitops/desired-state')).DynamoDesiredStateStore(table),
    now: () => new Date(),
  };
}
