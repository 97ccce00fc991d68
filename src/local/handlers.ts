import type { Context } from 'aws-lambda';
import type { LookoutResult } from '../rollouts/look';
import { handler as alarmInterrupt } from '../../functions/alarm-interrupt';
import { handler as checkWorkload } from '../../functions/check-workload';
import { handler as deployCanary } from '../../functions/deploy-canary';
import { handler as look } from '../../functions/look';
import { handler as prepare } from '../../functions/prepare';
import { handler as promote } from '../../functions/promote';
import { handler as promoteWorkload } from '../../functions/promote-workload';
import { handler as release } from '../../functions/release';
import { handler as reportFailure } from '../../functions/report-failure';
import { handler as requestApproval } from '../../functions/request-approval';
import { handler as rollback } from '../../functions/rollback';
import { handler as scaleDownCanary } from '../../functions/scale-down-canary';
import { handler as step } from '../../functions/step';

export type LambdaHandler = (event: unknown, context: Context) => Promise<unknown>;

/** The real handlers, by the function names serverless.yml and the ASL use. */
export const HANDLERS: Record<string, LambdaHandler> = {
  prepare: prepare as LambdaHandler,
  step: step as LambdaHandler,
  promote: promote as LambdaHandler,
  rollback: rollback as LambdaHandler,
  release: release as LambdaHandler,
  reportFailure: reportFailure as LambdaHandler,
  requestApproval: requestApproval as LambdaHandler,
  alarmInterrupt: alarmInterrupt as LambdaHandler,
  deployCanary: deployCanary as LambdaHandler,
  checkWorkload: checkWorkload as LambdaHandler,
  promoteWorkload: promoteWorkload as LambdaHandler,
  scaleDownCanary: scaleDownCanary as LambdaHandler,
  look: look as LambdaHandler,
};

let requests = 0;

/** A Lambda context good enough for middy and Powertools when a handler runs in-process. */
export function localContext(functionName: string): Context {
  const deadline = Date.now() + 60_000;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${functionName}`,
    memoryLimitInMB: '256',
    awsRequestId: `local-${++requests}`,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/**
 * Delivers `CloudWatch Alarm State Change` (→ ALARM) to the real alarmInterrupt handler, as the
 * EventBridge rule in serverless.yml does in AWS. Returns the rollouts whose bake it ended.
 */
export async function deliverAlarm(alarmName: string, reason: string): Promise<string[]> {
  const now = new Date().toISOString();
  const event = {
    version: '0',
    'detail-type': 'CloudWatch Alarm State Change',
    source: 'aws.cloudwatch',
    account: '000000000000',
    region: 'us-east-1',
    time: now,
    detail: { alarmName, state: { value: 'ALARM', reason, timestamp: now }, previousState: { value: 'OK' } },
  };
  const result = (await HANDLERS.alarmInterrupt!(event, localContext('alarmInterrupt'))) as { interrupted: string[] };
  return result.interrupted;
}

/** Runs the lookout once, as its EventBridge schedule would, with the local runner's shorter tick. */
export async function runLookout(tickSeconds: number): Promise<LookoutResult> {
  const now = new Date().toISOString();
  const event = { version: '0', 'detail-type': 'Scheduled Event', source: 'aws.events', account: '000000000000', region: 'us-east-1', time: now, detail: {}, tickSeconds };
  return (await HANDLERS.look!(event, localContext('look'))) as LookoutResult;
}
