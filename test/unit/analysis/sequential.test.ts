import { zTestRejects } from '../../../bench/lib/baselines';
import { binomial, rng, simulatePeriods, type StreamScenario } from '../../../bench/lib/simulate';
import type { PeriodCounts } from '../../../src/analysis/counts';
import {
  decideSequential,
  GRID_SIZE,
  initialSequentialState,
  periodLogLikelihoodRatio,
  rateUpperBound,
  regressionLogE,
  updateSequential,
  type SequentialPolicy,
  type SequentialState,
} from '../../../src/analysis/sequential';

const ALPHA = 0.05;

/** A 3-step rollout (10 %, 25 %, 50 %) at 200 req/s, looked at every 10 s period. */
function rollout(stableRate: number, canaryRate: number, periodsPerStep: number): StreamScenario {
  return {
    rps: 200,
    periodSeconds: 10,
    stableRate,
    canaryRate,
    steps: [0.1, 0.25, 0.5].map((share) => ({ share, periods: periodsPerStep })),
  };
}

/** Runs one stream through the judge, looking at every period; the first decision that is not "continue", with its look. */
function firstDecision(periods: PeriodCounts[], policy: SequentialPolicy): { decision: string; look: number } {
  let state = initialSequentialState();
  for (let i = 0; i < periods.length; i++) {
    state = updateSequential(state, periods[i]!, 'errors');
    const evidence = decideSequential(state, policy);
    if (evidence.decision !== 'continue') return { decision: evidence.decision, look: i + 1 };
  }
  return { decision: 'continue', look: periods.length };
}

function period(canary: [number, number], stable: [number, number]): PeriodCounts {
  return { start: '2026-01-01T00:00:00Z', periodSeconds: 60, canary: { requests: canary[0], errors: canary[1] }, stable: { requests: stable[0], errors: stable[1] } };
}

describe('sequential judge', () => {
  describe('validity under no regression (A/A)', () => {
    it('rolls back at most α of healthy canaries looked at every period of a long rollout whose share changes, where the same z-test at every look exceeds α', () => {
      // Prepare: 400 healthy rollouts of 3 steps × 5 min at 1 % errors, one look per 10 s (90 looks each).
      const random = rng(20261129);
      const runs = 400;
      let sequential = 0;
      let naive = 0;
      // Act
      for (let r = 0; r < runs; r++) {
        const periods = simulatePeriods(rollout(0.01, 0.01, 30), random);
        if (firstDecision(periods, { alpha: ALPHA }).decision === 'regression') sequential++;
        let state = initialSequentialState();
        for (const p of periods) {
          state = updateSequential(state, p, 'errors');
          if (zTestRejects({ canary: { requests: state.canary.requests, events: state.canary.events }, stable: state.stable }, ALPHA)) {
            naive++;
            break;
          }
        }
      }
      // Assess
      expect(sequential / runs).toBeLessThanOrEqual(ALPHA);
      expect(naive / runs).toBeGreaterThan(2 * ALPHA);
    });
  });

  describe('power under a regression', () => {
    it.each([
      ['0.1 % → 2 %', 6, 0.001, 0.02],
      ['0.1 % → 0.5 %', 30, 0.001, 0.005],
      ['1 % → 1.5 %', 90, 0.01, 0.015],
    ])('detects %s in ≥ 95 %% of rollouts within %i looks of 10 s', (_name, horizon, stableRate, canaryRate) => {
      // Prepare
      const random = rng(7);
      const runs = 100;
      let detected = 0;
      // Act
      for (let r = 0; r < runs; r++) {
        const periods = simulatePeriods(rollout(stableRate, canaryRate, 30), random).slice(0, horizon);
        if (firstDecision(periods, { alpha: ALPHA }).decision === 'regression') detected++;
      }
      // Assess
      expect(detected / runs).toBeGreaterThanOrEqual(0.95);
    });
  });

  describe('not worse', () => {
    it('ends a healthy canary early once the always-valid bound on canary − stable is under the margin', () => {
      const random = rng(11);
      let early = 0;
      for (let r = 0; r < 50; r++) {
        const { decision, look } = firstDecision(simulatePeriods(rollout(0.001, 0.001, 30), random), { alpha: ALPHA, margin: 0.005 });
        if (decision === 'not-worse' && look <= 30) early++;
      }
      // Within the first step (30 looks of 10 s) for most rollouts: 10 % of 200 req/s bounds 0.1 % + 0.1 % under 0.5 % by then.
      expect(early).toBeGreaterThanOrEqual(45);
    });

    it('never calls a canary whose increase is twice the margin "not worse"', () => {
      const random = rng(12);
      for (let r = 0; r < 50; r++) {
        const { decision } = firstDecision(simulatePeriods(rollout(0.01, 0.02, 30), random), { alpha: ALPHA, margin: 0.005 });
        expect(decision).not.toBe('not-worse');
      }
    });

    it('says nothing early without a margin', () => {
      const evidence = decideSequential(updateSequential(initialSequentialState(), period([100_000, 0], [100_000, 0]), 'errors'), { alpha: ALPHA });
      expect(evidence.decision).toBe('continue');
      expect(evidence.upperDifference).toBe(Number.POSITIVE_INFINITY);
    });
  });

  describe('updateSequential', () => {
    it('keeps the state the same size however many looks it has seen', () => {
      let state: SequentialState = initialSequentialState();
      const sizeAfterOne = JSON.stringify(updateSequential(state, period([1000, 3], [9000, 20]), 'errors')).length;
      for (let i = 0; i < 1000; i++) state = updateSequential(state, period([1000, 3], [9000, 20]), 'errors');
      expect(state.sums).toHaveLength(GRID_SIZE);
      expect(JSON.stringify(state).length).toBeLessThan(sizeAfterOne * 1.5);
      expect(JSON.stringify(state).length).toBeLessThan(4096);
    });

    it('treats a period without events as no evidence either way (low traffic just continues)', () => {
      const state = updateSequential(initialSequentialState(), period([5, 0], [50, 0]), 'errors');
      expect(regressionLogE(state)).toBeCloseTo(0, 12);
      expect(decideSequential(state, { alpha: ALPHA, margin: 0.005 }).decision).toBe('continue');
    });

    it('reads the events the comparison counts: slow requests when asked', () => {
      const p: PeriodCounts = { ...period([1000, 0], [9000, 0]), canary: { requests: 1000, errors: 0, slow: 80 }, stable: { requests: 9000, errors: 0, slow: 90 } };
      const evidence = decideSequential(updateSequential(initialSequentialState(), p, 'slow'), { alpha: ALPHA });
      expect(evidence.canary.events).toBe(80);
      expect(evidence.decision).toBe('regression');
    });

    it('weighs events by the traffic share of their own period', () => {
      // 10 canary errors of 20: alarming when the canary had 10 % of traffic, expected when it had 50 %.
      const atTen = updateSequential(initialSequentialState(), period([1000, 10], [9000, 10]), 'errors');
      const atFifty = updateSequential(initialSequentialState(), period([5000, 10], [5000, 10]), 'errors');
      expect(decideSequential(atTen, { alpha: ALPHA }).decision).toBe('regression');
      expect(decideSequential(atFifty, { alpha: ALPHA }).decision).toBe('continue');
    });

    it('carries the largest evidence of the looks before into the decision, and refuses one decided at another α', () => {
      // Prepare: a look that crosses, then a look whose own counts do not.
      const crossing = updateSequential(initialSequentialState(), period([1000, 10], [9000, 10]), 'errors');
      const calmer = updateSequential(crossing, period([5000, 10], [5000, 60]), 'errors');
      const first = decideSequential(crossing, { alpha: ALPHA });
      // Act
      const alone = decideSequential(calmer, { alpha: ALPHA });
      const withPath = decideSequential(calmer, { alpha: ALPHA }, first);
      // Assess
      expect(first.decision).toBe('regression');
      expect(alone.decision).toBe('continue');
      expect(withPath.decision).toBe('regression');
      expect(withPath.logE).toBe(alone.logE);
      expect(withPath.peakLogE).toBe(first.logE);
      expect(() => decideSequential(calmer, { alpha: 0.01 }, first)).toThrow(/α/);
    });

    it('rejects counts that cannot be, naming the field', () => {
      expect(() => updateSequential(initialSequentialState(), period([10, -1], [10, 0]), 'errors')).toThrow(/canary\.errors/);
      expect(() => updateSequential(initialSequentialState(), period([10, 11], [10, 0]), 'errors')).toThrow(/more errors than requests/);
      expect(() => decideSequential(initialSequentialState(), { alpha: 1 })).toThrow(/alpha/);
    });
  });

  describe('periodLogLikelihoodRatio', () => {
    it("is the log ratio of the binomial likelihoods of the canary's share of a period's events, ratio ρ against 1", () => {
      // Prepare: 10 % canary traffic, 7 of 20 errors on the canary, ρ = 3.
      const p = period([1000, 7], [9000, 13]);
      const s = 0.1;
      const theta = (s * 3) / (s * 3 + 1 - s);
      // Act
      const llr = periodLogLikelihoodRatio(p, 'errors', Math.log(3));
      // Assess: x·log(θ/s) + (N − x)·log((1 − θ)/(1 − s)).
      expect(llr).toBeCloseTo(7 * Math.log(theta / s) + 13 * Math.log((1 - theta) / (1 - s)), 10);
      expect(llr).toBeGreaterThan(0);
    });

    it('says nothing about a period without events or with one version idle', () => {
      expect(periodLogLikelihoodRatio(period([1000, 0], [9000, 0]), 'errors', Math.log(2))).toBe(0);
      expect(periodLogLikelihoodRatio(period([0, 0], [9000, 5]), 'errors', Math.log(2))).toBe(0);
    });
  });

  describe('rateUpperBound', () => {
    it('covers the true rate of Bernoulli requests at every look in ≥ 1 − α of streams', () => {
      const random = rng(3);
      let missed = 0;
      for (let r = 0; r < 200; r++) {
        let requests = 0;
        let events = 0;
        for (let look = 0; look < 50; look++) {
          requests += 1000;
          events += binomial(random, 1000, 0.002);
          if (rateUpperBound(requests, events, ALPHA) < 0.002) {
            missed++;
            break;
          }
        }
      }
      expect(missed / 200).toBeLessThanOrEqual(ALPHA);
    });

    it('tightens with data', () => {
      expect(rateUpperBound(100, 0, ALPHA)).toBeGreaterThan(rateUpperBound(100_000, 0, ALPHA));
      expect(rateUpperBound(100_000, 100, ALPHA)).toBeGreaterThan(0.001);
      expect(rateUpperBound(100_000, 100, ALPHA)).toBeLessThan(0.002);
    });
  });
});
