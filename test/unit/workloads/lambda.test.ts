import type { PublishVersionCommandInput, UpdateFunctionCodeCommandInput } from '@aws-sdk/client-lambda';
import { ConcurrentModificationError, ConfigurationError, ResourceNotFoundError, TransientError, UnsupportedError } from '../../../src/shared/errors';
import { LambdaWorkload } from '../../../src/workloads/lambda';
import { FakeLambda, lambdaThrottled } from '../../support/fake-lambda';

const DIGEST = 'c'.repeat(64);
const IMAGE = `123456789012.dkr.ecr.eu-west-1.amazonaws.com/user-service@sha256:${DIGEST}`;

let lambda: FakeLambda;
let workload: LambdaWorkload;

beforeEach(() => {
  lambda = new FakeLambda().addFunction('user-service', { versions: 41, alias: 'live', aliasVersion: '41' });
  lambda.updatePolls = 1;
  workload = new LambdaWorkload('user-service', lambda.client);
});
afterEach(() => lambda.restore());

describe('LambdaWorkload', () => {
  describe('validate', () => {
    it('names a function that does not exist', async () => {
      await expect(new LambdaWorkload('nope', lambda.client).validate({ image: IMAGE })).rejects.toThrow(ResourceNotFoundError);
      await expect(new LambdaWorkload('nope', lambda.client).validate({ image: IMAGE })).rejects.toThrow(/function "nope" not found/);
    });

    it('refuses a .zip function: only image functions take an image', async () => {
      lambda.functions.get('user-service')!.latest.PackageType = 'Zip';
      await expect(workload.validate({ image: IMAGE })).rejects.toThrow(/function "user-service" is a Zip function/);
    });

    it('refuses an image that is not pinned by digest', async () => {
      await expect(workload.validate({ image: 'user-service:v2' })).rejects.toThrow(ConfigurationError);
    });
  });

  describe('deployCanary', () => {
    it("updates $LATEST to the image, guarded by the function's RevisionId, and returns the deployed CodeSha256", async () => {
      const revision = lambda.functions.get('user-service')!.latest.RevisionId;
      const deployment = await workload.deployCanary({ image: IMAGE });
      expect(lambda.inputs('UpdateFunctionCode') as unknown as UpdateFunctionCodeCommandInput[]).toEqual([{ FunctionName: 'user-service', ImageUri: IMAGE, RevisionId: revision }]);
      expect(deployment).toEqual({ taskDefinitionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:user-service', desiredCount: 1, codeSha256: DIGEST });
    });

    it('does not update again when the image is already in place (a retried deploy)', async () => {
      await workload.deployCanary({ image: IMAGE });
      const again = await workload.deployCanary({ image: IMAGE });
      expect(lambda.inputs('UpdateFunctionCode')).toHaveLength(1);
      expect(again.codeSha256).toBe(DIGEST);
    });

    it("refuses to deploy over someone's change made between our read and our update", async () => {
      lambda.onCall = (command) => {
        if (command === 'UpdateFunctionCode') lambda.functions.get('user-service')!.latest.RevisionId = 'moved';
      };
      await expect(workload.deployCanary({ image: IMAGE })).rejects.toThrow(ConcurrentModificationError);
    });

    it('retries later while another update of the function is in progress', async () => {
      lambda.functions.get('user-service')!.latest.LastUpdateStatus = 'InProgress';
      await expect(workload.deployCanary({ image: IMAGE })).rejects.toThrow(TransientError);
      expect(lambda.inputs('UpdateFunctionCode')).toHaveLength(0);
    });
  });

  describe('canaryStatus', () => {
    it('is progressing while InProgress, then publishes exactly the deployed code and reports the version', async () => {
      const deployment = await workload.deployCanary({ image: IMAGE });
      expect(await workload.canaryStatus(deployment)).toMatchObject({ phase: 'progressing', reason: expect.stringContaining('LastUpdateStatus InProgress') });
      const steady = await workload.canaryStatus(deployment);
      expect(steady).toMatchObject({ phase: 'steady', version: '42' });
      const [publish] = lambda.inputs('PublishVersion') as unknown as PublishVersionCommandInput[];
      expect(publish).toEqual({ FunctionName: 'user-service', CodeSha256: DIGEST, RevisionId: lambda.functions.get('user-service')!.latest.RevisionId });
    });

    it('publishes nothing new when checked again: Lambda returns the same version', async () => {
      const deployment = await workload.deployCanary({ image: IMAGE });
      await workload.canaryStatus(deployment);
      await workload.canaryStatus(deployment);
      expect((await workload.canaryStatus(deployment)).version).toBe('42');
      expect([...lambda.functions.get('user-service')!.versions.keys()]).toHaveLength(42);
    });

    it("fails with Lambda's reason code and reason when the update ends Failed", async () => {
      lambda.failNextUpdate('user-service', 'The image manifest or layer media type for the source image is not supported.', 'ImageInvalid');
      const deployment = await workload.deployCanary({ image: IMAGE });
      await workload.canaryStatus(deployment);
      expect(await workload.canaryStatus(deployment)).toMatchObject({
        phase: 'failed',
        reason: 'LastUpdateStatus Failed: ImageInvalid: The image manifest or layer media type for the source image is not supported.',
      });
      expect(lambda.inputs('PublishVersion')).toHaveLength(0);
    });

    it('fails when another deploy replaced our code, and publishes nothing', async () => {
      const deployment = await workload.deployCanary({ image: IMAGE });
      lambda.functions.get('user-service')!.latest.CodeSha256 = 'd'.repeat(64);
      expect(await workload.canaryStatus(deployment)).toMatchObject({ phase: 'failed', reason: expect.stringContaining('another deploy got in') });
      expect(lambda.inputs('PublishVersion')).toHaveLength(0);
    });

    it('maps a throttled PublishVersion to TransientError', async () => {
      const deployment = await workload.deployCanary({ image: IMAGE });
      await workload.canaryStatus(deployment);
      lambda.failNext('PublishVersion', lambdaThrottled());
      await expect(workload.canaryStatus(deployment)).rejects.toThrow(TransientError);
    });
  });

  it('has no primary phase: promotion is the alias router', async () => {
    await expect(workload.promotePrimary()).rejects.toThrow(UnsupportedError);
    await expect(workload.scaleCanaryToZero()).resolves.toBeUndefined();
  });
});
