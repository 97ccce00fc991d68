import type { CompareCheck } from '../spec/analysis';
import { compareName } from '../spec/constants';
import type { PeriodCounts, VersionCounts } from './counts';
import type { CheckResult } from './judge';

/** Sums the counts of one version over periods. */
export function sumCounts(periods: PeriodCounts[], side: 'canary' | 'stable'): VersionCounts {
  const total: VersionCounts = { requests: 0, errors: 0 };
  for (const p of periods) {
    const v = p[side];
    total.requests += v.requests;
    total.errors += v.errors;
    if (v.slow !== undefined) total.slow = (total.slow ?? 0) + v.slow;
  }
  return total;
}

/** Periods that overlap `[from, to)` (a period starting before the shift still carries the new weight's first requests). */
export function periodsIn(periods: PeriodCounts[], from: number, to = Number.POSITIVE_INFINITY): PeriodCounts[] {
  return periods.filter((p) => {
    const start = Date.parse(p.start);
    return start + p.periodSeconds * 1000 > from && start < to;
  });
}

/**
 * Judges one comparison of the canary with stable over a window, from per-version counts:
 * - fewer than `minRequests` canary requests in the window → INSUFFICIENT_DATA that always waits
 *   (the traffic guard: never healthy, never failed on too little evidence);
 * - stable without requests in the window (one-sided traffic, e.g. the 100 % step) → stable's
 *   counts since the rollout started are the baseline; none at all → INSUFFICIENT_DATA;
 * - otherwise ALARM when the canary's rate exceeds every limit given: stable's rate plus
 *   `maxIncrease` points, and `maxRatio` times stable's rate. OK otherwise.
 * Pure: the numbers it decided on are in `evidence`.
 */
export function judgeComparison(compare: CompareCheck, allPeriods: PeriodCounts[], window: { start: number; end: number }): CheckResult {
  const name = compareName(compare);
  const inWindow = periodsIn(allPeriods, window.start, window.end);
  const canary = sumCounts(inWindow, 'canary');
  let stable = sumCounts(inWindow, 'stable');
  let stableFrom: 'window' | 'rollout' = 'window';
  if (stable.requests === 0) {
    stable = sumCounts(periodsIn(allPeriods, Number.NEGATIVE_INFINITY, window.end), 'stable');
    stableFrom = 'rollout';
  }
  const limit = describeLimit(compare);
  const evidenceBase = {
    window: { start: new Date(window.start).toISOString(), end: new Date(window.end).toISOString() },
    limit,
    counts: { canary, stable, stableFrom },
  };
  const bad = (v: VersionCounts) => (compare.metric === 'errorRate' ? v.errors : v.slow ?? 0);
  const what = compare.metric === 'errorRate' ? 'errors' : `slower than ${compare.over}ms`;
  const show = (v: VersionCounts) => (v.requests === 0 ? `no requests` : `${pct(bad(v) / v.requests)} (${bad(v)}/${v.requests})`);

  if (canary.requests < compare.minRequests) {
    return {
      name,
      kind: 'compare',
      state: 'INSUFFICIENT_DATA',
      onNoData: 'wait',
      reason: `${canary.requests} canary requests in the window, need ${compare.minRequests} to compare`,
      evidence: { ...evidenceBase, canary: show(canary), stable: show(stable) },
    };
  }
  if (stable.requests === 0) {
    return {
      name,
      kind: 'compare',
      state: 'INSUFFICIENT_DATA',
      onNoData: 'wait',
      reason: 'stable served no requests since the rollout started: nothing to compare with',
      evidence: { ...evidenceBase, canary: show(canary), stable: show(stable) },
    };
  }
  const canaryRate = bad(canary) / canary.requests;
  const stableRate = bad(stable) / stable.requests;
  const overIncrease = compare.maxIncrease === undefined || canaryRate - stableRate > compare.maxIncrease + 1e-12;
  const overRatio = compare.maxRatio === undefined || canaryRate > compare.maxRatio * stableRate + 1e-12;
  const hasLimit = compare.maxIncrease !== undefined || compare.maxRatio !== undefined;
  const failed = hasLimit && overIncrease && overRatio;
  const stableNote = stableFrom === 'rollout' ? ' (stable since the rollout started: no stable traffic in the window)' : '';
  return {
    name,
    kind: 'compare',
    state: failed ? 'ALARM' : 'OK',
    reason: `canary ${what} ${pct(canaryRate)} vs stable ${pct(stableRate)}${stableNote}, limit ${limit}`,
    evidence: { ...evidenceBase, canary: show(canary), stable: show(stable) },
  };
}

/** The limit in words: `≤ stable + 0.5 pts`, `≤ 2× stable`, or both. */
export function describeLimit(compare: Pick<CompareCheck, 'maxIncrease' | 'maxRatio'>): string {
  const parts: string[] = [];
  if (compare.maxIncrease !== undefined) parts.push(`stable + ${trimPoints(compare.maxIncrease * 100)} pts`);
  if (compare.maxRatio !== undefined) parts.push(`${compare.maxRatio}× stable`);
  return parts.length ? `≤ ${parts.join(' or ≤ ')}` : 'none';
}

function pct(rate: number): string {
  return `${(rate * 100).toFixed(rate < 0.001 && rate > 0 ? 3 : 2)}%`;
}

function trimPoints(n: number): string {
  return String(Number(n.toPrecision(6)));
}
