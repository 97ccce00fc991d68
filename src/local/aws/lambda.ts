import { createHash, randomUUID } from 'node:crypto';
import {
  GetAliasCommand,
  GetFunctionCommand,
  GetFunctionConfigurationCommand,
  InvalidParameterValueException,
  LambdaClient,
  PreconditionFailedException,
  PublishVersionCommand,
  ResourceConflictException,
  ResourceNotFoundException,
  UpdateAliasCommand,
  UpdateFunctionCodeCommand,
  type AliasConfiguration,
  type FunctionConfiguration,
  type GetFunctionResponse,
  type PublishVersionRequest,
  type UpdateAliasCommandInput,
  type UpdateFunctionCodeRequest,
} from '@aws-sdk/client-lambda';
import type { RolloutSpec } from '../../spec';
import { LocalMesh } from '../mesh';
import { localSampleImage } from './ecs';
import type { LocalRouting, LocalUpstreams } from './routing';

/**
 * An alias' fractional weights become integer mesh weights at this scale. Smooth weighted
 * round-robin is scale-invariant, so a million loses nothing over smaller scales while it keeps
 * every weight Lambda accepts in practice (a millionth of the invocations) exact.
 */
export const WEIGHT_SCALE = 1_000_000;

/** How long an UpdateFunctionCode stays InProgress locally (AWS: seconds to minutes for an image). */
export const LOCAL_UPDATE_DELAY_MS = 1_200;

const ACCOUNT = '000000000000';
const REGION = 'local-1';

/**
 * The local Lambda: one image function with published versions and an alias. HTTP traffic
 * through the mesh plays the alias' invocations: every alias write is applied with
 * `mesh.setForwarding`, the alias' FunctionVersion and additional version weighted as Lambda
 * splits invocations. The mesh nodes carry the version numbers as names; a version runs on the
 * sample service of its code: the stable image on the stable one, new code on the canary one.
 *
 * With `target.canary` (an already-published version) both versions exist from the start. With
 * `target.lambda` only stable exists: the rollout deploys the canary through the real Lambda
 * workload (UpdateFunctionCode → LastUpdateStatus InProgress → Successful → PublishVersion), and
 * the version PublishVersion creates joins the mesh on the canary sample service. The update
 * stays InProgress until that service has started (`upstreams.canaryTasks`): Successful means
 * invocable, as on Lambda, and a service that cannot start ends the update Failed. Versions are numbered in order, so the
 * canary's name is known before it exists: the next version.
 */
export function localLambdaRouting(spec: RolloutSpec, upstreams: LocalUpstreams, options: { updateDelayMs?: number } = {}): LocalRouting {
  const config = spec.router.lambda;
  if (!config) throw new Error('localLambdaRouting needs router.lambda');
  const fn = shortName(config.function);
  const route = `${fn}:${config.alias}`;
  const images = localLambdaImages(spec.name);
  const { stable, canary, published } = localVersions(spec);
  // New code that finished deploying runs on the canary sample service (one new code at a time locally).
  const deployed = new Set<string>();
  const runs = (image: string) => image === images.stable || (spec.target.lambda ? deployed.has(image) : image === images.canary);
  const imageOf = (v: number) => (String(v) === stable ? images.stable : String(v) === canary ? images.canary : localSampleImage(spec.name, `v${v}`));
  const nodes: Record<string, string> = spec.target.lambda ? { [stable]: upstreams.stable } : { [stable]: upstreams.stable, [canary]: upstreams.canary };
  const mesh = new LocalMesh({ virtualRouter: route, nodes });
  const world = new LocalLambdaFunction(fn, { versionImages: Array.from({ length: published }, (_, i) => imageOf(i + 1)), runs, updateDelayMs: options.updateDelayMs });
  world.onCodeReady = async (image) => {
    // The update reports Successful once the canary sample service runs the new code, and Failed if it cannot start.
    await upstreams.canaryTasks?.start(image);
    deployed.add(image);
  };
  world.onPublish = (version, image) => {
    if (runs(image) && !mesh.hasNode(version)) mesh.addNode(version, image === images.stable ? upstreams.stable : upstreams.canary);
  };
  const alias = world.createAlias(config.alias, stable, 'live traffic of the local demo');
  const apply = (a: AliasConfiguration) => mesh.setForwarding(route, { prefix: '/', priority: 1000 }, forwardsOf(a));
  apply(alias);
  world.onAliasUpdate = apply;
  const client = localLambdaClient(world);
  return {
    kind: 'lambda',
    mesh,
    stable,
    canary,
    paths: ['/'],
    clients: { lambda: client },
    canaryWeight: () => {
      const a = world.alias(config.alias);
      if (a.FunctionVersion === canary) return 100;
      return (100 * Math.round((a.RoutingConfig?.AdditionalVersionWeights?.[canary] ?? 0) * WEIGHT_SCALE)) / WEIGHT_SCALE;
    },
    calls: () => ({ ...(client as unknown as { calls: Record<string, number> }).calls }),
  };
}

/**
 * The images of the local ECR repository of a spec: what stable runs, and the new image a
 * `target.lambda` demo deploys (the default `--image`). Both are pinned by digest.
 */
export function localLambdaImages(specName: string): { stable: string; canary: string } {
  return { stable: localSampleImage(specName, 'stable'), canary: localSampleImage(specName, 'canary') };
}

/** Stable, canary and how many versions are published at the start. */
function localVersions(spec: RolloutSpec): { stable: string; canary: string; published: number } {
  const number = (field: string, v: string) => {
    if (!/^[1-9][0-9]*$/.test(v)) throw new Error(`${spec.name}: the local Lambda needs ${field} to be a published version number, got "${v}"`);
    return Number(v);
  };
  if (spec.target.lambda) {
    const stable = number('target.stable', spec.target.stable ?? '1');
    return { stable: String(stable), canary: String(stable + 1), published: stable };
  }
  const canary = spec.target.canary;
  if (canary === undefined) throw new Error(`${spec.name}: the local Lambda needs target.canary (a published version) or target.lambda (an image to publish)`);
  const stable = spec.target.stable ?? String(Math.max(1, number('target.canary', canary) - 1));
  return { stable, canary, published: Math.max(number('target.stable', stable), number('target.canary', canary)) };
}

/** The alias' split as integer mesh weights: each additional version its scaled share, FunctionVersion the rest. */
export function forwardsOf(alias: AliasConfiguration): Array<{ node: string; weight: number }> {
  const extra = Object.entries(alias.RoutingConfig?.AdditionalVersionWeights ?? {}).map(([node, w]) => ({ node, weight: Math.round(w * WEIGHT_SCALE) }));
  const rest = WEIGHT_SCALE - extra.reduce((sum, t) => sum + t.weight, 0);
  return [{ node: alias.FunctionVersion!, weight: rest }, ...extra].filter((t, i) => i === 0 || t.weight > 0);
}

function shortName(fn: string): string {
  return fn.includes(':function:') ? fn.split(':function:')[1]!.split(':')[0]! : fn;
}

/** `<account>.dkr.ecr.<region>.amazonaws.com/<repository>[:tag][@sha256:<digest>]`: the images Lambda takes. */
const ECR_IMAGE = /^(\d{12})\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com\/([a-z0-9][a-z0-9._/-]*)(?::[\w][\w.-]{0,127})?(?:@sha256:([a-f0-9]{64}))?$/;

/** What the local world knows of an image: where it resolves to, and whether Lambda may pull it. */
function resolveImage(image: string): { resolved: string; digest: string; accessDenied: boolean } | undefined {
  const m = ECR_IMAGE.exec(image);
  if (!m) return undefined;
  // The local registry resolves a tag to a digest of its own; a pinned image is its digest.
  const digest = m[3] ?? createHash('sha256').update(image).digest('hex');
  const repository = image.slice(0, image.indexOf('/') + 1 + m[2]!.length);
  // Lambda pulls from the function's own account here; another account's repository grants it nothing.
  return { resolved: `${repository}@sha256:${digest}`, digest, accessDenied: m[1] !== ACCOUNT };
}

/** Options of a LocalLambdaFunction. */
export interface LocalLambdaFunctionOptions {
  /** Images of the published versions 1..n, in order; $LATEST starts on the last one. */
  versionImages: string[];
  /** Whether the local world runs the code of this image (only such versions can take invocations). */
  runs: (image: string) => boolean;
  /** How long an UpdateFunctionCode stays InProgress (default LOCAL_UPDATE_DELAY_MS). */
  updateDelayMs?: number;
  /** Clock in epoch ms (tests inject one). */
  now?: () => number;
}

interface Published {
  config: FunctionConfiguration;
  image: string;
}

/** An UpdateFunctionCode in progress: when it ends, and how. */
interface PendingUpdate {
  image: string;
  readyAt: number;
  failure?: { code: string; reason: string };
  /** Set once the code's time has come: the local world starting it (the update stays InProgress until it has). */
  starting?: Promise<void>;
  started?: boolean;
}

/**
 * One image function's $LATEST, published versions and aliases, with Lambda's rules: alias
 * writes (RevisionId compare-and-swap, one additional version, weights 0.0-1.0), code updates
 * that go InProgress then Successful or Failed, and PublishVersion guarded by CodeSha256 and
 * RevisionId that returns the last version when nothing changed.
 */
export class LocalLambdaFunction {
  readonly arn: string;
  private latest: FunctionConfiguration;
  private latestImage: string;
  private pending: PendingUpdate | undefined;
  private readonly versions = new Map<string, Published>();
  private readonly aliases = new Map<string, AliasConfiguration>();
  private readonly runs: (image: string) => boolean;
  private readonly updateDelayMs: number;
  private readonly now: () => number;
  onAliasUpdate: (alias: AliasConfiguration) => void = () => undefined;
  /**
   * Called once when an update of $LATEST to `image` has done its time: the local world starts that
   * code. The update stays InProgress until the promise settles (Successful means invocable, as on
   * Lambda) and ends Failed (`FunctionError.RuntimeInitError`) if it rejects.
   */
  onCodeReady: (image: string) => Promise<void> | void = () => undefined;
  /** Called when PublishVersion creates a version (not when it returns an existing one). */
  onPublish: (version: string, image: string) => void = () => undefined;

  constructor(
    readonly name: string,
    options: LocalLambdaFunctionOptions,
  ) {
    if (options.versionImages.length === 0) throw new Error(`local function ${name} needs at least one published version`);
    this.arn = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${name}`;
    this.runs = options.runs;
    this.updateDelayMs = options.updateDelayMs ?? LOCAL_UPDATE_DELAY_MS;
    this.now = options.now ?? Date.now;
    options.versionImages.forEach((image, i) => this.versions.set(String(i + 1), { config: this.configurationOf(String(i + 1), image), image }));
    this.latestImage = options.versionImages.at(-1)!;
    this.latest = this.configurationOf('$LATEST', this.latestImage);
  }

  createAlias(name: string, version: string, description: string): AliasConfiguration {
    const alias: AliasConfiguration = { AliasArn: `${this.arn}:${name}`, Name: name, FunctionVersion: version, Description: description, RevisionId: randomUUID() };
    this.aliases.set(name, alias);
    return structuredClone(alias);
  }

  alias(name: string): AliasConfiguration {
    const alias = this.aliases.get(name);
    if (!alias) throw notFound(`Alias not found: ${this.arn}:${name}`);
    return structuredClone(alias);
  }

  /** GetFunctionConfiguration: $LATEST (with the state of an update in progress), a version, or the version an alias points at. */
  configuration(qualifier?: string): FunctionConfiguration {
    return structuredClone(this.resolve(qualifier).config);
  }

  /** GetFunction: the configuration and, for an image function, the image as given and as resolved to a digest. */
  getFunction(qualifier?: string): Omit<GetFunctionResponse, '$metadata'> {
    const { config, image } = this.resolve(qualifier);
    return { Configuration: structuredClone(config), Code: { RepositoryType: 'ECR', ImageUri: image, ResolvedImageUri: resolveImage(image)?.resolved ?? image } };
  }

  /**
   * UpdateFunctionCode of an image function: refused while another update runs, on a stale
   * RevisionId or an image URI Lambda cannot parse; otherwise $LATEST takes the image at once
   * (CodeSha256 = its digest) and is InProgress for `updateDelayMs`, then Successful, or Failed
   * with ImageAccessDenied when the image is in a repository Lambda may not pull from.
   */
  updateFunctionCode(input: UpdateFunctionCodeRequest): FunctionConfiguration {
    this.settle();
    if (input.Publish || input.DryRun) throw new Error('local Lambda: UpdateFunctionCode with Publish or DryRun is not emulated');
    if (input.ImageUri === undefined || input.ZipFile !== undefined || input.S3Bucket !== undefined) throw invalid('Please provide ImageUri when updating a function with packageType Image.');
    if (this.latest.LastUpdateStatus === 'InProgress') throw inProgress(this.arn);
    if (input.RevisionId !== undefined && input.RevisionId !== this.latest.RevisionId) throw precondition();
    const image = resolveImage(input.ImageUri);
    if (!image) throw invalid(`Source image ${input.ImageUri} is not valid. Provide a valid source image.`);
    this.latestImage = input.ImageUri;
    this.pending = {
      image: input.ImageUri,
      readyAt: this.now() + this.updateDelayMs,
      ...(image.accessDenied ? { failure: { code: 'ImageAccessDenied', reason: 'Lambda does not have permission to access the ECR image. Check the ECR permissions.' } } : {}),
    };
    Object.assign(this.latest, {
      CodeSha256: image.digest,
      LastModified: new Date(this.now()).toISOString().replace('Z', '+0000'),
      LastUpdateStatus: 'InProgress',
      // No LastUpdateStatusReasonCode while in progress: the model's enum has no code for it.
      LastUpdateStatusReason: 'The function is being created.',
      RevisionId: randomUUID(),
    });
    return structuredClone(this.latest);
  }

  /**
   * PublishVersion as Lambda: refused while an update runs (ResourceConflictException), when
   * `CodeSha256` is not $LATEST's (InvalidParameterValueException, Lambda's own message) or
   * `RevisionId` is stale (PreconditionFailedException); returns the last version unchanged when
   * $LATEST's code is what it holds; else a new version numbered after the last.
   */
  publishVersion(input: PublishVersionRequest): FunctionConfiguration {
    this.settle();
    const latest = this.latest;
    if (latest.LastUpdateStatus === 'InProgress') throw inProgress(this.arn);
    if (input.CodeSha256 !== undefined && input.CodeSha256 !== latest.CodeSha256) {
      throw invalid(`CodeSHA256 (${input.CodeSha256}) is different from current CodeSHA256 in $LATEST (${latest.CodeSha256}). Please try again with the CodeSHA256 in $LATEST.`);
    }
    if (input.RevisionId !== undefined && input.RevisionId !== latest.RevisionId) throw precondition();
    // Lambda does not document this case; locally a failed update's code cannot run, so it is not published.
    if (latest.LastUpdateStatus === 'Failed') throw invalid(`$LATEST of ${this.arn} failed its last update (${latest.LastUpdateStatusReasonCode}): update its code before publishing`);
    const numbers = [...this.versions.keys()].map(Number);
    const last = this.versions.get(String(Math.max(...numbers)))!;
    // "Lambda doesn't publish a version if the function's configuration and code haven't changed since the last version."
    if (last.config.CodeSha256 === latest.CodeSha256) return structuredClone(last.config);
    const version = String(Math.max(...numbers) + 1);
    const config: FunctionConfiguration = { ...structuredClone(latest), Version: version, FunctionArn: `${this.arn}:${version}`, RevisionId: randomUUID() };
    if (input.Description !== undefined) config.Description = input.Description;
    this.versions.set(version, { config, image: this.latestImage });
    this.onPublish(version, this.latestImage);
    return structuredClone(config);
  }

  /** UpdateAlias with Lambda's checks: RevisionId compare-and-swap, one additional published version, weights 0.0-1.0. */
  updateAlias(input: UpdateAliasCommandInput): AliasConfiguration {
    const alias = this.aliases.get(input.Name ?? '');
    if (!alias) throw notFound(`Alias not found: ${this.arn}:${input.Name}`);
    if (input.RevisionId !== undefined && input.RevisionId !== alias.RevisionId) throw precondition();
    const version = input.FunctionVersion ?? alias.FunctionVersion!;
    const weights = input.RoutingConfig ? (input.RoutingConfig.AdditionalVersionWeights ?? {}) : (alias.RoutingConfig?.AdditionalVersionWeights ?? {});
    const entries = Object.entries(weights);
    if (entries.length > 1) throw invalid('Number of additional versions cannot be greater than 1');
    for (const v of [version, ...entries.map(([k]) => k)]) {
      const published = this.versions.get(v);
      if (!published) throw notFound(`Function not found: ${this.arn}:${v}`);
      if (!this.runs(published.image)) throw invalid(`version ${v} exists but its code (${published.image}) does not run in the local world`);
    }
    for (const [v, w] of entries) {
      if (v === version) throw invalid(`Version ${v} cannot be both the primary and the additional version`);
      if (!(typeof w === 'number' && w >= 0 && w <= 1)) throw invalid(`Invalid weight ${w} for version ${v}: must be between 0.0 and 1.0`);
    }
    alias.FunctionVersion = version;
    if (input.Description !== undefined) alias.Description = input.Description;
    // As Lambda: leaving RoutingConfig out keeps the split; an empty map clears it.
    if (entries.length > 0) alias.RoutingConfig = { AdditionalVersionWeights: { ...weights } };
    else delete alias.RoutingConfig;
    alias.RevisionId = randomUUID();
    this.onAliasUpdate(structuredClone(alias));
    return structuredClone(alias);
  }

  private resolve(qualifier: string | undefined): Published {
    this.settle();
    if (qualifier === undefined || qualifier === '$LATEST') return { config: this.latest, image: this.latestImage };
    const version = this.versions.get(this.aliases.get(qualifier)?.FunctionVersion ?? qualifier);
    if (!version) throw notFound(`Function not found: ${this.arn}:${qualifier}`);
    return version;
  }

  /** Ends the update in progress once its time has come; every call looks first, as the clock only moves between calls. */
  private settle(): void {
    const pending = this.pending;
    if (!pending || this.now() < pending.readyAt) return;
    if (!pending.failure && !pending.started) {
      if (pending.starting) return;
      const start = this.onCodeReady(pending.image);
      if (!start) pending.started = true;
      else {
        pending.starting = start.then(
          () => {
            pending.started = true;
          },
          (error: unknown) => {
            pending.failure = { code: 'FunctionError.RuntimeInitError', reason: `The new code did not start: ${error instanceof Error ? error.message : String(error)}` };
          },
        );
        return;
      }
    }
    this.pending = undefined;
    delete this.latest.LastUpdateStatusReason;
    delete this.latest.LastUpdateStatusReasonCode;
    this.latest.RevisionId = randomUUID();
    if (pending.failure) {
      Object.assign(this.latest, { LastUpdateStatus: 'Failed', LastUpdateStatusReason: pending.failure.reason, LastUpdateStatusReasonCode: pending.failure.code });
      return;
    }
    this.latest.LastUpdateStatus = 'Successful';
  }

  private configurationOf(version: string, image: string): FunctionConfiguration {
    return imageFunctionConfiguration({
      name: this.name,
      arn: version === '$LATEST' ? this.arn : `${this.arn}:${version}`,
      account: ACCOUNT,
      version,
      codeSha256: resolveImage(image)?.digest ?? createHash('sha256').update(image).digest('hex'),
    });
  }

}

type Command = { input: Record<string, unknown>; constructor: { name: string } };

/** A LambdaClient look-alike whose `send` answers from (and writes to) the local function. */
export function localLambdaClient(fn: LocalLambdaFunction): LambdaClient {
  const client = {
    calls: { GetFunctionConfiguration: 0, GetFunction: 0, GetAlias: 0, UpdateAlias: 0, UpdateFunctionCode: 0, PublishVersion: 0 } as Record<string, number>,
    async send(command: Command): Promise<unknown> {
      const input = command.input;
      const name = command.constructor.name.replace(/Command$/, '');
      client.calls[name] = (client.calls[name] ?? 0) + 1;
      if (shortName(String(input.FunctionName)) !== fn.name) throw notFound(`Function not found: arn:aws:lambda:${REGION}:${ACCOUNT}:function:${String(input.FunctionName)}`);
      if (command instanceof GetFunctionConfigurationCommand) return fn.configuration(input.Qualifier as string | undefined);
      if (command instanceof GetFunctionCommand) return fn.getFunction(input.Qualifier as string | undefined);
      if (command instanceof GetAliasCommand) return fn.alias(String(input.Name));
      if (command instanceof UpdateAliasCommand) return fn.updateAlias(input as unknown as UpdateAliasCommandInput);
      if (command instanceof UpdateFunctionCodeCommand) return fn.updateFunctionCode(input as unknown as UpdateFunctionCodeRequest);
      if (command instanceof PublishVersionCommand) return fn.publishVersion(input as unknown as PublishVersionRequest);
      throw new Error(`local Lambda: ${name} is not emulated`);
    },
    destroy(): void {},
  };
  return client as unknown as LambdaClient;
}

/**
 * Lambda's refusals as the SDK raises them (modeled exceptions with Lambda's own messages), shared
 * with the test fake so that both answer alike.
 */
export const lambdaErrors = {
  notFound(message: string): Error {
    return new ResourceNotFoundException({ message, Type: 'User', $metadata: { httpStatusCode: 404 } });
  },
  invalid(message: string): Error {
    return new InvalidParameterValueException({ message, Type: 'User', $metadata: { httpStatusCode: 400 } });
  },
  /** A RevisionId that is no longer the latest one: Lambda's compare-and-swap refusing. */
  precondition(): Error {
    return new PreconditionFailedException({
      message: 'The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id',
      Type: 'User',
      $metadata: { httpStatusCode: 412 },
    });
  },
  /** Another update of the function is still running. */
  inProgress(arn: string): Error {
    return new ResourceConflictException({ message: `The operation cannot be performed at this time. An update is in progress for resource: ${arn}`, Type: 'User', $metadata: { httpStatusCode: 409 } });
  },
};

const { notFound, invalid, precondition, inProgress } = lambdaErrors;

/**
 * An image function's configuration as GetFunctionConfiguration returns it, with every field Lambda
 * sends for one (botocore lambda/2015-03-31 FunctionConfiguration); CodeSha256 is the image
 * manifest's digest. The local Lambda and the test fake build theirs here.
 */
export function imageFunctionConfiguration(o: {
  name: string;
  arn: string;
  account: string;
  version: string;
  codeSha256: string;
  memorySize?: number;
  architecture?: 'x86_64' | 'arm64';
  lastModified?: string;
}): FunctionConfiguration {
  return {
    FunctionName: o.name,
    FunctionArn: o.arn,
    Role: `arn:aws:iam::${o.account}:role/${o.name}-lambda`,
    CodeSize: 0,
    Description: '',
    Timeout: 15,
    MemorySize: o.memorySize ?? 512,
    LastModified: o.lastModified ?? '2026-01-01T00:00:00.000+0000',
    CodeSha256: o.codeSha256,
    Version: o.version,
    TracingConfig: { Mode: 'PassThrough' },
    RevisionId: randomUUID(),
    State: 'Active',
    LastUpdateStatus: 'Successful',
    PackageType: 'Image',
    ImageConfigResponse: {},
    Architectures: [o.architecture ?? 'x86_64'],
    EphemeralStorage: { Size: 512 },
    SnapStart: { ApplyOn: 'None', OptimizationStatus: 'Off' },
    LoggingConfig: { LogFormat: 'Text', LogGroup: `/aws/lambda/${o.name}` },
  };
}
