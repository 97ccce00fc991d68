import {
  GetAliasCommand,
  GetFunctionCommand,
  GetFunctionConfigurationCommand,
  LambdaClient,
  PublishVersionCommand,
  ServiceException,
  TooManyRequestsException,
  UpdateAliasCommand,
  UpdateFunctionCodeCommand,
  type AliasConfiguration,
  type FunctionConfiguration,
  type UpdateAliasCommandInput,
} from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { createHash, randomUUID } from 'node:crypto';
import { imageFunctionConfiguration, lambdaErrors } from '../../src/local/aws/lambda';

/** Commands of the fake that faults can be queued for. */
export type LambdaCommandName = 'GetAlias' | 'UpdateAlias' | 'GetFunctionConfiguration' | 'GetFunction' | 'UpdateFunctionCode' | 'PublishVersion';

/**
 * A fault: an SDK error to throw instead of answering, or `lost-answer`: the call takes effect
 * but its answer never arrives (the caller sees a network error, as after a connection reset),
 * or `applied-then-precondition`: the call takes effect and the caller sees what the SDK's own
 * retry of it would get from Lambda (a PreconditionFailedException, the RevisionId having moved).
 */
export type LambdaFault = Error | 'lost-answer' | 'applied-then-precondition';

interface FakeFunction {
  latest: FunctionConfiguration;
  versions: Map<string, FunctionConfiguration>;
  aliases: Map<string, AliasConfiguration>;
  /** GetFunctionConfiguration calls left before an update in progress settles. */
  pendingPolls: number;
  /** Image of $LATEST and of each published version (not a field of a configuration: GetFunction's Code has it). */
  images: Map<string, string>;
  /** How the update in progress ends. */
  pendingOutcome?: { status: 'Successful' } | { status: 'Failed'; reason: string; code: string };
}

/**
 * A stateful AWS Lambda behind aws-sdk-client-mock, answering the calls of the alias router and
 * the Lambda workload with the shapes of the botocore model (lambda/2015-03-31): aliases with
 * RevisionId compare-and-swap, published versions, UpdateFunctionCode that settles after a few
 * GetFunctionConfiguration polls, PublishVersion with CodeSha256 / RevisionId guards. Every call
 * is recorded; faults can be queued per command. Self-contained: a fault suite may use it as is.
 */
export class FakeLambda {
  readonly mock = mockClient(LambdaClient);
  readonly client = new LambdaClient({ region: 'eu-west-1' });
  readonly functions = new Map<string, FakeFunction>();
  readonly calls: Array<{ command: LambdaCommandName; input: Record<string, unknown> }> = [];
  private readonly faults: Partial<Record<LambdaCommandName, LambdaFault[]>> = {};
  /** Polls an UpdateFunctionCode stays InProgress for. */
  updatePolls = 2;
  /** Called after each UpdateAlias that took effect, e.g. to flip an alarm when a weight is reached. */
  onAliasUpdate: (alias: AliasConfiguration) => void = () => undefined;
  /** Called as each call arrives, before it is answered: lets a test put another writer between our read and our write. */
  onCall: (command: LambdaCommandName, input: Record<string, unknown>) => void = () => undefined;

  constructor(readonly region = 'eu-west-1', readonly account = '123456789012') {
    this.mock.on(GetAliasCommand).callsFake((input) => this.handle('GetAlias', input, () => structuredClone(this.alias(input.FunctionName!, input.Name!))));
    this.mock.on(UpdateAliasCommand).callsFake((input) => this.handle('UpdateAlias', input, () => this.updateAlias(input)));
    this.mock.on(GetFunctionConfigurationCommand).callsFake((input) =>
      this.handle('GetFunctionConfiguration', input, () => structuredClone(this.configuration(input.FunctionName!, input.Qualifier, true))),
    );
    this.mock.on(GetFunctionCommand).callsFake((input) =>
      this.handle('GetFunction', input, () => {
        const config = this.configuration(input.FunctionName!, input.Qualifier, false);
        const image = this.fn(input.FunctionName!).images.get(config.Version ?? '$LATEST');
        return { Configuration: structuredClone(config), Code: { RepositoryType: 'ECR', ImageUri: image, ResolvedImageUri: image } };
      }),
    );
    this.mock.on(UpdateFunctionCodeCommand).callsFake((input) => this.handle('UpdateFunctionCode', input, () => this.updateCode(input)));
    this.mock.on(PublishVersionCommand).callsFake((input) => this.handle('PublishVersion', input, () => this.publish(input)));
  }

  /** Adds an image function with published versions 1..`versions` (all the same image but the last) and an alias on `aliasVersion`. */
  addFunction(name: string, opts: { versions: number; alias?: string; aliasVersion?: string; description?: string; image?: string }): this {
    const image = opts.image ?? `${this.account}.dkr.ecr.${this.region}.amazonaws.com/${name}@sha256:${'a'.repeat(64)}`;
    const latest = functionConfiguration(this, name, '$LATEST', image);
    const fn: FakeFunction = { latest, versions: new Map(), aliases: new Map(), pendingPolls: 0, images: new Map([['$LATEST', image]]) };
    this.functions.set(name, fn);
    for (let v = 1; v <= opts.versions; v++) {
      fn.versions.set(String(v), { ...structuredClone(latest), Version: String(v), FunctionArn: `${latest.FunctionArn}:${v}`, RevisionId: randomUUID() });
      fn.images.set(String(v), image);
    }
    if (opts.alias) {
      fn.aliases.set(opts.alias, {
        AliasArn: `${latest.FunctionArn}:${opts.alias}`,
        Name: opts.alias,
        FunctionVersion: opts.aliasVersion ?? String(opts.versions),
        Description: opts.description ?? '',
        RevisionId: randomUUID(),
      });
    }
    return this;
  }

  /** Queues faults for the next calls of a command. */
  failNext(command: LambdaCommandName, ...faults: LambdaFault[]): void {
    (this.faults[command] ??= []).push(...faults);
  }

  /** Another writer changes the alias behind our back (its RevisionId moves). */
  externalWrite(fn: string, alias: string, change: Partial<Pick<AliasConfiguration, 'FunctionVersion' | 'RoutingConfig' | 'Description'>>): void {
    const a = this.alias(fn, alias);
    Object.assign(a, structuredClone(change), { RevisionId: randomUUID() });
  }

  /** The next UpdateFunctionCode of `fn` ends in Failed with this reason. */
  failNextUpdate(fn: string, reason: string, code = 'ImageAccessDenied'): void {
    this.fn(fn).pendingOutcome = { status: 'Failed', reason, code };
  }

  /** The alias as Lambda would return it now. */
  aliasState(fn: string, alias: string): AliasConfiguration {
    return structuredClone(this.alias(fn, alias));
  }

  /** Inputs of the calls of one command, in order. */
  inputs(command: LambdaCommandName): Array<Record<string, unknown>> {
    return this.calls.filter((c) => c.command === command).map((c) => c.input);
  }

  /** The canary share (percent) each UpdateAlias asked for, in order; a promotion reads 100. */
  sharesWritten(canary: string): number[] {
    return this.inputs('UpdateAlias').map((i) => {
      const input = i as unknown as UpdateAliasCommandInput;
      if (input.FunctionVersion === canary) return 100;
      return Math.round((input.RoutingConfig?.AdditionalVersionWeights?.[canary] ?? 0) * 100);
    });
  }

  restore(): void {
    this.mock.restore();
  }

  private handle<T>(command: LambdaCommandName, input: object, answer: () => T): T {
    this.calls.push({ command, input: structuredClone(input) as Record<string, unknown> });
    this.onCall(command, input as Record<string, unknown>);
    const fault = this.faults[command]?.shift();
    if (fault === undefined) return answer();
    if (fault === 'lost-answer') {
      answer();
      const e = new Error('socket hang up');
      e.name = 'TimeoutError';
      (e as { code?: string }).code = 'ECONNRESET';
      throw e;
    }
    if (fault === 'applied-then-precondition') {
      answer();
      throw precondition();
    }
    throw fault;
  }

  private fn(name: string): FakeFunction {
    const short = name.includes(':function:') ? name.split(':function:')[1]!.split(':')[0]! : name;
    const fn = this.functions.get(short);
    if (!fn) throw notFound(`Function not found: arn:aws:lambda:${this.region}:${this.account}:function:${short}`);
    return fn;
  }

  private alias(fnName: string, name: string): AliasConfiguration {
    const fn = this.fn(fnName);
    const alias = fn.aliases.get(name);
    if (!alias) throw notFound(`Alias not found: ${fn.latest.FunctionArn}:${name}`);
    return alias;
  }

  private configuration(fnName: string, qualifier: string | undefined, poll: boolean): FunctionConfiguration {
    const fn = this.fn(fnName);
    if (qualifier === undefined || qualifier === '$LATEST') {
      if (poll && fn.latest.LastUpdateStatus === 'InProgress') {
        if (fn.pendingPolls > 0) fn.pendingPolls--;
        else this.settle(fn);
      }
      return fn.latest;
    }
    const alias = fn.aliases.get(qualifier);
    const version = fn.versions.get(alias?.FunctionVersion ?? qualifier);
    if (!version) throw notFound(`Function not found: ${fn.latest.FunctionArn}:${qualifier}`);
    return version;
  }

  private settle(fn: FakeFunction): void {
    const outcome = fn.pendingOutcome ?? { status: 'Successful' as const };
    fn.pendingOutcome = undefined;
    if (outcome.status === 'Successful') {
      Object.assign(fn.latest, { LastUpdateStatus: 'Successful', State: 'Active', RevisionId: randomUUID() });
      delete fn.latest.LastUpdateStatusReason;
      delete fn.latest.LastUpdateStatusReasonCode;
    } else {
      Object.assign(fn.latest, { LastUpdateStatus: 'Failed', LastUpdateStatusReason: outcome.reason, LastUpdateStatusReasonCode: outcome.code, RevisionId: randomUUID() });
    }
  }

  private updateAlias(input: UpdateAliasCommandInput): AliasConfiguration {
    const fn = this.fn(input.FunctionName!);
    const alias = this.alias(input.FunctionName!, input.Name!);
    if (input.RevisionId !== undefined && input.RevisionId !== alias.RevisionId) {
      throw precondition();
    }
    const version = input.FunctionVersion ?? alias.FunctionVersion!;
    if (version !== '$LATEST' && !fn.versions.has(version)) throw notFound(`Function not found: ${fn.latest.FunctionArn}:${version}`);
    const weights = input.RoutingConfig ? input.RoutingConfig.AdditionalVersionWeights ?? {} : alias.RoutingConfig?.AdditionalVersionWeights ?? {};
    const entries = Object.entries(weights);
    if (entries.length > 1) throw invalid('Number of additional versions cannot be greater than 1');
    for (const [v, w] of entries) {
      if (!/^[0-9]+$/.test(v) || !fn.versions.has(v)) throw notFound(`Function not found: ${fn.latest.FunctionArn}:${v}`);
      if (v === version) throw invalid(`Version ${v} cannot be both the primary and the additional version`);
      if (version === '$LATEST') throw invalid('$LATEST is not supported for an alias pointing to more than 1 version');
      if (!(w >= 0 && w <= 1)) throw invalid(`Invalid weight ${w}: must be between 0.0 and 1.0`);
    }
    alias.FunctionVersion = version;
    if (input.Description !== undefined) alias.Description = input.Description;
    // Lambda keeps the split when RoutingConfig is left out; an empty map clears it.
    if (entries.length > 0) alias.RoutingConfig = { AdditionalVersionWeights: { ...weights } };
    else delete alias.RoutingConfig;
    alias.RevisionId = randomUUID();
    this.onAliasUpdate(structuredClone(alias));
    return structuredClone(alias);
  }

  private updateCode(input: { FunctionName?: string; ImageUri?: string; RevisionId?: string }): FunctionConfiguration {
    const fn = this.fn(input.FunctionName!);
    if (fn.latest.PackageType !== 'Image' || input.ImageUri === undefined) throw invalid('Please provide ImageUri when updating a function with packageType Image.');
    if (fn.latest.LastUpdateStatus === 'InProgress') throw inProgress(fn.latest.FunctionArn!);
    if (input.RevisionId !== undefined && input.RevisionId !== fn.latest.RevisionId) throw precondition();
    Object.assign(fn.latest, {
      CodeSha256: codeSha256Of(input.ImageUri),
      LastUpdateStatus: 'InProgress',
      LastUpdateStatusReason: 'The function is being created.',
      LastUpdateStatusReasonCode: 'Creating',
      LastModified: new Date().toISOString().replace('Z', '+0000'),
      RevisionId: randomUUID(),
    });
    fn.images.set('$LATEST', input.ImageUri);
    fn.pendingPolls = this.updatePolls;
    return structuredClone(fn.latest);
  }

  private publish(input: { FunctionName?: string; CodeSha256?: string; RevisionId?: string; Description?: string }): FunctionConfiguration {
    const fn = this.fn(input.FunctionName!);
    if (fn.latest.LastUpdateStatus === 'InProgress') throw inProgress(fn.latest.FunctionArn!);
    if (input.CodeSha256 !== undefined && input.CodeSha256 !== fn.latest.CodeSha256) {
      throw invalid(`CodeSHA256 (${input.CodeSha256}) is different from current CodeSHA256 in $LATEST (${fn.latest.CodeSha256}). Please try again with the CodeSHA256 in $LATEST.`);
    }
    if (input.RevisionId !== undefined && input.RevisionId !== fn.latest.RevisionId) throw precondition();
    // Lambda publishes nothing new when code and configuration match the last version: it returns that version.
    const last = [...fn.versions.values()].at(-1);
    if (last && last.CodeSha256 === fn.latest.CodeSha256) return structuredClone(last);
    const version = String(fn.versions.size + 1);
    const published: FunctionConfiguration = { ...structuredClone(fn.latest), Version: version, FunctionArn: `${fn.latest.FunctionArn}:${version}`, RevisionId: randomUUID() };
    if (input.Description !== undefined) published.Description = input.Description;
    fn.versions.set(version, published);
    fn.images.set(version, fn.images.get('$LATEST')!);
    return structuredClone(published);
  }
}

function functionConfiguration(fake: FakeLambda, name: string, version: string, image: string): FunctionConfiguration {
  const arn = `arn:aws:lambda:${fake.region}:${fake.account}:function:${name}`;
  return imageFunctionConfiguration({ name, arn, account: fake.account, version, codeSha256: codeSha256Of(image), memorySize: 1024, architecture: 'arm64', lastModified: '2026-11-28T16:02:11.512+0000' });
}

/** For an image function Lambda reports the image manifest's digest as CodeSha256. */
function codeSha256Of(image: string): string {
  return image.split('@sha256:')[1] ?? createHash('sha256').update(image).digest('hex');
}

export function lambdaThrottled(): Error {
  return new TooManyRequestsException({ message: 'Rate exceeded', Reason: 'CallerRateLimitExceeded', $metadata: { httpStatusCode: 429 } });
}

export function lambdaServiceError(): Error {
  return new ServiceException({ message: 'Service unavailable', $metadata: { httpStatusCode: 500 } });
}

const { notFound, invalid, precondition, inProgress } = lambdaErrors;
