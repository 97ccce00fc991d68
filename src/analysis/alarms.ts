import type { CloudWatchClient, DescribeAlarmsCommandOutput } from '@aws-sdk/client-cloudwatch';
import { cloudWatchSdk } from './cloudwatch-sdk';
import { classifyAwsError, ConfigurationError } from '../shared/errors';
import type { AlarmState, CheckResult } from './judge';

/** Where check results come from: CloudWatch alarms in AWS, alarms computed from real traffic locally. */
export interface CheckSource {
  /** Current state of each named check. Unknown names come back in `missing`, never as healthy. */
  describe(names: string[]): Promise<{ results: CheckResult[]; missing: string[] }>;
}

/** DescribeAlarms accepts at most 100 names per call. */
const BATCH = 100;

/** CloudWatch metric and composite alarms, read in batches of 100. */
export class CloudWatchAlarms implements CheckSource {
  /** DescribeAlarms calls made, for the benchmark's API-call counts. */
  calls = 0;

  constructor(private readonly client: CloudWatchClient = new (cloudWatchSdk().CloudWatchClient)({})) {}

  async describe(names: string[]): Promise<{ results: CheckResult[]; missing: string[] }> {
    const unique = [...new Set(names)];
    const found = new Map<string, CheckResult>();
    for (let i = 0; i < unique.length; i += BATCH) {
      const batch = unique.slice(i, i + BATCH);
      let nextToken: string | undefined;
      do {
        let page: DescribeAlarmsCommandOutput;
        try {
          this.calls++;
          page = await this.client.send(
            new (cloudWatchSdk().DescribeAlarmsCommand)({ AlarmNames: batch, AlarmTypes: ['MetricAlarm', 'CompositeAlarm'], NextToken: nextToken, MaxRecords: BATCH }),
          );
        } catch (error) {
          throw classifyAwsError(error, `DescribeAlarms(${batch.join(', ')})`);
        }
        for (const a of page.MetricAlarms ?? []) found.set(a.AlarmName!, toResult(a, 'metric'));
        for (const a of page.CompositeAlarms ?? []) found.set(a.AlarmName!, toResult(a, 'composite'));
        nextToken = page.NextToken;
      } while (nextToken);
    }
    return {
      results: unique.filter((n) => found.has(n)).map((n) => found.get(n)!),
      missing: unique.filter((n) => !found.has(n)),
    };
  }
}

function toResult(
  alarm: { AlarmName?: string; StateValue?: string; StateReason?: string; StateUpdatedTimestamp?: Date },
  kind: 'metric' | 'composite',
): CheckResult {
  return {
    name: alarm.AlarmName!,
    kind,
    state: (alarm.StateValue ?? 'INSUFFICIENT_DATA') as AlarmState,
    reason: alarm.StateReason,
    updatedAt: alarm.StateUpdatedTimestamp?.toISOString(),
  };
}

/** At Prepare: every alarm must exist, or the rollout is a configuration error before any shift. */
export async function requireAlarms(source: CheckSource, names: string[]): Promise<void> {
  if (names.length === 0) return;
  const { missing } = await source.describe(names);
  if (missing.length > 0) {
    throw new ConfigurationError(
      `analysis.alarms: ${missing.length === 1 ? 'alarm' : 'alarms'} ${missing.map((n) => `"${n}"`).join(', ')} not found in CloudWatch`,
    );
  }
}

/**
 * While judging: a check that vanished mid-rollout (deleted alarm) is a failed check, never healthy.
 */
export async function runChecks(source: CheckSource, names: string[]): Promise<CheckResult[]> {
  if (names.length === 0) return [];
  const { results, missing } = await source.describe(names);
  return [
    ...results,
    ...missing.map((name) => ({ name, kind: 'metric' as const, state: 'ALARM' as const, reason: 'alarm no longer exists' })),
  ];
}
