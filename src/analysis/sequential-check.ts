import type { CompareCheck } from '../spec/analysis';
import { compareName } from '../spec/constants';
import { describeLimit, periodsIn, sumCounts } from './compare';
import type { PeriodCounts } from './counts';
import type { CheckResult } from './judge';
import { decideSequential, initialSequentialState, updateSequential, type SequentialDecision, type SequentialEvent } from './sequential';

/** Most points of a comparison's trajectory kept in its evidence (execution state and history stay small). */
export const MAX_TRAJECTORY = 60;

/** What a sequential comparison decided on, for the verdict, the report's plot and `canaryctl status`. */
export interface SequentialCheckEvidence {
  decision: SequentialDecision;
  alpha: number;
  margin?: number;
  /**
   * Largest log e-value against "canary not worse than stable" of any period since the rollout
   * started (the decision compares it with the boundary: Ville's inequality covers the running
   * maximum), and the rollback boundary log(1/α). The trajectory holds each period's own value.
   */
  logE: number;
  boundary: number;
  /** Seconds since the rollout started at the end of the first period whose evidence reached the boundary. */
  crossedAt?: number;
  /** Smallest always-valid upper bound of canary − stable (fraction) of any period so far; null while unbounded. */
  upperDifference: number | null;
  /** One point per period since the rollout started: [seconds since the rollout started, that period's logE, the bound in force then (smallest so far) or null]. */
  trajectory: Array<[number, number, number | null]>;
}

/**
 * Judges a `test: sequential` comparison from every period since the rollout started (the
 * mixture likelihood-ratio test of Lindon, Sanden & Shirikian, KDD 2022: see sequential.ts).
 * ALARM when the evidence of a regression crossed 1/α at any period since the rollout started,
 * even if later periods pulled it back (valid by Ville's inequality, and monotone: a look with
 * more periods never undoes a regression); OK otherwise, with `decision` saying
 * whether it is also "not worse" (below the margin) or only "continue". Never INSUFFICIENT_DATA:
 * low traffic simply is little evidence. The statistic is recomputed from the counts at every
 * look, so nothing has to be carried between looks and late CloudWatch datapoints count once.
 */
export function judgeSequential(compare: CompareCheck, allPeriods: PeriodCounts[], window: { start: number; end: number }, rolloutStart: number): CheckResult {
  const name = compareName(compare);
  const alpha = compare.alpha ?? 0.05;
  const margin = compare.margin ?? compare.maxIncrease;
  const event: SequentialEvent = compare.metric === 'errorRate' ? 'errors' : 'slow';
  const periods = periodsIn(allPeriods, Number.NEGATIVE_INFINITY, window.end).sort((a, b) => Date.parse(a.start) - Date.parse(b.start));
  let state = initialSequentialState();
  const trajectory: SequentialCheckEvidence['trajectory'] = [];
  let evidence = decideSequential(state, { alpha, margin });
  let crossedAt: number | undefined;
  for (const p of periods) {
    state = updateSequential(state, p, event);
    // Every period is a look: the decision carries the largest evidence and the smallest bound so far.
    evidence = decideSequential(state, { alpha, margin }, evidence);
    const t = Math.max(0, Math.round((Date.parse(p.start) + p.periodSeconds * 1000 - rolloutStart) / 1000));
    if (crossedAt === undefined && evidence.decision === 'regression') crossedAt = t;
    trajectory.push([t, round(evidence.logE), finite(evidence.upperDifference)]);
  }
  const inStep = periodsIn(allPeriods, window.start, window.end);
  const canary = sumCounts(periods, 'canary');
  const stable = sumCounts(periods, 'stable');
  const what = compare.metric === 'errorRate' ? 'errors' : `slower than ${compare.over}ms`;
  const bound = finite(evidence.upperDifference);
  const peak = evidence.peakLogE;
  const now = evidence.logE < peak ? `; ${fmt(Math.exp(evidence.logE))} now, a crossing stands` : '';
  const decided =
    evidence.decision === 'regression'
      ? `regression: evidence ${fmt(Math.exp(peak))} (crossed ${crossedAt}s after the start${now}) ≥ 1/α = ${fmt(1 / alpha)}`
      : evidence.decision === 'not-worse'
        ? `not worse: canary − stable ≤ ${points(bound!)} < margin ${points(margin!)}`
        : `continue: evidence ${fmt(Math.exp(evidence.logE))}${evidence.logE < peak ? ` (at most ${fmt(Math.exp(peak))} so far)` : ''} < 1/α = ${fmt(1 / alpha)}${margin === undefined ? '' : `, canary − stable ≤ ${bound === null ? '∞' : points(bound)} (margin ${points(margin)})`}`;
  const sequential: SequentialCheckEvidence = {
    decision: evidence.decision,
    alpha,
    ...(margin === undefined ? {} : { margin }),
    logE: round(peak),
    boundary: round(evidence.boundary),
    ...(crossedAt === undefined ? {} : { crossedAt }),
    upperDifference: bound,
    trajectory: trajectory.length > MAX_TRAJECTORY ? thin(trajectory, MAX_TRAJECTORY) : trajectory,
  };
  return {
    name,
    kind: 'compare',
    state: evidence.decision === 'regression' ? 'ALARM' : 'OK',
    reason: `sequential (α ${alpha}) on canary ${what} ${rate(evidence.canaryRate)} vs stable ${rate(evidence.stableRate)} since the rollout started: ${decided}`,
    evidence: {
      window: { start: new Date(window.start).toISOString(), end: new Date(window.end).toISOString() },
      limit: `sequential, α ${alpha}${margin === undefined ? '' : `, margin ${describeLimit({ maxIncrease: margin })}`}`,
      counts: { canary, stable, stableFrom: 'rollout' },
      canary: `${rate(evidence.canaryRate)} (${evidence.canary.events}/${evidence.canary.requests})`,
      stable: `${rate(evidence.stableRate)} (${evidence.stable.events}/${evidence.stable.requests})`,
      values: inStep.map((p) => p.canary.requests),
      sequential,
    },
  };
}

/** The sequential evidence of a check result, when it has one. */
export function sequentialEvidence(check: Pick<CheckResult, 'evidence'>): SequentialCheckEvidence | undefined {
  return check.evidence?.sequential;
}

/** Keeps `n` points spread evenly, always the first and the last. */
function thin<T>(points: T[], n: number): T[] {
  const out: T[] = [];
  for (let i = 0; i < n; i++) out.push(points[Math.round((i * (points.length - 1)) / (n - 1))]!);
  return out;
}

function finite(n: number): number | null {
  return Number.isFinite(n) ? round(n) : null;
}

function round(n: number): number {
  return Number(n.toPrecision(4));
}

function fmt(n: number): string {
  return n >= 1000 ? n.toExponential(1) : String(Number(n.toPrecision(3)));
}

function rate(r: number): string {
  return `${(r * 100).toFixed(r < 0.001 && r > 0 ? 3 : 2)}%`;
}

function points(fraction: number): string {
  return `${Number((fraction * 100).toPrecision(3))} pts`;
}

/** One sequential comparison's latest statistic and trajectory, as the report plots it and `canaryctl status` prints it. */
export interface SequentialSeries extends SequentialCheckEvidence {
  name: string;
  /** When the judgement that carried it was made (ISO). */
  at: string;
}

/**
 * The latest evidence of every sequential comparison in a rollout's verdict events: the
 * trajectory is rebuilt from the counts at every look, so the last verdict holds all of it.
 */
export function sequentialSeries(events: ReadonlyArray<{ at: string; kind: string; checks?: CheckResult[] }>): SequentialSeries[] {
  const latest = new Map<string, SequentialSeries>();
  for (const e of [...events].filter((x) => x.kind === 'verdict').sort((a, b) => a.at.localeCompare(b.at))) {
    for (const c of e.checks ?? []) {
      const s = c.evidence?.sequential;
      if (s) latest.set(c.name, { ...s, name: c.name, at: e.at });
    }
  }
  return [...latest.values()];
}
