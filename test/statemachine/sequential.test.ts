import { HANDLERS, type LambdaHandler } from '../../src/local/handlers';
import type { LocalExecution } from '../../src/local/engine';
import type { RolloutState } from '../../src/rollouts/state';
import { FakeVersionCounts } from '../support/fake-metrics';
import { CANARY, Harness, specInput, STABLE } from './harness';

/** What each Step invocation returned, with the rollout clock's seconds when it returned. */
type StepOutput = Pick<RolloutState, 'action' | 'waitSeconds' | 'step' | 'weight' | 'reason' | 'stepStartedAt'> & { at: number };

/**
 * The real ASL and handlers with a sequential comparison on per-version counts drawn from a known
 * truth. The rollout's clock moves only when the test says: a minute, then one run of the real
 * lookout handler, as its schedule does in AWS. Bakes are real callback waits far longer than the
 * test, so only the lookout ends them, and nothing depends on how fast the machine is.
 */
function world(rates: { canary: number; stable: number }) {
  const steps: StepOutput[] = [];
  const t0 = Date.now();
  let clock = t0;
  const seconds = () => (clock - t0) / 1000;
  const h = new Harness({
    timeScale: 1,
    handlers: {
      step: (async (event, context) => {
        const out = (await HANDLERS.step!(event, context)) as RolloutState;
        steps.push({ action: out.action, waitSeconds: out.waitSeconds, step: out.step, weight: out.weight, reason: out.reason, stepStartedAt: out.stepStartedAt, at: seconds() });
        return out;
      }) as LambdaHandler,
    },
  });
  h.deps.now = () => new Date(clock);
  const share = () => (h.mesh.spec('user-route').httpRoute?.action?.weightedTargets?.find((t) => t.virtualNode === CANARY)?.weight ?? 0) / 100;
  h.deps.metrics = new FakeVersionCounts({ canary: CANARY, stable: STABLE, rps: 200, periodSeconds: 60, rates, share, now: () => new Date(clock), seed: 15 });

  /** Up to `minutes` times: wait for the rollout to bake (or end), move the clock a minute, run the lookout. */
  async function drive(execution: LocalExecution, minutes: number): Promise<void> {
    for (let m = 0; m < minutes; m++) {
      await h.until(async () => execution.status !== 'RUNNING' || (await h.engine.findBake(execution.executionArn)) !== undefined, 'a bake or the end');
      if (execution.status !== 'RUNNING') return;
      clock += 60_000;
      await h.lookOnce(60);
    }
  }
  return { h, steps, drive, seconds };
}

function sequentialSpec(bake: unknown): Record<string, unknown> {
  return specInput({
    strategy: { steps: [10, 25, 50, 100], bake },
    analysis: { compare: [{ metric: 'errorRate', test: 'sequential', alpha: 0.05, margin: '0.5%' }] },
  });
}

const shiftTimes = (steps: StepOutput[]) => [...new Set(steps.map((s) => s.stepStartedAt).filter((t): t is string => t !== undefined))].map(Date.parse);

describe('sequential judge in the state machine', () => {
  let h: Harness;
  // Stops a rollout left baking and settles its callback wait: no timer outlives the test.
  afterEach(() => h.close());

  it('rolls back as soon as the lookout finds a regression, long before the bake would have ended', async () => {
    // Prepare: the canary fails 2 % of requests, stable 0.1 %; steps bake up to 10 minutes, looked at once a minute.
    const w = world({ canary: 0.02, stable: 0.001 });
    h = w.h;
    const running = h.start(sequentialSpec({ min: '2m', max: '10m', lookInterval: '1m' }));

    // Act
    await w.drive(running, 10);
    const result = await running.result;

    // Assess: the first step's one bake (all of max) was cut short by the lookout, then judged once and rolled back.
    expect(result.status).toBe('FAILED');
    expect(w.steps.map((s) => [s.action, s.step])).toEqual([
      ['bake', 0],
      ['rollback', 0],
    ]);
    expect(w.steps[0]!.waitSeconds).toBe(600);
    expect(w.steps[1]!.at).toBeLessThan(600);
    expect(w.steps[1]!.reason).toMatch(/errorRate.*regression/);
    expect(h.lookouts.filter((r) => r.interrupted.length === 1)).toHaveLength(1);
    expect(h.mesh.weightsWritten('user-route', CANARY)).toEqual([10, 0]);
    const verdicts = (await h.store.listEvents(running.name)).filter((e) => e.kind === 'verdict');
    expect(verdicts.at(-1)!.checks!.find((c) => c.kind === 'compare')!.evidence!.sequential!.decision).toBe('regression');
    expect(await h.store.lookers()).toEqual([]);
  });

  it('moves a healthy canary on as soon as it is "not worse" after min, at the fixed-bake price of one Step per traffic step', async () => {
    // Prepare: both versions fail 0.1 % of requests.
    const w = world({ canary: 0.001, stable: 0.001 });
    h = w.h;
    const running = h.start(sequentialSpec({ min: '2m', max: '10m', lookInterval: '1m' }));

    // Act
    await w.drive(running, 40);
    const result = await running.result;

    // Assess: promoted; one Step per traffic step plus the last judgement, as with fixed bakes (the
    // lookout, not a Wait loop, did the looking); each step baked at least min, all of them at most
    // half of 4 × 10 minutes.
    expect(result.status).toBe('SUCCEEDED');
    expect(h.engine.invocations.step).toBe(5);
    expect(h.statesEntered(running).filter((s) => s === 'Bake')).toHaveLength(4);
    expect(h.lookouts.filter((r) => r.endedEarly.length === 1)).toHaveLength(4);
    const shifts = shiftTimes(w.steps);
    expect(shifts).toHaveLength(4);
    for (let i = 1; i < shifts.length; i++) expect(shifts[i]! - shifts[i - 1]!).toBeGreaterThanOrEqual(120_000);
    expect(w.steps.at(-1)!.at).toBeLessThanOrEqual((4 * 600) / 2);
    const events = await h.store.listEvents(running.name);
    const lastVerdictOfStep = (step: number) => events.filter((e) => e.kind === 'verdict' && e.step === step).at(-1)!;
    for (const step of [0, 1, 2, 3]) {
      expect(lastVerdictOfStep(step).checks!.find((c) => c.kind === 'compare')!.evidence!.sequential!.decision).toBe('not-worse');
    }
  });

  it('cuts a fixed bake short on a regression', async () => {
    // Prepare
    const w = world({ canary: 0.02, stable: 0.001 });
    h = w.h;
    const running = h.start(sequentialSpec('10m'));

    // Act
    await w.drive(running, 10);
    const result = await running.result;

    // Assess: rolled back inside the first 10-minute bake.
    expect(result.status).toBe('FAILED');
    expect(w.steps.map((s) => s.action)).toEqual(['bake', 'rollback']);
    expect(w.steps[1]!.at).toBeLessThan(600);
  });

  it('never ends a fixed bake early on "not worse": it lasts its time, looked at once a minute for a regression', async () => {
    // Prepare: a healthy canary, with a margin that "not worse" is soon below.
    const w = world({ canary: 0.001, stable: 0.001 });
    h = w.h;
    const running = h.start(sequentialSpec('10m'));

    // Act: nine minutes into the first bake.
    await w.drive(running, 9);

    // Assess: still baking at step 0; the lookout looked every minute and ended nothing.
    expect(await h.engine.findBake(running.executionArn)).toBeDefined();
    expect(w.steps.map((s) => s.action)).toEqual(['bake']);
    expect(h.lookouts.map((r) => r.looked.length)).toEqual([1, 1, 1, 1, 1, 1, 1, 1, 1]);
    expect(h.lookouts.every((r) => r.endedEarly.length === 0 && r.interrupted.length === 0)).toBe(true);
  });
});
