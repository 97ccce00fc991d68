import type { CheckSource } from '../analysis/alarms';
import type { Notifier } from '../approvals/notifier';
import type { CustomCheckPorts } from '../analysis/custom';
import type { MetricDataReader } from '../analysis/metric-data';
import type { TrafficRouter } from '../routers/port';
import type { RolloutSpec } from '../spec';
import { DynamoStore } from './dynamo-store';
import type { ExecutionControl } from './executions';
import type { RolloutStore } from './store';
import type { Workload } from '../workloads/port';
import type { Admission } from './admission';

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
  /** Git-only starts and ownership bindings (always set in AWS); absent: the local runner and tests that do not exercise them. */
  admission?: Admission;
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

/** Builds routers and workloads for a function that moves traffic (see src/rollouts/traffic-ports.ts). */
export interface TrafficPorts {
  routerFor(spec: RolloutSpec): TrafficRouter;
  workloadFor(spec: RolloutSpec): Workload;
}

let trafficPorts: TrafficPorts | undefined;

/**
 * Registered by src/rollouts/traffic-ports.ts, which only the functions that move traffic import:
 * esbuild bundles every adapter a module names, even behind a lazy require, so the triggers (which
 * only start executions) would otherwise carry all four routers and both workloads.
 */
export function registerTrafficPorts(ports: TrafficPorts): void {
  trafficPorts = ports;
}

function traffic(): TrafficPorts {
  if (!trafficPorts) throw new Error('this function moves no traffic: its entry must import src/rollouts/traffic-ports to get routers and workloads');
  return trafficPorts;
}

/** The workload of a spec with `target.ecs` or `target.lambda`: the configured factory, else the real adapter. */
export function workloadOf(spec: RolloutSpec, deps: Deps): Workload {
  return deps.workloadFor ? deps.workloadFor(spec) : traffic().workloadFor(spec);
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
  // CloudWatch, SNS and EventBridge load on first use: half the functions never judge a check,
  // and a trigger notifies only when it starts or refuses a rollout (each client costs tens of ms).
  const checks = once(() => new (require('../analysis/alarms') as typeof import('../analysis/alarms')).CloudWatchAlarms());
  const notifier = once(() => (require('../approvals/aws-notifiers') as typeof import('../approvals/aws-notifiers')).defaultNotifier());
  return {
    store: new DynamoStore(table),
    routerFor: (spec) => traffic().routerFor(spec),
    workloadFor: (spec) => traffic().workloadFor(spec),
    get checks() {
      return checks();
    },
    get metrics() {
      return metrics();
    },
    get customChecks() {
      return customChecks();
    },
    // A forwarding notifier, not a getter: callers keep `deps.notifier` (the triggers' starter does).
    notifier: { notify: (event) => notifier().notify(event) },
    get executions() {
      return executions();
    },
    get revisions() {
      return revisions();
    },
    admission: awsAdmission(() => revisions()),
    now: () => new Date(),
  };
}

/** Bindings from OWNERSHIP_BINDINGS (JSON, parsed on first use so a bad value fails Prepare with its message) and ALLOW_MANUAL_START. */
function awsAdmission(desired: () => Admission['desired'], env: NodeJS.ProcessEnv = process.env): Admission {
  const ownership = once(() => (require('./ownership') as typeof import('./ownership')).parseOwnership(env.OWNERSHIP_BINDINGS));
  return {
    ownership,
    allowManualStart: env.ALLOW_MANUAL_START === 'true',
    desired: { get: (name) => desired().get(name) },
  };
}
