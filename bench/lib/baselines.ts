/**
 * The tests the sequential judge is compared with in the bench's `judge` section: (a) a one-sided
 * two-proportion z-test applied again at every look (what threshold checks per interval do), and
 * (b) the same test run once at a horizon sized for 80 % power. Pure.
 */

/** Standard normal quantile (Acklam's rational approximation, |error| < 1.2e-9). */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`p must be in (0, 1), got ${p}`);
  const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
  const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
  const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  const low = 0.02425;
  if (p < low) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  }
  if (p > 1 - low) return -normalQuantile(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) / (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1);
}

export interface Totals {
  canary: { requests: number; events: number };
  stable: { requests: number; events: number };
}

/** One-sided pooled two-proportion z statistic of "canary rate > stable rate"; 0 without data. */
export function zStatistic(t: Totals): number {
  const { canary: c, stable: s } = t;
  if (c.requests === 0 || s.requests === 0) return 0;
  const pooled = (c.events + s.events) / (c.requests + s.requests);
  const se = Math.sqrt(pooled * (1 - pooled) * (1 / c.requests + 1 / s.requests));
  if (se === 0) return 0;
  return (c.events / c.requests - s.events / s.requests) / se;
}

/** True when the z-test rejects "canary not worse" at level alpha. */
export function zTestRejects(t: Totals, alpha: number): boolean {
  return zStatistic(t) >= normalQuantile(1 - alpha);
}

/**
 * Seconds of traffic a one-sided two-proportion z-test at level alpha needs for the given power
 * to detect canaryRate against stableRate, with the canary taking `share` of `rps`.
 */
export function fixedHorizonSeconds(o: { rps: number; share: number; stableRate: number; canaryRate: number; alpha: number; power: number }): number {
  const rc = o.rps * o.share;
  const rs = o.rps * (1 - o.share);
  const pooled = (rc * o.canaryRate + rs * o.stableRate) / o.rps;
  const sd0 = Math.sqrt(pooled * (1 - pooled) * (1 / rc + 1 / rs));
  const sd1 = Math.sqrt((o.canaryRate * (1 - o.canaryRate)) / rc + (o.stableRate * (1 - o.stableRate)) / rs);
  const root = (normalQuantile(1 - o.alpha) * sd0 + normalQuantile(o.power) * sd1) / (o.canaryRate - o.stableRate);
  return root * root;
}
