import { HANDLERS, type LambdaHandler } from '../../src/local/handlers';
import type { RolloutState } from '../../src/rollouts/state';
import { FakeVersionCounts } from '../support/fake-metrics';
import { CANARY, Harness, specInput, STABLE } from './harness';

const TIME_SCALE = 0.005; // a 60 s look takes 300 ms

/** What each Step invocation returned: its action and, for a bake, how long it waits. */
type StepOutput = Pick<RolloutState, 'action' | 'waitSeconds' | 'step' | 'weight' | 'reason'>;

/**
 * The real ASL and handlers with a sequential comparison on per-version counts drawn from a known
 * truth, on a clock that runs as fast as the engine's bakes.
 */
function world(rates: { canary: number; stable: number }): { h: Harness; steps: StepOutput[] } {
  const steps: StepOutput[] = [];
  const step: LambdaHandler = async (event, context) => {
    const out = (await HANDLERS.step!(event, context)) as RolloutState;
    steps.push({ action: out.action, waitSeconds: out.waitSeconds, step: out.step, weight: out.weight, reason: out.reason });
    return out;
  };
  const h = new Harness({ timeScale: TIME_SCALE, handlers: { step } });
  const t0 = Date.now();
  // The execution's start time (the rollout's start) is the engine's real clock: the scaled one starts there.
  const start = t0;
  const now = () => new Date(start + (Date.now() - t0) / TIME_SCALE);
  h.deps.now = now;
  const share = () => (h.mesh.spec('user-route').httpRoute?.action?.weightedTargets?.find((t) => t.virtualNode === CANARY)?.weight ?? 0) / 100;
  h.deps.metrics = new FakeVersionCounts({ canary: CANARY, stable: STABLE, rps: 200, periodSeconds: 60, rates, share, now, seed: 15 });
  return { h, steps };
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

  it('rolls back at the first look that finds a regression, long before the bake would have ended', async () => {
    // Prepare: the canary fails 2 % of requests, stable 0.1 %; steps bake up to 10 minutes, looked at once a minute.
    const bake = { min: '2m', max: '10m', lookInterval: '1m' };
    const w = world({ canary: 0.02, stable: 0.001 });
    h = w.h;

    // Act
    const execution = h.start(sequentialSpec(bake));
    const result = await execution.result;

    // Assess: rolled back during the first step's bake, after fewer looks than a 10-minute bake holds.
    expect(result.status).toBe('FAILED');
    const rollback = w.steps.find((s) => s.action === 'rollback')!;
    expect(rollback.step).toBe(0);
    expect(rollback.reason).toMatch(/errorRate.*regression/);
    const looksAtFirstStep = w.steps.filter((s) => s.step === 0).length;
    expect(looksAtFirstStep).toBeLessThan(10);
    expect(h.mesh.weightsWritten('user-route', CANARY)).toEqual([10, 0]);
    const verdicts = (await h.store.listEvents(execution.name)).filter((e) => e.kind === 'verdict');
    expect(verdicts.at(-1)!.checks!.find((c) => c.kind === 'compare')!.evidence!.sequential!.decision).toBe('regression');
  });

  it('moves a healthy canary on as soon as it is "not worse" after min, baking far less than fixed bakes of max', async () => {
    // Prepare: both versions fail 0.1 % of requests.
    const bake = { min: '2m', max: '10m', lookInterval: '1m' };
    const w = world({ canary: 0.001, stable: 0.001 });
    h = w.h;

    // Act
    const execution = h.start(sequentialSpec(bake));
    const result = await execution.result;

    // Assess: promoted; every bake a look of at most a minute; in total at most half of 4 × 10 minutes.
    expect(result.status).toBe('SUCCEEDED');
    const bakes = w.steps.filter((s) => s.action === 'bake');
    expect(bakes.every((s) => s.waitSeconds <= 60)).toBe(true);
    const baked = bakes.reduce((a, s) => a + s.waitSeconds, 0);
    expect(baked).toBeLessThanOrEqual((4 * 600) / 2);
    // At least min at every step: two looks of a minute per step at the least.
    for (const weight of [10, 25, 50, 100]) expect(w.steps.filter((s) => s.action === 'bake' && s.weight === weight).length).toBeGreaterThanOrEqual(2);
    const events = await h.store.listEvents(execution.name);
    const lastVerdictOfStep = (step: number) => events.filter((e) => e.kind === 'verdict' && e.step === step).at(-1)!;
    for (const step of [0, 1, 2, 3]) {
      expect(lastVerdictOfStep(step).checks!.find((c) => c.kind === 'compare')!.evidence!.sequential!.decision).toBe('not-worse');
    }
  });

  it('keeps a fixed bake at one judgement per step, the sequential comparison judged at its end', async () => {
    // Prepare
    const w = world({ canary: 0.001, stable: 0.001 });
    h = w.h;

    // Act
    const execution = h.start(sequentialSpec('60s'));
    const result = await execution.result;

    // Assess: Step → Route → Bake per traffic step, as without comparisons.
    expect(result.status).toBe('SUCCEEDED');
    expect(h.engine.invocations.step).toBe(5);
    expect(w.steps.filter((s) => s.action === 'bake').map((s) => s.waitSeconds)).toEqual([60, 60, 60, 60]);
  });
});
