import type { CloudWatchClient, GetMetricDataCommandOutput, MetricDataQuery } from '@aws-sdk/client-cloudwatch';
import { ConfigurationError, isTransientAwsError, TransientError } from '../shared/errors';
import { cloudWatchSdk } from './cloudwatch-sdk';

export type { MetricDataQuery } from '@aws-sdk/client-cloudwatch';

/** One query's answer: datapoints oldest first, and whether CloudWatch said they are all there. */
export interface MetricSeries {
  id: string;
  label?: string;
  /** Epoch ms of each period's start, ascending. */
  timestamps: number[];
  values: number[];
  /** False when CloudWatch answered PartialData without a way to page further. */
  complete: boolean;
}

/** The port the analysis reads metrics through: CloudWatch in AWS, the local world's facade locally. */
export interface MetricDataReader {
  /** Every query in one judgement: one GetMetricData (plus NextToken pages). Result by query id. */
  read(queries: MetricDataQuery[], start: Date, end: Date): Promise<Map<string, MetricSeries>>;
}

/** GetMetricData accepts at most 500 queries per call. */
export const MAX_QUERIES = 500;

/** GetMetricData over a CloudWatch client (or a look-alike answering the same command). */
export class CloudWatchMetricData implements MetricDataReader {
  /** GetMetricData calls made (pages and retries included), for the benchmark's API-call counts. */
  calls = 0;
  /** Metrics requested (MetricStat queries, including those inside expressions): what GetMetricData is billed on. */
  metricsRequested = 0;

  constructor(
    private readonly client: Pick<CloudWatchClient, 'send'> = new (cloudWatchSdk().CloudWatchClient)({}),
    private readonly retry: { attempts: number; baseMs: number } = { attempts: 4, baseMs: 200 },
  ) {}

  async read(queries: MetricDataQuery[], start: Date, end: Date): Promise<Map<string, MetricSeries>> {
    const out = new Map<string, MetricSeries>();
    if (queries.length === 0) return out;
    if (queries.length > MAX_QUERIES) throw new ConfigurationError(`analysis: ${queries.length} metric queries in one judgement, GetMetricData takes at most ${MAX_QUERIES}`);
    this.metricsRequested += queries.filter((q) => q.MetricStat).length;
    let nextToken: string | undefined;
    do {
      const page = await this.page(queries, start, end, nextToken);
      for (const r of page.MetricDataResults ?? []) {
        const id = r.Id!;
        if (r.StatusCode === 'Forbidden') throw new ConfigurationError(`GetMetricData query "${id}": Forbidden${messages(r.Messages)}`);
        if (r.StatusCode === 'InternalError') throw new TransientError(`GetMetricData query "${id}": InternalError${messages(r.Messages)}`);
        const series = out.get(id) ?? { id, label: r.Label, timestamps: [], values: [], complete: true };
        const ts = r.Timestamps ?? [];
        const vs = r.Values ?? [];
        for (let i = 0; i < Math.min(ts.length, vs.length); i++) {
          series.timestamps.push(new Date(ts[i]!).getTime());
          series.values.push(vs[i]!);
        }
        // PartialData with a NextToken is paged below; without one the series stays incomplete.
        series.complete = r.StatusCode !== 'PartialData' || page.NextToken !== undefined ? series.complete : false;
        out.set(id, series);
      }
      nextToken = page.NextToken;
    } while (nextToken);
    for (const s of out.values()) sortAscending(s);
    return out;
  }

  /** One page, retrying throttling and 5xx with exponential backoff; what is still failing goes to the state machine's Retry. */
  private async page(queries: MetricDataQuery[], start: Date, end: Date, nextToken: string | undefined): Promise<GetMetricDataCommandOutput> {
    for (let attempt = 1; ; attempt++) {
      try {
        this.calls++;
        return await this.client.send(new (cloudWatchSdk().GetMetricDataCommand)({ MetricDataQueries: queries, StartTime: start, EndTime: end, NextToken: nextToken, ScanBy: 'TimestampAscending' }));
      } catch (error) {
        if (!isTransientAwsError(error)) {
          if (error instanceof Error && /Validation|InvalidParameter|MissingParameter|InvalidNextToken/i.test(error.name)) {
            throw new ConfigurationError(`GetMetricData: ${error.message}`, { cause: error });
          }
          throw error;
        }
        if (attempt >= this.retry.attempts) throw new TransientError(`GetMetricData still throttled or failing after ${attempt} attempts: ${(error as Error).message}`, { cause: error });
        await new Promise((r) => setTimeout(r, this.retry.baseMs * 2 ** (attempt - 1) * (0.5 + Math.random() / 2)));
      }
    }
  }
}

function messages(list: Array<{ Code?: string; Value?: string }> | undefined): string {
  return list?.length ? `: ${list.map((m) => `${m.Code ?? ''} ${m.Value ?? ''}`.trim()).join('; ')}` : '';
}

function sortAscending(s: MetricSeries): void {
  const order = s.timestamps.map((t, i) => i).sort((a, b) => s.timestamps[a]! - s.timestamps[b]!);
  s.timestamps = order.map((i) => s.timestamps[i]!);
  s.values = order.map((i) => s.values[i]!);
}
