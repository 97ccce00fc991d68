import type { PeriodCounts } from '../../../src/analysis/counts';
import { decideSequential, initialSequentialState, updateSequential } from '../../../src/analysis/sequential';
import { judgeSequential, MAX_TRAJECTORY } from '../../../src/analysis/sequential-check';
import { CompareSchema, type CompareCheck } from '../../../src/spec';

const T0 = Date.parse('2026-11-29T10:00:00Z');
const MIN = 60_000;

function compare(input: Record<string, unknown>): CompareCheck {
  return CompareSchema.parse(input);
}

type Row = [number, number, number, number];

function repeat(n: number, row: Row): Row[] {
  return Array.from({ length: n }, () => row);
}

/** The decision from the counts of the last look alone (the judge before it used the whole trajectory). */
function lastLookOnly(counts: PeriodCounts[], margin?: number): string {
  const state = counts.reduce((st, p) => updateSequential(st, p, 'errors'), initialSequentialState());
  return decideSequential(state, { alpha: 0.05, margin }).decision;
}

/** One period per minute from T0: [canary requests, canary errors, stable requests, stable errors]. */
function periods(rows: Array<[number, number, number, number]>): PeriodCounts[] {
  return rows.map(([cr, ce, sr, se], i) => ({
    start: new Date(T0 + i * MIN).toISOString(),
    periodSeconds: 60,
    canary: { requests: cr, errors: ce },
    stable: { requests: sr, errors: se },
  }));
}

describe('analysis.compare[] with test: sequential', () => {
  it('reads alpha and a margin in points, and needs no threshold limit', () => {
    expect(compare({ metric: 'errorRate', test: 'sequential', alpha: 0.01, margin: '0.5%' })).toEqual({ metric: 'errorRate', test: 'sequential', alpha: 0.01, margin: 0.005, minRequests: 100, period: 60 });
  });

  it('reads a parsed entry back the same (execution input is the parsed spec as JSON): a number is a fraction, as for maxIncrease', () => {
    const parsed = compare({ metric: 'errorRate', test: 'sequential', margin: '0.5%', maxIncrease: '1%' });
    expect(compare(JSON.parse(JSON.stringify(parsed)))).toEqual(parsed);
    expect(CompareSchema.safeParse({ metric: 'errorRate', test: 'sequential', margin: 0 }).error?.issues.map((i) => i.message)).toEqual(['must be above 0%']);
  });

  it('refuses sequential fields without test: sequential and a ratio limit the sequential test would ignore', () => {
    const stray = CompareSchema.safeParse({ metric: 'errorRate', maxIncrease: '1%', alpha: 0.05 });
    const ratio = CompareSchema.safeParse({ metric: 'errorRate', test: 'sequential', maxRatio: 2 });
    const badAlpha = CompareSchema.safeParse({ metric: 'errorRate', test: 'sequential', alpha: 0.5 });
    expect(stray.error?.issues.map((i) => [i.path.join('.'), i.message])).toEqual([['alpha', 'applies only to test: sequential']]);
    expect(ratio.error?.issues.map((i) => [i.path.join('.'), i.message])).toEqual([['maxRatio', 'does not apply to test: sequential (use margin, in percentage points)']]);
    expect(badAlpha.error?.issues[0]?.path).toEqual(['alpha']);
  });
});

describe('judgeSequential', () => {
  const window = { start: T0 + 5 * MIN, end: T0 + 10 * MIN };

  it('fails the check with its evidence when the canary errs far more than stable over the rollout', () => {
    // Prepare: 10 % canary with 2 % errors against 0.1 % on stable.
    const counts = periods(Array.from({ length: 10 }, () => [1200, 24, 10800, 11] as [number, number, number, number]));

    // Act
    const result = judgeSequential(compare({ metric: 'errorRate', test: 'sequential' }), counts, window, T0);

    // Assess
    expect(result.state).toBe('ALARM');
    expect(result.reason).toMatch(/regression: evidence .* ≥ 1\/α = 20/);
    const s = result.evidence!.sequential!;
    expect(s.decision).toBe('regression');
    expect(s.logE).toBeGreaterThanOrEqual(s.boundary);
    expect(s.trajectory).toHaveLength(10);
    expect(s.trajectory.map(([t]) => t)).toEqual([60, 120, 180, 240, 300, 360, 420, 480, 540, 600]);
  });

  it('says "not worse" once the bound on canary − stable is under the margin, and OK either way', () => {
    const counts = periods(Array.from({ length: 10 }, () => [6000, 6, 6000, 6] as [number, number, number, number]));
    const withMargin = judgeSequential(compare({ metric: 'errorRate', test: 'sequential', margin: '0.5%' }), counts, window, T0);
    const without = judgeSequential(compare({ metric: 'errorRate', test: 'sequential' }), counts, window, T0);
    expect(withMargin.state).toBe('OK');
    expect(withMargin.evidence!.sequential!.decision).toBe('not-worse');
    expect(withMargin.evidence!.sequential!.upperDifference!).toBeLessThan(0.005);
    expect(without.state).toBe('OK');
    expect(without.evidence!.sequential!.decision).toBe('continue');
  });

  it('uses maxIncrease as the margin when no margin is given', () => {
    const counts = periods(Array.from({ length: 10 }, () => [6000, 6, 6000, 6] as [number, number, number, number]));
    const result = judgeSequential(compare({ metric: 'errorRate', test: 'sequential', maxIncrease: '0.5%' }), counts, window, T0);
    expect(result.evidence!.sequential!.margin).toBe(0.005);
  });

  it('continues, never waits for data, when there is no traffic', () => {
    const result = judgeSequential(compare({ metric: 'errorRate', test: 'sequential', margin: '0.5%' }), [], window, T0);
    expect(result.state).toBe('OK');
    expect(result.evidence!.sequential!.decision).toBe('continue');
    // Nothing known: the canary's rate may be anything up to 100 %.
    expect(result.evidence!.sequential!.upperDifference).toBe(1);
  });

  describe('decides from the whole trajectory', () => {
    // Two minutes at 10 % share where the canary has a third of the errors (alarming), then six where it has 5 % of them.
    const crossThenDrop = periods([...repeat(2, [1000, 6, 9000, 12]), ...repeat(6, [1000, 3, 9000, 60])]);

    it('stays a regression once the evidence crossed 1/α, even when later periods pull it back under', () => {
      // Prepare: the last look's counts alone no longer cross.
      expect(lastLookOnly(crossThenDrop)).toBe('continue');

      // Act
      const result = judgeSequential(compare({ metric: 'errorRate', test: 'sequential' }), crossThenDrop, { start: T0, end: T0 + 8 * MIN }, T0);

      // Assess
      const s = result.evidence!.sequential!;
      expect(result.state).toBe('ALARM');
      expect(s.decision).toBe('regression');
      expect(s.crossedAt).toBe(120);
      expect(s.logE).toBeGreaterThanOrEqual(s.boundary);
      expect(s.trajectory.at(-1)![1]).toBeLessThan(s.boundary);
      expect(result.reason).toMatch(/regression: evidence [\d.]+ \(crossed 120s after the start; [\d.]+ now, a crossing stands\) ≥ 1\/α = 20$/);
    });

    it('never undoes a regression as more periods arrive', () => {
      const states = crossThenDrop.map((_, i) => judgeSequential(compare({ metric: 'errorRate', test: 'sequential' }), crossThenDrop.slice(0, i + 1), { start: T0, end: T0 + (i + 1) * MIN }, T0).state);
      expect(states).toEqual(['OK', 'ALARM', 'ALARM', 'ALARM', 'ALARM', 'ALARM', 'ALARM', 'ALARM']);
    });

    it('keeps "not worse" once the smallest always-valid bound so far is under the margin', () => {
      // Prepare: ten quiet minutes bound canary − stable under 0.2 points; then both versions err at 10 %,
      // which widens the bound of the last look alone beyond the margin.
      const counts = periods([...repeat(10, [6000, 6, 6000, 6]), ...repeat(3, [6000, 600, 6000, 600])]);
      expect(lastLookOnly(counts, 0.002)).toBe('continue');

      // Act
      const result = judgeSequential(compare({ metric: 'errorRate', test: 'sequential', margin: '0.2%' }), counts, { start: T0, end: T0 + 13 * MIN }, T0);

      // Assess
      const s = result.evidence!.sequential!;
      expect(s.decision).toBe('not-worse');
      expect(s.upperDifference!).toBeLessThan(0.002);
      const bounds = s.trajectory.map(([, , u]) => u ?? Number.POSITIVE_INFINITY);
      expect(bounds).toEqual([...bounds].sort((a, b) => b - a));
    });
  });

  it('keeps at most MAX_TRAJECTORY points, the first and the last among them', () => {
    const counts = periods(Array.from({ length: 200 }, () => [100, 0, 900, 1] as [number, number, number, number]));
    const s = judgeSequential(compare({ metric: 'errorRate', test: 'sequential' }), counts, { start: T0, end: T0 + 200 * MIN }, T0).evidence!.sequential!;
    expect(s.trajectory).toHaveLength(MAX_TRAJECTORY);
    expect(s.trajectory[0]![0]).toBe(60);
    expect(s.trajectory.at(-1)![0]).toBe(200 * 60);
  });
});
