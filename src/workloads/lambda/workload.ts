import {
  GetFunctionCommand,
  GetFunctionConfigurationCommand,
  LambdaClient,
  PublishVersionCommand,
  UpdateFunctionCodeCommand,
  type FunctionConfiguration,
} from '@aws-sdk/client-lambda';
import { mapLambdaError } from '../../routers/lambda/errors';
import { ConfigurationError, TransientError, UnsupportedError } from '../../shared/errors';
import { isPinnedByDigest } from '../ecs/task-definition';
import type { CanaryDeployment, DeploymentRef, Workload, WorkloadStatus } from '../port';

/**
 * The Lambda workload (`target.lambda`): the pushed image becomes a new published version of the
 * alias' function, and that version is the canary. UpdateFunctionCode (ImageUri pinned by digest)
 * → LastUpdateStatus polled by the state machine's Wait + CheckCanary loop → PublishVersion,
 * guarded by the CodeSha256 we deployed and the RevisionId we read, so a version is never
 * published from someone else's code. Promotion is the alias router's promote: there is no
 * primary to roll, and an idle version costs nothing, so there is nothing to scale down.
 */
export class LambdaWorkload implements Workload {
  readonly kind = 'lambda';

  constructor(
    private readonly fn: string,
    private readonly client: LambdaClient = new LambdaClient({}),
  ) {}

  /** The function exists and is image-based (a .zip function cannot take an image). Read-only. */
  async validate(input: { image: string }): Promise<void> {
    if (!isPinnedByDigest(input.image)) throw new ConfigurationError(`image "${input.image}" is not pinned by digest (<repository>@sha256:<digest>)`);
    const config = await this.configuration();
    if (config.PackageType !== 'Image') {
      throw new ConfigurationError(`function "${this.fn}" is a ${config.PackageType ?? 'Zip'} function; target.lambda deploys container images to image functions`);
    }
  }

  /**
   * Points $LATEST at the image. A retry after a lost answer finds the image already there and
   * does not update again; an update still running (ours or anyone's) is retried later.
   */
  async deployCanary(input: { image: string }): Promise<CanaryDeployment> {
    const current = await this.call('GetFunction', () => this.client.send(new GetFunctionCommand({ FunctionName: this.fn })));
    const config = current.Configuration ?? {};
    if (current.Code?.ImageUri === input.image && config.LastUpdateStatus !== 'Failed') return this.deployment(config);
    if (config.LastUpdateStatus === 'InProgress') {
      throw new TransientError(`function "${this.fn}": an update is in progress (${config.LastUpdateStatusReason ?? 'no reason given'}); trying again later`);
    }
    const updated = await this.call('UpdateFunctionCode', () =>
      // RevisionId: refused if the function changed since we read it, rather than deploying over someone's change.
      this.client.send(new UpdateFunctionCodeCommand({ FunctionName: this.fn, ImageUri: input.image, RevisionId: config.RevisionId })),
    );
    return this.deployment(updated);
  }

  /**
   * One GetFunctionConfiguration: still updating, failed (with Lambda's reason), or done, in
   * which case the code is published and the new version returned. PublishVersion is idempotent
   * (Lambda returns the existing version when nothing changed), so a retried check is harmless.
   */
  async canaryStatus(ref: DeploymentRef): Promise<WorkloadStatus> {
    const config = await this.configuration();
    const base = { running: 0, desired: 1 };
    if (ref.codeSha256 !== undefined && config.CodeSha256 !== ref.codeSha256) {
      return { ...base, phase: 'failed', reason: `function "${this.fn}" now runs other code (CodeSha256 ${config.CodeSha256}, we deployed ${ref.codeSha256}): another deploy got in` };
    }
    if (config.LastUpdateStatus === 'Failed') {
      return { ...base, phase: 'failed', reason: `LastUpdateStatus Failed: ${config.LastUpdateStatusReasonCode ?? 'no code'}: ${config.LastUpdateStatusReason ?? 'no reason given'}` };
    }
    if (config.LastUpdateStatus !== 'Successful') {
      return { ...base, phase: 'progressing', reason: `LastUpdateStatus ${config.LastUpdateStatus ?? 'unknown'}${config.LastUpdateStatusReason ? `: ${config.LastUpdateStatusReason}` : ''}` };
    }
    const published = await this.call('PublishVersion', () =>
      this.client.send(new PublishVersionCommand({ FunctionName: this.fn, CodeSha256: ref.codeSha256 ?? config.CodeSha256, RevisionId: config.RevisionId })),
    );
    if (!published.Version) throw new Error(`PublishVersion of function "${this.fn}" returned no Version`);
    return { phase: 'steady', reason: `published version ${published.Version} (CodeSha256 ${published.CodeSha256})`, running: 1, desired: 1, version: published.Version };
  }

  promotePrimary(): Promise<{ taskDefinitionArn: string }> {
    return Promise.reject(new UnsupportedError('a Lambda workload has no primary to promote: the alias router promotes the version'));
  }

  primaryStatus(): Promise<WorkloadStatus> {
    return Promise.reject(new UnsupportedError('a Lambda workload has no primary to watch'));
  }

  /** Nothing runs for an idle version: the alias no longer sends it invocations once restored. */
  async scaleCanaryToZero(): Promise<void> {}

  private deployment(config: FunctionConfiguration): CanaryDeployment {
    if (!config.CodeSha256) throw new Error(`function "${this.fn}" has no CodeSha256`);
    return { taskDefinitionArn: config.FunctionArn ?? this.fn, desiredCount: 1, codeSha256: config.CodeSha256 };
  }

  private configuration(): Promise<FunctionConfiguration> {
    return this.call('GetFunctionConfiguration', () => this.client.send(new GetFunctionConfigurationCommand({ FunctionName: this.fn })));
  }

  private async call<T>(action: string, send: () => Promise<T>): Promise<T> {
    try {
      return await send();
    } catch (error) {
      throw mapLambdaError(error, { action, resource: `function "${this.fn}"` });
    }
  }
}
