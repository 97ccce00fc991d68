import type { MetricDataQuery } from '@aws-sdk/client-cloudwatch';
import type { MetricDataReader, MetricSeries } from '../../src/analysis/metric-data';
import { binomial, rng } from '../../bench/lib/simulate';

/**
 * A GetMetricData look-alike for per-version counts on the mesh namespace: each period is drawn
 * once (seeded) from the canary's share at the moment it is first read and each version's true
 * error rate, then answered as CloudWatch would (RequestCount and HTTPCode_5XX_Count, `Sum`,
 * one datapoint per period with requests). The clock is the caller's (tests scale time).
 */
export class FakeVersionCounts implements MetricDataReader {
  reads = 0;
  private readonly periods = new Map<number, Record<string, { requests: number; errors: number }>>();
  private readonly random: () => number;

  constructor(
    private readonly o: { canary: string; stable: string; rps: number; periodSeconds: number; rates: { canary: number; stable: number }; share: () => number; now: () => Date; seed?: number },
  ) {
    this.random = rng(o.seed ?? 1);
  }

  async read(queries: MetricDataQuery[], start: Date, end: Date): Promise<Map<string, MetricSeries>> {
    this.reads++;
    const ms = this.o.periodSeconds * 1000;
    const now = Math.min(end.getTime(), this.o.now().getTime());
    // Periods that ended by now are final; the one in progress is not reported yet.
    for (let t = Math.floor(start.getTime() / ms) * ms; t + ms <= now; t += ms) {
      if (!this.periods.has(t)) this.periods.set(t, this.draw());
    }
    const out = new Map<string, MetricSeries>();
    for (const q of queries) {
      const metric = q.MetricStat?.Metric;
      const node = metric?.Dimensions?.find((d) => d.Name === 'VirtualNode')?.Value;
      const field = metric?.MetricName === 'RequestCount' ? 'requests' : metric?.MetricName === 'HTTPCode_5XX_Count' ? 'errors' : undefined;
      const series: MetricSeries = { id: q.Id!, timestamps: [], values: [], complete: true };
      for (const [t, counts] of [...this.periods.entries()].sort(([a], [b]) => a - b)) {
        const c = node ? counts[node] : undefined;
        if (!c || !field || c.requests === 0 || t < start.getTime() || t >= end.getTime()) continue;
        series.timestamps.push(t);
        series.values.push(c[field]);
      }
      out.set(q.Id!, series);
    }
    return out;
  }

  private draw(): Record<string, { requests: number; errors: number }> {
    const total = Math.round(this.o.rps * this.o.periodSeconds);
    const canary = binomial(this.random, total, this.o.share());
    const stable = total - canary;
    return {
      [this.o.canary]: { requests: canary, errors: binomial(this.random, canary, this.o.rates.canary) },
      [this.o.stable]: { requests: stable, errors: binomial(this.random, stable, this.o.rates.stable) },
    };
  }
}
