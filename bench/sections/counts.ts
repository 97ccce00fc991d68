import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CloudWatchAlarms } from '../../src/analysis/alarms';
import { CloudWatchMetricData } from '../../src/analysis/metric-data';
import { decide } from '../../src/approvals/gates';
import { RecordingNotifier } from '../../src/approvals/notifier';
import { DEFINITION_PATH, LOCAL_ACCOUNT, LOCAL_REGION } from '../../src/local/asl';
import { LocalEcs, localSampleImage } from '../../src/local/aws/ecs';
import { createWorkload } from '../../src/workloads';
import { LocalEngine } from '../../src/local/engine';
import { HANDLERS, localContext, type LambdaHandler } from '../../src/local/handlers';
import { bakeBounds } from '../../src/plan';
import { createRouter } from '../../src/routers';
import { configureDeps, type Deps } from '../../src/rollouts/deps';
import { MemoryStore } from '../../src/rollouts/store';
import { canaryOf, type RolloutSpec } from '../../src/spec';
import { FakeAlarms, FakeAppMesh } from '../../test/support/fake-aws';
import { countingExecutions, countingNotifier, countingStore, type ApiCounts } from '../lib/counting';
import { lambdaTaskStates, trafficStepCycles } from '../lib/history';
import { addCounts, diffCounts, median } from '../lib/stats';

export type Scenario = 'healthy' | 'alarm at step 2';

/** API calls made by one Lambda invocation (or by the approver), as measured. */
export interface InvocationRecord {
  fn: string;
  /** For `step`: it shifted to a new weight (a traffic step), rather than judging the last step. */
  shifted?: boolean;
  /** For `step`: it judged the step that baked (every step invocation but the first). */
  judged?: boolean;
  action?: string;
  api: ApiCounts;
}

export interface CountsResult {
  spec: string;
  scenario: Scenario;
  outcome: string;
  /** Why the execution failed, when it did (e.g. Prepare refusing the spec). */
  cause?: string;
  weights: number[];
  gates: number;
  alarms: number;
  statesEntered: string[];
  transitions: number;
  /** Transitions and Lambda invocations of each Step → Route → Bake cycle. */
  cycles: Array<{ transitions: number; lambdaInvocations: number }>;
  lambdaInvocations: Record<string, number>;
  invocations: InvocationRecord[];
  /** API calls of the whole rollout by `Service.Operation`, including the Bake timer events Step Functions puts. */
  api: ApiCounts;
  /** API calls of one traffic step: the `step` invocation that shifted, plus its Bake's timer event (median per key). */
  perStepApi: ApiCounts;
  bakeTimerEvents: number;
}

const DEFINITION = JSON.parse(readFileSync(DEFINITION_PATH, 'utf8')) as { States: Record<string, { Type?: string; Resource?: unknown }> };
export const LAMBDA_STATES = lambdaTaskStates(DEFINITION);

/**
 * Runs one example spec through the real state machine with the real handlers; the AWS clients
 * are aws-sdk-client-mock fakes (as in test/statemachine/harness.ts), the store is in memory,
 * and every port is wrapped to count the AWS calls the same run would make in AWS.
 */
export async function countRollout(specPath: string, spec: RolloutSpec, scenario: Scenario): Promise<CountsResult> {
  const appMesh = spec.router.appMesh;
  if (!appMesh) throw new Error(`${specPath}: only App Mesh specs run through the local harness`);
  const canary = canaryOf(spec);
  const stable = spec.target.stable ?? `${spec.name}-stable`;
  const routes = appMesh.routes ?? [`${spec.name}-route`];

  const mesh = new FakeAppMesh(appMesh.mesh, appMesh.virtualRouter).addNode(stable, canary);
  routes.forEach((r, i) =>
    mesh.addRoute(r, {
      httpRoute: { match: { prefix: i === 0 ? '/' : `/r${i}/` }, action: { weightedTargets: [{ virtualNode: stable, weight: 100 }] }, retryPolicy: { maxRetries: 2, perRetryTimeout: { value: 2, unit: 's' }, httpRetryEvents: ['gateway-error'] } },
      priority: 10 + i,
    }),
  );
  const alarms = new FakeAlarms();
  for (const a of spec.analysis.alarms) alarms.set(a, 'OK');
  // target.ecs: the real ECS adapter against the local ECS API (src/local/aws/ecs.ts), whose calls are counted.
  const ecs = spec.target.ecs ? new LocalEcs(spec, { start: async () => undefined, stop: async () => undefined }) : undefined;

  const api: ApiCounts = {};
  const snapshot = (): ApiCounts => {
    const out: ApiCounts = { ...api };
    for (const call of mesh.mock.calls()) addCounts(out, { [`AppMesh.${commandName(call.args[0])}`]: 1 });
    for (const [op, n] of Object.entries(ecs?.calls() ?? {})) addCounts(out, { [`ECS.${op}`]: n });
    if (alarms.describeCalls) out['CloudWatch.DescribeAlarms'] = alarms.describeCalls;
    if (alarms.getMetricDataCalls) out['CloudWatch.GetMetricData'] = alarms.getMetricDataCalls;
    if (alarms.metricsRequested) out['CloudWatch.GetMetricData.metrics'] = alarms.metricsRequested;
    return out;
  };

  const invocations: InvocationRecord[] = [];
  const wrap = (fn: string, handler: LambdaHandler): LambdaHandler => async (event, context) => {
    const before = snapshot();
    const result = await handler(event, context);
    const r = result as { action?: string; step?: number } | undefined;
    const inStep = (event as { rollout?: { step?: number } }).rollout?.step;
    invocations.push({ fn, action: r?.action, shifted: fn === 'step' ? r?.step !== undefined && r.step !== inStep : undefined, judged: fn === 'step' ? (inStep ?? -1) >= 0 : undefined, api: diffCounts(before, snapshot()) });
    return result;
  };
  const handlers = Object.fromEntries(Object.entries(HANDLERS).map(([k, h]) => [k, wrap(k, h)]));

  // Every bake takes ~150 ms: the same state machine, a faster clock for callback waits only.
  const bakeSeconds = Math.max(1, bakeBounds(spec.strategy.bake).max);
  const engine = new LocalEngine({ timeScale: 0.15 / bakeSeconds, retryIntervalMs: 5, handlers, waitTimeOverrides: { WaitForCanary: 20, WaitForPrimary: 20 } });
  const notifier = new RecordingNotifier();
  const rawStore = new MemoryStore();
  const deps: Deps = {
    store: countingStore(rawStore, api),
    routerFor: (s) => createRouter(s, { appMesh: mesh.client }),
    ...(ecs ? { workloadFor: (s: RolloutSpec) => createWorkload(s, { ecs: ecs.client }) } : {}),
    checks: new CloudWatchAlarms(alarms.client),
    metrics: new CloudWatchMetricData(alarms.client),
    notifier: countingNotifier(notifier, api),
    executions: countingExecutions(engine, api),
    now: () => new Date(),
  };
  configureDeps(deps);

  const weights: number[] = [];
  let failAt: number | undefined;
  const interrupts: Promise<unknown>[] = [];
  mesh.onUpdate = (_route, routeSpec) => {
    const w = routeSpec.httpRoute?.action?.weightedTargets?.find((t) => t.virtualNode === canary)?.weight ?? 0;
    weights.push(w);
    if (scenario === 'alarm at step 2' && failAt === undefined && weights.length === 2) {
      failAt = Date.now();
      const [first] = spec.analysis.alarms;
      alarms.set(first!, 'ALARM', 'bench: canary error rate above threshold');
      // EventBridge delivers the alarm's state change to alarmInterrupt while the step bakes.
      interrupts.push(
        new Promise((r) => setTimeout(r, 40)).then(() =>
          // The event EventBridge delivers, from the account and region the function runs in (others are ignored).
          handlers.alarmInterrupt!(
            { version: '0', 'detail-type': 'CloudWatch Alarm State Change', source: 'aws.cloudwatch', account: LOCAL_ACCOUNT, region: LOCAL_REGION, time: new Date().toISOString(), detail: { alarmName: first, state: { value: 'ALARM', reason: 'bench' }, previousState: { value: 'OK' } } },
            localContext('alarmInterrupt'),
          ),
        ),
      );
    }
  };

  const rolloutId = `${spec.name}-bench-${scenario === 'healthy' ? 'ok' : 'fail'}`;
  try {
    // An ECS target deploys an image: the execution input names one, pinned by digest, as a trigger would.
    const image = spec.target.ecs ? { image: localSampleImage(spec.name) } : {};
    const execution = engine.start({ spec: JSON.parse(JSON.stringify(spec)), source: 'bench', ...image }, rolloutId);
    // Approvers answer at once (the bench polls the raw store, so its polling is not counted); in AWS the decision reaches the approvalApi Lambda (link) or SendTaskSuccess (canaryctl).
    const answered = new Set<string>();
    const approver = setInterval(() => {
      void (async () => {
        const gate = (await rawStore.getRollout(rolloutId).catch(() => undefined))?.gate;
        if (!gate || answered.has(gate.token)) return;
        answered.add(gate.token);
        const before = snapshot();
        await decide({ rolloutId, decision: 'approve', by: 'bench', reason: 'bench approves at once' }, deps);
        invocations.push({ fn: 'approvalApi', api: diffCounts(before, snapshot()) });
      })().catch(() => undefined);
    }, 10);
    const outcome = await execution.result;
    clearInterval(approver);
    await Promise.allSettled(interrupts);

    const statesEntered = execution.history.filter((h) => h.type === 'StateEntered').map((h) => h.state!);
    const cycles = trafficStepCycles(statesEntered, LAMBDA_STATES).map(({ transitions, lambdaInvocations }) => ({ transitions, lambdaInvocations }));
    const bakeTimerEvents = statesEntered.filter((s) => s === 'Bake').length;
    const total: ApiCounts = {};
    for (const inv of invocations) addCounts(total, inv.api);
    addCounts(total, { 'EventBridge.PutEvents': bakeTimerEvents });

    // A typical traffic step: the invocation judges the step that baked, then shifts to the next weight.
    const shifts = invocations.filter((i) => i.fn === 'step' && i.shifted && i.judged);
    const keys = new Set(shifts.flatMap((s) => Object.keys(s.api)));
    const perStepApi: ApiCounts = {};
    for (const k of keys) perStepApi[k] = median(shifts.map((s) => s.api[k] ?? 0));
    if (shifts.length) perStepApi['EventBridge.PutEvents'] = (perStepApi['EventBridge.PutEvents'] ?? 0) + 1;

    return {
      spec: specPath,
      scenario,
      outcome: outcome.status === 'SUCCEEDED' ? 'promoted' : `${outcome.status} ${outcome.error ?? ''}`.trim(),
      cause: outcome.status === 'SUCCEEDED' ? undefined : outcome.cause,
      weights: [...weights],
      gates: Number(spec.approval.beforeStart) + Number(spec.approval.beforePromotion),
      alarms: spec.analysis.alarms.length,
      statesEntered,
      transitions: engine.transitions(execution.executionArn),
      cycles,
      lambdaInvocations: { ...engine.invocations, ...(invocations.some((i) => i.fn === 'approvalApi') ? { approvalApi: invocations.filter((i) => i.fn === 'approvalApi').length } : {}) },
      invocations,
      api: total,
      perStepApi,
      bakeTimerEvents,
    };
  } finally {
    configureDeps(undefined);
    mesh.restore();
    alarms.restore();
    await ecs?.close();
  }
}

function commandName(command: unknown): string {
  return String((command as { constructor?: { name?: string } })?.constructor?.name ?? 'Unknown').replace(/Command$/, '');
}

/** Where the example specs live. */
export const EXAMPLES_DIR = join(__dirname, '..', '..', 'examples');
