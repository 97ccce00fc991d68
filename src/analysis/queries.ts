import type { MetricDataQuery } from '@aws-sdk/client-cloudwatch';
import type { MetricId, VersionMetrics, VersionSeries } from '../routers/metrics';
import { ConfigurationError } from '../shared/errors';
import type { CompareCheck, MetricCheck, MetricStatInput } from '../spec/analysis';
import { PLACEHOLDER } from '../spec/constants';
import type { PeriodCounts, VersionCounts } from './counts';
import type { MetricDataReader, MetricSeries } from './metric-data';

/**
 * Turns checks into GetMetricData queries and answers back into numbers. Every check of one
 * judgement adds its queries to one `QueryBook`, so the judgement costs one call; queries two
 * comparisons share (the request counts of a version) are asked once.
 */
export class QueryBook {
  private readonly byKey = new Map<string, MetricDataQuery>();
  private readonly list: MetricDataQuery[] = [];

  /** The id of a metric-and-statistic query, added unless an identical one is already in the book. */
  stat(metric: MetricId, stat: string, period: number, unit?: string): string {
    const key = JSON.stringify([metric.namespace, metric.metricName, Object.entries(metric.dimensions).sort(), stat, period, unit]);
    const known = this.byKey.get(key);
    if (known) return known.Id!;
    const query: MetricDataQuery = {
      Id: `q${this.list.length}`,
      MetricStat: {
        Metric: { Namespace: metric.namespace, MetricName: metric.metricName, Dimensions: Object.entries(metric.dimensions).map(([Name, Value]) => ({ Name, Value })) },
        Period: period,
        Stat: stat,
        ...(unit ? { Unit: unit as NonNullable<MetricDataQuery['MetricStat']>['Unit'] } : {}),
      },
      ReturnData: true,
    };
    this.byKey.set(key, query);
    this.list.push(query);
    return query.Id!;
  }

  /** Adds a query as given (expressions and the metrics they use); ids must be unique. */
  raw(query: MetricDataQuery): string {
    this.list.push(query);
    return query.Id!;
  }

  queries(): MetricDataQuery[] {
    return [...this.list];
  }
}

/** Reads the per-version counts of one comparison from a judgement's series. */
export type CountReader = (series: Map<string, MetricSeries>) => PeriodCounts[];

/**
 * The count source of one comparison: adds its queries (requests, errors and, for slow requests,
 * the percentile rank `PR(<over>:)` of the latency, per version) and returns how to read them
 * back as one `PeriodCounts` per period in which either version had requests. CloudWatch sends
 * no datapoint for a period without requests: such a period counts zero, never "missing".
 */
export function countQueries(book: QueryBook, compare: Pick<CompareCheck, 'metric' | 'over' | 'period'>, metrics: VersionMetrics): CountReader {
  const side = (s: VersionSeries) => ({
    requests: book.stat(s.requests, s.requests.stat, compare.period),
    errors: compare.metric === 'errorRate' ? book.stat(s.errors, s.errors.stat, compare.period) : undefined,
    // PR(a:) is the percentage of values above a (exclusive lower bound): the slow share.
    slowShare: compare.metric === 'slowRequests' && compare.over !== undefined ? book.stat(s.latency, `PR(${trim(compare.over / s.latencyUnitMs)}:)`, compare.period) : undefined,
  });
  const ids = { canary: side(metrics.canary), stable: side(metrics.stable) };
  return (series) => {
    const read = (id: string | undefined) => byTime(id ? series.get(id) : undefined);
    const canary = { requests: read(ids.canary.requests), errors: read(ids.canary.errors), slowShare: read(ids.canary.slowShare) };
    const stable = { requests: read(ids.stable.requests), errors: read(ids.stable.errors), slowShare: read(ids.stable.slowShare) };
    const times = [...new Set([...canary.requests.keys(), ...stable.requests.keys()])].sort((a, b) => a - b);
    const counts = (v: typeof canary, t: number): VersionCounts => {
      const requests = v.requests.get(t) ?? 0;
      const out: VersionCounts = { requests, errors: Math.min(requests, v.errors.get(t) ?? 0) };
      if (compare.metric === 'slowRequests') out.slow = Math.round((requests * (v.slowShare.get(t) ?? 0)) / 100);
      return out;
    };
    return times
      .map((t) => ({ start: new Date(t).toISOString(), periodSeconds: compare.period, canary: counts(canary, t), stable: counts(stable, t) }))
      .filter((p) => p.canary.requests > 0 || p.stable.requests > 0);
  };
}

/**
 * Reads the per-version counts of several comparisons in one GetMetricData call: one list of
 * periods per comparison, in the order given.
 */
export async function readVersionCounts(
  reader: MetricDataReader,
  compares: Array<Pick<CompareCheck, 'metric' | 'over' | 'period'>>,
  metrics: VersionMetrics,
  window: { start: Date; end: Date },
): Promise<PeriodCounts[][]> {
  const book = new QueryBook();
  const readers = compares.map((c) => countQueries(book, c, metrics));
  const series = await reader.read(book.queries(), window.start, window.end);
  return readers.map((r) => r(series));
}

/** How a metric check's answer is read: the series of its result query, and the query in words. */
export interface MetricCheckQuery {
  id: string;
  describe: string;
}

/**
 * Adds the queries of one `analysis.metrics[]` check with its placeholders filled in. The user's
 * ids in `using` are prefixed (`m<index>_<id>`) so two checks never collide in one call.
 */
export function metricCheckQueries(book: QueryBook, check: MetricCheck, index: number, placeholders: Record<string, string>): MetricCheckQuery {
  const where = `analysis.metrics[${index}]`;
  if (check.metric) {
    const m = expandStat(check.metric, placeholders, `${where}.metric`);
    const id = book.stat(m, check.metric.stat, check.period, check.metric.unit);
    return { id, describe: `${m.namespace} ${m.metricName} ${check.metric.stat} ${dims(m)} per ${check.period}s` };
  }
  const prefix = `m${index}_`;
  for (const [userId, stat] of Object.entries(check.using ?? {})) {
    const m = expandStat(stat, placeholders, `${where}.using.${userId}`);
    book.raw({
      Id: `${prefix}${userId}`,
      MetricStat: {
        Metric: { Namespace: m.namespace, MetricName: m.metricName, Dimensions: Object.entries(m.dimensions).map(([Name, Value]) => ({ Name, Value })) },
        Period: check.period,
        Stat: stat.stat,
        ...(stat.unit ? { Unit: stat.unit as NonNullable<MetricDataQuery['MetricStat']>['Unit'] } : {}),
      },
      ReturnData: false,
    });
  }
  const expression = expand(check.expression!, placeholders, `${where}.expression`).replace(/\b([a-z][A-Za-z0-9_]*)\b(?!\s*\()/g, (word) =>
    check.using && word in check.using ? `${prefix}${word}` : word,
  );
  const id = book.raw({ Id: `m${index}`, Expression: expression, Period: check.period, ReturnData: true });
  return { id, describe: `${check.expression} per ${check.period}s` };
}

/** Fills `{{name}}` placeholders; an unknown name is a configuration error naming the field. */
export function expand(text: string, placeholders: Record<string, string>, where: string): string {
  return text.replace(PLACEHOLDER, (_, name: string) => {
    const value = placeholders[name];
    if (value === undefined) throw new ConfigurationError(`${where}: unknown placeholder {{${name}}} (this router has ${Object.keys(placeholders).map((k) => `{{${k}}}`).join(', ')})`);
    return value;
  });
}

function expandStat(stat: MetricStatInput, placeholders: Record<string, string>, where: string): MetricId {
  return {
    namespace: stat.namespace,
    metricName: stat.metricName,
    dimensions: Object.fromEntries(Object.entries(stat.dimensions).map(([k, v]) => [k, expand(v, placeholders, `${where}.dimensions.${k}`)])),
  };
}

function dims(m: MetricId): string {
  return Object.entries(m.dimensions).map(([k, v]) => `${k}=${v}`).join(',');
}

function byTime(series: MetricSeries | undefined): Map<number, number> {
  const map = new Map<number, number>();
  if (!series) return map;
  series.timestamps.forEach((t, i) => map.set(t, (map.get(t) ?? 0) + series.values[i]!));
  return map;
}

/** A number without float noise (0.3 not 0.30000000000000004), as CloudWatch statistics are written. */
function trim(n: number): string {
  return String(Number(n.toPrecision(12)));
}
