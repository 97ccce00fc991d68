import type { UpdateFunctionCodeCommandInput } from '@aws-sdk/client-lambda';
import { createRouter } from '../../src/routers';
import { configureDeps } from '../../src/rollouts/deps';
import { createWorkload } from '../../src/workloads';
import { FakeLambda, lambdaServiceError, lambdaThrottled } from '../support/fake-lambda';
import { Harness, specInput } from './harness';

const DIGEST = 'b'.repeat(64);
const IMAGE = `123456789012.dkr.ecr.eu-west-1.amazonaws.com/user-service@sha256:${DIGEST}`;
const STABLE_IMAGE = `123456789012.dkr.ecr.eu-west-1.amazonaws.com/user-service@sha256:${'a'.repeat(64)}`;
const ALIAS_KEY = 'lambda:arn:aws:lambda:eu-west-1:123456789012:function:user-service:live';

/** A spec whose canary is the version published from the pushed image: no target.canary. */
function workloadSpec(): Record<string, unknown> {
  return { ...specInput(), router: { lambda: { function: 'user-service', alias: 'live' } }, target: { lambda: { readyTimeout: '60s' } } };
}

const DEPLOY = ['DeployCanary', 'WaitForCanary', 'CheckCanary', 'CanaryReady?'];

let h: Harness;
let lambda: FakeLambda;

beforeEach(() => {
  h = new Harness({ waitTimeOverrides: { WaitForCanary: 5 } });
  lambda = new FakeLambda().addFunction('user-service', { versions: 41, alias: 'live', aliasVersion: '41', image: STABLE_IMAGE });
  configureDeps({ ...h.deps, routerFor: (spec) => createRouter(spec, { lambda: lambda.client }), workloadFor: (spec) => createWorkload(spec, { lambda: lambda.client }) });
});
afterEach(() => {
  h.close();
  lambda.restore();
});

describe('rollout state machine with a Lambda workload (real ASL, real handlers, fake Lambda)', () => {
  it('updates the code to the pushed image, waits for Successful, publishes version 42 and rolls it out on the alias', async () => {
    const execution = h.start(workloadSpec(), { image: IMAGE });
    const outcome = await execution.result;

    expect(outcome.status).toBe('SUCCEEDED');
    const states = h.statesEntered(execution);
    // Two polls InProgress, then Successful: three looks, the last one publishes.
    expect(states.slice(states.indexOf('DeployCanary'), states.indexOf('Step'))).toEqual([...DEPLOY, ...DEPLOY.slice(1), ...DEPLOY.slice(1)]);
    expect(lambda.inputs('UpdateFunctionCode') as unknown as UpdateFunctionCodeCommandInput[]).toEqual([
      { FunctionName: 'user-service', ImageUri: IMAGE, RevisionId: expect.any(String) },
    ]);
    expect(lambda.inputs('PublishVersion')).toEqual([{ FunctionName: 'user-service', CodeSha256: DIGEST, RevisionId: expect.any(String) }]);
    // Publishing came before any alias write, and the published version is what the alias shifted to.
    const order = lambda.calls.map((c) => c.command);
    expect(order.indexOf('PublishVersion')).toBeLessThan(order.indexOf('UpdateAlias'));
    expect(lambda.sharesWritten('42')).toEqual([10, 25, 50, 100, 100]);
    expect(lambda.aliasState('user-service', 'live')).toMatchObject({ FunctionVersion: '42' });
    expect(await h.store.getLock(ALIAS_KEY)).toBeUndefined();
  });

  it("rolls back before any traffic moved when the update ends Failed, naming Lambda's reason", async () => {
    lambda.failNextUpdate('user-service', 'Lambda does not have permission to access the ECR image. Check the ECR permissions.', 'ImageAccessDenied');
    const execution = h.start(workloadSpec(), { image: IMAGE });
    const outcome = await execution.result;

    expect(outcome.status).toBe('FAILED');
    expect(h.statesEntered(execution)).not.toContain('Step');
    expect(lambda.inputs('PublishVersion')).toHaveLength(0);
    expect(lambda.inputs('UpdateAlias')).toHaveLength(0);
    expect(lambda.aliasState('user-service', 'live')).toMatchObject({ FunctionVersion: '41' });
    expect((await h.store.getRollout(execution.name))?.outcome).toMatch(/LastUpdateStatus Failed: ImageAccessDenied: Lambda does not have permission to access the ECR image/);
    expect(await h.store.getLock(ALIAS_KEY)).toBeUndefined();
  });

  it('retries throttled and failing calls of the deploy phase', async () => {
    lambda.failNext('UpdateFunctionCode', lambdaThrottled());
    lambda.failNext('PublishVersion', lambdaServiceError(), lambdaThrottled());
    const outcome = await h.start(workloadSpec(), { image: IMAGE }).result;

    expect(outcome.status).toBe('SUCCEEDED');
    expect(lambda.inputs('UpdateFunctionCode')).toHaveLength(2);
    expect([...lambda.functions.get('user-service')!.versions.keys()].at(-1)).toBe('42');
    expect(lambda.aliasState('user-service', 'live')).toMatchObject({ FunctionVersion: '42' });
  });

  it('recognises an UpdateFunctionCode whose answer was lost and does not deploy twice', async () => {
    lambda.failNext('UpdateFunctionCode', 'lost-answer');
    const outcome = await h.start(workloadSpec(), { image: IMAGE }).result;

    expect(outcome.status).toBe('SUCCEEDED');
    expect(lambda.inputs('UpdateFunctionCode')).toHaveLength(1);
    expect(lambda.aliasState('user-service', 'live')).toMatchObject({ FunctionVersion: '42' });
  });

  it('rolls back, moving no traffic, when the pushed image is the one the stable version already runs', async () => {
    lambda.addFunction('user-service', { versions: 41, alias: 'live', aliasVersion: '41', image: IMAGE });
    const execution = h.start(workloadSpec(), { image: IMAGE });
    const outcome = await execution.result;

    expect(outcome.status).toBe('FAILED');
    expect(lambda.inputs('UpdateAlias')).toHaveLength(0);
    expect((await h.store.getRollout(execution.name))?.outcome).toMatch(/already version 41, the stable version/);
  });

  it('refuses at Prepare an input without an image, naming `image`, and deploys nothing', async () => {
    const execution = h.start(workloadSpec());
    const outcome = await execution.result;

    expect(outcome.status).toBe('FAILED');
    expect(h.notifier.events.at(-1)).toMatchObject({ type: 'failed-to-start', reason: expect.stringMatching(/target.lambda: the execution input needs an `image`/) });
    expect(lambda.inputs('UpdateFunctionCode')).toHaveLength(0);
  });
});
