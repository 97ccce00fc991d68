import { GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { CloudWatchMetricData } from '../../../src/analysis/metric-data';
import { readVersionCounts } from '../../../src/analysis/queries';
import { LocalCloudWatch } from '../../../src/local/aws/cloudwatch';
import { MeshStats } from '../../../src/local/mesh';
import { MESH_NAMESPACE, versionMetrics } from '../../../src/routers/metrics';
import { CompareSchema, parseSpec } from '../../../src/spec';

const T0 = Date.parse('2026-11-29T10:00:00Z');

/** Requests at T0 + second, to a node, with a status and latency. */
function statsWith(records: Array<[second: number, node: string, status: number, latencyMs: number]>): MeshStats {
  const stats = new MeshStats();
  for (const [s, target, status, latencyMs] of records) stats.record({ at: T0 + s * 1000, route: 'r', target, status, latencyMs });
  return stats;
}

const metric = (MetricName: string, node: string, Stat: string, Period = 1) => ({
  Id: `${MetricName.toLowerCase().replace(/[^a-z0-9]/g, '')}_${node.replace('-', '_')}`,
  MetricStat: { Metric: { Namespace: MESH_NAMESPACE, MetricName, Dimensions: [{ Name: 'Mesh', Value: 'demo-mesh' }, { Name: 'VirtualNode', Value: node }] }, Period, Stat },
});

describe('LocalCloudWatch (GetMetricData over the local mesh)', () => {
  const stats = statsWith([
    [0, 'demo-canary', 200, 10],
    [0, 'demo-canary', 500, 400],
    [0, 'demo-stable', 200, 20],
    // second 1: no request at all
    [2, 'demo-canary', 200, 300],
  ]);
  const cw = new LocalCloudWatch(stats, 'demo-mesh', { now: () => T0 + 10_000 });

  it('answers per period with no datapoint for a period without requests, newest first by default', () => {
    // Act
    const out = cw.getMetricData({ MetricDataQueries: [metric('RequestCount', 'demo-canary', 'Sum')], StartTime: new Date(T0), EndTime: new Date(T0 + 5000) });

    // Assess
    expect(out.MetricDataResults).toEqual([
      { Id: 'requestcount_demo_canary', Label: 'RequestCount', Timestamps: [new Date(T0 + 2000), new Date(T0)], Values: [1, 2], StatusCode: 'Complete' },
    ]);
    expect(out.NextToken).toBeUndefined();
  });

  it('computes percentile-rank, percentile and 5xx statistics like CloudWatch, and nothing for unknown metrics', () => {
    // Act
    const out = cw.getMetricData({
      MetricDataQueries: [
        { ...metric('ResponseTime', 'demo-canary', 'PR(250:)'), Id: 'slow' },
        { ...metric('ResponseTime', 'demo-canary', 'p50'), Id: 'median' },
        { ...metric('HTTPCode_5XX_Count', 'demo-canary', 'Sum'), Id: 'errors' },
        { ...metric('CPUUtilization', 'demo-canary', 'Average'), Id: 'cpu' },
      ],
      StartTime: new Date(T0),
      EndTime: new Date(T0 + 5000),
      ScanBy: 'TimestampAscending',
    });

    // Assess: second 0 had 10 ms and 400 ms (half above 250 ms), second 2 had 300 ms; one 5xx in second 0.
    const values = Object.fromEntries(out.MetricDataResults!.map((r) => [r.Id, r.Values]));
    expect(values).toEqual({ slow: [50, 100], median: [10, 300], errors: [1], cpu: [] });
  });

  it('pages with NextToken and the production reader reassembles the counts', async () => {
    // Prepare: one datapoint per page.
    const paged = new LocalCloudWatch(stats, 'demo-mesh', { pageSize: 1, now: () => T0 + 10_000 });
    const reader = new CloudWatchMetricData(paged);
    const spec = parseSpec({ name: 'demo', router: { appMesh: { mesh: 'demo-mesh', virtualRouter: 'r' } }, target: { canary: 'demo-canary', stable: 'demo-stable' }, strategy: { steps: [100] } });
    const compare = CompareSchema.parse({ metric: 'errorRate', maxIncrease: '1%', period: 1 });

    // Act
    const [counts] = await readVersionCounts(reader, [compare], versionMetrics(spec, { canary: 'demo-canary', stable: 'demo-stable' }), { start: new Date(T0), end: new Date(T0 + 5000) });

    // Assess: 4 datapoints (canary requests ×2, canary 5xx ×1, stable requests ×1) in 4 pages.
    expect(paged.calls).toBe(4);
    expect(counts).toEqual([
      { start: new Date(T0).toISOString(), periodSeconds: 1, canary: { requests: 2, errors: 1 }, stable: { requests: 1, errors: 0 } },
      { start: new Date(T0 + 2000).toISOString(), periodSeconds: 1, canary: { requests: 1, errors: 0 }, stable: { requests: 0, errors: 0 } },
    ]);
  });

  it('is a drop-in for the SDK client: it answers a GetMetricDataCommand sent to it', async () => {
    // Act
    const out = await cw.send(new GetMetricDataCommand({ MetricDataQueries: [metric('RequestCount', 'demo-stable', 'Sum', 60)], StartTime: new Date(T0), EndTime: new Date(T0 + 5000) }));

    // Assess
    expect(out.MetricDataResults?.[0]?.Values).toEqual([1]);
  });
});
