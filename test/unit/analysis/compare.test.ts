import { judgeComparison, periodsIn } from '../../../src/analysis/compare';
import type { PeriodCounts } from '../../../src/analysis/counts';
import type { MetricDataReader, MetricSeries } from '../../../src/analysis/metric-data';
import { countQueries, QueryBook, readVersionCounts } from '../../../src/analysis/queries';
import { versionMetrics } from '../../../src/routers/metrics';
import { CompareSchema, parseSpec, type CompareCheck } from '../../../src/spec';

const T0 = Date.parse('2026-11-29T10:00:00Z');
const MIN = 60_000;

function compare(input: Record<string, unknown>): CompareCheck {
  return CompareSchema.parse(input);
}

/** Hand-made periods: [canary requests, canary bad, stable requests, stable bad] per minute from T0. */
function periods(rows: Array<[number, number, number, number]>, kind: 'errors' | 'slow' = 'errors'): PeriodCounts[] {
  return rows.map(([cr, cb, sr, sb], i) => ({
    start: new Date(T0 + i * MIN).toISOString(),
    periodSeconds: 60,
    canary: kind === 'errors' ? { requests: cr, errors: cb } : { requests: cr, errors: 0, slow: cb },
    stable: kind === 'errors' ? { requests: sr, errors: sb } : { requests: sr, errors: 0, slow: sb },
  }));
}

const WHOLE = { start: T0, end: T0 + 10 * MIN };

describe('analysis.compare[] schema', () => {
  it('reads points, ratios, bounds and defaults into numbers', () => {
    // Act
    const c = compare({ metric: 'slowRequests', over: '300ms', maxIncrease: '1%', maxRatio: 2 });

    // Assess
    expect(c).toEqual({ metric: 'slowRequests', over: 300, maxIncrease: 0.01, maxRatio: 2, minRequests: 100, period: 60 });
  });

  it('rejects a comparison without a limit, slowRequests without over, and a period CloudWatch would not answer', () => {
    // Act
    const noLimit = CompareSchema.safeParse({ metric: 'errorRate' });
    const noOver = CompareSchema.safeParse({ metric: 'slowRequests', maxIncrease: '1%' });
    const badPeriod = CompareSchema.safeParse({ metric: 'errorRate', maxRatio: 2, period: '45s' });

    // Assess
    expect(noLimit.error?.issues.map((i) => i.message)).toEqual(['needs a limit: maxIncrease (percentage points) and/or maxRatio']);
    expect(noOver.error?.issues.map((i) => [i.path.join('.'), i.message])).toEqual([['over', 'is required for slowRequests (the latency bound, e.g. 300ms)']]);
    expect(badPeriod.error?.issues[0]?.path).toEqual(['period']);
  });

  it('refuses two checks with the same name, naming both places', () => {
    // Act
    const act = () =>
      parseSpec({
        name: 'user-service',
        router: { appMesh: { mesh: 'm', virtualRouter: 'r' } },
        target: { canary: 'v2' },
        strategy: { steps: [100] },
        analysis: { alarms: ['errorRate'], compare: [{ metric: 'errorRate', maxIncrease: '0.5%' }] },
      });

    // Assess
    expect(act).toThrow(/analysis\.compare\[0\].*name "errorRate" is already used by alarms\.0/);
  });
});

describe('countQueries (per-version counts from CloudWatch)', () => {
  const albSpec = parseSpec({
    name: 'web',
    router: { alb: { listenerArn: 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2' } },
    target: {
      canary: 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/web-v2/943f017f100becff',
      stable: 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/web-v1/73e2d6bc24d8a067',
    },
    strategy: { steps: [10, 100] },
  });

  it('asks for RequestCount, 5xx and PR(0.3:) of TargetResponseTime per target group, sharing the request counts', () => {
    // Prepare
    const book = new QueryBook();
    const metrics = versionMetrics(albSpec, { canary: albSpec.target.canary, stable: albSpec.target.stable! });

    // Act
    countQueries(book, compare({ metric: 'errorRate', maxIncrease: '0.5%' }), metrics);
    countQueries(book, compare({ metric: 'slowRequests', over: '300ms', maxIncrease: '1%' }), metrics);

    // Assess
    const dims = (tg: string) => [
      { Name: 'LoadBalancer', Value: 'app/web/50dc6c495c0c9188' },
      { Name: 'TargetGroup', Value: tg },
    ];
    const q = (Id: string, MetricName: string, tg: string, Stat: string) => ({
      Id,
      MetricStat: { Metric: { Namespace: 'AWS/ApplicationELB', MetricName, Dimensions: dims(tg) }, Period: 60, Stat },
      ReturnData: true,
    });
    const v2 = 'targetgroup/web-v2/943f017f100becff';
    const v1 = 'targetgroup/web-v1/73e2d6bc24d8a067';
    expect(book.queries()).toEqual([
      q('q0', 'RequestCount', v2, 'Sum'),
      q('q1', 'HTTPCode_Target_5XX_Count', v2, 'Sum'),
      q('q2', 'RequestCount', v1, 'Sum'),
      q('q3', 'HTTPCode_Target_5XX_Count', v1, 'Sum'),
      q('q4', 'TargetResponseTime', v2, 'PR(0.3:)'),
      q('q5', 'TargetResponseTime', v1, 'PR(0.3:)'),
    ]);
  });

  it('reads the answer into periods, counting a version without a datapoint as zero and slow requests from the percentile rank', async () => {
    // Prepare: stable answered in two periods, the canary only in the second (no requests in the first).
    const t1 = new Date(T0);
    const t2 = new Date(T0 + MIN);
    const answer: Record<string, Pick<MetricSeries, 'timestamps' | 'values'>> = {
      q0: { timestamps: [t2.getTime()], values: [200] }, // canary RequestCount
      q1: { timestamps: [t2.getTime()], values: [10] }, // canary PR(0.3:)
      q2: { timestamps: [t1.getTime(), t2.getTime()], values: [900, 1000] }, // stable RequestCount
      q3: { timestamps: [t1.getTime(), t2.getTime()], values: [4.5, 2] }, // stable PR(0.3:)
    };
    const reader: MetricDataReader & { asked: unknown[] } = {
      asked: [],
      async read(queries, start, end) {
        this.asked.push({ ids: queries.map((q) => q.Id), start, end });
        return new Map(Object.entries(answer).map(([id, s]) => [id, { id, complete: true, ...s }]));
      },
    };
    const metrics = versionMetrics(albSpec, { canary: albSpec.target.canary, stable: albSpec.target.stable! });

    // Act
    const [slow] = await readVersionCounts(reader, [compare({ metric: 'slowRequests', over: '300ms', maxRatio: 2 })], metrics, { start: t1, end: new Date(T0 + 2 * MIN) });

    // Assess: one call with the four queries; PR 4.5 % of 900 = 40.5 → 41 slow requests.
    expect(reader.asked).toEqual([{ ids: ['q0', 'q1', 'q2', 'q3'], start: t1, end: new Date(T0 + 2 * MIN) }]);
    expect(slow).toEqual([
      { start: t1.toISOString(), periodSeconds: 60, canary: { requests: 0, errors: 0, slow: 0 }, stable: { requests: 900, errors: 0, slow: 41 } },
      { start: t2.toISOString(), periodSeconds: 60, canary: { requests: 200, errors: 0, slow: 20 }, stable: { requests: 1000, errors: 0, slow: 20 } },
    ]);
  });
});

describe('judgeComparison', () => {
  const errorRate = compare({ metric: 'errorRate', maxIncrease: '0.5%', minRequests: 100 });

  it('fails when the canary exceeds stable by more than maxIncrease points, with the numbers in evidence', () => {
    // Prepare: canary 2 % (4/200), stable 0 % (0/1800).
    const counts = periods([[100, 2, 900, 0], [100, 2, 900, 0]]);

    // Act
    const result = judgeComparison(errorRate, counts, WHOLE);

    // Assess
    expect(result).toMatchObject({ name: 'errorRate', kind: 'compare', state: 'ALARM' });
    expect(result.reason).toBe('canary errors 2.00% vs stable 0.00%, limit ≤ stable + 0.5 pts');
    expect(result.evidence).toMatchObject({ canary: '2.00% (4/200)', stable: '0.00% (0/1800)', counts: { canary: { requests: 200, errors: 4 }, stable: { requests: 1800, errors: 0 }, stableFrom: 'window' } });
  });

  it('passes a canary as bad as stable when everything is failing (absolute thresholds would not)', () => {
    // Prepare: both at 10 %.
    const counts = periods([[200, 20, 1800, 180]]);

    // Act
    const result = judgeComparison(errorRate, counts, WHOLE);

    // Assess
    expect(result.state).toBe('OK');
  });

  it('fails only when every limit given is exceeded (points and ratio)', () => {
    // Prepare: stable 10 %, canary 12 %: +2 points but only 1.2×.
    const both = compare({ metric: 'errorRate', maxIncrease: '1%', maxRatio: 1.5 });
    const counts = periods([[1000, 120, 1000, 100]]);

    // Act
    const tolerated = judgeComparison(both, counts, WHOLE);
    const pointsOnly = judgeComparison(compare({ metric: 'errorRate', maxIncrease: '1%' }), counts, WHOLE);

    // Assess
    expect(tolerated.state).toBe('OK');
    expect(pointsOnly.state).toBe('ALARM');
  });

  it('is inconclusive below minRequests canary requests, whatever the error rate (the traffic guard)', () => {
    // Prepare: 99 canary requests, all errors.
    const counts = periods([[99, 99, 900, 0]]);

    // Act
    const result = judgeComparison(errorRate, counts, WHOLE);

    // Assess
    expect(result).toMatchObject({ state: 'INSUFFICIENT_DATA', onNoData: 'wait', reason: '99 canary requests in the window, need 100 to compare' });
  });

  it('is inconclusive with zero traffic on both sides', () => {
    // Act
    const result = judgeComparison(errorRate, [], WHOLE);

    // Assess
    expect(result.state).toBe('INSUFFICIENT_DATA');
    expect(result.evidence?.canary).toBe('no requests');
  });

  it('compares with stable since the rollout started when stable has no traffic in the window (the 100 % step)', () => {
    // Prepare: minute 0 at 10 % (stable 1 % errors), minutes 1-2 at 100 % (stable silent).
    const counts = periods([[100, 1, 900, 9], [1000, 10, 0, 0], [1000, 40, 0, 0]]);
    const window = { start: T0 + MIN, end: T0 + 3 * MIN };

    // Act
    const result = judgeComparison(errorRate, counts, window);

    // Assess: canary 2.5 % against stable's 1 % since the start: +1.5 points > 0.5.
    expect(result.state).toBe('ALARM');
    expect(result.evidence?.counts).toEqual({ canary: { requests: 2000, errors: 50 }, stable: { requests: 900, errors: 9 }, stableFrom: 'rollout' });
    expect(result.reason).toContain('stable since the rollout started');
  });

  it('is inconclusive when stable never had traffic (one-sided from the start)', () => {
    // Act
    const result = judgeComparison(errorRate, periods([[500, 0, 0, 0]]), WHOLE);

    // Assess
    expect(result).toMatchObject({ state: 'INSUFFICIENT_DATA', reason: 'stable served no requests since the rollout started: nothing to compare with' });
  });

  it('judges slow requests by their share, per version', () => {
    // Prepare: canary 5 % slower than 300 ms, stable 1 %.
    const slow = compare({ metric: 'slowRequests', over: '300ms', maxIncrease: '2%' });

    // Act
    const result = judgeComparison(slow, periods([[400, 20, 3600, 36]], 'slow'), WHOLE);

    // Assess
    expect(result).toMatchObject({ name: 'slowRequests>300ms', state: 'ALARM', reason: 'canary slower than 300ms 5.00% vs stable 1.00%, limit ≤ stable + 2 pts' });
  });

  it('counts only the periods that overlap the window', () => {
    // Act
    const inWindow = periodsIn(periods([[1, 0, 1, 0], [2, 0, 2, 0], [3, 0, 3, 0]]), T0 + MIN + 1, T0 + 2 * MIN);

    // Assess
    expect(inWindow.map((p) => p.canary.requests)).toEqual([2]);
  });
});
