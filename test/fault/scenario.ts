import fc from 'fast-check';
import type { Context } from 'aws-lambda';
import { CloudWatchAlarms } from '../../src/analysis/alarms';
import { FanOutNotifier, type LifecycleEvent, type Notifier } from '../../src/approvals/notifier';
import { LocalEngine, type ExecutionOutcome, type LocalExecution } from '../../src/local/engine';
import { HANDLERS, localContext, type LambdaHandler } from '../../src/local/handlers';
import { LOCAL_ACCOUNT, LOCAL_REGION } from '../../src/local/asl';
import { configureDeps, type Deps } from '../../src/rollouts/deps';
import { MemoryStore } from '../../src/rollouts/store';
import type { TrafficRouter } from '../../src/routers/port';
import { FakeAlarms } from '../support/fake-aws';
import { caller, FAULT_KINDS, FaultInjector, type Fault } from './faults';
import { ROUTERS, type RouterWorld } from './routers';

/** Every port call a fault may hit, as `port.method`; `lambda.*` is the invocation of a function itself. */
export const TARGETS = [
  'router.snapshot',
  'router.setCanaryWeight',
  'router.promote',
  'router.restore',
  'checks.describe',
  'store.acquireLocks',
  'store.releaseLocks',
  'store.flagLocks',
  'store.getLock',
  'store.putRollout',
  'store.updateRollout',
  'store.listRollouts',
  'store.appendEvent',
  'store.watchAlarms',
  'store.unwatchAlarms',
  'notifier.sns',
  'notifier.eventbridge',
  'executions.isRunning',
  'lambda.prepare',
  'lambda.step',
  'lambda.promote',
  'lambda.rollback',
  'lambda.release',
  'lambda.reportFailure',
] as const;

/**
 * Who ends a bake before its time, as in production:
 * - alarm: the canary's alarm enters ALARM mid-bake; EventBridge invokes the real alarmInterrupt
 *   function (retried twice on error, as Lambda's async invocations), which sends Canary.BakeInterrupted.
 * - lookout: the lookout's answer: Canary.BakeEndedEarly when the canary is healthy (not worse after
 *   min), Canary.BakeInterrupted when its alarm has fired (a regression).
 * - abort: `canaryctl abort` while baking: Canary.Aborted.
 */
export const BAKE_ENDERS = ['alarm', 'lookout', 'abort'] as const;
export type BakeEnder = (typeof BAKE_ENDERS)[number];

/** The calls a bake's ender makes, which a fault may hit only in scenarios where that ender acts. */
const ENDER_TARGETS: Record<BakeEnder, readonly string[]> = {
  alarm: ['lambda.alarmInterrupt', 'store.watchersOf', 'executions.findBakeToken', 'executions.sendTaskFailure'],
  lookout: ['executions.sendTaskFailure'],
  abort: ['executions.sendTaskFailure'],
};

/** How executions are started: once; twice at once; twice under one name; queued behind the lock; once more after the first ended. */
export const STARTS = ['single', 'concurrent', 'duplicate', 'queued', 'then-again'] as const;
export type Start = (typeof STARTS)[number];

export interface Scenario {
  router: string;
  /** The canary's health: its alarm fires once its weight reaches `failAt` (never when undefined). */
  failAt?: number;
  start: Start;
  /** Another writer changes the route right after the rollout's n-th shift (never when undefined). */
  meddleAt?: number;
  /** The first execution's bake number `atBake` (0-based) is ended early by `by` (never when undefined). */
  bakeEnd?: { atBake: number; by: BakeEnder };
  faults: Fault[];
}

export type Outcome = 'promoted' | 'rolled back' | 'loud' | 'not started';

export interface RunResult {
  outcome: Outcome;
  violations: string[];
  fired: Fault[];
  /** With `bakeEnd`: whether its ender's call ended the bake (false: the bake had ended, or a fault stopped the ender). */
  bakeEnded?: boolean;
}

export interface RunOptions {
  /**
   * The bake to be ended keeps its timeout off until its ender has acted (default: they race, as in
   * production, where the bake's time may run out first).
   */
  holdBakeTimeout?: boolean;
}

const STEPS = [25, 50, 100];
/** A rollout of three steps under three faults stays far below this; more means it loops. */
const MAX_HISTORY = 3000;
const ALARM = 'user-service-5xx';
const WRITES = new Set(['setCanaryWeight', 'promote', 'restore']);

/** Scenarios: a router from the table, a healthy or failing canary, a start pattern, maybe a bake ended early, and up to three faults. */
export function scenarioArbitrary(routers: string[] = Object.keys(ROUTERS)): fc.Arbitrary<Scenario> {
  return fc
    .record({
      router: fc.constantFrom(...routers),
      failAt: fc.option(fc.constantFrom(...STEPS), { nil: undefined }),
      start: fc.constantFrom(...STARTS),
      // Rare: most schedules are about faults, not about another writer.
      meddleAt: fc.oneof({ arbitrary: fc.constant(undefined), weight: 5 }, { arbitrary: fc.nat({ max: 2 }), weight: 1 }),
      bakeEnd: fc.oneof(
        { arbitrary: fc.constant(undefined), weight: 2 },
        { arbitrary: fc.record({ atBake: fc.nat({ max: 2 }), by: fc.constantFrom(...BAKE_ENDERS) }), weight: 1 },
      ),
    })
    .chain((base) =>
      // Mostly the first call of a method (many are called once or twice per rollout), sometimes a later one.
      fc
        .array(
          fc.record({
            target: fc.constantFrom(...TARGETS, ...(base.bakeEnd ? ENDER_TARGETS[base.bakeEnd.by] : [])),
            call: fc.oneof({ arbitrary: fc.constant(0), weight: 2 }, { arbitrary: fc.nat({ max: 3 }), weight: 1 }),
            kind: fc.constantFrom(...FAULT_KINDS),
          }),
          { minLength: 1, maxLength: 3 },
        )
        .map((faults): Scenario => ({ ...base, faults })),
    );
}

/** A channel (SNS, EventBridge) that keeps what it accepted. */
class Channel implements Notifier {
  readonly accepted: LifecycleEvent[] = [];
  async notify(event: LifecycleEvent): Promise<void> {
    this.accepted.push(event);
  }
}

function rolloutIdOf(event: unknown): string | undefined {
  const e = event as { executionName?: string; rollout?: { id?: string }; state?: { rollout?: { id?: string } } } | null;
  return e?.executionName ?? e?.rollout?.id ?? e?.state?.rollout?.id;
}

/** Sorted keys: the promoted state is compared by content, the restored one byte for byte. */
function canonical(json: string): string {
  const sort = (v: unknown): unknown =>
    Array.isArray(v) ? v.map(sort) : v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b)).map(([k, x]) => [k, sort(x)])) : v;
  return JSON.stringify(sort(JSON.parse(json)));
}

/** The faults of the scenario being run: the shared engine's handlers read it. */
let current: FaultInjector | undefined;
/** What the scenario being run does when a bake starts (the shared engine calls it). */
let onBake: ((bake: { executionArn: string; token: string }) => Promise<unknown> | void) | undefined;
/** The shared engine's handlers, each through the current schedule's `lambda.<name>` faults. */
let faultedHandlers: Record<string, LambdaHandler> = {};
let engine: LocalEngine | undefined;
let runs = 0;

/**
 * One engine for every scenario (building one validates the ASL, ~1 s): every handler runs as
 * the rollout it serves and through the current schedule's `lambda.<name>` faults.
 */
function sharedEngine(): LocalEngine {
  if (engine) return engine;
  const handlers: Record<string, LambdaHandler> = {};
  for (const [name, handler] of Object.entries(HANDLERS)) {
    handlers[name] = (event: unknown, context: Context) =>
      caller.run(rolloutIdOf(event) ?? 'unknown', () => (current ? current.run(`lambda.${name}`, () => handler(event, context)) : handler(event, context)));
  }
  faultedHandlers = handlers;
  engine = new LocalEngine({ timeScale: 0.0001, retryIntervalMs: 0, waitTimeOverrides: { WaitForLock: 1 }, handlers, onBake: (bake) => onBake?.(bake) });
  return engine;
}

/**
 * Runs one scenario through the real ASL and the real handlers, every port wrapped by the fault
 * injector, then checks the invariant (DESIGN.md §7). Returns the first execution's outcome and
 * every violation found.
 */
export async function runScenario(scenario: Scenario, options: RunOptions = {}): Promise<RunResult> {
  const world: RouterWorld = ROUTERS[scenario.router]!();
  const alarms = new FakeAlarms();
  // A channel's only method is `notify`: the schedule's `notifier.sns` is the wrapper's `notifier.sns.notify`.
  const faults = new FaultInjector(scenario.faults.map((f) => (f.target.startsWith('notifier.') ? { ...f, target: `${f.target}.notify` } : f)));
  const store = new MemoryStore();
  const sns = new Channel();
  const eventBridge = new Channel();
  const violations: string[] = [];
  const quiet = silenceConsole();
  alarms.set(ALARM, 'OK');

  current = faults;
  const engine = sharedEngine();
  const run = `run${++runs}`;
  let writes = 0;
  let alarmFired = false;

  /** The router port: alarm fires once the canary reaches `failAt`; every write must come from the lock holder. */
  const guarded = (router: TrafficRouter): TrafficRouter =>
    new Proxy(router, {
      get: (obj, prop, receiver) => {
        const value = Reflect.get(obj, prop, receiver) as unknown;
        if (typeof value !== 'function' || typeof prop !== 'string' || !WRITES.has(prop)) return value;
        return async (...args: unknown[]) => {
          const who = caller.getStore();
          for (const key of world.keys) {
            const holder = (await store.getLock(key))?.rolloutId;
            if (holder !== who) violations.push(`${prop} by ${who} while the lock of ${key} is held by ${holder ?? 'nobody'}`);
          }
          const out = await (value as (...a: unknown[]) => Promise<unknown>).apply(obj, args);
          // Another writer while the rollout owns the route (after one of its shifts): a change after the
          // rollout's final write is no longer its business.
          if (prop === 'setCanaryWeight' && writes++ === scenario.meddleAt) world.meddle();
          if (prop === 'setCanaryWeight' && scenario.failAt !== undefined && (args[1] as number) >= scenario.failAt) {
            alarms.set(ALARM, 'ALARM', 'canary 5xx');
            alarmFired = true;
          }
          return out;
        };
      },
    });

  const deps: Deps = {
    store: faults.wrap('store', store),
    routerFor: (spec) => faults.wrap('router', guarded(world.routerFor(spec))),
    checks: faults.wrap('checks', new CloudWatchAlarms(alarms.client)),
    notifier: new FanOutNotifier([faults.wrap('notifier.sns', sns), faults.wrap('notifier.eventbridge', eventBridge)]),
    executions: faults.wrap('executions', engine),
    now: () => new Date(),
  };
  configureDeps(deps);

  const before = world.state();
  const spec = { name: 'user-service', ...world.spec, strategy: { steps: STEPS, bake: '60s' }, analysis: { alarms: [ALARM] } };
  const executions: LocalExecution[] = [];
  // Ends the chosen bake of the first execution as its ender would, once the bake waits for its token.
  const endings: Array<Promise<unknown>> = [];
  let bakes = 0;
  let bakeEnded: boolean | undefined = scenario.bakeEnd ? false : undefined;
  onBake = ({ executionArn, token }) => {
    if (!scenario.bakeEnd || !executionArn.endsWith(`:${run}-1`) || bakes++ !== scenario.bakeEnd.atBake) return;
    const by = scenario.bakeEnd.by;
    const ending = new Promise((resolve) => setImmediate(resolve)).then(() => endBake(by, token));
    endings.push(ending);
    return options.holdBakeTimeout ? ending : undefined;
  };
  const endBake = async (by: BakeEnder, token: string): Promise<void> => {
    if (by === 'alarm') {
      alarms.set(ALARM, 'ALARM', 'canary 5xx mid-bake');
      alarmFired = true;
      const event = {
        version: '0',
        id: `alarm-${run}`,
        'detail-type': 'CloudWatch Alarm State Change',
        source: 'aws.cloudwatch',
        account: LOCAL_ACCOUNT,
        region: LOCAL_REGION,
        time: new Date().toISOString(),
        resources: [`arn:aws:cloudwatch:${LOCAL_REGION}:${LOCAL_ACCOUNT}:alarm:${ALARM}`],
        detail: { alarmName: ALARM, state: { value: 'ALARM', reason: 'canary 5xx mid-bake' }, previousState: { value: 'OK' } },
      };
      // EventBridge invokes asynchronously: Lambda retries a failed invocation twice.
      for (let attempt = 0; attempt < 3; attempt++) {
        try {
          const out = (await faultedHandlers.alarmInterrupt!(event, localContext('alarmInterrupt'))) as { interrupted: string[] };
          if (out.interrupted.includes(`${run}-1`)) bakeEnded = true;
          return;
        } catch {
          // retried
        }
      }
      return;
    }
    const [error, cause] =
      by === 'abort'
        ? ['Canary.Aborted', JSON.stringify({ reason: 'aborted by an operator (fault suite)' })]
        : alarmFired
          ? ['Canary.BakeInterrupted', JSON.stringify({ comparison: 'errorRate', reason: 'sequential regression' })]
          : ['Canary.BakeEndedEarly', JSON.stringify({ reason: 'not worse after min' })];
    // As the lookout and canaryctl: a bake that already ended (timed out) is no longer waiting, which is fine.
    await deps.executions.sendTaskFailure(token, error, cause).then(
      () => (bakeEnded = true),
      () => undefined,
    );
  };
  const start = (name?: string, extra: Record<string, unknown> = {}) => {
    try {
      executions.push(engine.start({ spec, ...extra }, name));
    } catch (error) {
      if ((error as Error).name !== 'ExecutionAlreadyExists') throw error;
    }
  };
  // Liveness: an execution that loops (e.g. waiting forever for a lock) is stopped and reported.
  const watchdog = setInterval(() => {
    if (executions.some((e) => e.history.length > MAX_HISTORY)) {
      violations.push(`an execution did not end within ${MAX_HISTORY} history events`);
      engine.close();
    }
  }, 20);
  try {
    start(`${run}-1`);
    if (scenario.start === 'concurrent') start(`${run}-2`);
    if (scenario.start === 'duplicate') start(`${run}-1`);
    if (scenario.start === 'queued') start(`${run}-2`, { waitForLock: true });
    await Promise.all(executions.map((e) => e.result));
    if (scenario.start === 'then-again') {
      alarms.set(ALARM, 'OK');
      start(`${run}-2`);
      await executions.at(-1)!.result;
    }
    const outcomes = await Promise.all(executions.map((e) => e.result));
    await Promise.allSettled(endings);
    violations.push(...(await checkInvariant({ world, store, before, executions, outcomes, alerts: [...sns.accepted, ...eventBridge.accepted] })));
    return { outcome: classify(executions[0]!, outcomes[0]!), violations, fired: faults.fired, ...(bakeEnded !== undefined ? { bakeEnded } : {}) };
  } finally {
    clearInterval(watchdog);
    engine.close();
    engine.executions.clear();
    current = undefined;
    onBake = undefined;
    configureDeps(undefined);
    alarms.restore();
    world.close();
    quiet();
  }
}

const LOUD = new Set(['Canary.RollbackFailed', 'Canary.PromotionFailed']);

function classify(execution: LocalExecution, outcome: ExecutionOutcome): Outcome {
  if (outcome.status === 'SUCCEEDED') return 'promoted';
  if (outcome.error === 'Canary.RolledBack') return 'rolled back';
  if (LOUD.has(outcome.error ?? '')) return 'loud';
  const last = execution.history.filter((h) => h.type === 'StateEntered').at(-1)?.state;
  return last === 'FailedToStart' ? 'not started' : (`ended in ${last ?? '?'} (${outcome.error})` as Outcome);
}

/** The invariant of DESIGN.md §7, checked on the final state of a scenario. */
async function checkInvariant(input: {
  world: RouterWorld;
  store: MemoryStore;
  before: string;
  executions: LocalExecution[];
  outcomes: ExecutionOutcome[];
  alerts: LifecycleEvent[];
}): Promise<string[]> {
  const { world, store, before, executions, outcomes, alerts } = input;
  const violations: string[] = [];
  const after = world.state();
  const loud = new Set<string>();
  let promoted = false;
  for (const [i, execution] of executions.entries()) {
    const kind = classify(execution, outcomes[i]!);
    if (kind === 'promoted') promoted = true;
    if (!['promoted', 'rolled back', 'loud', 'not started'].includes(kind)) violations.push(`${execution.name} ${kind}`);
    if (kind !== 'loud') continue;
    loud.add(execution.name);
    for (const key of world.keys) {
      const lock = await store.getLock(key);
      if (lock?.rolloutId !== execution.name || !lock.needsAttention) violations.push(`${execution.name} ended loud but the lock of ${key} is ${lock ? `held by ${lock.rolloutId}${lock.needsAttention ? ' (flagged)' : ' (not flagged)'}` : 'gone'}`);
    }
    if (!alerts.some((a) => a.urgent && a.rolloutId === execution.name)) violations.push(`${execution.name} ended loud but no channel accepted its alert`);
  }
  for (const key of world.keys) {
    const lock = await store.getLock(key);
    if (lock && !loud.has(lock.rolloutId)) violations.push(`lock of ${key} left held by ${lock.rolloutId} after a clean end`);
  }
  if (loud.size === 0) {
    const restored = after === before;
    const promotedState = canonical(after) === canonical(world.promoted(before));
    if (!restored && !(promoted && promotedState)) violations.push(`route split silently: ${after} (before: ${before})`);
    if (!promoted && !restored) violations.push('no rollout promoted, yet the route is not byte-exact as before');
  }
  return violations;
}

/** Handlers log every failure they survive; thousands of injected faults would drown the output. */
function silenceConsole(): () => void {
  const saved = { error: console.error, warn: console.warn, log: console.log, info: console.info };
  console.error = console.warn = console.log = console.info = () => undefined;
  return () => Object.assign(console, saved);
}
