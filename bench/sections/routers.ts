import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { CloudWatchAlarms } from '../../src/analysis/alarms';
import { RecordingNotifier } from '../../src/approvals/notifier';
import { createLocalRouting, type LocalRouting } from '../../src/local/aws';
import { LOCAL_ECS_WAITS, localSampleImage } from '../../src/local/aws/ecs';
import { LocalEngine } from '../../src/local/engine';
import { HANDLERS, type LambdaHandler } from '../../src/local/handlers';
import { runLocal } from '../../src/local/runner';
import { createRouter } from '../../src/routers';
import { bakeBounds } from '../../src/plan';
import { configureDeps } from '../../src/rollouts/deps';
import { MemoryStore } from '../../src/rollouts/store';
import { createWorkload } from '../../src/workloads';
import type { RolloutSpec } from '../../src/spec';
import { loadSpecFile } from '../../src/spec/load';
import { FakeAlarms } from '../../test/support/fake-aws';
import type { ApiCounts } from '../lib/counting';
import { trafficStepCycles } from '../lib/history';
import { addCounts, diffCounts, median } from '../lib/stats';
import { EXAMPLES_DIR, LAMBDA_STATES } from './counts';

/**
 * The per-router table of issue #10: for every router kind the local world plays when the bench
 * runs (a kind whose facade still throws is listed as skipped, so ALB and Lambda appear by
 * themselves once their facades land), through that router's real adapter and demo spec:
 * transitions and Lambda invocations per traffic step, API calls per step by service, and the
 * reaction to an alarm on both clocks (rollback write accepted; canary seen at 0 %).
 */
export const ROUTER_DEMOS: Record<string, string> = {
  'app-mesh': 'demo.yaml',
  alb: 'demo-alb.yaml',
  'vpc-lattice': 'demo-vpc-lattice.yaml',
  lambda: 'demo-lambda.yaml',
};

/** The service prefix of each local routing kind's API calls. */
const SERVICE: Record<string, string> = { appMesh: 'AppMesh', alb: 'ELBv2', vpcLattice: 'VPCLattice', lambda: 'Lambda' };

export interface RouterBenchRow {
  router: string;
  spec: string;
  skipped?: string;
  outcome?: string;
  /** Per traffic step (Step → Route → Bake cycle): max over the rollout's steps. */
  transitionsPerStep?: number;
  lambdaPerStep?: number;
  /** API calls of one traffic step (median over steps), by `Service.Operation`. */
  perStepApi?: ApiCounts;
  reaction?: RouterReaction[];
}

export interface RouterReaction {
  outcome: string;
  /** Alarm seen → rollback write accepted by the router's (local) API. */
  controlPlaneMs?: number;
  /** Alarm seen → the canary seen at 0 % (20 consecutive requests without it). */
  dataPlaneMs?: number;
  canaryRequestsAfterRollback?: number;
}

/** Runs the per-router section: counts for each playable router, then `reps` reaction runs each. */
export async function measureRouters(reps: number, progress: (line: string) => void): Promise<RouterBenchRow[]> {
  const rows: RouterBenchRow[] = [];
  for (const [router, file] of Object.entries(ROUTER_DEMOS)) {
    const path = join(EXAMPLES_DIR, file);
    if (!existsSync(path)) {
      rows.push({ router, spec: `examples/${file}`, skipped: 'no demo spec yet' });
      continue;
    }
    const spec = await loadSpecFile(path);
    let probe: LocalRouting;
    try {
      probe = createLocalRouting(spec, { stable: 'http://127.0.0.1:9', canary: 'http://127.0.0.1:9' });
    } catch (error) {
      rows.push({ router, spec: `examples/${file}`, skipped: (error as Error).message });
      progress(`routers: ${router} skipped: ${(error as Error).message}`);
      continue;
    }
    const row = { router, spec: `examples/${file}`, ...(await countSteps(spec, probe)) } as RouterBenchRow;
    progress(`routers: ${router}: ${row.outcome}, ${row.transitionsPerStep} transitions and ${row.lambdaPerStep} Lambda invocation(s) per step, API per step ${JSON.stringify(row.perStepApi)}`);
    row.reaction = [];
    for (let rep = 1; rep <= reps; rep++) {
      const r = await reactTo(spec);
      row.reaction.push(r);
      progress(`routers: ${router} reaction #${rep}: ${r.outcome}, rollback write accepted ${r.controlPlaneMs ?? '-'} ms and canary at 0 % ${r.dataPlaneMs ?? '-'} ms after the alarm`);
    }
    rows.push(row);
  }
  return rows;
}

/** A healthy rollout through the router's facade (no traffic needed): cycles and API calls per traffic step. */
async function countSteps(base: RolloutSpec, routing: LocalRouting): Promise<Pick<RouterBenchRow, 'outcome' | 'transitionsPerStep' | 'lambdaPerStep' | 'perStepApi'>> {
  // No traffic runs here, so no metrics: comparisons and metric checks are left out (they add one
  // GetMetricData per judgement whatever the router, counted in the analysis section).
  const spec: RolloutSpec = {
    ...base,
    approval: { ...base.approval, beforeStart: false, beforePromotion: false },
    analysis: { ...base.analysis, compare: [], metrics: [] },
  };
  const alarms = new FakeAlarms();
  for (const a of spec.analysis.alarms) alarms.set(a, 'OK');
  const service = SERVICE[routing.kind] ?? routing.kind;
  const snapshot = (): ApiCounts => {
    const out: ApiCounts = {};
    for (const [op, n] of Object.entries(routing.calls())) if (n) out[`${service}.${op}`] = n;
    if (alarms.describeCalls) out['CloudWatch.DescribeAlarms'] = alarms.describeCalls;
    return out;
  };
  const shifts: ApiCounts[] = [];
  const wrap = (fn: string, handler: LambdaHandler): LambdaHandler => async (event, context) => {
    const before = snapshot();
    const result = (await handler(event, context)) as { step?: number } | undefined;
    const inStep = (event as { rollout?: { step?: number } }).rollout?.step ?? -1;
    // A typical traffic step judges the step that baked, then shifts to the next weight.
    if (fn === 'step' && inStep >= 0 && result?.step !== undefined && result.step !== inStep) shifts.push(diffCounts(before, snapshot()));
    return result;
  };
  const handlers = Object.fromEntries(Object.entries(HANDLERS).map(([k, h]) => [k, wrap(k, h)]));
  // The deploy's polls at the local runner's pace: the local Lambda's code update takes real time.
  const engine = new LocalEngine({ timeScale: 0.15 / Math.max(1, bakeBounds(spec.strategy.bake).max), retryIntervalMs: 5, handlers, waitTimeOverrides: LOCAL_ECS_WAITS });
  // target.lambda: the demo's canary is published from a pushed image by the Lambda workload, through the same facade.
  const deploy = spec.target.lambda ? { image: localSampleImage(spec.name) } : {};
  configureDeps({
    store: new MemoryStore(),
    routerFor: (s) => createRouter(s, routing.clients),
    ...(spec.target.lambda ? { workloadFor: (s: RolloutSpec) => createWorkload(s, { lambda: routing.clients.lambda }) } : {}),
    checks: new CloudWatchAlarms(alarms.client),
    notifier: new RecordingNotifier(),
    executions: engine,
    now: () => new Date(),
  });
  try {
    const execution = engine.start({ spec: JSON.parse(JSON.stringify(spec)), source: 'bench', ...deploy }, `${spec.name}-bench-routers`);
    const outcome = await execution.result;
    const states = execution.history.filter((h) => h.type === 'StateEntered').map((h) => h.state!);
    const cycles = trafficStepCycles(states, LAMBDA_STATES);
    const perStepApi: ApiCounts = {};
    for (const k of new Set(shifts.flatMap((s) => Object.keys(s)))) perStepApi[k] = median(shifts.map((s) => s[k] ?? 0));
    // Step Functions puts one EventBridge event per Bake (its timer): one per traffic step.
    if (shifts.length) addCounts(perStepApi, { 'EventBridge.PutEvents': 1 });
    return {
      outcome: outcome.status === 'SUCCEEDED' ? 'promoted' : `${outcome.status} ${outcome.error ?? ''}: ${outcome.cause ?? ''}`,
      transitionsPerStep: Math.max(0, ...cycles.map((c) => c.transitions)),
      lambdaPerStep: Math.max(0, ...cycles.map((c) => c.lambdaInvocations)),
      perStepApi,
    };
  } finally {
    configureDeps(undefined);
    alarms.restore();
  }
}

/** One rollout with live traffic whose canary fails half its requests: the two clocks of the rollback, from the alarm. */
async function reactTo(spec: RolloutSpec): Promise<RouterReaction> {
  const out = new Writable({ write: (_c, _e, done) => done() });
  // The latency alarm is made lenient: on a shared machine it would trip on load, not on the canary.
  const r = await runLocal({ spec, bakeSeconds: 3, rps: 200, canaryErrors: 0.5, approve: 'auto', out, tailSeconds: 1, alarms: { p99Ms: 60_000 } });
  const alarm = r.firstAlarmAt;
  const rb = r.rollbackWrite;
  return {
    outcome: r.outcome,
    controlPlaneMs: alarm !== undefined && rb ? rb.acceptedAt - alarm : undefined,
    dataPlaneMs: alarm !== undefined && rb?.dataPlaneMs !== undefined ? rb.acceptedAt + rb.dataPlaneMs - alarm : undefined,
    canaryRequestsAfterRollback: r.canaryRequestsAfterRollback,
  };
}

/** The section of bench/report.md. */
export function renderRouters(rows: RouterBenchRow[]): string[] {
  const ms = (xs: Array<number | undefined>) => {
    const v = xs.filter((x): x is number => x !== undefined);
    return v.length ? `${Math.round(median(v))} (${Math.round(Math.min(...v))}–${Math.round(Math.max(...v))})` : '—';
  };
  const out = [
    '## Per router',
    '',
    'Reproduce: `npm run bench -- --only routers`. Each router the local world plays runs its demo spec through its real adapter. ' +
      'Counts: a healthy rollout through the router\'s local API facade (real ASL and handlers); one traffic step is the Step invocation that judges and shifts, ' +
      'including its read-back (verify). Reaction: a live run whose canary fails 50 % of requests; times are from the first ALARM the runner sees: ' +
      'control plane = the rollback\'s restore write accepted by the router API; data plane = the canary seen at 0 % (20 consecutive requests without it). ' +
      'Locally the data plane follows at once; on AWS add the router\'s propagation (VPC Lattice: ~90 s per AWS\'s ECS integration).',
    '',
    '| Router | Transitions / step (≤ 3) | Lambda / step (≤ 1) | API calls per step | Alarm → rollback write accepted, ms | Alarm → canary at 0 %, ms | Canary requests after rollback |',
    '| --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const r of rows) {
    if (r.skipped) {
      out.push(`| ${r.router} | skipped: ${r.skipped.replace(/\|/g, '/')} | | | | | |`);
      continue;
    }
    const api = Object.entries(r.perStepApi ?? {})
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, v]) => `${k} ${v}`)
      .join(', ');
    const reaction = r.reaction ?? [];
    out.push(
      `| ${r.router} | ${r.transitionsPerStep} | ${r.lambdaPerStep} | ${api} | ${ms(reaction.map((x) => x.controlPlaneMs))} | ${ms(reaction.map((x) => x.dataPlaneMs))} | ${reaction.map((x) => x.canaryRequestsAfterRollback ?? '—').join(', ')} |`,
    );
  }
  out.push('');
  return out;
}
