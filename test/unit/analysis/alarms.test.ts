import {
  CloudWatchClient,
  CloudWatchServiceException,
  DescribeAlarmsCommand,
  InvalidParameterValueException,
  type CompositeAlarm,
  type DescribeAlarmsCommandInput,
  type MetricAlarm,
} from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import { CloudWatchAlarms, requireAlarms, runChecks } from '../../../src/analysis/alarms';
import { ConfigurationError, TransientError } from '../../../src/shared/errors';

const cloudWatch = mockClient(CloudWatchClient);

const UPDATED = new Date('2025-03-01T12:00:00.000Z');

function metricAlarm(name: string, state: 'OK' | 'ALARM' | 'INSUFFICIENT_DATA' = 'OK'): MetricAlarm {
  return { AlarmName: name, StateValue: state, StateReason: `${name} went ${state}`, StateUpdatedTimestamp: UPDATED, MetricName: '5XXError' };
}

function compositeAlarm(name: string, state: 'OK' | 'ALARM' | 'INSUFFICIENT_DATA' = 'OK'): CompositeAlarm {
  return { AlarmName: name, StateValue: state, StateReason: `${name} went ${state}`, StateUpdatedTimestamp: UPDATED, AlarmRule: 'ALARM(a)' };
}

/** Answers DescribeAlarms with every requested name that exists in `existing`, the way CloudWatch does. */
function cloudWatchWith(existing: string[]): void {
  cloudWatch.on(DescribeAlarmsCommand).callsFake((input: DescribeAlarmsCommandInput) => ({
    MetricAlarms: (input.AlarmNames ?? []).filter((n) => existing.includes(n)).map((n) => metricAlarm(n)),
    CompositeAlarms: [],
  }));
}

function describeInputs(): DescribeAlarmsCommandInput[] {
  return cloudWatch.commandCalls(DescribeAlarmsCommand).map((c) => c.args[0].input);
}

function throttling(): CloudWatchServiceException {
  return new CloudWatchServiceException({ name: 'Throttling', $fault: 'client', $metadata: { httpStatusCode: 400 }, message: 'Rate exceeded' });
}

beforeEach(() => {
  cloudWatch.reset();
});

describe('CloudWatchAlarms', () => {
  describe('describe', () => {
    it('asks for metric and composite alarms by name', async () => {
      // Prepare
      cloudWatchWith(['user-5xx']);
      const alarms = new CloudWatchAlarms(new CloudWatchClient({}));

      // Act
      await alarms.describe(['user-5xx']);

      // Assess
      expect(describeInputs()).toEqual([{ AlarmNames: ['user-5xx'], AlarmTypes: ['MetricAlarm', 'CompositeAlarm'], MaxRecords: 100 }]);
    });

    it('reads 250 names in three batches of at most 100', async () => {
      // Prepare
      const names = Array.from({ length: 250 }, (_, i) => `alarm-${String(i).padStart(3, '0')}`);
      cloudWatchWith(names);
      const alarms = new CloudWatchAlarms(new CloudWatchClient({}));

      // Act
      const { results, missing } = await alarms.describe(names);

      // Assess
      const inputs = describeInputs();
      expect(inputs.map((i) => i.AlarmNames)).toEqual([names.slice(0, 100), names.slice(100, 200), names.slice(200)]);
      expect(inputs.every((i) => i.AlarmTypes?.join() === 'MetricAlarm,CompositeAlarm' && i.MaxRecords === 100)).toBe(true);
      expect(alarms.calls).toBe(3);
      expect(results.map((r) => r.name)).toEqual(names);
      expect(missing).toEqual([]);
    });

    it('asks once for a name listed twice', async () => {
      // Prepare
      cloudWatchWith(['user-5xx']);
      const alarms = new CloudWatchAlarms(new CloudWatchClient({}));

      // Act
      const { results } = await alarms.describe(['user-5xx', 'user-5xx']);

      // Assess
      expect(describeInputs()[0]!.AlarmNames).toEqual(['user-5xx']);
      expect(results).toHaveLength(1);
    });

    it('follows NextToken until the last page', async () => {
      // Prepare
      cloudWatch
        .on(DescribeAlarmsCommand, { NextToken: undefined })
        .resolves({ MetricAlarms: [metricAlarm('user-5xx')], NextToken: 'page-2' })
        .on(DescribeAlarmsCommand, { NextToken: 'page-2' })
        .resolves({ CompositeAlarms: [compositeAlarm('user-health', 'ALARM')], NextToken: 'page-3' })
        .on(DescribeAlarmsCommand, { NextToken: 'page-3' })
        .resolves({ MetricAlarms: [metricAlarm('user-p99', 'INSUFFICIENT_DATA')] });
      const alarms = new CloudWatchAlarms(new CloudWatchClient({}));

      // Act
      const { results, missing } = await alarms.describe(['user-5xx', 'user-health', 'user-p99']);

      // Assess
      expect(describeInputs().map((i) => i.NextToken)).toEqual([undefined, 'page-2', 'page-3']);
      expect(describeInputs().every((i) => i.AlarmNames?.length === 3)).toBe(true);
      expect(results.map((r) => [r.name, r.state])).toEqual([
        ['user-5xx', 'OK'],
        ['user-health', 'ALARM'],
        ['user-p99', 'INSUFFICIENT_DATA'],
      ]);
      expect(missing).toEqual([]);
    });

    it('maps metric and composite alarms to check results with their kind, reason and time', async () => {
      // Prepare
      cloudWatch.on(DescribeAlarmsCommand).resolves({
        MetricAlarms: [metricAlarm('user-5xx', 'ALARM')],
        CompositeAlarms: [compositeAlarm('user-health', 'OK')],
      });
      const alarms = new CloudWatchAlarms(new CloudWatchClient({}));

      // Act
      const { results } = await alarms.describe(['user-health', 'user-5xx']);

      // Assess
      expect(results).toEqual([
        { name: 'user-health', kind: 'composite', state: 'OK', reason: 'user-health went OK', updatedAt: '2025-03-01T12:00:00.000Z' },
        { name: 'user-5xx', kind: 'metric', state: 'ALARM', reason: 'user-5xx went ALARM', updatedAt: '2025-03-01T12:00:00.000Z' },
      ]);
    });

    it('reports names CloudWatch does not know as missing, never as healthy', async () => {
      // Prepare
      cloudWatchWith(['user-5xx']);
      const alarms = new CloudWatchAlarms(new CloudWatchClient({}));

      // Act
      const { results, missing } = await alarms.describe(['user-5xx', 'deleted-alarm', 'typo-alarm']);

      // Assess
      expect(results.map((r) => r.name)).toEqual(['user-5xx']);
      expect(missing).toEqual(['deleted-alarm', 'typo-alarm']);
    });

    it('turns throttling into a TransientError naming the call', async () => {
      // Prepare
      cloudWatch.on(DescribeAlarmsCommand).rejects(throttling());
      const alarms = new CloudWatchAlarms(new CloudWatchClient({}));

      // Act
      const act = alarms.describe(['user-5xx']);

      // Assess
      await expect(act).rejects.toBeInstanceOf(TransientError);
      await expect(act).rejects.toThrow('DescribeAlarms(user-5xx): Throttling: Rate exceeded');
    });

    it('rethrows errors it does not know unchanged', async () => {
      // Prepare
      const error = new InvalidParameterValueException({ $metadata: { httpStatusCode: 400 }, message: 'bad name' });
      cloudWatch.on(DescribeAlarmsCommand).rejects(error);
      const alarms = new CloudWatchAlarms(new CloudWatchClient({}));

      // Act
      const act = alarms.describe(['user-5xx']);

      // Assess
      await expect(act).rejects.toBe(error);
    });
  });
});

describe('requireAlarms', () => {
  it('passes when every alarm exists', async () => {
    // Prepare
    cloudWatchWith(['user-5xx', 'user-p99']);

    // Act
    const act = requireAlarms(new CloudWatchAlarms(new CloudWatchClient({})), ['user-5xx', 'user-p99']);

    // Assess
    await expect(act).resolves.toBeUndefined();
  });

  it('does not call CloudWatch when there are no alarms', async () => {
    // Act
    await requireAlarms(new CloudWatchAlarms(new CloudWatchClient({})), []);

    // Assess
    expect(describeInputs()).toEqual([]);
  });

  it('names the missing alarm in a ConfigurationError', async () => {
    // Prepare
    cloudWatchWith(['user-5xx']);

    // Act
    const act = requireAlarms(new CloudWatchAlarms(new CloudWatchClient({})), ['user-5xx', 'x']);

    // Assess
    await expect(act).rejects.toBeInstanceOf(ConfigurationError);
    await expect(act).rejects.toThrow('analysis.alarms: alarm "x" not found in CloudWatch');
  });

  it('names every missing alarm', async () => {
    // Prepare
    cloudWatchWith([]);

    // Act
    const act = requireAlarms(new CloudWatchAlarms(new CloudWatchClient({})), ['user-5xx', 'user-p99']);

    // Assess
    await expect(act).rejects.toThrow('analysis.alarms: alarms "user-5xx", "user-p99" not found in CloudWatch');
  });
});

describe('runChecks', () => {
  it('returns each alarm state', async () => {
    // Prepare
    cloudWatch.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [metricAlarm('user-5xx', 'OK'), metricAlarm('user-p99', 'ALARM')] });

    // Act
    const results = await runChecks(new CloudWatchAlarms(new CloudWatchClient({})), ['user-5xx', 'user-p99']);

    // Assess
    expect(results.map((r) => [r.name, r.state])).toEqual([
      ['user-5xx', 'OK'],
      ['user-p99', 'ALARM'],
    ]);
  });

  it('turns an alarm that vanished mid-rollout into an ALARM', async () => {
    // Prepare
    cloudWatchWith(['user-5xx']);

    // Act
    const results = await runChecks(new CloudWatchAlarms(new CloudWatchClient({})), ['user-5xx', 'user-p99']);

    // Assess
    expect(results).toContainEqual({ name: 'user-p99', kind: 'metric', state: 'ALARM', reason: 'alarm no longer exists' });
    expect(results.find((r) => r.name === 'user-5xx')?.state).toBe('OK');
  });

  it('returns no results and makes no call without alarms', async () => {
    // Act
    const results = await runChecks(new CloudWatchAlarms(new CloudWatchClient({})), []);

    // Assess
    expect(results).toEqual([]);
    expect(describeInputs()).toEqual([]);
  });

  it('lets throttling surface as a TransientError so the state machine retries', async () => {
    // Prepare
    cloudWatch.on(DescribeAlarmsCommand).rejects(throttling());

    // Act
    const act = runChecks(new CloudWatchAlarms(new CloudWatchClient({})), ['user-5xx']);

    // Assess
    await expect(act).rejects.toBeInstanceOf(TransientError);
  });
});
