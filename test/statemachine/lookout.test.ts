import { lookIntoBakes } from '../../src/rollouts/look';
import { TaskNotWaitingError, type ExecutionControl } from '../../src/rollouts/executions';
import type { Deps } from '../../src/rollouts/deps';
import { FakeVersionCounts } from '../support/fake-metrics';
import { CANARY, Harness, specInput, STABLE } from './harness';

/**
 * The lookout against a real execution that bakes (real ASL, real handlers, the local engine's
 * history), on a clock the test moves: what it looks at, when, and what a failure of one
 * rollout does to the others.
 */
function world(rates: { canary: number; stable: number }, bake: unknown, compare: unknown[] = [{ metric: 'errorRate', test: 'sequential', margin: '0.5%' }]) {
  // Bakes last their real time here: nothing ends them but the lookout (or close()).
  const h = new Harness({ timeScale: 1 });
  const t0 = Date.now();
  let clock = t0;
  h.deps.now = () => new Date(clock);
  const share = () => (h.mesh.spec('user-route').httpRoute?.action?.weightedTargets?.find((t) => t.virtualNode === CANARY)?.weight ?? 0) / 100;
  const metrics = new FakeVersionCounts({ canary: CANARY, stable: STABLE, rps: 200, periodSeconds: 60, rates, share, now: () => new Date(clock), seed: 7 });
  h.deps.metrics = metrics;
  const execution = h.start(specInput({ strategy: { steps: [10, 50, 100], bake }, analysis: { compare } }));
  return {
    h,
    execution,
    metrics,
    /** Moves the rollout's clock to `seconds` after the start. */
    at: (seconds: number) => (clock = t0 + seconds * 1000),
    baking: () => h.until(async () => (await h.engine.findBake(execution.executionArn)) !== undefined, 'the first bake'),
  };
}

describe('lookout', () => {
  let h: Harness;
  // Stops a rollout left baking and settles its callback wait: no timer outlives the test.
  afterEach(() => h.close());

  it('looks only when a look interval has passed since its previous run, and changes nothing while undecided', async () => {
    // Prepare: a healthy canary, a bake of 2–30 minutes looked at every 5 minutes.
    const w = world({ canary: 0.001, stable: 0.001 }, { min: '2m', max: '30m', lookInterval: '5m' }, [{ metric: 'errorRate', test: 'sequential' }]);
    h = w.h;
    await w.baking();

    // Act: runs of a once-a-minute lookout at 4, 5, 6 and 7 minutes into the step.
    const runs = [];
    for (const minute of [4, 5, 6, 7]) {
      w.at(minute * 60 + 1);
      runs.push(await lookIntoBakes(h.deps, { tickSeconds: 60 }));
    }

    // Assess: the 5-minute mark is looked at by the run just after it and, with the half run of
    // slack that keeps a late schedule from skipping it, by the next; nothing else. Without a
    // margin nothing ends the bake.
    expect(runs.map((r) => r.looked.length)).toEqual([0, 1, 1, 0]);
    expect(w.metrics.reads).toBe(2);
    expect(runs.every((r) => r.interrupted.length === 0 && r.endedEarly.length === 0)).toBe(true);
    expect(await h.engine.findBake(w.execution.executionArn)).toBeDefined();
  });

  it('ends a bake on a regression with the interrupt the alarms use, and the Step rolls back', async () => {
    // Prepare: the canary fails 2 % of requests, stable 0.1 %.
    const w = world({ canary: 0.02, stable: 0.001 }, '30m');
    h = w.h;
    await w.baking();

    // Act: five minutes of traffic at 10 %.
    w.at(5 * 60);
    const run = await lookIntoBakes(h.deps, { tickSeconds: 60 });
    const result = await w.execution.result;

    // Assess
    expect(run.interrupted).toEqual([w.execution.name]);
    expect(result.status).toBe('FAILED');
    expect(h.mesh.weightsWritten('user-route', CANARY)).toEqual([10, 0]);
    const events = await h.store.listEvents(w.execution.name);
    expect(events.find((e) => e.kind === 'bake-interrupted')!.message).toMatch(/regression.*judging now/);
    expect(await h.store.lookers()).toEqual([]);
  });

  it('ends a { min, max } bake once every comparison is "not worse" and min has passed, not before', async () => {
    // Prepare
    const w = world({ canary: 0.001, stable: 0.001 }, { min: '20m', max: '60m', lookInterval: '1m' }, [{ metric: 'errorRate', test: 'sequential', margin: '1%' }]);
    h = w.h;
    await w.baking();

    // Act: a look before min, then one after.
    w.at(10 * 60);
    const early = await lookIntoBakes(h.deps, { tickSeconds: 60 });
    w.at(20 * 60);
    const late = await lookIntoBakes(h.deps, { tickSeconds: 60 });
    await h.until(async () => h.mesh.weightsWritten('user-route', CANARY).length === 2, 'the next shift');

    // Assess
    expect(early.looked).toEqual([w.execution.name]);
    expect(early.endedEarly).toEqual([]);
    expect(late.endedEarly).toEqual([w.execution.name]);
    expect(h.mesh.weightsWritten('user-route', CANARY)).toEqual([10, 50]);
  });

  it('keeps looking at the other rollouts when one cannot be read, and stays quiet about a bake that ended meanwhile', async () => {
    // Prepare: the real rollout with a regression, beside two registered ones: one whose history read
    // fails, one whose bake ended between the read and the interrupt.
    const w = world({ canary: 0.02, stable: 0.001 }, '30m');
    h = w.h;
    await w.baking();
    await h.store.watchLooks('broken', 'arn:aws:states:us-east-1:000000000000:execution:rollout:broken');
    await h.store.watchLooks('raced', 'arn:aws:states:us-east-1:000000000000:execution:rollout:raced');
    const real = await h.engine.findBake(w.execution.executionArn);
    const engine = h.engine;
    const executions: ExecutionControl = {
      isRunning: (arn) => engine.isRunning(arn),
      sendTaskSuccess: (token, output) => engine.sendTaskSuccess(token, output),
      sendTaskFailure: (token, error, cause) => (token === 'raced-token' ? Promise.reject(new TaskNotWaitingError('gone')) : engine.sendTaskFailure(token, error, cause)),
      findBakeToken: (arn) => engine.findBakeToken(arn),
      findBake: async (arn) => {
        if (arn.endsWith(':broken')) throw new Error('ThrottlingException: Rate exceeded');
        if (arn.endsWith(':raced')) return { token: 'raced-token', state: real!.state };
        return engine.findBake(arn);
      },
    };
    const warnings = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    w.at(5 * 60);

    // Act
    const run = await lookIntoBakes({ ...h.deps, executions } as Deps, { tickSeconds: 60 });

    // Assess: the real one interrupted; one warning, for the broken read only; the raced one's
    // execution is not running (unknown here), so its registration is forgotten.
    expect(run.interrupted).toEqual([w.execution.name]);
    expect(run.skipped).toEqual(['broken']);
    expect(run.forgotten).toEqual(['raced']);
    expect((await h.store.lookers()).map((l) => l.rolloutId).sort()).toEqual(['broken', w.execution.name].sort());
    expect(warnings).toHaveBeenCalledTimes(1);
    expect(String(warnings.mock.calls[0]![0])).toMatch(/lookout could not look into a bake.*broken.*Rate exceeded/);
    warnings.mockRestore();
    expect((await w.execution.result).status).toBe('FAILED');
  });

  it('registers only rollouts with a sequential comparison', async () => {
    // Prepare
    const w = world({ canary: 0.001, stable: 0.001 }, '30m', [{ metric: 'errorRate', maxIncrease: '1%' }]);
    h = w.h;

    // Act
    await w.baking();

    // Assess
    expect(await h.store.lookers()).toEqual([]);
  });

  it('forgets the registration of an execution that ended without giving it back, and keeps those of running ones', async () => {
    // Prepare: a rollout that waits before its first shift is not baking but runs; a stopped one left its registration.
    const w = world({ canary: 0.001, stable: 0.001 }, '30m');
    h = w.h;
    await w.baking();
    await h.store.watchLooks('stopped-from-console', 'arn:aws:states:us-east-1:000000000000:execution:rollout:stopped-from-console');

    // Act
    const run = await lookIntoBakes(h.deps, { tickSeconds: 60 });

    // Assess
    expect(run.forgotten).toEqual(['stopped-from-console']);
    expect((await h.store.lookers()).map((l) => l.rolloutId)).toEqual([w.execution.name]);
  });

  it('starts no look when the function is about to time out, and says which it skipped', async () => {
    // Prepare
    const w = world({ canary: 0.02, stable: 0.001 }, '30m');
    h = w.h;
    await w.baking();
    w.at(5 * 60);

    // Act
    const run = await lookIntoBakes(h.deps, { tickSeconds: 60, remainingMs: () => 9_000 });

    // Assess: nothing read, nothing ended; the next run looks.
    expect(run.skipped).toEqual([w.execution.name]);
    expect(w.metrics.reads).toBe(0);
    expect((await lookIntoBakes(h.deps, { tickSeconds: 60, remainingMs: () => 50_000 })).interrupted).toEqual([w.execution.name]);
  });
});
