import type { CheckSource } from '../../src/analysis/alarms';
import { RecordingNotifier } from '../../src/approvals/notifier';
import { LocalAlarms, localAlarmRules, LOCAL_ALARM_DEFAULTS } from '../../src/local/alarms';
import { LocalEngine } from '../../src/local/engine';
import { deliverAlarm } from '../../src/local/handlers';
import { startLoad, type LoadRun } from '../../src/local/load';
import { LocalMesh, type RouteSpec } from '../../src/local/mesh';
import { startSampleService, type SampleService } from '../../src/local/sample-service';
import { localAppMeshClient } from '../../src/local/aws/appmesh';
import { createRouter } from '../../src/routers';
import { configureDeps, type Deps } from '../../src/rollouts/deps';
import { localAnalysisPorts } from '../../src/local/analysis';
import { MemoryStore } from '../../src/rollouts/store';
import { canaryOf, type RolloutSpec } from '../../src/spec';

/**
 * What src/local/runner.ts wires for one rollout, composed here for one or many: two sample
 * services, one local mesh (one virtual router, one route per spec), alarms computed from the
 * traffic, the real state machine with the real handlers, and load. Alarm state changes reach
 * alarmInterrupt as EventBridge would deliver them, unless `interruptOnAlarm` is false (the
 * baseline design that only judges after each full bake).
 */
export interface WorldOptions {
  specs: RolloutSpec[];
  /** Requests per second in all, spread evenly over the routes; 0: no traffic, and `checks` must be given. */
  rps: number;
  interruptOnAlarm: boolean;
  /** A CheckSource instead of the traffic-computed alarms (for runs without traffic). */
  checks?: CheckSource;
  /** How often alarm changes are polled and delivered (the runner uses 200 ms). */
  alarmPollMs?: number;
}

export interface World {
  mesh: LocalMesh;
  stable: SampleService;
  canary: SampleService;
  engine: LocalEngine;
  store: MemoryStore;
  deps: Deps;
  load?: LoadRun;
  /** First time each alarm was seen entering ALARM. */
  alarmAt: Map<string, number>;
  interrupts: number;
  close(): Promise<void>;
}

export const BENCH_MESH = 'bench-mesh';
export const BENCH_ROUTER = 'bench-router';

export async function startWorld(opts: WorldOptions): Promise<World> {
  const stable = await startSampleService({ version: 'stable', seed: 1 });
  const canary = await startSampleService({ version: 'canary', seed: 2 });
  const first = opts.specs[0]!.router.appMesh!;
  const nodes: Record<string, string> = {};
  for (const s of opts.specs) {
    nodes[stableOf(s)] = stable.url;
    nodes[canaryOf(s)] = canary.url;
  }
  const mesh = new LocalMesh({ virtualRouter: first.virtualRouter, nodes, statsCapacity: 400_000 });
  const { url } = await mesh.start();
  const paths: string[] = [];
  opts.specs.forEach((s, i) => {
    const prefix = opts.specs.length === 1 ? '/' : `/r${i}/`;
    mesh.createRoute(s.router.appMesh!.routes![0]!, {
      httpRoute: {
        match: { prefix },
        action: { weightedTargets: [{ virtualNode: stableOf(s), weight: 100 }] },
        retryPolicy: { maxRetries: 2, perRetryTimeout: { value: 2, unit: 's' }, httpRetryEvents: ['gateway-error'] },
      },
      priority: i + 1,
    } as RouteSpec);
    paths.push(prefix);
  });
  const rules = opts.specs.flatMap((s) => localAlarmRules(s.analysis.alarms, canaryOf(s), LOCAL_ALARM_DEFAULTS));
  const alarms = new LocalAlarms(mesh.stats, rules);
  const engine = new LocalEngine({ retryIntervalMs: 50 });
  const store = new MemoryStore();
  const allNodes = Object.keys(nodes);
  const deps: Deps = {
    store,
    routerFor: (s) => createRouter(s, { appMesh: localAppMeshClient(mesh, s.router.appMesh!.mesh, s.router.appMesh!.virtualRouter, allNodes) }),
    checks: opts.checks ?? alarms,
    // Comparisons and metric checks of the specs read the mesh's requests through the local GetMetricData.
    ...localAnalysisPorts(mesh.stats, opts.specs[0]!, { canary: opts.specs[0]!.target.canary!, stable: stableOf(opts.specs[0]!) }),
    notifier: new RecordingNotifier(),
    executions: engine,
    now: () => new Date(),
  };
  configureDeps(deps);
  const load = opts.rps > 0 ? startLoad({ url, rps: opts.rps, paths, durationMs: 60 * 60 * 1000, maxInFlight: 512 }) : undefined;

  const world: World = {
    mesh,
    stable,
    canary,
    engine,
    store,
    deps,
    load,
    alarmAt: new Map(),
    interrupts: 0,
    async close() {
      clearInterval(poll);
      await load?.stop().catch(() => undefined);
      configureDeps(undefined);
      await mesh.stop(200);
      await stable.stop();
      await canary.stop();
    },
  };
  const poll = setInterval(() => {
    if (opts.checks) return;
    for (const change of alarms.changes()) {
      if (change.state !== 'ALARM') continue;
      if (!world.alarmAt.has(change.name)) world.alarmAt.set(change.name, Date.now());
      if (opts.interruptOnAlarm) void interrupt(change.name, change.reason ?? '');
    }
  }, opts.alarmPollMs ?? 200);

  async function interrupt(alarmName: string, reason: string): Promise<void> {
    const interrupted = await deliverAlarm(alarmName, reason).catch(() => []);
    world.interrupts += interrupted.length;
  }
  return world;
}

export function stableOf(spec: RolloutSpec): string {
  return spec.target.stable ?? `${spec.name}-stable`;
}

/** Canary weight on a route of the local mesh, in percent. */
export function canaryWeight(mesh: LocalMesh, route: string, stable: string, canary: string): number {
  const targets = (mesh.describeRoute(route).spec.httpRoute?.action.weightedTargets ?? []) as Array<{ virtualNode: string; weight: number }>;
  const s = targets.find((t) => t.virtualNode === stable)?.weight ?? 0;
  const c = targets.find((t) => t.virtualNode === canary)?.weight ?? 0;
  return s + c === 0 ? 0 : Math.round((100 * c) / (s + c));
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
