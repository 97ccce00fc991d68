import type { CheckResult } from '../analysis/judge';
import type { RolloutEvent } from '../rollouts/records';
import type { CustomCheckPorts } from '../analysis/custom';
import { CloudWatchMetricData } from '../analysis/metric-data';
import { ConfigurationError } from '../shared/errors';
import type { RolloutSpec } from '../spec';
import { LocalCloudWatch } from './aws/cloudwatch';
import type { MeshStats } from './mesh';

/**
 * The analysis ports of a local run: GetMetricData answered from the mesh's real requests
 * (through the production reader, unchanged), webhooks over real HTTP to this machine.
 */
export function localAnalysisPorts(stats: MeshStats, mesh: string): { metrics: CloudWatchMetricData; customChecks: CustomCheckPorts } {
  return {
    metrics: new CloudWatchMetricData(new LocalCloudWatch(stats, mesh), { attempts: 2, baseMs: 10 }),
    customChecks: {
      invoke: async (fn) => {
        throw new ConfigurationError(`Lambda check ${fn}: there are no Lambda functions in a local run`);
      },
      // Local webhooks sign with CANARY_WEBHOOK_SECRET (never printed), or a fixed development secret.
      secret: async () => process.env.CANARY_WEBHOOK_SECRET ?? 'local-development-secret',
      fetch: (...args) => fetch(...args),
    },
  };
}

/**
 * A compressed local run bakes seconds, not minutes: metric periods shrink to 1 s (a
 * high-resolution period) so each step's window holds its own periods, as minutes do in AWS.
 */
export function withLocalPeriods(spec: RolloutSpec): RolloutSpec {
  const a = spec.analysis;
  return {
    ...spec,
    analysis: { ...a, compare: a.compare.map((c) => ({ ...c, period: 1 })), metrics: a.metrics.map((m) => ({ ...m, period: 1 })) },
  };
}

/** The judgements of one step from the history, for the report's checks table. */
export function judgementsOf(verdicts: RolloutEvent[], step: number): Array<{ verdict: string; checks: CheckResult[] }> {
  return verdicts.filter((v) => v.kind === 'verdict' && v.step === step).map((v) => ({ verdict: v.verdict ?? 'unknown', checks: v.checks ?? [] }));
}
