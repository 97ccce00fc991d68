import type { CostAssumptions, RolloutCounts } from '../../src/plan/cost';

/** API call counts by `Service.Operation` (see bench/lib/counting.ts). */
export type ApiCallCounts = Record<string, number>;

/** What one measured rollout used, in the billing units of src/plan/cost.ts. */
export function billableCounts(input: {
  transitions: number;
  lambdaInvocations: number;
  api: ApiCallCounts;
  lambdaMemoryMb: number;
  lambdaSecondsPerInvocation: number;
}): RolloutCounts {
  const a = input.api;
  const n = (k: string) => a[k] ?? 0;
  return {
    stateTransitions: input.transitions,
    lambdaInvocations: input.lambdaInvocations,
    lambdaGbSeconds: input.lambdaInvocations * (input.lambdaMemoryMb / 1024) * input.lambdaSecondsPerInvocation,
    describeAlarmsCalls: n('CloudWatch.DescribeAlarms'),
    metricsRequested: n('CloudWatch.GetMetricData.metrics'),
    dynamoWrites: n('DynamoDB.PutItem') + n('DynamoDB.UpdateItem') + n('DynamoDB.DeleteItem'),
    dynamoReads: n('DynamoDB.GetItem') + n('DynamoDB.Query'),
    messages: n('SNS.Publish') + n('EventBridge.PutEvents'),
  };
}

/** Dollars of measured counts at the prices of src/plan/cost.ts (App Mesh and Step Functions API calls are free). */
export function usdOfCounts(c: RolloutCounts, a: CostAssumptions): { stepFunctions: number; lambda: number; cloudWatch: number; dynamoDb: number; messaging: number; total: number } {
  const stepFunctions = c.stateTransitions * a.usdPerStateTransition;
  const lambda = c.lambdaGbSeconds * a.usdPerLambdaGbSecond + c.lambdaInvocations * a.usdPerLambdaRequest;
  const cloudWatch = c.describeAlarmsCalls * a.usdPerCloudWatchRequest + (c.metricsRequested ?? 0) * a.usdPerMetricRequested;
  const dynamoDb = c.dynamoWrites * a.usdPerDynamoWrite + c.dynamoReads * a.usdPerDynamoRead;
  const messaging = c.messages * a.usdPerMessage;
  return { stepFunctions, lambda, cloudWatch, dynamoDb, messaging, total: stepFunctions + lambda + cloudWatch + dynamoDb + messaging };
}
