import type { RouteSpec } from '@aws-sdk/client-app-mesh';
import { CloudWatchAlarms } from '../../src/analysis/alarms';
import { RecordingNotifier } from '../../src/approvals/notifier';
import { LocalEngine, type LocalEngineOptions, type LocalExecution } from '../../src/local/engine';
import { HANDLERS, localContext } from '../../src/local/handlers';
import type { LookoutResult } from '../../src/rollouts/look';
import { createRouter } from '../../src/routers';
import { configureDeps, type Deps } from '../../src/rollouts/deps';
import { MemoryStore } from '../../src/rollouts/store';
import { FakeAlarms, FakeAppMesh } from '../support/fake-aws';

export const STABLE = 'user-service-v1';
export const CANARY = 'user-service-v2';

/** The seed guide's user-route, all traffic on v1, with a retry policy that must survive every write. */
export const USER_ROUTE: RouteSpec = {
  httpRoute: {
    match: { prefix: '/', headers: [{ name: 'x-tenant', match: { prefix: 'acme' }, invert: false }] },
    action: { weightedTargets: [{ virtualNode: STABLE, weight: 100 }] },
    retryPolicy: { maxRetries: 3, perRetryTimeout: { value: 5, unit: 's' }, httpRetryEvents: ['server-error', 'gateway-error'] },
  },
  priority: 10,
};

export function specInput(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const base: Record<string, unknown> = {
    name: 'user-service',
    router: { appMesh: { mesh: 'my-mesh', virtualRouter: 'user-router', routes: ['user-route'] } },
    target: { canary: CANARY },
    strategy: { steps: [10, 25, 50, 100], bake: '60s' },
    analysis: { alarms: ['user-service-5xx', 'user-service-p99'] },
  };
  for (const [k, v] of Object.entries(overrides)) {
    base[k] = v && typeof v === 'object' && !Array.isArray(v) && base[k] && typeof base[k] === 'object' ? { ...(base[k] as object), ...(v as object) } : v;
  }
  return base;
}

/**
 * Runs the real statemachines/rollout.asl.json with the real handlers; only the AWS clients are
 * fakes (aws-sdk-client-mock) and the store is in memory.
 */
export class Harness {
  readonly mesh = new FakeAppMesh().addNode(STABLE, CANARY).addRoute('user-route', USER_ROUTE);
  readonly alarms = new FakeAlarms();
  readonly store = new MemoryStore();
  readonly notifier = new RecordingNotifier();
  readonly engine: LocalEngine;
  readonly deps: Deps;
  /** What every run of the lookout (lookOnce) returned, in order. */
  readonly lookouts: LookoutResult[] = [];

  constructor(options: LocalEngineOptions = {}) {
    this.alarms.set('user-service-5xx', 'OK');
    this.alarms.set('user-service-p99', 'OK');
    // Bakes of 60 s run in 300 ms: the same state machine, a faster clock for callbacks only.
    this.engine = new LocalEngine({ timeScale: 0.005, retryIntervalMs: 5, ...options });
    this.deps = {
      store: this.store,
      routerFor: (spec) => createRouter(spec, { appMesh: this.mesh.client }),
      checks: new CloudWatchAlarms(this.alarms.client),
      notifier: this.notifier,
      executions: this.engine,
      now: () => new Date(),
    };
    configureDeps(this.deps);
  }

  start(spec: Record<string, unknown> = specInput(), extra: Record<string, unknown> = {}, name?: string): LocalExecution {
    return this.engine.start({ spec, ...extra }, name);
  }

  /** Runs the real lookout handler once, as one scheduled run would; its result is kept in `lookouts`. */
  async lookOnce(tickSeconds = 60): Promise<LookoutResult> {
    const event = { 'detail-type': 'Scheduled Event', source: 'aws.events', detail: {}, tickSeconds };
    const result = (await HANDLERS.look!(event, localContext('look'))) as LookoutResult;
    this.lookouts.push(result);
    return result;
  }

  /** Resolves when the predicate holds; polls the fakes (they change as the execution runs). */
  async until(predicate: () => boolean | Promise<boolean>, what: string, limitMs = 15_000): Promise<void> {
    const deadline = Date.now() + limitMs;
    while (!(await predicate())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  statesEntered(execution: LocalExecution): string[] {
    return execution.history.filter((h) => h.type === 'StateEntered').map((h) => h.state!);
  }

  /** Stops every execution still running (a test that failed halfway) and restores the SDK mocks. */
  close(): void {
    this.engine.close();
    configureDeps(undefined);
    this.mesh.restore();
    this.alarms.restore();
  }
}
