/**
 * Bench section `judge`: the sequential judge on simulated count streams with a known truth, against
 * (a) the same z-test applied at every look and (b) a fixed-horizon z-test sized for 80 % power,
 * beside an oracle (an SPRT told the true rate ratio: the best a valid sequential test can do),
 * and a healthy 4-step rollout with `bake: {min, max}` against fixed bakes of `max`. Pure
 * computation, seeded: the same arguments give the same figures.
 */
import type { PeriodCounts } from '../../src/analysis/counts';
import { describeBake, planRollout } from '../../src/plan';
import { estimateRolloutCost, formatUsd } from '../../src/plan/cost';
import { parseSpec } from '../../src/spec';
import { decideSequential, initialSequentialState, periodLogLikelihoodRatio, updateSequential, type SequentialEvidence, type SequentialState } from '../../src/analysis/sequential';
import { fixedHorizonSeconds, normalQuantile, zTestRejects } from '../lib/baselines';
import { rng, simulatePeriods } from '../lib/simulate';
import { formatSummary, markdownTable, median, summarize, type Summary } from '../lib/stats';

export interface JudgeOptions {
  runs: number;
  alpha: number;
  /** Non-inferiority margin (absolute increase of the rate) for "not worse". */
  margin: number;
  rps: number;
  /** One look per period. */
  periodSeconds: number;
  /** How long a healthy stream is watched (the A/A horizon). */
  horizonSeconds: number;
  /** The smallest relative increase the fixed-horizon test (b) is sized to detect, e.g. 1.5 (+50 %). */
  fixedMdeRatio: number;
  seed: number;
}

export const DEFAULT_JUDGE_OPTIONS: JudgeOptions = {
  runs: 1000,
  alpha: 0.05,
  margin: 0.005,
  rps: 200,
  periodSeconds: 10,
  horizonSeconds: 3600,
  fixedMdeRatio: 1.5,
  seed: 15,
};

export interface JudgeCell {
  share: number;
  stableRate: number;
  canaryRate: number;
  runs: number;
  sequential: {
    /** Fraction of runs the regression test fired within the horizon (false rollbacks when healthy, power otherwise). */
    rollbacks: number;
    detectionSeconds: Summary;
    /** Healthy only: fraction of runs called "not worse" within the horizon, and when. */
    notWorse?: number;
    notWorseSeconds?: Summary;
  };
  /**
   * Regressions only: the oracle, an SPRT that knows the true rate ratio (likelihood ratio of exactly
   * that ratio against 1 in the judge's conditional-binomial model, one boundary at 1/α, looked at
   * every period): the fastest any anytime-valid test can be at this effect, as a reference.
   */
  oracle?: { rollbacks: number; detectionSeconds: Summary };
  /** (a): the z-test at every look on the cumulative counts. */
  everyLook: { rollbacks: number; detectionSeconds: Summary };
  /** (b): one z-test at a horizon sized for 80 % power, at the MDE and (regressions) at the true effect. */
  fixed: { mdeSeconds: number; mdeRejects: number; trueEffectSeconds?: number };
}

export interface RolloutCell {
  stableRate: number;
  runs: number;
  min: number;
  max: number;
  lookSeconds: number;
  steps: number[];
  fixedSeconds: number;
  sequentialSeconds: Summary;
  looks: Summary;
  falseRollbacks: number;
}

export interface LookCostRow {
  bake: string;
  looks: string;
  judgementsPerStep: number;
  stateTransitions: number;
  lambdaInvocations: number;
  metricsRequested: number;
  usd: number;
}

export interface JudgeBench {
  options: JudgeOptions;
  cells: JudgeCell[];
  rollouts: RolloutCell[];
  /** What looking costs per 4-step rollout (src/plan/cost.ts), fixed bakes beside `{ min, max }`. */
  cost: LookCostRow[];
}

const SHARES = [0.1, 0.25, 0.5];
const TRUTHS: Array<[number, number]> = [
  [0.001, 0.001],
  [0.01, 0.01],
  [0.001, 0.005],
  [0.001, 0.02],
  [0.01, 0.015],
];

/** Runs every scenario of the section; `progress` gets one line per cell. */
export function measureJudge(options: Partial<JudgeOptions> = {}, progress: (line: string) => void = () => {}): JudgeBench {
  const o = { ...DEFAULT_JUDGE_OPTIONS, ...options };
  const cells: JudgeCell[] = [];
  let seed = o.seed;
  for (const [stableRate, canaryRate] of TRUTHS) {
    for (const share of SHARES) {
      const cell = measureCell(o, share, stableRate, canaryRate, seed++);
      cells.push(cell);
      progress(`judge: ${pct(stableRate)} → ${pct(canaryRate)} at ${pct(share)}: sequential ${pct(cell.sequential.rollbacks)} rollbacks, median ${cell.sequential.detectionSeconds.median} s${cell.oracle ? ` (oracle ${cell.oracle.detectionSeconds.median} s)` : ''}; every-look z ${pct(cell.everyLook.rollbacks)}; fixed horizon ${Math.round(cell.fixed.mdeSeconds)} s`);
    }
  }
  const rollouts = [0.001, 0.01].map((stableRate) => measureRollout(o, stableRate, seed++));
  for (const r of rollouts) progress(`judge: healthy 4-step rollout at ${pct(r.stableRate)}: {min,max} median ${r.sequentialSeconds.median} s vs fixed ${r.fixedSeconds} s`);
  return { options: o, cells, rollouts, cost: lookCosts(rollouts) };
}

/**
 * Cost of one healthy 4-step rollout with one sequential errorRate comparison (4 metrics per
 * look: requests and errors of each version): fixed bakes of 10 minutes, and `{ 1m, 10m }`
 * looked at once a minute at the simulated median, and at worst (every step to max).
 */
function lookCosts(rollouts: RolloutCell[]): LookCostRow[] {
  const spec = (bake: unknown, sequential = true) =>
    parseSpec({
      name: 'bench',
      router: { appMesh: { mesh: 'm', virtualRouter: 'r' } },
      target: { canary: 'v2', stable: 'v1' },
      strategy: { steps: [10, 25, 50, 100], bake },
      analysis: { alarms: ['bench-5xx'], compare: [{ metric: 'errorRate', ...(sequential ? { test: 'sequential' } : {}), maxIncrease: '0.5%' }] },
    });
  const row = (bake: unknown, looks: string, lookoutPerStep?: number, sequential = true): LookCostRow => {
    const s = spec(bake, sequential);
    const c = estimateRolloutCost(planRollout(s), s, {}, lookoutPerStep === undefined ? {} : { lookoutPerStep });
    return { bake: describeBake(s.strategy.bake), looks, judgementsPerStep: 1 + (c.counts.lookoutLooks ?? 0) / s.strategy.steps!.length, stateTransitions: c.counts.stateTransitions, lambdaInvocations: c.counts.lambdaInvocations, metricsRequested: c.counts.metricsRequested ?? 0, usd: c.usd.total };
  };
  const rows = [
    row('10m', 'threshold comparison: one judgement per step', undefined, false),
    row('10m', 'sequential: the lookout looks once a minute for a regression', undefined),
  ];
  // The simulated looks are the lookout's (one per period until "not worse" after min); the Step judges once more per step.
  for (const r of rollouts) rows.push(row({ min: '1m', max: '10m' }, `healthy ${pct(r.stableRate)}: median ${r.looks.median} lookout looks per rollout`, r.looks.median / r.steps.length));
  rows.push(row({ min: '1m', max: '10m' }, 'worst case: every step baked to max', 10));
  rows.push(row({ min: '1m', max: '30m' }, 'worst case: every step baked to max', 30));
  return rows;
}

function measureCell(o: JudgeOptions, share: number, stableRate: number, canaryRate: number, seed: number): JudgeCell {
  const healthy = stableRate === canaryRate;
  const runs = o.runs;
  const random = rng(seed);
  const base = { rps: o.rps, share, stableRate, alpha: o.alpha, power: 0.8 };
  const mdeSeconds = fixedHorizonSeconds({ ...base, canaryRate: stableRate * o.fixedMdeRatio });
  const trueEffectSeconds = healthy ? undefined : fixedHorizonSeconds({ ...base, canaryRate });
  const fixedPeriods = Math.ceil(mdeSeconds / o.periodSeconds);
  const periods = Math.max(Math.ceil(o.horizonSeconds / o.periodSeconds), fixedPeriods);
  const detections: number[] = [];
  const notWorse: number[] = [];
  const naive: number[] = [];
  const oracle: number[] = [];
  const trueLogRatio = Math.log(canaryRate / stableRate);
  const boundary = Math.log(1 / o.alpha);
  let fixedRejects = 0;
  for (let r = 0; r < runs; r++) {
    const stream = simulatePeriods({ rps: o.rps, periodSeconds: o.periodSeconds, stableRate, canaryRate, steps: [{ share, periods }] }, random);
    const watched = Math.ceil(o.horizonSeconds / o.periodSeconds);
    let state: SequentialState = initialSequentialState();
    let previous: SequentialEvidence | undefined;
    let detected: number | undefined;
    let calledNotWorse: number | undefined;
    let naiveAt: number | undefined;
    // The oracle's log-likelihood ratio; healthy streams have none (the true ratio is the null).
    let oracleLogLR = 0;
    let oracleAt: number | undefined;
    for (let i = 0; i < stream.length; i++) {
      state = updateSequential(state, stream[i]!, 'errors');
      const t = (i + 1) * o.periodSeconds;
      if (i < watched) {
        if (detected === undefined) {
          const d = decideSequential(state, healthy && calledNotWorse === undefined ? { alpha: o.alpha, margin: o.margin } : { alpha: o.alpha }, previous);
          previous = d;
          if (d.decision === 'regression') detected = t;
          if (d.decision === 'not-worse') calledNotWorse = t;
        }
        if (naiveAt === undefined && zTestRejects(state, o.alpha)) naiveAt = t;
        if (!healthy && oracleAt === undefined) {
          oracleLogLR += periodLogLikelihoodRatio(stream[i]!, 'errors', trueLogRatio);
          if (oracleLogLR >= boundary) oracleAt = t;
        }
      }
      if (i + 1 === fixedPeriods && zTestRejects(state, o.alpha)) fixedRejects++;
      // Healthy streams are watched to the horizon (false rollbacks); regressions until every test has answered.
      if (i + 1 >= fixedPeriods && detected !== undefined && naiveAt !== undefined && (healthy || oracleAt !== undefined)) break;
    }
    if (detected !== undefined) detections.push(detected);
    if (calledNotWorse !== undefined) notWorse.push(calledNotWorse);
    if (naiveAt !== undefined) naive.push(naiveAt);
    if (oracleAt !== undefined) oracle.push(oracleAt);
  }
  return {
    share,
    stableRate,
    canaryRate,
    runs,
    sequential: {
      rollbacks: detections.length / runs,
      detectionSeconds: summarize(detections),
      ...(healthy ? { notWorse: notWorse.length / runs, notWorseSeconds: summarize(notWorse) } : {}),
    },
    ...(healthy ? {} : { oracle: { rollbacks: oracle.length / runs, detectionSeconds: summarize(oracle) } }),
    everyLook: { rollbacks: naive.length / runs, detectionSeconds: summarize(naive) },
    fixed: { mdeSeconds, mdeRejects: fixedRejects / runs, ...(trueEffectSeconds === undefined ? {} : { trueEffectSeconds }) },
  };
}

/**
 * A healthy rollout through steps 10/25/50/100 with `bake: {min, max}`, looked at once a minute:
 * each step moves on at the first look after `min` where the judge says "not worse", or at `max`.
 * The sequential state spans the whole rollout, as in the state machine.
 */
function measureRollout(o: JudgeOptions, stableRate: number, seed: number): RolloutCell {
  const random = rng(seed);
  const steps = [10, 25, 50, 100];
  const min = 60;
  const max = 600;
  const look = 60;
  const runs = Math.max(50, Math.round(o.runs / 5));
  const totals: number[] = [];
  const lookCounts: number[] = [];
  let rollbacks = 0;
  for (let r = 0; r < runs; r++) {
    let state = initialSequentialState();
    // The whole trajectory decides, as in judgeSequential: the largest evidence and the smallest bound so far.
    let previous: SequentialEvidence | undefined;
    let seconds = 0;
    let looks = 0;
    let rolledBack = false;
    for (const weight of steps) {
      for (let elapsed = look; elapsed <= max && !rolledBack; elapsed += look) {
        const [period] = simulatePeriods({ rps: o.rps, periodSeconds: look, stableRate, canaryRate: stableRate, steps: [{ share: weight / 100, periods: 1 }] }, random) as [PeriodCounts];
        state = updateSequential(state, period, 'errors');
        looks++;
        seconds += look;
        const d = decideSequential(state, { alpha: o.alpha, margin: o.margin }, previous);
        previous = d;
        if (d.decision === 'regression') rolledBack = true;
        else if (elapsed >= min && d.decision === 'not-worse') break;
      }
      if (rolledBack) break;
    }
    if (rolledBack) rollbacks++;
    else totals.push(seconds);
    lookCounts.push(looks);
  }
  return { stableRate, runs, min, max, lookSeconds: look, steps, fixedSeconds: steps.length * max, sequentialSeconds: summarize(totals), looks: summarize(lookCounts), falseRollbacks: rollbacks / runs };
}

/**
 * What the oracle column shows, in plain words, with the figures of the cells whose true effect is
 * the one (b) is sized for (the cells where the 3 × target is in question).
 */
function oracleParagraph(j: JudgeBench): string {
  const o = j.options;
  const atMde = j.cells.filter((c) => c.oracle && Math.abs(c.canaryRate / c.stableRate - o.fixedMdeRatio) < 1e-9);
  const range = (xs: number[]) => (xs.length === 0 ? 'n/a' : `${Math.min(...xs).toFixed(1)}–${Math.max(...xs).toFixed(1)} ×`);
  const oracleGain = range(atMde.map((c) => c.fixed.mdeSeconds / c.oracle!.detectionSeconds.median));
  const ourGain = range(atMde.map((c) => c.fixed.mdeSeconds / c.sequential.detectionSeconds.median));
  const ofOracle = range(atMde.map((c) => c.sequential.detectionSeconds.median / c.oracle!.detectionSeconds.median));
  const zSum = normalQuantile(1 - o.alpha) + normalQuantile(0.8);
  return (
    '**The oracle column** is the best any valid sequential test could do at that effect. It is a sequential probability ratio test (Wald) that is told the true ' +
    "rate ratio in advance: the likelihood ratio of exactly that ratio against \"canary no worse\", in the judge's own model, on the same streams, looked at every period, " +
    'rolling back when it reaches 1/α. It keeps the false-rollback rate at α however often it looks, like ours, and among all tests that do it is (asymptotically) the one that needs the least ' +
    'traffic on average at that effect; a test that must work for every effect, as ours does, can only approach it. ' +
    `Where the true effect is the +${Math.round((o.fixedMdeRatio - 1) * 100)} % that (b) is sized for, even the oracle is only ${oracleGain} faster than (b) at the median ` +
    `(ours: ${ourGain}, i.e. ${ofOracle} the oracle's time): theory says ≈ 2·ln(1/α)/δ² = ${(2 * Math.log(1 / o.alpha)).toFixed(2)}/δ² standardised observations on average ` +
    `against (z_α + z_β)²/δ² = ${(zSum * zSum).toFixed(2)}/δ² for the fixed test. So no test that keeps α under repeated looks can be 3 × faster than a fixed test sized for exactly the effect that happens; ` +
    'the 3 × target is reachable, and met, only for regressions larger than the one the fixed test was sized for, which is the case a sequential test exists for (an operator does not know the effect in advance).'
  );
}

function pct(x: number): string {
  const v = x * 100;
  return `${Number.isInteger(v) ? v : v < 1 ? v.toFixed(1) : v.toFixed(1)} %`;
}

/** The section of bench/report.md. */
export function renderJudge(j: JudgeBench): string[] {
  const o = j.options;
  const out = ['## Sequential judge: false rollbacks, time to detection, time to "not worse"', ''];
  out.push(
    `Reproduce: \`npm run bench -- --only judge\` (\`--judge-runs ${o.runs}\`). Simulated, seeded count streams (binomial requests and errors) at ${o.rps} req/s split between canary and stable, one look every ${o.periodSeconds} s on the cumulative counts, α = ${o.alpha}, ` +
      `margin ${pct(o.margin)} (absolute increase of the error rate) for "not worse", ${o.runs} runs per cell, healthy streams watched for ${o.horizonSeconds / 60} min. ` +
      '`sequential`: the mixture likelihood-ratio test of src/analysis/sequential.ts. ' +
      '(a) `z at every look`: a one-sided two-proportion z-test at level α re-run at every look (what a threshold check per interval amounts to). ' +
      `(b) \`fixed horizon\`: the same z-test run once, after the traffic needed for 80 % power at level α to detect a +${Math.round((o.fixedMdeRatio - 1) * 100)} % increase of the stable's rate (the smallest regression listed; an operator does not know the true effect in advance); the horizon sized for the true effect is shown beside it.`,
    '',
  );
  const rows = j.cells.map((c) => {
    const healthy = c.stableRate === c.canaryRate;
    const seqMedian = c.sequential.detectionSeconds.median;
    return [
      healthy ? `healthy ${pct(c.stableRate)}` : `${pct(c.stableRate)} → ${pct(c.canaryRate)}`,
      pct(c.share),
      healthy ? `${pct(c.sequential.rollbacks)} ${c.sequential.rollbacks <= o.alpha ? '(≤ α)' : '(> α)'}` : `power ${pct(c.sequential.rollbacks)}`,
      healthy ? '' : formatSummary(c.sequential.detectionSeconds, 's'),
      c.oracle ? `${formatSummary(c.oracle.detectionSeconds, 's')}${c.oracle.rollbacks < 1 ? ` (power ${pct(c.oracle.rollbacks)})` : ''}` : '',
      healthy ? `${formatSummary(c.sequential.notWorseSeconds!, 's')} (${pct(c.sequential.notWorse!)} of runs)` : '',
      healthy ? `${pct(c.everyLook.rollbacks)} ${c.everyLook.rollbacks > o.alpha ? '(> α)' : ''}` : `power ${pct(c.everyLook.rollbacks)}, median ${c.everyLook.detectionSeconds.median} s`,
      `${Math.round(c.fixed.mdeSeconds)} s (${healthy ? `${pct(c.fixed.mdeRejects)} rollbacks` : `power ${pct(c.fixed.mdeRejects)}`})`,
      healthy ? '' : `${(c.fixed.mdeSeconds / seqMedian).toFixed(1)} ×`,
      c.oracle ? `${(c.fixed.mdeSeconds / c.oracle.detectionSeconds.median).toFixed(1)} ×` : '',
      c.fixed.trueEffectSeconds === undefined ? '' : `${Math.round(c.fixed.trueEffectSeconds)} s (${(c.fixed.trueEffectSeconds / seqMedian).toFixed(1)} ×)`,
    ];
  });
  out.push(
    markdownTable(
      [
        'truth',
        'canary share',
        'sequential: rollbacks',
        'sequential: time to detection',
        'oracle: time to detection',
        'sequential: time to "not worse"',
        '(a) z at every look',
        `(b) fixed horizon (+${Math.round((o.fixedMdeRatio - 1) * 100)} % MDE)`,
        '(b) ÷ sequential',
        '(b) ÷ oracle',
        '(b) sized for the true effect (÷ sequential)',
      ],
      rows,
    ),
    '',
  );
  const healthy = j.cells.filter((c) => c.stableRate === c.canaryRate);
  const worst = Math.max(...healthy.map((c) => c.sequential.rollbacks));
  const naiveWorst = Math.max(...healthy.map((c) => c.everyLook.rollbacks));
  const speedups = j.cells.filter((c) => c.stableRate !== c.canaryRate).map((c) => c.fixed.mdeSeconds / c.sequential.detectionSeconds.median);
  out.push(
    `Targets: false rollbacks ≤ α: worst healthy cell ${pct(worst)} (${worst <= o.alpha ? 'PASS' : 'FAIL'}), where (a) reaches ${pct(naiveWorst)}. ` +
      `Detection ≥ 3 × faster than (b): ${speedups.filter((s) => s >= 3).length} of ${speedups.length} regression cells (median ${median(speedups).toFixed(1)} ×). ` +
      'A fixed test sized for the very effect that happens is as fast as any test can be at that effect; the sequential test pays for not knowing it in advance (last column) and wins whenever the regression is larger than the one the fixed test was sized for.',
    '',
  );
  out.push(oracleParagraph(j), '');
  const rrows = j.rollouts.map((r) => [
    `healthy ${pct(r.stableRate)}`,
    r.steps.join('/'),
    `{ min: ${r.min / 60}m, max: ${r.max / 60}m }, a look every ${r.lookSeconds} s`,
    `${formatSummary(r.sequentialSeconds, 's')}`,
    `${r.fixedSeconds} s`,
    `${(r.sequentialSeconds.median / r.fixedSeconds).toFixed(2)} (${r.sequentialSeconds.median <= r.fixedSeconds / 2 ? 'PASS' : 'FAIL'} ≤ 0.5)`,
    formatSummary(r.looks, ''),
    pct(r.falseRollbacks),
    r.runs,
  ]);
  out.push(
    markdownTable(['truth', 'steps', 'bake', 'rollout time, median (min–max)', 'fixed bakes of max', 'ratio', 'looks', 'false rollbacks', 'runs'], rrows),
    '',
  );
  out.push(
    "**What looking costs** (src/plan/cost.ts, list prices). A `{ min, max }` bake is one callback wait of max; the lookout (a Lambda on a once-a-minute schedule, src/rollouts/look.ts) looks into it and ends it early, so each look beyond the Step's judgement costs no state transition: a share of one lookout invocation, one registry Query, and 4 GetMetricData metrics for one errorRate comparison (no DescribeAlarms, no events). The lookout's idle runs cost the deployment about $0.02 a month whatever the rollouts. Target: a 4-step rollout looked at once a minute under $0.005; fixed bakes unchanged at 3 transitions and 1 Lambda invocation per step.",
    '',
    markdownTable(
      ['bake', 'looks', 'looks per step (Step + lookout)', 'state transitions', 'Lambda invocations', 'metrics requested', 'cost per rollout'],
      j.cost.map((c) => [c.bake, c.looks, Number(c.judgementsPerStep.toFixed(2)), c.stateTransitions, c.lambdaInvocations, c.metricsRequested, `${formatUsd(c.usd)} ${c.usd < 0.005 ? '(< $0.005)' : '(≥ $0.005)'}`]),
    ),
    '',
  );
  return out;
}
