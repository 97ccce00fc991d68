import type { RolloutSpec } from '../spec';

/**
 * Metrics one judgement requests through GetMetricData, which is billed per metric requested:
 * per version, a comparison asks for requests and errors (error rate) or the percentile rank of
 * the latency (slow requests), with request counts shared between comparisons of the same period;
 * a metric check asks for its metric, or for every metric its expression uses. Pure: the same
 * count as the queries `planMetricQueries` builds.
 */
export function metricsPerJudgement(analysis: Pick<RolloutSpec['analysis'], 'compare' | 'metrics'>): number {
  const perVersion = new Set<string>();
  for (const c of analysis.compare ?? []) {
    perVersion.add(`requests/${c.period}`);
    perVersion.add(c.metric === 'errorRate' ? `errors/${c.period}` : `PR(${c.over}:)/${c.period}`);
  }
  const checks = (analysis.metrics ?? []).reduce((n, m) => n + (m.metric ? 1 : Object.keys(m.using ?? {}).length), 0);
  return 2 * perVersion.size + checks;
}
