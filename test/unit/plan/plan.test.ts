import { describeBake, planRollout, weightSchedule } from '../../../src/plan';
import { parseSpec, type RolloutSpec } from '../../../src/spec';

/** A validated spec (defaults applied) with the given strategy and approval sections. */
function specWith(strategy: Record<string, unknown>, approval: Record<string, unknown> = {}): RolloutSpec {
  return parseSpec({
    name: 'user-service',
    router: { appMesh: { mesh: 'my-mesh', virtualRouter: 'user-router' } },
    target: { canary: 'user-service-v2' },
    strategy,
    approval,
  });
}

describe('weightSchedule', () => {
  it('returns steps as written', () => {
    // Act
    const weights = weightSchedule({ steps: [10, 25, 50, 100] });

    // Assess
    expect(weights).toEqual([10, 25, 50, 100]);
  });

  it('returns a copy, so callers cannot change the spec', () => {
    // Prepare
    const steps = [10, 100];

    // Act
    weightSchedule({ steps }).push(5);

    // Assess
    expect(steps).toEqual([10, 100]);
  });

  it.each<[number, number | undefined, number[]]>([
    [20, 50, [20, 40, 50]],
    [25, undefined, [25, 50, 75, 100]],
    [30, undefined, [30, 60, 90, 100]],
    [10, 30, [10, 20, 30]],
    [50, 50, [50]],
    [100, undefined, [100]],
    [1, 3, [1, 2, 3]],
  ])('stepWeight %p up to maxWeight %p gives %p', (stepWeight, maxWeight, expected) => {
    // Act
    const weights = weightSchedule({ stepWeight, maxWeight });

    // Assess
    expect(weights).toEqual(expected);
  });

  it('refuses a strategy with neither steps nor stepWeight', () => {
    // Act
    const act = () => weightSchedule({});

    // Assess
    expect(act).toThrow('strategy needs steps or stepWeight');
  });
});

describe('planRollout', () => {
  it('shifts each step one bake after the previous and judges it one bake later', () => {
    // Prepare
    const spec = specWith({ steps: [10, 50, 100], bake: '5m' });

    // Act
    const plan = planRollout(spec);

    // Assess
    expect(plan.bakeSeconds).toBe(300);
    expect(plan.steps).toEqual([
      { index: 0, weight: 10, startsAt: 0, judgedAt: 300 },
      { index: 1, weight: 50, startsAt: 300, judgedAt: 600 },
      { index: 2, weight: 100, startsAt: 600, judgedAt: 900 },
    ]);
  });

  it('takes one bake per step when every check passes at once', () => {
    // Prepare
    const spec = specWith({ stepWeight: 25, bake: '1h30m' });

    // Act
    const plan = planRollout(spec);

    // Assess
    expect(plan.steps).toHaveLength(4);
    expect(plan.minDurationSeconds).toBe(4 * 5400);
    expect(plan.minDurationSeconds).toBe(plan.steps[plan.steps.length - 1]!.judgedAt);
  });

  it.each<[string, Record<string, unknown>, number]>([
    ['no gate', {}, 0],
    ['a gate before start', { beforeStart: true, timeout: '2h' }, 7200],
    ['a gate before promotion', { beforePromotion: true, timeout: '2h' }, 7200],
    ['both gates', { beforeStart: true, beforePromotion: true, timeout: '2h' }, 14400],
    ['both gates with the default timeout', { beforeStart: true, beforePromotion: true }, 2 * 86400],
  ])('adds each gate timeout to the longest human wait: %s', (_case, approval, seconds) => {
    // Prepare
    const spec = specWith({ steps: [100] }, approval);

    // Act
    const plan = planRollout(spec);

    // Assess
    expect(plan.maxApprovalSeconds).toBe(seconds);
  });

  it('keeps approvals out of the step timings', () => {
    // Prepare
    const withoutGates = planRollout(specWith({ steps: [10, 100], bake: '1m' }));

    // Act
    const withGates = planRollout(specWith({ steps: [10, 100], bake: '1m' }, { beforeStart: true, beforePromotion: true }));

    // Assess
    expect(withGates.steps).toEqual(withoutGates.steps);
    expect(withGates.minDurationSeconds).toBe(withoutGates.minDurationSeconds);
  });

  it.each<[string, Record<string, unknown>, boolean]>([
    ['steps ending at 100', { steps: [10, 100] }, false],
    ['stepWeight without maxWeight', { stepWeight: 30 }, false],
    ['maxWeight 100', { stepWeight: 30, maxWeight: 100 }, false],
    ['maxWeight below 100', { stepWeight: 20, maxWeight: 50 }, true],
  ])('moves the rest of the traffic at promotion only when the last step is below 100: %s', (_case, strategy, rest) => {
    // Prepare
    const spec = specWith(strategy);

    // Act
    const plan = planRollout(spec);

    // Assess
    expect(plan.promotionShiftsRest).toBe(rest);
  });
});

describe('planRollout with bake: { min, max }', () => {
  it('times steps with the longest bake and the minimum duration with the shortest', () => {
    // Act
    const plan = planRollout(specWith({ steps: [10, 50, 100], bake: { min: '1m', max: '10m', lookInterval: '30s' } }));

    // Assess
    expect(plan.bakeSeconds).toBe(600);
    expect(plan.steps.map((s) => s.judgedAt)).toEqual([600, 1200, 1800]);
    expect(plan.minDurationSeconds).toBe(180);
    expect(plan.bakeRange).toEqual({ min: 60, max: 600, lookInterval: 30 });
  });

  it('leaves a fixed bake as it was', () => {
    const plan = planRollout(specWith({ steps: [10, 100], bake: '5m' }));
    expect(plan.bakeRange).toBeUndefined();
    expect(plan.minDurationSeconds).toBe(600);
  });
});

describe('describeBake', () => {
  it('writes a fixed bake as a duration and a range with its look interval', () => {
    expect(describeBake(300)).toBe('5m');
    expect(describeBake({ min: 60, max: 600, lookInterval: 60 })).toBe('1m–10m (a look every 1m)');
  });
});

