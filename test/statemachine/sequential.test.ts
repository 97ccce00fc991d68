import { HANDLERS, type LambdaHandler } from '../../src/local/handlers';
import type { RolloutState } from '../../src/rollouts/state';
import { FakeVersionCounts } from '../support/fake-metrics';
import { CANARY, Harness, specInput, STABLE } from './harness';

const TIME_SCALE = 0.005; // a minute of the rollout's clock takes 300 ms

/** What each Step invocation returned, and when on the rollout's clock (seconds since the start). */
type StepOutput = Pick<RolloutState, 'action' | 'waitSeconds' | 'step' | 'weight' | 'reason'> & { at: number };

/**
 * The real ASL and handlers with a sequential comparison on per-version counts drawn from a known
 * truth, on a clock that runs as fast as the engine's bakes, and the real lookout run once a
 * minute of that clock, as its schedule does in AWS.
 */
function world(rates: { canary: number; stable: number }): { h: Harness; steps: StepOutput[]; clock: () => number } {
  const steps: StepOutput[] = [];
  const h = new Harness({
    timeScale: TIME_SCALE,
    handlers: {
      step: (async (event, context) => {
        const out = (await HANDLERS.step!(event, context)) as RolloutState;
        steps.push({ action: out.action, waitSeconds: out.waitSeconds, step: out.step, weight: out.weight, reason: out.reason, at: clock() });
        return out;
      }) as LambdaHandler,
    },
  });
  const t0 = Date.now();
  const now = () => new Date(t0 + (Date.now() - t0) / TIME_SCALE);
  const clock = () => (now().getTime() - t0) / 1000;
  h.deps.now = now;
  const share = () => (h.mesh.spec('user-route').httpRoute?.action?.weightedTargets?.find((t) => t.virtualNode === CANARY)?.weight ?? 0) / 100;
  h.deps.metrics = new FakeVersionCounts({ canary: CANARY, stable: STABLE, rps: 200, periodSeconds: 60, rates, share, now, seed: 15 });
  h.startLookout(60);
  return { h, steps, clock };
}

function sequentialSpec(bake: unknown): Record<string, unknown> {
  return specInput({
    strategy: { steps: [10, 25, 50, 100], bake },
    analysis: { compare: [{ metric: 'errorRate', test: 'sequential', alpha: 0.05, margin: '0.5%' }] },
  });
}

describe('sequential judge in the state machine', () => {
  let h: Harness;
  afterEach(() => h.close());

  it('rolls back as soon as the lookout finds a regression, long before the bake would have ended', async () => {
    // Prepare: the canary fails 2 % of requests, stable 0.1 %; steps bake up to 10 minutes, looked at once a minute.
    const bake = { min: '2m', max: '10m', lookInterval: '1m' };
    const w = world({ canary: 0.02, stable: 0.001 });
    h = w.h;

    // Act
    const execution = h.start(sequentialSpec(bake));
    const result = await execution.result;

    // Assess: the first step's one bake (all of max) was cut short by the lookout, then judged once and rolled back.
    expect(result.status).toBe('FAILED');
    expect(w.steps.map((s) => [s.action, s.step])).toEqual([
      ['bake', 0],
      ['rollback', 0],
    ]);
    expect(w.steps[0]!.waitSeconds).toBe(600);
    expect(w.steps[1]!.at).toBeLessThan(600);
    expect(w.steps[1]!.reason).toMatch(/errorRate.*regression/);
    expect(h.lookouts.some((r) => r.interrupted.length === 1)).toBe(true);
    expect(h.lookoutErrors).toEqual([]);
    expect(h.mesh.weightsWritten('user-route', CANARY)).toEqual([10, 0]);
    const verdicts = (await h.store.listEvents(execution.name)).filter((e) => e.kind === 'verdict');
    expect(verdicts.at(-1)!.checks!.find((c) => c.kind === 'compare')!.evidence!.sequential!.decision).toBe('regression');
    expect(await h.store.lookers()).toEqual([]);
  });

  it('moves a healthy canary on as soon as it is "not worse" after min, at the fixed-bake price of one Step per traffic step', async () => {
    // Prepare: both versions fail 0.1 % of requests.
    const bake = { min: '2m', max: '10m', lookInterval: '1m' };
    const w = world({ canary: 0.001, stable: 0.001 });
    h = w.h;

    // Act
    const execution = h.start(sequentialSpec(bake));
    const result = await execution.result;

    // Assess: promoted; one Step per traffic step plus the last judgement, as with fixed bakes
    // (the lookout, not a Wait loop, did the looking); every step baked at least min, and in all
    // at most half of 4 × 10 minutes.
    expect(result.status).toBe('SUCCEEDED');
    expect(h.engine.invocations.step).toBe(5);
    expect(h.statesEntered(execution).filter((s) => s === 'Bake')).toHaveLength(4);
    const shifts = w.steps.map((s) => s.at);
    for (let i = 1; i < shifts.length; i++) expect(shifts[i]! - shifts[i - 1]!).toBeGreaterThanOrEqual(119);
    expect(shifts.at(-1)! - shifts[0]!).toBeLessThanOrEqual((3 * 600) / 2);
    expect(h.lookouts.filter((r) => r.endedEarly.length === 1).length).toBe(4);
    expect(h.lookoutErrors).toEqual([]);
    const events = await h.store.listEvents(execution.name);
    const lastVerdictOfStep = (step: number) => events.filter((e) => e.kind === 'verdict' && e.step === step).at(-1)!;
    for (const step of [0, 1, 2, 3]) {
      expect(lastVerdictOfStep(step).checks!.find((c) => c.kind === 'compare')!.evidence!.sequential!.decision).toBe('not-worse');
    }
  });

  it('cuts a fixed bake short on a regression, and otherwise keeps it at one judgement per step', async () => {
    // Prepare: two worlds, a regression and a healthy canary, both with fixed 10-minute bakes.
    const bad = world({ canary: 0.02, stable: 0.001 });
    h = bad.h;

    // Act
    const failed = await h.start(sequentialSpec('10m')).result;
    h.close();
    const good = world({ canary: 0.001, stable: 0.001 });
    h = good.h;
    const promoted = await h.start(sequentialSpec('60s')).result;

    // Assess: the regression rolled back inside the first bake; the healthy one baked every step in full.
    expect(failed.status).toBe('FAILED');
    expect(bad.steps.map((s) => s.action)).toEqual(['bake', 'rollback']);
    expect(bad.steps[1]!.at).toBeLessThan(600);
    expect(promoted.status).toBe('SUCCEEDED');
    expect(h.engine.invocations.step).toBe(5);
    expect(good.steps.filter((s) => s.action === 'bake').map((s) => s.waitSeconds)).toEqual([60, 60, 60, 60]);
    expect(h.lookouts.every((r) => r.endedEarly.length === 0)).toBe(true);
  });
});
