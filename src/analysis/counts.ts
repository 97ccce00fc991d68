/**
 * Per-version request counts: what canary-against-stable comparisons (`analysis.compare[]`) and
 * the sequential judge read. Pure data; the sources that fill it (CloudWatch `GetMetricData` per
 * target group or node, the local world's metrics) live beside the checks that use them.
 */

/** Requests one version served in one period. */
export interface VersionCounts {
  requests: number;
  /** Responses counted as errors (5xx). */
  errors: number;
  /** Requests slower than the comparison's bound (`over`), when the comparison asks for it. */
  slow?: number;
}

/** One period of counts for canary and stable over the same window. */
export interface PeriodCounts {
  /** ISO start of the period. */
  start: string;
  periodSeconds: number;
  canary: VersionCounts;
  stable: VersionCounts;
}
