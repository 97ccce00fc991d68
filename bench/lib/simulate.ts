/**
 * Simulated per-version count streams with a known truth, seeded: what the sequential judge's unit
 * tests and the bench's `judge` section feed it. Requests are Bernoulli (binomial counts per
 * period), not the Poisson the judge's model assumes, so the simulations also check that the
 * approximation does not cost validity.
 */
import type { PeriodCounts } from '../../src/analysis/counts';
import { mulberry32 } from '../../src/local/sample-service';

/** A seeded PRNG (mulberry32, the sample service's): uniform in [0, 1). */
export const rng = mulberry32;

/** Binomial(n, p) draw: inversion while n·p is small, a rounded normal beyond (n·p ≥ 500). */
export function binomial(random: () => number, n: number, p: number): number {
  if (n <= 0 || p <= 0) return 0;
  if (p >= 1) return n;
  if (p > 0.5) return n - binomial(random, n, 1 - p);
  if (n * p >= 500) {
    const u1 = Math.max(random(), 1e-12);
    const z = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * random());
    return Math.min(n, Math.max(0, Math.round(n * p + z * Math.sqrt(n * p * (1 - p)))));
  }
  const u = random();
  let pmf = Math.exp(n * Math.log1p(-p));
  let cdf = pmf;
  let k = 0;
  const ratio = p / (1 - p);
  while (u > cdf && k < n) {
    pmf *= ((n - k) / (k + 1)) * ratio;
    k++;
    cdf += pmf;
    if (pmf < 1e-300 && k > n * p) break;
  }
  return k;
}

/** A rollout's truth: traffic, the canary's share per step, and each version's event rate. */
export interface StreamScenario {
  /** Requests per second of all traffic (the 200 req/s of stable traffic). */
  rps: number;
  /** Canary share (0–1) per step, and how many periods each step lasts. */
  steps: Array<{ share: number; periods: number }>;
  periodSeconds: number;
  stableRate: number;
  canaryRate: number;
}

/** The periods of one simulated rollout; the request split is binomial too, as a weighted router does. */
export function simulatePeriods(scenario: StreamScenario, random: () => number): PeriodCounts[] {
  const periods: PeriodCounts[] = [];
  const perPeriod = Math.round(scenario.rps * scenario.periodSeconds);
  let t = 0;
  for (const step of scenario.steps) {
    for (let i = 0; i < step.periods; i++) {
      const canaryRequests = binomial(random, perPeriod, step.share);
      const stableRequests = perPeriod - canaryRequests;
      periods.push({
        start: new Date(t * 1000).toISOString(),
        periodSeconds: scenario.periodSeconds,
        canary: { requests: canaryRequests, errors: binomial(random, canaryRequests, scenario.canaryRate) },
        stable: { requests: stableRequests, errors: binomial(random, stableRequests, scenario.stableRate) },
      });
      t += scenario.periodSeconds;
    }
  }
  return periods;
}
