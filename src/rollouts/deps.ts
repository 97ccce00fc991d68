import { CloudWatchAlarms, type CheckSource } from '../analysis/alarms';
import type { Notifier } from '../approvals/notifier';
import type { CustomCheckPorts } from '../analysis/custom';
import type { MetricDataReader } from '../analysis/metric-data';
import { createRouter } from '../routers';
import type { TrafficRouter } from '../routers/port';
import type { RolloutSpec } from '../spec';
import { DynamoStore } from './dynamo-store';
import type { ExecutionControl } from './executions';
import type { RolloutStore } from './store';
import { defaultNotifier } from '../approvals/aws-notifiers';
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
  /** GetMetricData for comparisons and metric checks; absent: the real CloudWatch client. */
  metrics?: MetricDataReader;
  /** Lambda checks, webhooks and hooks; absent: real Lambda, SSM / Secrets Manager and fetch. */
  customChecks?: CustomCheckPorts;
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
  return deps.workloadFor ? deps.workloadFor(spec) : realWorkload(spec);
}

/*
 * Adapters that only some handlers use are required on first use, not at module init: the AWS SDK
 * clients they load (ECS, Step Functions) cost ~5 ms of cold start each in every other function.
 */
function realWorkload(spec: RolloutSpec): Workload {
  return (require('../workloads') as typeof import('../workloads')).createWorkload(spec);
}

function once<T>(make: () => T): () => T {
  let value: T | undefined;
  return () => (value ??= make());
}

function awsDeps(): Deps {
  const table = process.env.TABLE_NAME;
  if (!table) throw new Error('TABLE_NAME is not set: the function must be deployed by serverless.yml');
  const executions = once(() => new (require('./sfn-executions') as typeof import('./sfn-executions')).SfnExecutions());
  const metrics = once(() => new (require('../analysis/metric-data') as typeof import('../analysis/metric-data')).CloudWatchMetricData());
  const customChecks = once(() => (require('../analysis/custom') as typeof import('../analysis/custom')).awsCustomCheckPorts());
  const revisions = once(() => new (require('../gitops/desired-state') as typeof import('../gitops/desired-state')).DynamoDesiredStateStore(table));
  return {
    store: new DynamoStore(table),
    routerFor: (spec) => createRouter(spec),
    workloadFor: realWorkload,
    checks: new CloudWatchAlarms(),
    get metrics() {
      return metrics();
    },
    get customChecks() {
      return customChecks();
    },
    notifier: defaultNotifier(),
    get executions() {
      return executions();
    },
    get revisions() {
      return revisions();
    },
    now: () => new Date(),
  };
}
