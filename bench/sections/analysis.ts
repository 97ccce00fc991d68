import { metricsPerJudgement } from '../../src/analysis/cost';
import { planRollout } from '../../src/plan';
import { DEFAULT_COST_ASSUMPTIONS, estimateRolloutCost, formatUsd } from '../../src/plan/cost';
import { parseSpec, type RolloutSpec } from '../../src/spec';
import { billableCounts, usdOfCounts } from '../lib/cost';
import { markdownTable } from '../lib/stats';
import { countRollout } from './counts';

/** What analysis beyond alarms costs per judgement and per rollout, measured on the real state machine. */
export interface AnalysisBench {
  spec: string;
  checks: { alarms: number; compare: number; metrics: number };
  judgements: number;
  getMetricDataCalls: number;
  metricsRequested: number;
  /** Per traffic step cycle (Step → Route → Bake). */
  transitionsPerStep: number[];
  lambdaPerStep: number[];
  usdMeasured: number;
  usdModel: number;
  usdMetrics: number;
  /** The cost model's metric cost per 4-step rollout for growing numbers of comparisons and metric checks. */
  scaling: Array<{ compare: number; metrics: number; metricsPerJudgement: number; usdPer4StepRollout: number }>;
}

/** An App Mesh spec with every kind of metric analysis: an alarm, both comparisons, a metric and an expression check. */
export function analysisBenchSpec(): RolloutSpec {
  return parseSpec({
    name: 'bench-analysis',
    router: { appMesh: { mesh: 'bench-mesh', virtualRouter: 'bench-router', routes: ['bench-route'] } },
    target: { canary: 'bench-v2', stable: 'bench-v1' },
    strategy: { steps: [10, 25, 50, 100], bake: '5m' },
    analysis: {
      alarms: ['bench-5xx'],
      compare: [
        { metric: 'errorRate', maxIncrease: '0.5%', minRequests: 200 },
        { metric: 'slowRequests', over: '300ms', maxIncrease: '1%' },
      ],
      metrics: [
        { name: 'canary-p99', metric: { namespace: 'CanaryController/Mesh', metricName: 'ResponseTime', dimensions: { Mesh: '{{mesh}}', VirtualNode: '{{canary}}' }, stat: 'p99' }, max: 250 },
        {
          name: 'canary-5xx-share',
          expression: 'errors / requests * 100',
          using: {
            errors: { namespace: 'CanaryController/Mesh', metricName: 'HTTPCode_5XX_Count', dimensions: { Mesh: '{{mesh}}', VirtualNode: '{{canary}}' }, stat: 'Sum' },
            requests: { namespace: 'CanaryController/Mesh', metricName: 'RequestCount', dimensions: { Mesh: '{{mesh}}', VirtualNode: '{{canary}}' }, stat: 'Sum' },
          },
          max: 1,
          onNoData: 'pass',
        },
      ],
    },
  });
}

/** Runs the spec through the real ASL and handlers (bench/sections/counts.ts) and reads its GetMetricData use. */
export async function measureAnalysis(): Promise<AnalysisBench> {
  const spec = analysisBenchSpec();
  const r = await countRollout('bench: alarms + 2 comparisons + 2 metric checks', spec, 'healthy');
  if (r.outcome !== 'promoted') throw new Error(`analysis bench rollout did not promote: ${r.outcome} ${r.cause ?? ''}`);
  const judgements = r.invocations.filter((i) => i.fn === 'step' && i.judged).length;
  const invocations = Object.values(r.lambdaInvocations).reduce((a, b) => a + b, 0);
  const a = DEFAULT_COST_ASSUMPTIONS;
  const measured = usdOfCounts(billableCounts({ transitions: r.transitions, lambdaInvocations: invocations, api: r.api, lambdaMemoryMb: a.lambdaMemoryMb, lambdaSecondsPerInvocation: a.lambdaSecondsPerInvocation }), a);
  const model = estimateRolloutCost(planRollout(spec), spec);
  const metricsRequested = r.api['CloudWatch.GetMetricData.metrics'] ?? 0;
  const scaling = [
    [1, 0],
    [2, 0],
    [2, 2],
    [5, 10],
  ].map(([compare, metrics]) => {
    const perJudgement = metricsPerJudgement({
      // Alternating error-rate and slow-request comparisons, each slow one with its own bound.
      compare: Array.from({ length: compare! }, (_, i) => ({ ...spec.analysis.compare[i % 2]!, over: 100 * (i + 1) })),
      metrics: Array.from({ length: metrics! }, () => spec.analysis.metrics[0]!),
    });
    return { compare: compare!, metrics: metrics!, metricsPerJudgement: perJudgement, usdPer4StepRollout: perJudgement * 4 * a.usdPerMetricRequested };
  });
  return {
    spec: r.spec,
    checks: { alarms: spec.analysis.alarms.length, compare: spec.analysis.compare.length, metrics: spec.analysis.metrics.length },
    judgements,
    getMetricDataCalls: r.api['CloudWatch.GetMetricData'] ?? 0,
    metricsRequested,
    transitionsPerStep: r.cycles.map((c) => c.transitions),
    lambdaPerStep: r.cycles.map((c) => c.lambdaInvocations),
    usdMeasured: measured.total,
    usdModel: model.usd.total,
    usdMetrics: metricsRequested * a.usdPerMetricRequested,
    scaling,
  };
}

/** The bench report's section for analysis beyond alarms. */
export function renderAnalysis(b: AnalysisBench): string[] {
  const perJudgement = b.judgements ? b.getMetricDataCalls / b.judgements : 0;
  return [
    '## Analysis beyond alarms: GetMetricData per judgement and per rollout',
    '',
    `\`npm run bench -- --only analysis\`: ${b.spec} (${b.checks.alarms} alarm, ${b.checks.compare} comparisons, ${b.checks.metrics} metric checks), 4 steps, through the real state machine and handlers with a fake CloudWatch that counts calls.`,
    '',
    markdownTable(
      ['Figure', 'Measured', 'Target'],
      [
        ['GetMetricData calls per judgement', perJudgement.toFixed(2), '1 (all queries in one call)'],
        ['Metrics requested per judgement', b.judgements ? (b.metricsRequested / b.judgements).toFixed(1) : '-', 'counted by metricsPerJudgement'],
        ['Judgements', String(b.judgements), '4 (one per step)'],
        ['State transitions per traffic step', b.transitionsPerStep.join(', '), '3'],
        ['Lambda invocations per traffic step', b.lambdaPerStep.join(', '), '1'],
        ['GetMetricData cost per rollout', formatUsd(b.usdMetrics), '$0.01 per 1,000 metrics requested'],
        ['Whole rollout, measured / cost model', `${formatUsd(b.usdMeasured)} / ${formatUsd(b.usdModel)}`, ''],
      ],
    ),
    '',
    "GetMetricData is billed per metric requested, not per call or per datapoint: widening the time range (the one-sided baseline reads stable since the rollout started) costs nothing; a comparison adds one metric per version (its errors, or the percentile rank of the latency), plus each version's request count once per period, shared by every comparison; a metric check adds its metric, or each metric its expression uses.",
    '',
    markdownTable(
      ['Comparisons', 'Metric checks', 'Metrics per judgement', 'Metric cost per 4-step rollout'],
      b.scaling.map((s) => [String(s.compare), String(s.metrics), String(s.metricsPerJudgement), formatUsd(s.usdPer4StepRollout)]),
    ),
    '',
  ];
}
