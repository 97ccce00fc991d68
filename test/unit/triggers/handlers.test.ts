import { createHmac } from 'node:crypto';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { SFNClient } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import type { Context } from 'aws-lambda';
import { RecordingNotifier } from '../../../src/approvals/notifier';
import { configureDeps, type Deps } from '../../../src/rollouts/deps';
import { SfnExecutions } from '../../../src/rollouts/sfn-executions';
import { MemoryStore } from '../../../src/rollouts/store';
import { handler as ecrHandler } from '../../../functions/trigger-ecr';
import { handler as githubHandler } from '../../../functions/trigger-github';
import { fixture, fixedNow, STATE_MACHINE_ARN } from './support';

const doc = mockClient(DynamoDBDocumentClient);
const ssm = mockClient(SSMClient);
mockClient(SFNClient);

const context = { functionName: 'trigger', awsRequestId: 'req-1', invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:trigger', memoryLimitInMB: '256' } as unknown as Context;

beforeAll(() => {
  process.env.TABLE_NAME = 'canary-table';
  process.env.STATE_MACHINE_ARN = STATE_MACHINE_ARN;
  process.env.GITHUB_WEBHOOK_SECRET_PARAMETER = '/canary-controller/github-webhook-secret';
  configureDeps({ store: new MemoryStore(), notifier: new RecordingNotifier(), executions: new SfnExecutions(new SFNClient({})), now: fixedNow } as unknown as Deps);
});

afterAll(() => configureDeps(undefined));

describe('trigger handlers', () => {
  it('trigger-ecr returns the skipped reason for an image nobody tracks instead of failing', async () => {
    doc.on(QueryCommand).resolves({ Items: [] });
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
