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
import { createWorkload } from '../workloads';
import type { Workload } from '../workloads/port';

/** The ports every use case needs. Real AWS adapters by default; the local runner and tests pass their own. */
export interface Deps {
  store: RolloutStore;
  routerFor(spec: RolloutSpec): TrafficRouter;
  /**
   * The workload that deploys and promotes the canary of a spec with `target.ecs`. Optional so
   * that ports built before workloads existed keep working: absent, the real adapter is used
   * (`createWorkload`, a real ECSClient), as for any SDK client default.
   */
  workloadFor?(spec: RolloutSpec): Workload;
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

/** The workload of a spec with `target.ecs`: the configured factory, else the real adapter. */
export function workloadOf(spec: RolloutSpec, deps: Deps): Workload {
  return deps.workloadFor ? deps.workloadFor(spec) : createWorkload(spec);
}

function awsDeps(): Deps {
  const table = process.env.TABLE_NAME;
  if (!table) throw new Error('TABLE_NAME is not set: the function must be deployed by serverless.yml');
  return {
    store: new DynamoStore(table),
    routerFor: (spec) => createRouter(spec),
    workloadFor: (spec) => createWorkload(spec),
    checks: new CloudWatchAlarms(),
    notifier: defaultNotifier(),
    executions: new SfnExecutions(),
    revisions: new (require('../gitops/desired-state') as typeof import('../gitops/desired-state')).DynamoDesiredStateStore(table),
    now: () => new Date(),
  };
}
