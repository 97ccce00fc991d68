import { metricsPerJudgement } from '../analysis/cost';
import type { RolloutSpec } from '../spec';
import type { RolloutPlan } from './index';

/**
 * A pure cost model of one rollout, from counts derived from the state machine's shape
 * (statemachines/rollout.asl.json) and the spec. No I/O: prices are list prices (us-east-1)
 * passed in as assumptions, so a reader can check every number.
 */
export interface CostAssumptions {
  /** Step Functions Standard, USD per state transition ($0.025 per 1,000). */
  usdPerStateTransition: number;
  /** Lambda arm64, USD per GB-second. */
  usdPerLambdaGbSecond: number;
  /** Lambda, USD per request ($0.20 per 1M). */
  usdPerLambdaRequest: number;
  lambdaMemoryMb: number;
  /** Average billed duration of one handler invocation. */
  lambdaSecondsPerInvocation: number;
  /** CloudWatch API (DescribeAlarms), USD per request ($0.01 per 1,000). */
  usdPerCloudWatchRequest: number;
  /** CloudWatch GetMetricData, USD per metric requested ($0.01 per 1,000 metrics), whatever the number of calls. */
  usdPerMetricRequested: number;
  /** DynamoDB on-demand, USD per write request unit ($1.25 per million). */
  usdPerDynamoWrite: number;
  /** DynamoDB on-demand, USD per read request unit ($0.25 per million). */
  usdPerDynamoRead: number;
  /** SNS publish and EventBridge custom event, USD each ($1.00 per million). */
  usdPerMessage: number;
  /** Route locks taken (one per route shifted); offline we cannot know how many routes the router has. */
  routes: number;
}

export const DEFAULT_COST_ASSUMPTIONS: CostAssumptions = {
  usdPerStateTransition: 0.025 / 1000,
  usdPerLambdaGbSecond: 0.0000133334,
  usdPerLambdaRequest: 0.2 / 1_000_000,
  lambdaMemoryMb: 256,
  lambdaSecondsPerInvocation: 0.3,
  usdPerCloudWatchRequest: 0.01 / 1000,
  usdPerMetricRequested: 0.01 / 1000,
  usdPerDynamoWrite: 1.25 / 1_000_000,
  usdPerDynamoRead: 0.25 / 1_000_000,
  usdPerMessage: 1 / 1_000_000,
  routes: 1,
};

export interface RolloutCounts {
  stateTransitions: number;
  lambdaInvocations: number;
  lambdaGbSeconds: number;
  describeAlarmsCalls: number;
  /** Metrics requested through GetMetricData (comparisons and metric checks), one call per judgement. */
  metricsRequested: number;
  dynamoWrites: number;
  dynamoReads: number;
  /** SNS publishes plus EventBridge events (notifications and bake timers). */
  messages: number;
  /** Looks of the lookout into the bakes (sequential comparisons), besides the Steps' judgements (the model's; a measured run counts its invocations). */
  lookoutLooks?: number;
}

export interface RolloutCost {
  counts: RolloutCounts;
  usd: {
    stepFunctions: number;
    lambda: number;
    cloudWatch: number;
    dynamoDb: number;
    messaging: number;
    total: number;
  };
  assumptions: CostAssumptions;
  /** The assumptions in words, for printing next to the numbers. */
  notes: string[];
}

/** Seconds between two runs of the lookout in AWS: its schedule in serverless.yml, `rate(1 minute)`. */
export const LOOKOUT_SECONDS = 60;

/** How often the lookout looks at each traffic step, and what each look reads. */
export interface LookAssumptions {
  /**
   * Lookout looks per traffic step, besides the Step's judgement: with a sequential comparison,
   * one a minute through a fixed bake, ⌈min ÷ lookInterval⌉ (the fewest) up to max ÷ lookInterval
   * through `{ min, max }`; none without one.
   */
  lookoutPerStep: number;
  /** GetMetricData metrics each lookout look requests (per-version counts of the sequential comparisons). */
  metricsPerLook: number;
}

/**
 * Counts and dollars of one rollout that passes every check at the first try, with instant
 * approvals (the plan's minimum). Re-checks while waiting for data add 3 transitions, one
 * Lambda invocation and one DescribeAlarms call each. Every look of a `{ min, max }` bake
 * beyond the Step's judgement is the lookout's (look.ts): no state transition, its share of one
 * lookout invocation, one registry Query and one GetMetricData of the sequential comparisons'
 * counts; a bake it ends early records one event. Default lookout looks (with a sequential
 * comparison): one a minute through a fixed bake, ⌈min ÷ lookInterval⌉ with a range. The
 * lookout's idle runs (once a minute, about $0.06 a month) belong to the deployment.
 */
export function estimateRolloutCost(
  plan: Pick<RolloutPlan, 'steps'> & Partial<Pick<RolloutPlan, 'bakeRange' | 'bakeSeconds'>>,
  spec: Pick<RolloutSpec, 'approval' | 'analysis'> & { target?: Pick<RolloutSpec['target'], 'ecs'> },
  overrides: Partial<CostAssumptions> = {},
  looks: Partial<LookAssumptions> = {},
): RolloutCost {
  const a = { ...DEFAULT_COST_ASSUMPTIONS, ...overrides };
  const steps = plan.steps.length;
  const range = plan.bakeRange;
  const sequential = spec.analysis.compare.some((c) => c.test === 'sequential') ? 1 : 0;
  const defaultLooks = !sequential ? 0 : range ? Math.ceil(range.min / range.lookInterval) : Math.floor((plan.bakeSeconds ?? 0) / LOOKOUT_SECONDS);
  // An explicit lookoutPerStep may be an average over steps (e.g. measured): only the rollout's total is whole.
  const extraLooks = Math.round(steps * (looks.lookoutPerStep ?? defaultLooks));
  const lookMetrics = looks.metricsPerLook ?? metricsPerJudgement({ compare: spec.analysis.compare.filter((c) => c.test === 'sequential'), metrics: [] });
  const metricsRequested = steps * metricsPerJudgement(spec.analysis) + extraLooks * lookMetrics;
  const gates = Number(spec.approval.beforeStart) + Number(spec.approval.beforePromotion);
  const alarms = spec.analysis.alarms.length;
  const alarmBatches = Math.ceil(alarms / 100);

  // Prepare + ApprovalBeforeStart?; each gate its Task + the Choice after it (DeployCanary? or
  // PromoteWorkload?); each traffic step Step + Route + Bake; then the final Step (judges the
  // last step) + Route + Promote + ReleaseAfterPromotion + Promoted. bench/report.md checks this
  // against a real run.
  // target.ecs adds DeployCanary + WaitForCanary + CheckCanary + CanaryReady? before the first
  // step, and PromotePrimary + WaitForPrimary + CheckPrimary + PrimaryReady? + FinishPromotion in
  // place of Promote, each deployment steady at its first check (every further 15 s poll: 3
  // transitions and 1 checkWorkload invocation more).
  const ecs = spec.target?.ecs ? 1 : 0;
  const stateTransitions = 2 + 2 * gates + 3 * steps + 5 + 8 * ecs;
  // prepare, one step per traffic step, the final step, promote, release; per gate requestApproval and
  // the approval endpoint's Lambda when someone answers through a link. ECS: deployCanary, two
  // checkWorkload, promoteWorkload twice (promote and finish) instead of promote. Each lookout
  // look counts as one lookout invocation (it looks at every baking rollout in one run).
  const lambdaInvocations = 1 + steps + 1 + 1 + 1 + 2 * gates + 4 * ecs + extraLooks;
  const lambdaGbSeconds = lambdaInvocations * (a.lambdaMemoryMb / 1024) * a.lambdaSecondsPerInvocation;
  // requireAlarms at Prepare, then one judgement per step (the lookout reads no alarm: their changes interrupt by event).
  const describeAlarmsCalls = alarmBatches * (1 + steps);
  const dynamoWrites =
    a.routes + // acquire locks
    1 + // history record
    alarms + // alarm watches
    1 + // started event
    steps * 2 + // shifted event + record update per step
    steps + // verdict event per judgement
    2 * sequential + // lookout registration and its removal
    (range && extraLooks > 0 ? steps : 0) + // the lookout's event when it ends a bake early
    gates * 4 + // gate stored + requested event, decided update + event
    alarms + // unwatch
    2 + // promoted event + record update
    a.routes; // release locks
  // Prepare reads the spec's recent history (clean baseline); decide reads the record; each lookout look one registry Query.
  const dynamoReads = 1 + gates + extraLooks;
  // Notifications go to SNS and EventBridge: started, step passed per step, waiting per gate,
  // promoted. Each Bake puts one timer event on the bus (one per step: the lookout does not loop).
  const notifications = 1 + steps + gates + 1;
  const messages = notifications * 2 + steps;

  const counts: RolloutCounts = { stateTransitions, lambdaInvocations, lambdaGbSeconds, describeAlarmsCalls, metricsRequested, dynamoWrites, dynamoReads, messages, lookoutLooks: extraLooks };
  const stepFunctions = stateTransitions * a.usdPerStateTransition;
  const lambda = lambdaGbSeconds * a.usdPerLambdaGbSecond + lambdaInvocations * a.usdPerLambdaRequest;
  const cloudWatch = describeAlarmsCalls * a.usdPerCloudWatchRequest + metricsRequested * a.usdPerMetricRequested;
  const dynamoDb = dynamoWrites * a.usdPerDynamoWrite + dynamoReads * a.usdPerDynamoRead;
  const messaging = messages * a.usdPerMessage;
  return {
    counts,
    usd: { stepFunctions, lambda, cloudWatch, dynamoDb, messaging, total: stepFunctions + lambda + cloudWatch + dynamoDb + messaging },
    assumptions: a,
    notes: [
      `every check passes at the first try; approvals answered at once${ecs ? '; each ECS deployment steady at its first check' : ''} (re-checks add cost)`,
      ...(gates ? [`Lambda invocations count one approvalApi per approval gate (answered through its signed link); canaryctl approve and the local runner answer without it, ${gates} fewer`] : []),
      `Step Functions Standard $${round(a.usdPerStateTransition * 1000)} per 1,000 state transitions`,
      `Lambda arm64 ${a.lambdaMemoryMb} MB, ~${a.lambdaSecondsPerInvocation * 1000} ms per invocation, $${a.usdPerLambdaGbSecond} per GB-s, $${round(a.usdPerLambdaRequest * 1e6)} per 1M requests`,
      `CloudWatch DescribeAlarms $${round(a.usdPerCloudWatchRequest * 1000)} per 1,000 requests (one per judgement per 100 alarms)`,
      `CloudWatch GetMetricData $${round(a.usdPerMetricRequested * 1000)} per 1,000 metrics requested (one call per judgement, ${metricsPerJudgement(spec.analysis)} metrics each${extraLooks ? `; one per lookout look, ${lookMetrics} metrics each` : ''})`,
      `one judgement per traffic step${extraLooks ? ` and ${Number((extraLooks / steps).toFixed(2))} lookout look(s) (no state transition)${range ? `: bake ${range.min}–${range.max} s, a look every ${range.lookInterval} s` : ', once a minute through the bake'}` : ''}`,
      `DynamoDB on-demand $${round(a.usdPerDynamoWrite * 1e6)} per million writes, $${round(a.usdPerDynamoRead * 1e6)} per million reads, items under 1 KB, ${a.routes} route(s)`,
      `SNS and EventBridge $${round(a.usdPerMessage * 1e6)} per million messages`,
      'free tiers ignored; list prices of us-east-1',
    ],
  };
}

export interface ControllerAssumptions {
  vcpu: number;
  memoryGb: number;
  usdPerVcpuHour: number;
  usdPerGbHour: number;
  hoursPerMonth: number;
}

export const DEFAULT_CONTROLLER_ASSUMPTIONS: ControllerAssumptions = {
  vcpu: 0.25,
  memoryGb: 0.5,
  usdPerVcpuHour: 0.03238,
  usdPerGbHour: 0.00356,
  hoursPerMonth: 730,
};

/** Monthly cost of an always-on controller (a Fargate arm64 task, as Flagger or Argo would need), for comparison. */
export function alwaysOnControllerMonthlyCost(overrides: Partial<ControllerAssumptions> = {}): { usd: number; assumptions: ControllerAssumptions } {
  const a = { ...DEFAULT_CONTROLLER_ASSUMPTIONS, ...overrides };
  return { usd: (a.vcpu * a.usdPerVcpuHour + a.memoryGb * a.usdPerGbHour) * a.hoursPerMonth, assumptions: a };
}

/** Dollars for people: enough significant digits to see fractions of a cent. */
export function formatUsd(usd: number): string {
  if (usd === 0) return '$0';
  if (usd >= 1) return `$${usd.toFixed(2)}`;
  return `$${usd.toPrecision(3)}`;
}

function round(n: number): number {
  return Math.round(n * 1e6) / 1e6;
}
