import type { CheckSource } from '../../src/analysis/alarms';
import { parseSpec, type RolloutSpec } from '../../src/spec';
import { BENCH_MESH, BENCH_ROUTER, sleep, startWorld } from '../lib/world';

export interface ScaleRun {
  n: number;
  mode: 'controller only' | 'with traffic';
  rep: number;
  promoted: number;
  wallMs: number;
  /** process.cpuUsage() (user + system) over the run, ms. */
  cpuMs: number;
  /** CPU of the same traffic without the controller, over the same wall time (with traffic only). */
  baselineCpuMs?: number;
  /** cpuMs − baselineCpuMs, or cpuMs without traffic. */
  controllerCpuMs: number;
  transitions: number;
  lambdaInvocations: number;
  requests?: number;
}

/** N rollout specs, each on its own route of one virtual router, with 1 s bakes. */
export function scaleSpecs(n: number, bakeSeconds = 1): RolloutSpec[] {
  return Array.from({ length: n }, (_, i) =>
    parseSpec({
      name: `svc${i}`,
      router: { appMesh: { mesh: BENCH_MESH, virtualRouter: BENCH_ROUTER, routes: [`svc${i}-route`] } },
      target: { canary: `svc${i}-canary`, stable: `svc${i}-stable` },
      strategy: { steps: [10, 25, 50, 100], bake: `${bakeSeconds}s` },
      // Modest load cannot give every canary enough requests at 10 % in 2 s: missing data passes.
      analysis: { alarms: [`svc${i}-5xx`], onInsufficientData: 'pass' },
    }),
  );
}

/** Every alarm OK, at no cost: the controller's own work, without traffic or alarm evaluation. */
const alwaysOk: CheckSource = {
  async describe(names) {
    return { results: names.map((name) => ({ name, kind: 'local', state: 'OK' as const, reason: 'bench' })), missing: [] };
  },
};

/**
 * Runs N rollouts at once through one LocalEngine (the real state machine and handlers) on N
 * routes of one local mesh. `controller only`: no traffic, alarms answer OK, so the process CPU
 * is the controller's. `with traffic`: real load through the mesh, alarms from it; the
 * controller's CPU is the run's CPU minus the CPU of the same load alone for the same time.
 */
export async function measureScale(n: number, mode: ScaleRun['mode'], rep: number, rpsPerRoute = 8, maxRps = 400): Promise<ScaleRun> {
  const specs = scaleSpecs(n);
  const rps = mode === 'with traffic' ? Math.min(maxRps, rpsPerRoute * n) : 0;
  const world = await startWorld({ specs, rps, interruptOnAlarm: true, checks: mode === 'controller only' ? alwaysOk : undefined });
  try {
    if (rps) await sleep(500); // let the load reach its rate before measuring
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const executions = specs.map((s) => world.engine.start({ spec: JSON.parse(JSON.stringify(s)), source: 'bench' }, `${s.name}-scale-${n}-${rep}`));
    const outcomes = await Promise.all(executions.map((e) => e.result));
    const wallMs = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    const cpuMs = (cpu.user + cpu.system) / 1000;
    let baselineCpuMs: number | undefined;
    let requests: number | undefined;
    if (rps) {
      requests = world.mesh.stats.total().requests;
      // The same load without the controller, for as long: what the traffic costs on its own.
      const b0 = process.cpuUsage();
      await sleep(wallMs);
      const b = process.cpuUsage(b0);
      baselineCpuMs = (b.user + b.system) / 1000;
    }
    return {
      n,
      mode,
      rep,
      promoted: outcomes.filter((o) => o.status === 'SUCCEEDED').length,
      wallMs,
      cpuMs,
      baselineCpuMs,
      controllerCpuMs: baselineCpuMs === undefined ? cpuMs : cpuMs - baselineCpuMs,
      transitions: executions.reduce((a, e) => a + world.engine.transitions(e.executionArn), 0),
      lambdaInvocations: Object.values(world.engine.invocations).reduce((a, b) => a + b, 0),
      requests,
    };
  } finally {
    await world.close();
  }
}
