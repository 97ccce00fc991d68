import './../shared/polyfills';
import { RecordingNotifier, type LifecycleEvent } from '../approvals/notifier';
import { decide, pastTense } from '../approvals/gates';
import { createRouter } from '../routers';
import { configureDeps, type Deps } from '../rollouts/deps';
import type { RolloutEvent } from '../rollouts/records';
import { MemoryStore, type RolloutStore } from '../rollouts/store';
import { sequentialSeries } from '../analysis/sequential-check';
import { describeBake } from '../plan';
import { withSequentialJudge } from './sequential';
import type { RolloutSpec } from '../spec';
import { judgementsOf, localAnalysisPorts, withLocalPeriods } from './analysis';
import { WriteLog, dataPlaneConvergenceMs } from './convergence';
import { LocalAlarms, localAlarmRules, LOCAL_ALARM_DEFAULTS, type LocalAlarmDefaults } from './alarms';
import { startControlServer, type ControlServer } from './control';
import { LocalEngine } from './engine';
import { LOCAL_ECS_WAITS, LocalEcs, localSampleImage, sampleCanaryTasks } from './aws/ecs';
import { createWorkload } from '../workloads';
import { deliverAlarm, runLookout } from './handlers';
import { startLoad, type LoadSummary } from './load';
import { createLocalRouting } from './aws';
import { WorkloadEventLog } from './workload-events';
import type { LocalMesh } from './mesh';
import type { ReportEvent, ReportSample, ReportStep, RolloutReport } from './report';
import { writeReport } from './report';
import { startSampleService } from './sample-service';
import { approvalQuestion, describeInvocations, LiveView } from './view';

/** Seconds between two runs of the lookout locally (AWS: once a minute); a spec's lookInterval is met to within this. */
const LOOKOUT_TICK_SECONDS = 1;

export type ApprovalMode = 'auto' | 'reject' | 'prompt' | 'wait';

export interface LocalRunOptions {
  spec: RolloutSpec;
  /** Overrides the spec's bake (whole seconds), so a demo takes seconds, not hours. */
  bakeSeconds?: number;
  /** Requests per second the load generator sends through the mesh. */
  rps?: number;
  canaryErrors?: number;
  canaryLatencyMs?: number;
  stableErrors?: number;
  approve?: ApprovalMode;
  /** Where to write the HTML report; undefined: no report. */
  reportPath?: string;
  alarms?: Partial<LocalAlarmDefaults>;
  out?: NodeJS.WritableStream & { isTTY?: boolean };
  /** Seconds of traffic after the rollout ends, to show where new requests go. */
  tailSeconds?: number;
  /** `sequential`: judge comparisons with the sequential test and bake `{ min, max }` (src/local/sequential.ts). */
  judge?: 'threshold' | 'sequential';
  /** Start the control endpoint so `canaryctl approve|reject --local` can answer from another terminal. */
  control?: boolean;
  /** Ask a question at the terminal (prompt mode); injected by tests. */
  ask?: (question: string) => Promise<string>;
  /** The image a `target.ecs` or `target.lambda` spec deploys (default: a local sample image pinned by digest). */
  image?: string;
  /** Where locks and history live: memory (default), or the real DynamoDB store on an in-process engine (dynalite). */
  store?: 'memory' | 'dynamo';
}

export interface StepMeasurement {
  index: number;
  weight: number;
  startedAt: number;
  endedAt: number;
  requests: number;
  canaryRequests: number;
  /** Canary share of the requests carried while this step's weight was live, in percent. */
  measuredShare: number;
  verdict?: string;
  /** Control plane: ms the router's write call took until accepted (all routes of the step written). */
  controlPlaneMs?: number;
  /** Data plane: ms from the write accepted to the first moment the measured canary share was within ±5 points of the weight (convergence.ts). */
  dataPlaneMs?: number;
}

export interface LocalRunResult {
  rolloutId: string;
  outcome: 'promoted' | 'rolled back' | 'failed';
  reason?: string;
  exitCode: number;
  durationMs: number;
  steps: StepMeasurement[];
  load: LoadSummary;
  /** Requests the canary served after the rollback restored the route (should be 0). */
  canaryRequestsAfterRollback?: number;
  /** The rollback's restore write: when it was accepted, how long the call took, and ms until the canary was seen at 0 %. */
  rollbackWrite?: { acceptedAt: number; controlPlaneMs: number; dataPlaneMs?: number };
  /** Epoch ms the runner first saw an alarm in ALARM (what EventBridge would deliver), if any. */
  firstAlarmAt?: number;
  /** Non-2xx responses that the injected faults do not explain (should be 0). */
  unexplainedFailures: number;
  transitions: number;
  lambdaInvocations: Record<string, number>;
  reportPath?: string;
  events: RolloutEvent[];
}

/**
 * Runs one rollout on this machine: two sample services, the local mesh in front of them, real
 * HTTP load, and the real state machine with the real handlers. Only the ports differ from AWS:
 * the App Mesh API is answered by the local mesh, alarms are computed from the traffic, the
 * store is in memory.
 */
export async function runLocal(options: LocalRunOptions): Promise<LocalRunResult> {
  const started = Date.now();
  const out = options.out ?? process.stdout;
  const timed = withLocalTiming(options.spec, options.bakeSeconds);
  const spec = options.judge === 'sequential' ? withSequentialJudge(timed) : timed;
  const rps = options.rps ?? 200;

  const stableSvc = await startSampleService({ version: 'stable', errorRate: options.stableErrors ?? 0, seed: 1 });
  const canarySvc = await startSampleService({ version: 'canary', errorRate: options.canaryErrors ?? 0, latencyMs: options.canaryLatencyMs ?? 0, seed: 2 });
  // The router the spec names, played locally: its AWS API answered over a mesh carrying real traffic.
  // target.lambda: the canary sample service is the new code, started once its deploy succeeds.
  const routing = createLocalRouting(spec, { stable: stableSvc.url, canary: canarySvc.url, ...(spec.target.lambda ? { canaryTasks: sampleCanaryTasks(canarySvc) } : {}) });
  const { mesh, stable, canary, paths } = routing;
  // target.ecs: the ECS API played locally; its canary deployment starts the canary sample service.
  const ecs = spec.target.ecs ? new LocalEcs(spec, sampleCanaryTasks(canarySvc)) : undefined;
  const { url } = await mesh.start();

  const alarms = new LocalAlarms(mesh.stats, localAlarmRules(spec.analysis.alarms, canary, { ...LOCAL_ALARM_DEFAULTS, ...options.alarms }));
  const engine = new LocalEngine({ retryIntervalMs: 50, waitTimeOverrides: LOCAL_ECS_WAITS });
  const localDynamo = options.store === 'dynamo' ? await (await import('./dynamo')).startLocalDynamoStore() : undefined;
  const store: RolloutStore = localDynamo?.store ?? new MemoryStore();
  const writes = new WriteLog();
  const notifier = new RecordingNotifier();
  const deps: Deps = {
    store,
    // Every write timed, whatever the router: control-plane time beside data-plane convergence.
    routerFor: (s) => writes.wrap(createRouter(s, routing.clients)),
    ...(ecs || spec.target.lambda ? { workloadFor: (s: RolloutSpec) => createWorkload(s, { ecs: ecs?.client, lambda: routing.clients.lambda }) } : {}),
    checks: alarms,
    ...localAnalysisPorts(mesh.stats, spec, { canary, stable }),
    notifier,
    executions: engine,
    now: () => new Date(),
  };
  configureDeps(deps);

  const load = startLoad({ url, rps, paths, durationMs: 60 * 60 * 1000, maxInFlight: 512 });
  const view = new LiveView(out, { spec, stable, canary, rps });
  const timeline = new Timeline(started);
  const rolloutId = `${spec.name}-local-${new Date(started).toISOString().replace(/[-:T]/g, '').slice(0, 14)}`;
  let control: ControlServer | undefined;
  const timers: NodeJS.Timeout[] = [];
  // Gates already being answered (a prompt may take a while; the poll must not ask twice).
  const answering = new Set<string>();
  let firstAlarmAt: number | undefined;
  let looking = false;

  try {
    if (options.control) control = await startControlServer({ rolloutId, deps });
    notifier.onEvent((e) => {
      timeline.lifecycle(e);
      view.event(e);
    });
    view.start(rolloutId, url, control?.url);
    timeline.add({ t: 0, kind: 'start', label: `start ${spec.name}`, detail: `${stable} → ${canary}, steps ${spec.strategy.steps?.join('/') ?? 'stepWeight'}` });

    const image = ecs || spec.target.lambda ? { image: options.image ?? localSampleImage(spec.name) } : {};
    const execution = engine.start({ spec: specForExecution(spec), source: 'local', ...image }, rolloutId);

    // Alarm state changes reach the controller as EventBridge would deliver them.
    timers.push(
      setInterval(() => {
        for (const change of alarms.changes()) {
          timeline.add({ t: Date.now() - started, kind: 'info', label: `${change.name} ${change.state}`, detail: change.reason, ok: change.state !== 'ALARM' });
          view.alarm(change);
          if (change.state === 'ALARM') {
            firstAlarmAt ??= Date.now();
            void interrupt(change.name, change.reason ?? '');
          }
        }
      }, 200),
    );
    // Samples for the live view and the report.
    timers.push(
      setInterval(() => {
        const now = Date.now();
        const w = mesh.stats.window(now - 1000, now);
        const sample: ReportSample = { t: now - started, canaryWeight: routing.canaryWeight(), stable: toStats(w[stable]), canary: toStats(w[canary]) };
        timeline.samples.push(sample);
        view.sample(sample, execution.history.filter((h) => h.type === 'StateEntered').at(-1)?.state);
      }, 250),
    );
    // The lookout looks into bakes with sequential comparisons, as its schedule does in AWS (there once a minute).
    timers.push(setInterval(() => void look(), LOOKOUT_TICK_SECONDS * 1000));
    const workloadLog = new WorkloadEventLog(store, rolloutId, (message) => view.note(`workload: ${message}`));
    timers.push(setInterval(() => void workloadLog.poll(), 250));
    // Approval gates: answered here (auto, reject, prompt) or from another terminal (control endpoint).
    timers.push(setInterval(() => void answerGates(), 100));

    const outcome = await execution.result;
    const rolledBackAt = Date.now();
    await workloadLog.flush();
    const events = await store.listEvents(rolloutId);
    // Keep the traffic on a little: after a rollback the canary must get no new requests.
    await sleep((options.tailSeconds ?? 1) * 1000);
    const summary = await load.stop();
    for (const t of timers) clearInterval(t);

    const result = summarize({ outcome, events, summary, mesh, stable, canary, started, rolledBackAt, engine, executionArn: execution.executionArn, rolloutId, spec, writes });
    if (options.reportPath) {
      result.reportPath = await writeReport(options.reportPath, buildReport(spec, result, timeline, started, { rps, options, stable, canary }));
    }
    result.firstAlarmAt = firstAlarmAt;
    view.finish(result);
    return result;
  } finally {
    for (const t of timers) clearInterval(t);
    engine.close();
    await load.stop().catch(() => undefined);
    await control?.close();
    await ecs?.close();
    configureDeps(undefined);
    await mesh.stop();
    await stableSvc.stop();
    await canarySvc.stop();
    await localDynamo?.close();
  }

  async function interrupt(alarmName: string, reason: string): Promise<void> {
    try {
      const interrupted = await deliverAlarm(alarmName, reason);
      if (interrupted.length) timeline.add({ t: Date.now() - started, kind: 'info', label: 'bake interrupted', detail: `${alarmName} entered ALARM` });
    } catch (error) {
      view.warn(`alarm interrupt failed: ${String(error)}`);
    }
  }

  async function look(): Promise<void> {
    if (looking) return;
    looking = true;
    try {
      const r = await runLookout(LOOKOUT_TICK_SECONDS);
      if (r.interrupted.length) {
        timeline.add({ t: Date.now() - started, kind: 'info', label: 'bake interrupted', detail: 'a sequential comparison found a regression', ok: false });
        view.note('lookout: a sequential comparison found a regression: ending the bake');
      }
      if (r.endedEarly.length) {
        timeline.add({ t: Date.now() - started, kind: 'info', label: 'bake ended early', detail: 'every sequential comparison is not worse', ok: true });
        view.note('lookout: every sequential comparison is not worse and min has passed: ending the bake');
      }
    } catch (error) {
      view.warn(`lookout failed: ${String(error)}`);
    } finally {
      looking = false;
    }
  }

  async function answerGates(): Promise<void> {
    const record = await store.getRollout(rolloutId);
    const gate = record?.gate;
    if (!gate || answering.has(gate.token)) return;
    answering.add(gate.token);
    const mode = options.approve ?? 'auto';
    timeline.add({ t: Date.now() - started, kind: 'approval', label: `approval requested (${gate.gate})` });
    let decision: 'approve' | 'reject' | undefined;
    let by = `demo --approve ${mode}`;
    if (mode === 'auto') decision = 'approve';
    else if (mode === 'reject') decision = 'reject';
    else if (mode === 'prompt' && options.ask) {
      const answer = await view.ask(approvalQuestion(gate.gate, spec.name), options.ask);
      decision = /^y(es)?$/i.test(answer.trim()) ? 'approve' : 'reject';
      by = 'terminal prompt';
    }
    if (!decision) return; // 'wait': someone answers with canaryctl approve --local
    try {
      await decide({ rolloutId, decision, by, reason: `${decision} from the local runner` }, deps);
      timeline.add({ t: Date.now() - started, kind: 'approval', label: `${pastTense(decision)} (${by})`, ok: decision === 'approve' });
    } catch (error) {
      view.warn(String(error));
    }
  }
}

function withLocalTiming(spec: RolloutSpec, bakeSeconds: number | undefined): RolloutSpec {
  if (bakeSeconds === undefined) return spec;
  const bake = Math.max(1, Math.round(bakeSeconds));
  // Periods shrink with the bake (withLocalPeriods); keep them when shortening the re-check interval.
  const local = withLocalPeriods(spec);
  return { ...local, strategy: { ...local.strategy, bake }, analysis: { ...local.analysis, recheckInterval: Math.min(local.analysis.recheckInterval, bake) } };
}

/** The spec as an execution input: durations back to seconds-as-numbers, which the schema accepts. */
function specForExecution(spec: RolloutSpec): Record<string, unknown> {
  return JSON.parse(JSON.stringify(spec)) as Record<string, unknown>;
}

function toStats(w: { requests: number; errorRate: number; p99: number; rps: number } | undefined) {
  return { rps: w?.rps ?? 0, errorRate: w?.errorRate ?? 0, p99: w?.p99 ?? 0, requests: w?.requests ?? 0 };
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Collects the report's events from lifecycle notifications and the runner's own observations. */
class Timeline {
  readonly samples: ReportSample[] = [];
  readonly events: ReportEvent[] = [];
  constructor(private readonly started: number) {}

  add(e: ReportEvent): void {
    this.events.push(e);
  }

  lifecycle(e: LifecycleEvent): void {
    const t = Date.parse(e.at) - this.started;
    if (e.type === 'step-passed') this.add({ t, kind: 'verdict', label: `step ${e.step! + 1} healthy`, step: e.step, ok: true });
    if (e.type === 'rolled-back') this.add({ t, kind: 'rollback', label: 'rolled back', detail: e.reason, step: e.step, ok: false });
    if (e.type === 'promoted') this.add({ t, kind: 'promote', label: 'promoted', ok: true });
    if (e.type === 'rollback-failed') this.add({ t, kind: 'rollback', label: 'ROLLBACK FAILED', detail: e.reason, ok: false });
    if (e.type === 'failed-to-start') this.add({ t, kind: 'info', label: 'failed to start', detail: e.reason, ok: false });
  }
}

interface SummaryInput {
  outcome: { status: string; error?: string; cause?: string };
  events: RolloutEvent[];
  summary: LoadSummary;
  mesh: LocalMesh;
  stable: string;
  canary: string;
  started: number;
  rolledBackAt: number;
  engine: LocalEngine;
  executionArn: string;
  rolloutId: string;
  spec: RolloutSpec;
  writes: WriteLog;
}

function summarize(input: SummaryInput): LocalRunResult {
  const { outcome, events, summary, mesh, canary } = input;
  const kind: LocalRunResult['outcome'] = outcome.status === 'SUCCEEDED' ? 'promoted' : outcome.error === 'Canary.RolledBack' ? 'rolled back' : 'failed';
  const shifts = events.filter((e) => e.kind === 'shifted' && e.weight !== undefined && e.step !== undefined && !e.message.startsWith('operator'));
  const end = events.find((e) => e.kind === 'promoted' || e.kind === 'rolled-back' || e.kind === 'rollback-failed');
  const endAt = end ? Date.parse(end.at) : input.rolledBackAt;
  const steps: StepMeasurement[] = shifts.map((s, i) => {
    const from = Date.parse(s.at);
    const to = i + 1 < shifts.length ? Date.parse(shifts[i + 1]!.at) : endAt;
    const records = mesh.stats.since(from, to);
    const canaryRequests = records.filter((r) => r.target === canary).length;
    const verdict = events.find((e) => e.kind === 'verdict' && e.step === s.step && Date.parse(e.at) >= from)?.verdict;
    const write = input.writes.find('set', from, to, s.weight);
    const convergence = write ? { controlPlaneMs: write.acceptedAt! - write.startedAt, dataPlaneMs: dataPlaneConvergenceMs(mesh.stats.since(write.acceptedAt!, to), canary, s.weight!, write.acceptedAt!) } : {};
    return { index: s.step!, weight: s.weight!, startedAt: from - input.started, endedAt: to - input.started, requests: records.length, canaryRequests, measuredShare: records.length ? (100 * canaryRequests) / records.length : 0, verdict, ...convergence };
  });
  const restore = kind !== 'promoted' ? input.writes.find('restore', input.started) : undefined;
  const rollbackWrite = restore
    ? { acceptedAt: restore.acceptedAt!, controlPlaneMs: restore.acceptedAt! - restore.startedAt, dataPlaneMs: dataPlaneConvergenceMs(mesh.stats.since(restore.acceptedAt!), canary, 0, restore.acceptedAt!, 0) }
    : undefined;
  const afterEnd = kind !== 'promoted' && end ? mesh.stats.since(endAt + 1).filter((r) => r.target === canary).length : undefined;
  const unexplained = summary.failures.filter((f) => !f.injected).length;
  return {
    rolloutId: input.rolloutId,
    outcome: kind,
    reason: kind === 'promoted' ? undefined : outcome.cause ?? outcome.error,
    exitCode: kind === 'promoted' ? 0 : kind === 'rolled back' ? 1 : 2,
    durationMs: Date.now() - input.started,
    steps,
    load: summary,
    canaryRequestsAfterRollback: afterEnd,
    rollbackWrite,
    unexplainedFailures: unexplained,
    transitions: input.engine.transitions(input.executionArn),
    lambdaInvocations: { ...input.engine.invocations },
    events,
  };
}

function buildReport(
  spec: RolloutSpec,
  result: LocalRunResult,
  timeline: Timeline,
  started: number,
  ctx: { rps: number; options: LocalRunOptions; stable: string; canary: string },
): RolloutReport {
  const verdicts = result.events.filter((e) => e.kind === 'verdict');
  for (const v of verdicts) {
    if (v.verdict === 'healthy') continue;
    timeline.add({ t: Date.parse(v.at) - started, kind: 'verdict', label: `step ${v.step! + 1} ${v.verdict}`, detail: v.message, step: v.step, ok: v.verdict === 'failed' ? false : undefined });
  }
  for (const s of result.steps) timeline.add({ t: s.startedAt, kind: 'shift', label: `shift ${s.weight}%`, step: s.index });
  const steps: ReportStep[] = result.steps.map((s) => ({
    index: s.index,
    weight: s.weight,
    verdict: (s.verdict as ReportStep['verdict']) ?? undefined,
    summary: verdicts.filter((v) => v.step === s.index).map((v) => v.message).join('; ') || undefined,
    measuredCanaryShare: Math.round(s.measuredShare * 10) / 10,
    requests: s.requests,
    judgements: judgementsOf(verdicts, s.index),
    controlPlaneMs: s.controlPlaneMs,
    dataPlaneMs: s.dataPlaneMs,
  }));
  const byVersion: Record<string, number> = {};
  for (const [k, v] of Object.entries(result.load.byServedBy)) byVersion[k] = v;
  const non2xx = result.load.failures.length;
  return {
    title: `Canary rollout of ${spec.name}`,
    specName: spec.name,
    startedAt: new Date(started).toISOString(),
    endedAt: new Date(started + result.durationMs).toISOString(),
    outcome: result.outcome,
    outcomeText:
      result.outcome === 'promoted'
        ? `Promoted: ${ctx.canary} took all traffic of ${ctx.stable} after ${result.steps.length} healthy steps.`
        : `${result.outcome === 'rolled back' ? 'Rolled back' : 'Failed'}: ${result.reason ?? 'unknown reason'}. The route was restored to its snapshot${result.canaryRequestsAfterRollback !== undefined ? `; the canary received ${result.canaryRequestsAfterRollback} requests afterwards` : ''}.`,
    samples: timeline.samples,
    events: [...timeline.events].sort((a, b) => a.t - b.t),
    sequential: sequentialSeries(result.events),
    steps,
    totals: { requests: result.load.completed, byVersion, non2xx, injectedFaults: result.load.failures.filter((f) => f.injected).length },
    settings: {
      rps: ctx.rps,
      bake: describeBake(spec.strategy.bake),
      steps: spec.strategy.steps?.join(', ') ?? '',
      canaryErrors: ctx.options.canaryErrors ?? 0,
      canaryLatencyMs: ctx.options.canaryLatencyMs ?? 0,
      alarms: spec.analysis.alarms.join(', '),
      approval: ctx.options.approve ?? 'auto',
      stateTransitions: result.transitions,
      lambdaInvocations: describeInvocations(result.lambdaInvocations),
    },
  };
}
