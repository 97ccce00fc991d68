import type { GetMetricDataCommandInput, GetMetricDataCommandOutput, MetricDataQuery, MetricDataResult } from '@aws-sdk/client-cloudwatch';
import { MESH_NAMESPACE } from '../../routers/metrics';
import type { MeshStats, RequestRecord } from '../mesh';

/**
 * The CloudWatch `GetMetricData` API over the local mesh's real requests, with CloudWatch's
 * shapes: per-node metrics in the `CanaryController/Mesh` namespace (dimensions `Mesh`,
 * `VirtualNode`): `RequestCount`, `HTTPCode_5XX_Count` and `ResponseTime` (milliseconds).
 * Periods start at StartTime (floored to the period); a period without requests has no
 * datapoint at all, as CloudWatch does for load balancers. Statistics: Sum, SampleCount,
 * Average, Minimum, Maximum, pNN and PR(a:b). Expressions: arithmetic over other query ids.
 * Answers pages of `pageSize` datapoints with a NextToken, so paging is exercised for real.
 */
export class LocalCloudWatch {
  /** GetMetricData calls answered, for the runner's and the bench's counts. */
  calls = 0;

  constructor(
    private readonly stats: MeshStats,
    private readonly mesh: string,
    private readonly options: { pageSize?: number; now?: () => number } = {},
  ) {}

  /** The SDK client's `send`, for GetMetricData only: the production reader runs unchanged against it. */
  async send(command: { input: unknown; constructor: { name: string } }): Promise<GetMetricDataCommandOutput> {
    if (command.constructor.name !== 'GetMetricDataCommand') throw new Error(`LocalCloudWatch answers GetMetricData only, not ${command.constructor.name}`);
    this.calls++;
    return this.getMetricData(command.input as GetMetricDataCommandInput);
  }

  getMetricData(input: GetMetricDataCommandInput): GetMetricDataCommandOutput {
    const start = new Date(input.StartTime!).getTime();
    const end = Math.min(new Date(input.EndTime!).getTime(), this.options.now?.() ?? Date.now());
    const queries = input.MetricDataQueries ?? [];
    const computed = new Map<string, Map<number, number>>();
    for (const q of queries) if (q.MetricStat) computed.set(q.Id!, this.metricStat(q, start, end));
    const messages = new Map<string, string>();
    for (const q of queries) {
      if (!q.Expression) continue;
      const values = evaluate(q.Expression, computed);
      if (values) computed.set(q.Id!, values);
      else messages.set(q.Id!, `unsupported expression locally: ${q.Expression}`);
    }
    const ascending = input.ScanBy === 'TimestampAscending';
    const all = queries
      .filter((q) => q.ReturnData !== false)
      .map((q) => {
        const points = [...(computed.get(q.Id!) ?? new Map<number, number>()).entries()].sort((a, b) => (ascending ? a[0] - b[0] : b[0] - a[0]));
        return { q, points };
      });
    // Paging over the flat list of (query, datapoint): the token is the offset of the next page.
    const offset = input.NextToken ? Number(Buffer.from(input.NextToken, 'base64').toString()) : 0;
    const pageSize = this.options.pageSize ?? 100_800;
    const results: MetricDataResult[] = [];
    let seen = 0;
    for (const { q, points } of all) {
      const from = Math.max(0, offset - seen);
      const to = Math.min(points.length, offset + pageSize - seen);
      seen += points.length;
      const empty = points.length === 0 && offset === 0;
      if (from >= to && !empty) continue;
      const take = points.slice(from, to);
      const partial = to < points.length;
      results.push({
        Id: q.Id,
        Label: q.Label ?? q.MetricStat?.Metric?.MetricName ?? q.Id,
        Timestamps: take.map(([t]) => new Date(t)),
        Values: take.map(([, v]) => v),
        StatusCode: messages.has(q.Id!) ? 'InternalError' : partial ? 'PartialData' : 'Complete',
        ...(messages.has(q.Id!) ? { Messages: [{ Code: 'InternalError', Value: messages.get(q.Id!) }] } : {}),
      });
    }
    const next = offset + pageSize < seen ? offset + pageSize : undefined;
    return {
      $metadata: { httpStatusCode: 200 },
      MetricDataResults: results,
      Messages: [],
      ...(next !== undefined ? { NextToken: Buffer.from(String(next)).toString('base64') } : {}),
    };
  }

  private metricStat(q: MetricDataQuery, start: number, end: number): Map<number, number> {
    const stat = q.MetricStat!;
    const metric = stat.Metric!;
    const dims = Object.fromEntries((metric.Dimensions ?? []).map((d) => [d.Name!, d.Value!]));
    const out = new Map<number, number>();
    const known = ['RequestCount', 'HTTPCode_5XX_Count', 'ResponseTime'];
    if (metric.Namespace !== MESH_NAMESPACE || dims.Mesh !== this.mesh || !dims.VirtualNode || !known.includes(metric.MetricName!)) return out;
    const periodMs = stat.Period! * 1000;
    const first = Math.floor(start / periodMs) * periodMs;
    const buckets = new Map<number, RequestRecord[]>();
    for (const r of this.stats.since(first, end)) {
      if (r.target !== dims.VirtualNode) continue;
      const t = first + Math.floor((r.at - first) / periodMs) * periodMs;
      const list = buckets.get(t) ?? [];
      list.push(r);
      buckets.set(t, list);
    }
    for (const [t, records] of buckets) {
      const value = statistic(metric.MetricName!, stat.Stat!, records);
      if (value !== undefined) out.set(t, value);
    }
    return out;
  }
}

/** One statistic of one metric over a period's requests; undefined: no datapoint. */
function statistic(metricName: string, stat: string, records: RequestRecord[]): number | undefined {
  if (records.length === 0) return undefined;
  if (metricName === 'RequestCount') return stat === 'Sum' || stat === 'SampleCount' ? records.length : undefined;
  if (metricName === 'HTTPCode_5XX_Count') {
    const errors = records.filter((r) => r.status >= 500).length;
    // A load balancer publishes a 5xx count only for periods that had one.
    return errors === 0 ? undefined : stat === 'Sum' ? errors : stat === 'SampleCount' ? errors : undefined;
  }
  const latencies = records.map((r) => r.latencyMs).sort((a, b) => a - b);
  const pr = /^PR\(([\d.]*):([\d.]*)\)$/.exec(stat);
  if (pr) {
    // Exclusive lower bound, inclusive upper bound, in percent: CloudWatch's percentile rank.
    const lo = pr[1] === '' ? Number.NEGATIVE_INFINITY : Number(pr[1]);
    const hi = pr[2] === '' ? Number.POSITIVE_INFINITY : Number(pr[2]);
    return (100 * latencies.filter((l) => l > lo && l <= hi).length) / latencies.length;
  }
  const p = /^p(\d{1,2}(?:\.\d+)?)$/.exec(stat);
  if (p) return latencies[Math.min(latencies.length, Math.max(1, Math.ceil((Number(p[1]) / 100) * latencies.length))) - 1];
  switch (stat) {
    case 'SampleCount':
      return latencies.length;
    case 'Sum':
      return latencies.reduce((a, b) => a + b, 0);
    case 'Average':
      return latencies.reduce((a, b) => a + b, 0) / latencies.length;
    case 'Minimum':
      return latencies[0];
    case 'Maximum':
      return latencies.at(-1);
    default:
      return undefined;
  }
}

/**
 * Metric math, the arithmetic part: + - * / and parentheses over numbers and query ids, per
 * timestamp present in every series used (as CloudWatch aligns them). Undefined for anything else.
 */
function evaluate(expression: string, series: Map<string, Map<number, number>>): Map<number, number> | undefined {
  const tokens = expression.match(/\s*([a-z][A-Za-z0-9_]*|\d+(?:\.\d+)?|[-+*/()])\s*/g)?.map((t) => t.trim());
  if (!tokens || tokens.join('') !== expression.replace(/\s+/g, '')) return undefined;
  const ids = tokens.filter((t) => /^[a-z]/.test(t));
  if (ids.some((id) => !series.has(id))) return undefined;
  const times = ids.length ? [...series.get(ids[0]!)!.keys()].filter((t) => ids.every((id) => series.get(id)!.has(t))) : [];
  const out = new Map<number, number>();
  for (const t of times) {
    let i = 0;
    const expr = (): number => {
      let v = term();
      while (tokens[i] === '+' || tokens[i] === '-') v = tokens[i++] === '+' ? v + term() : v - term();
      return v;
    };
    const term = (): number => {
      let v = factor();
      while (tokens[i] === '*' || tokens[i] === '/') v = tokens[i++] === '*' ? v * factor() : v / factor();
      return v;
    };
    const factor = (): number => {
      const tok = tokens[i++]!;
      if (tok === '(') {
        const v = expr();
        i++;
        return v;
      }
      if (tok === '-') return -factor();
      return /^[a-z]/.test(tok) ? series.get(tok)!.get(t)! : Number(tok);
    };
    const v = expr();
    if (Number.isFinite(v)) out.set(t, v);
  }
  return out;
}
