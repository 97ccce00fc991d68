import type { PeriodCounts } from '../../../src/analysis/counts';
import { judgeSequential, MAX_TRAJECTORY } from '../../../src/analysis/sequential-check';
import { CompareSchema, type CompareCheck } from '../../../src/spec';

const T0 = Date.parse('2026-11-29T10:00:00Z');
const MIN = 60_000;

function compare(input: Record<string, unknown>): CompareCheck {
  return CompareSchema.parse(input);
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

  it('keeps at most MAX_TRAJECTORY points, the first and the last among them', () => {
    const counts = periods(Array.from({ length: 200 }, () => [100, 0, 900, 1] as [number, number, number, number]));
    const s = judgeSequential(compare({ metric: 'errorRate', test: 'sequential' }), counts, { start: T0, end: T0 + 200 * MIN }, T0).evidence!.sequential!;
    expect(s.trajectory).toHaveLength(MAX_TRAJECTORY);
    expect(s.trajectory[0]![0]).toBe(60);
    expect(s.trajectory.at(-1)![0]).toBe(200 * 60);
  });
});
