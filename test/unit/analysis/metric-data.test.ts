import { CloudWatchClient, CloudWatchServiceException, GetMetricDataCommand, type GetMetricDataCommandInput } from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import { CloudWatchMetricData } from '../../../src/analysis/metric-data';
import { ConfigurationError, TransientError } from '../../../src/shared/errors';

const cloudWatch = mockClient(CloudWatchClient);
const client = new CloudWatchClient({ region: 'eu-west-1' });
const QUERIES = [
  { Id: 'q0', MetricStat: { Metric: { Namespace: 'AWS/ApplicationELB', MetricName: 'RequestCount', Dimensions: [{ Name: 'TargetGroup', Value: 'targetgroup/a/1' }] }, Period: 60, Stat: 'Sum' }, ReturnData: true },
];
const START = new Date('2026-11-29T10:00:00Z');
const END = new Date('2026-11-29T10:05:00Z');
const t = (minute: number) => new Date(START.getTime() + minute * 60_000);

function throttling(): CloudWatchServiceException {
  return new CloudWatchServiceException({ name: 'Throttling', $fault: 'client', $metadata: { httpStatusCode: 400 }, message: 'Rate exceeded' });
}

beforeEach(() => cloudWatch.reset());

describe('CloudWatchMetricData', () => {
  it('pages with NextToken, sending the same queries, and returns each series oldest first', async () => {
    // Prepare: CloudWatch answers newest first across two pages (PartialData then Complete).
    cloudWatch
      .on(GetMetricDataCommand)
      .resolvesOnce({ MetricDataResults: [{ Id: 'q0', Label: 'RequestCount', Timestamps: [t(4), t(3)], Values: [40, 30], StatusCode: 'PartialData' }], NextToken: 'page-2' })
      .resolvesOnce({ MetricDataResults: [{ Id: 'q0', Label: 'RequestCount', Timestamps: [t(1)], Values: [10], StatusCode: 'Complete' }] });
    const reader = new CloudWatchMetricData(client, { attempts: 3, baseMs: 1 });

    // Act
    const series = await reader.read(QUERIES, START, END);

    // Assess
    const inputs = cloudWatch.commandCalls(GetMetricDataCommand).map((c) => c.args[0].input as GetMetricDataCommandInput);
    expect(inputs).toEqual([
      { MetricDataQueries: QUERIES, StartTime: START, EndTime: END, NextToken: undefined, ScanBy: 'TimestampAscending' },
      { MetricDataQueries: QUERIES, StartTime: START, EndTime: END, NextToken: 'page-2', ScanBy: 'TimestampAscending' },
    ]);
    expect(series.get('q0')).toEqual({ id: 'q0', label: 'RequestCount', timestamps: [t(1), t(3), t(4)].map((d) => d.getTime()), values: [10, 30, 40], complete: true });
    expect(reader.calls).toBe(2);
    expect(reader.metricsRequested).toBe(1);
  });

  it('never treats PartialData without a NextToken as complete', async () => {
    // Prepare
    cloudWatch.on(GetMetricDataCommand).resolves({ MetricDataResults: [{ Id: 'q0', Timestamps: [t(1)], Values: [1], StatusCode: 'PartialData' }] });

    // Act
    const series = await new CloudWatchMetricData(client).read(QUERIES, START, END);

    // Assess
    expect(series.get('q0')?.complete).toBe(false);
  });

  it('retries throttling with backoff and succeeds', async () => {
    // Prepare
    cloudWatch.on(GetMetricDataCommand).rejectsOnce(throttling()).rejectsOnce(throttling()).resolves({ MetricDataResults: [{ Id: 'q0', Timestamps: [], Values: [], StatusCode: 'Complete' }] });
    const reader = new CloudWatchMetricData(client, { attempts: 3, baseMs: 1 });

    // Act
    const series = await reader.read(QUERIES, START, END);

    // Assess
    expect(series.get('q0')?.values).toEqual([]);
    expect(reader.calls).toBe(3);
  });

  it('gives up with a TransientError the state machine retries when throttling persists', async () => {
    // Prepare
    cloudWatch.on(GetMetricDataCommand).rejects(throttling());

    // Act
    const act = new CloudWatchMetricData(client, { attempts: 2, baseMs: 1 }).read(QUERIES, START, END);

    // Assess
    await expect(act).rejects.toBeInstanceOf(TransientError);
    expect(cloudWatch.commandCalls(GetMetricDataCommand)).toHaveLength(2);
  });

  it('turns a Forbidden query into a configuration error naming it', async () => {
    // Prepare
    cloudWatch.on(GetMetricDataCommand).resolves({ MetricDataResults: [{ Id: 'q0', StatusCode: 'Forbidden', Messages: [{ Code: 'Forbidden', Value: 'cross-account' }] }] });

    // Act
    const act = new CloudWatchMetricData(client).read(QUERIES, START, END);

    // Assess
    await expect(act).rejects.toThrow(new ConfigurationError('GetMetricData query "q0": Forbidden: Forbidden cross-account'));
  });

  it('makes no call when there is nothing to ask', async () => {
    // Act
    const series = await new CloudWatchMetricData(client).read([], START, END);

    // Assess
    expect(series.size).toBe(0);
    expect(cloudWatch.commandCalls(GetMetricDataCommand)).toHaveLength(0);
  });
});
