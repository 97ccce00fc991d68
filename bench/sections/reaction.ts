import { canaryOf, type RolloutSpec } from '../../src/spec';
import { canaryWeight, sleep, startWorld, stableOf } from '../lib/world';

export type Design = 'interruptible' | 'baseline';

export interface ReactionRun {
  design: Design;
  bakeSeconds: number;
  rep: number;
  outcome: string;
  /** Fault start → the last request the mesh sent to the canary (the figure). */
  reactionMs: number;
  /** Fault start → the local alarm first seen in ALARM. */
  detectMs?: number;
  /** Fault start → Rollback restored the route (controller's own record; for the breakdown only). */
  restoredMs?: number;
  /** Shift to the first weight → fault start (half the bake). */
  faultAfterShiftMs: number;
  canaryRequestsAfterFault: number;
  wallMs: number;
}

/**
 * One rollout of `spec` with the given bake, in real time: the canary starts failing (50 % 500s)
 * halfway through the first step's bake; the figure is the time from then to the last request
 * the mesh sent to the canary. `interruptible`: alarm → alarmInterrupt → Step judges → Rollback.
 * `baseline`: the same state machine without alarm interrupts, so the failure is judged when
 * the bake ends.
 */
export async function measureReaction(base: RolloutSpec, design: Design, bakeSeconds: number, rep: number, rps = 200): Promise<ReactionRun> {
  const spec: RolloutSpec = {
    ...base,
    strategy: { ...base.strategy, bake: bakeSeconds, threshold: 1 },
    analysis: { ...base.analysis, recheckInterval: Math.min(base.analysis.recheckInterval, bakeSeconds) },
    approval: { ...base.approval, beforeStart: false },
  };
  const route = spec.router.appMesh!.routes![0]!;
  const stable = stableOf(spec);
  const canary = canaryOf(spec);
  const started = Date.now();
  const world = await startWorld({ specs: [spec], rps, interruptOnAlarm: design === 'interruptible' });
  try {
    const execution = world.engine.start({ spec: JSON.parse(JSON.stringify(spec)), source: 'bench' }, `${spec.name}-reaction-${design}-${bakeSeconds}-${rep}`);
    let shiftAt: number | undefined;
    while (shiftAt === undefined && execution.status === 'RUNNING') {
      if (canaryWeight(world.mesh, route, stable, canary) > 0) shiftAt = Date.now();
      else await sleep(5);
    }
    if (shiftAt === undefined) throw new Error(`the rollout ended before its first shift: ${JSON.stringify(await execution.result)}`);
    await sleep(Math.max(0, shiftAt + (bakeSeconds * 1000) / 2 - Date.now()));
    const faultAt = Date.now();
    world.canary.setFaults({ errorRate: 0.5 });
    const outcome = await execution.result;
    // New requests keep coming for a moment: the canary must get none of them.
    await sleep(500);
    const canaryRecords = world.mesh.stats.since(faultAt).filter((r) => r.target === canary);
    const last = canaryRecords.at(-1)?.at ?? faultAt;
    const events = await world.store.listEvents(execution.name);
    const rolledBack = events.find((e) => e.kind === 'rolled-back');
    const alarmAt = [...world.alarmAt.values()].sort((a, b) => a - b)[0];
    return {
      design,
      bakeSeconds,
      rep,
      outcome: outcome.status === 'SUCCEEDED' ? 'promoted' : outcome.error === 'Canary.RolledBack' ? 'rolled back' : `${outcome.status} ${outcome.error ?? ''}`,
      reactionMs: last - faultAt,
      detectMs: alarmAt !== undefined ? alarmAt - faultAt : undefined,
      restoredMs: rolledBack ? Date.parse(rolledBack.at) - faultAt : undefined,
      faultAfterShiftMs: faultAt - shiftAt,
      canaryRequestsAfterFault: canaryRecords.length,
      wallMs: Date.now() - started,
    };
  } finally {
    await world.close();
  }
}
