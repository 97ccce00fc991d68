import { createHmac } from 'node:crypto';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { SFNClient } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import type { Context } from 'aws-lambda';
import { RecordingNotifier } from '../../../src/approvals/notifier';
import { startDynalite, type LocalDynamo } from '../../../src/local/dynamo';
import { configureDeps, type Deps } from '../../../src/rollouts/deps';
import { SfnExecutions } from '../../../src/rollouts/sfn-executions';
import { MemoryStore } from '../../../src/rollouts/store';
import { handler as ecrHandler } from '../../../functions/trigger-ecr';
import { handler as githubHandler } from '../../../functions/trigger-github';
import { fixture, fixedNow, STATE_MACHINE_ARN } from './support';

const ssm = mockClient(SSMClient);
mockClient(SFNClient);

const context = { functionName: 'trigger', awsRequestId: 'req-1', invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:trigger', memoryLimitInMB: '256' } as unknown as Context;

let dynamo: LocalDynamo;

beforeAll(async () => {
  // The triggers read the desired state through their own table (the lite table): a real engine answers it.
  dynamo = await startDynalite();
  await dynamo.createTable('canary-table');
  Object.assign(process.env, { AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint, AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'AKIDLOCAL', AWS_SECRET_ACCESS_KEY: 'local' });
  process.env.TABLE_NAME = 'canary-table';
  process.env.STATE_MACHINE_ARN = STATE_MACHINE_ARN;
  process.env.GITHUB_WEBHOOK_SECRET_PARAMETER = '/canary-controller/github-webhook-secret';
  configureDeps({ store: new MemoryStore(), notifier: new RecordingNotifier(), executions: new SfnExecutions(new SFNClient({})), now: fixedNow } as unknown as Deps);
});

afterAll(async () => {
  configureDeps(undefined);
  await dynamo?.close();
});

describe('trigger handlers', () => {
  it('trigger-ecr returns the skipped reason for an image nobody tracks instead of failing', async () => {
    const result = await ecrHandler(fixture('ecr-image-push.json'), context);
    expect(result).toMatchObject({ started: [], skipped: [{ reason: 'no synced spec tracks ECR repository user-service' }] });
  });

  it('trigger-github answers 401 to a wrong signature and 200 to a signed ping', async () => {
    ssm.on(GetParameterCommand).resolves({ Parameter: { Value: 'handler-secret' } });
    const body = JSON.stringify(fixture('github-ping.json'));
    const good = `sha256=${createHmac('sha256', 'handler-secret').update(body).digest('hex')}`;
    const wrong = `sha256=${createHmac('sha256', 'other').update(body).digest('hex')}`;
    const event = (sig: string) => ({ version: '2.0', routeKey: 'POST /webhooks/github', headers: { 'x-github-event': 'ping', 'x-hub-signature-256': sig }, body, isBase64Encoded: false });
    expect(await githubHandler(event(wrong), context)).toMatchObject({ statusCode: 401 });
    expect(await githubHandler(event(good), context)).toMatchObject({ statusCode: 200 });
  });
});
