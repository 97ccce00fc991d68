import { metricsPerJudgement } from '../../../src/analysis/cost';
import type { CheckSource } from '../../../src/analysis/alarms';
import type { MetricDataQuery, MetricDataReader, MetricSeries } from '../../../src/analysis/metric-data';
import { metricCheckQueries, QueryBook } from '../../../src/analysis/queries';
import { judgeMetric, planMetricQueries, runAnalysis } from '../../../src/analysis/run';
import { versionMetrics } from '../../../src/routers/metrics';
import { ConfigurationError } from '../../../src/shared/errors';
import { MetricCheckSchema, parseSpec, type RolloutSpec } from '../../../src/spec';

const LISTENER = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2';
const V2 = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/web-v2/943f017f100becff';
const V1 = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/web-v1/73e2d6bc24d8a067';
const T0 = Date.parse('2026-11-29T10:00:00Z');

function albSpec(analysis: Record<string, unknown>): RolloutSpec {
  return parseSpec({ name: 'web', router: { alb: { listenerArn: LISTENER } }, target: { canary: V2, stable: V1 }, strategy: { steps: [10, 100] }, analysis });
}

const p99 = {
  name: 'canary-p99',
  metric: { namespace: 'AWS/ApplicationELB', metricName: 'TargetResponseTime', dimensions: { LoadBalancer: '{{loadBalancer}}', TargetGroup: '{{canaryTargetGroup}}' }, stat: 'p99' },
  max: 0.25,
};
const errorShare = {
  name: 'canary-5xx-share',
  expression: 'errors / requests * 100',
  using: {
    errors: { namespace: 'AWS/ApplicationELB', metricName: 'HTTPCode_Target_5XX_Count', dimensions: { TargetGroup: '{{canaryTargetGroup}}', LoadBalancer: '{{loadBalancer}}' }, stat: 'Sum' },
    requests: { namespace: 'AWS/ApplicationELB', metricName: 'RequestCount', dimensions: { TargetGroup: '{{canaryTargetGroup}}', LoadBalancer: '{{loadBalancer}}' }, stat: 'Sum' },
  },
  period: '5m',
  max: 1,
  onNoData: 'pass',
};

describe('analysis.metrics[] queries', () => {
  it('fills the router placeholders and asks for exactly the metric and statistic written', () => {
    // Prepare
    const spec = albSpec({ metrics: [p99, errorShare] });
    const book = new QueryBook();
    const placeholders = versionMetrics(spec, { canary: V2, stable: V1 }).placeholders;

    // Act
    spec.analysis.metrics.forEach((m, i) => metricCheckQueries(book, m, i, placeholders));

    // Assess
    const dims = [
      { Name: 'LoadBalancer', Value: 'app/web/50dc6c495c0c9188' },
      { Name: 'TargetGroup', Value: 'targetgroup/web-v2/943f017f100becff' },
    ];
    const expected: MetricDataQuery[] = [
      { Id: 'q0', MetricStat: { Metric: { Namespace: 'AWS/ApplicationELB', MetricName: 'TargetResponseTime', Dimensions: dims }, Period: 60, Stat: 'p99' }, ReturnData: true },
      { Id: 'm1_errors', MetricStat: { Metric: { Namespace: 'AWS/ApplicationELB', MetricName: 'HTTPCode_Target_5XX_Count', Dimensions: [dims[1]!, dims[0]!] }, Period: 300, Stat: 'Sum' }, ReturnData: false },
      { Id: 'm1_requests', MetricStat: { Metric: { Namespace: 'AWS/ApplicationELB', MetricName: 'RequestCount', Dimensions: [dims[1]!, dims[0]!] }, Period: 300, Stat: 'Sum' }, ReturnData: false },
      { Id: 'm1', Expression: 'm1_errors / m1_requests * 100', Period: 300, ReturnData: true },
    ];
    expect(book.queries()).toEqual(expected);
  });

  it('fails Prepare on a placeholder the router does not have, naming the field', () => {
    // Prepare
    const spec = albSpec({ metrics: [{ ...p99, metric: { ...p99.metric, dimensions: { TargetGroup: '{{canaryNode}}' } } }] });

    // Act
    const act = () => planMetricQueries(spec, { canary: V2, stable: V1 });

    // Assess
    expect(act).toThrow(ConfigurationError);
    expect(act).toThrow(/analysis\.metrics\[0\]\.metric\.dimensions\.TargetGroup: unknown placeholder \{\{canaryNode\}\}/);
  });

  it('fails Prepare when an ALB target is not a target group ARN, since its metrics could not be named', () => {
    // Prepare
    const spec = parseSpec({ name: 'web', router: { alb: { listenerArn: LISTENER } }, target: { canary: 'web-v2', stable: V1 }, strategy: { steps: [100] }, analysis: { compare: [{ metric: 'errorRate', maxIncrease: '1%' }] } });

    // Act
    const act = () => planMetricQueries(spec, { canary: 'web-v2', stable: V1 });

    // Assess
    expect(act).toThrow(/target\.canary "web-v2": comparisons on an ALB need the target group ARN/);
  });

  it('rejects a malformed expression in the schema, with its path', () => {
    // Act
    const unbalanced = MetricCheckSchema.safeParse({ ...errorShare, expression: '(errors / requests' });
    const undefinedId = MetricCheckSchema.safeParse({ ...errorShare, expression: 'errors / latency' });

    // Assess
    expect(unbalanced.error?.issues.map((i) => [i.path.join('.'), i.message])).toEqual([['expression', 'has a "(" without its ")"']]);
    expect(undefinedId.error?.issues.map((i) => i.message)).toEqual(['uses "latency", which is not defined in using (errors, requests)']);
  });
});

describe('judgeMetric', () => {
  const check = MetricCheckSchema.parse(p99);
  const query = { id: 'q0', describe: 'p99' };
  const window = { start: T0 + 2 * 60_000, end: T0 + 5 * 60_000 };
  const series = (values: number[]): MetricSeries => ({ id: 'q0', timestamps: values.map((_, i) => T0 + i * 60_000), values, complete: true });

  it('fails when a period in the window is above max, naming the worst, and ignores periods before the window', () => {
    // Act
    const result = judgeMetric(check, query, series([0.9, 0.9, 0.1, 0.3, 0.2]), window);

    // Assess
    expect(result).toMatchObject({ state: 'ALARM', reason: '1 of 3 periods outside ≤ 0.25 (worst 0.3)', evidence: { values: [0.1, 0.3, 0.2], limit: '≤ 0.25' } });
  });

  it('passes when every period is within the limit', () => {
    // Act
    const result = judgeMetric(check, query, series([0.9, 0.9, 0.1, 0.2]), window);

    // Assess
    expect(result).toMatchObject({ state: 'OK', reason: '2 periods within ≤ 0.25 (worst 0.2)' });
  });

  it('reports no datapoint as no data with the check own onNoData', () => {
    // Act
    const result = judgeMetric({ ...check, onNoData: 'fail' }, query, series([0.1]), window);

    // Assess
    expect(result).toMatchObject({ state: 'INSUFFICIENT_DATA', onNoData: 'fail', reason: 'no datapoint in the window' });
  });
});

describe('runAnalysis', () => {
  it('reads every comparison and metric check of a judgement in one GetMetricData call', async () => {
    // Prepare
    const spec = albSpec({
      alarms: ['web-5xx'],
      compare: [
        { metric: 'errorRate', maxIncrease: '1%', minRequests: 10 },
        { metric: 'slowRequests', over: '500ms', maxRatio: 2, minRequests: 10 },
      ],
      metrics: [p99, errorShare],
    });
    const calls: Array<{ queries: MetricDataQuery[]; start: Date; end: Date }> = [];
    const reader: MetricDataReader = {
      async read(queries, start, end) {
        calls.push({ queries, start, end });
        return new Map();
      },
    };
    const alarms: CheckSource = { describe: async (names) => ({ results: names.map((name) => ({ name, kind: 'metric' as const, state: 'OK' as const })), missing: [] }) };
    const now = new Date(T0 + 10 * 60_000 + 5_000);

    // Act
    const results = await runAnalysis(
      spec,
      { rolloutId: 'r', specName: 'web', step: 0, weight: 10, canary: V2, stable: V1, rolloutStart: new Date(T0 + 90_000), stepStart: new Date(T0 + 120_000), now },
      { alarms, metrics: reader },
    );

    // Assess: one call from the rollout's start floored to the longest period (5 m), with the shared request counts asked once.
    expect(calls).toHaveLength(1);
    expect(calls[0]!.start).toEqual(new Date(T0));
    expect(calls[0]!.end).toEqual(now);
    expect(calls[0]!.queries.map((q) => q.Id)).toEqual(['q0', 'q1', 'q2', 'q3', 'q4', 'q5', 'q6', 'm1_errors', 'm1_requests', 'm1']);
    expect(results.map((r) => [r.name, r.kind, r.state])).toEqual([
      ['web-5xx', 'metric', 'OK'],
      ['errorRate', 'compare', 'INSUFFICIENT_DATA'],
      ['slowRequests>500ms', 'compare', 'INSUFFICIENT_DATA'],
      ['canary-p99', 'query', 'INSUFFICIENT_DATA'],
      ['canary-5xx-share', 'query', 'INSUFFICIENT_DATA'],
    ]);
  });
});

describe('metricsPerJudgement (the cost model)', () => {
  it('counts exactly the metrics the judgement requests from GetMetricData', () => {
    // Prepare
    const spec = albSpec({
      compare: [
        { metric: 'errorRate', maxIncrease: '1%' },
        { metric: 'slowRequests', over: '500ms', maxRatio: 2 },
        { metric: 'slowRequests', over: '1s', maxRatio: 2, period: '5m' },
      ],
      metrics: [p99, errorShare],
    });

    // Act
    const counted = metricsPerJudgement(spec.analysis);

    // Assess: what planMetricQueries would send, MetricStat queries only (expressions are free).
    const sent = planMetricQueries(spec, { canary: V2, stable: V1 }).queries.filter((q) => q.MetricStat).length;
    expect(counted).toBe(sent);
    expect(counted).toBe(2 * (1 + 1 + 1 + 1 + 1) + 1 + 2);
  });
});
