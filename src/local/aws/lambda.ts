import { randomUUID } from 'node:crypto';
import {
  GetAliasCommand,
  GetFunctionConfigurationCommand,
  InvalidParameterValueException,
  LambdaClient,
  PreconditionFailedException,
  ResourceNotFoundException,
  UpdateAliasCommand,
  type AliasConfiguration,
  type FunctionConfiguration,
  type UpdateAliasCommandInput,
} from '@aws-sdk/client-lambda';
import type { RolloutSpec } from '../../spec';
import { LocalMesh } from '../mesh';
import type { LocalRouting, LocalUpstreams } from './routing';

/**
 * An alias' fractional weights become integer mesh weights at this scale. Smooth weighted
 * round-robin is scale-invariant, so a million loses nothing over smaller scales while it keeps
 * every weight Lambda accepts in practice (a millionth of the invocations) exact.
 */
export const WEIGHT_SCALE = 1_000_000;

const ACCOUNT = '000000000000';
const REGION = 'local-1';

/**
 * The local Lambda: one function with published versions and an alias. HTTP traffic through the
 * mesh plays the alias' invocations: every alias write is applied with `mesh.setForwarding`, the
 * alias' FunctionVersion and additional version weighted as Lambda splits invocations. Of the
 * published versions, only two run: `target.stable` on the stable sample service and
 * `target.canary` on the canary one (the mesh nodes carry the version numbers as names).
 *
 * Decision: the demo names an already-published canary version (`target.canary`), so the local
 * world answers only the alias router's calls (GetFunctionConfiguration, GetAlias, UpdateAlias);
 * a `target.lambda` image deploy is exercised against the stateful fake in the state-machine tests.
 */
export function localLambdaRouting(spec: RolloutSpec, upstreams: LocalUpstreams): LocalRouting {
  const config = spec.router.lambda;
  if (!config) throw new Error('localLambdaRouting needs router.lambda');
  const canary = spec.target.canary;
  if (canary === undefined) throw new Error(`${spec.name}: the local Lambda needs target.canary (a published version number): it does not build images`);
  const stable = spec.target.stable ?? String(Math.max(1, Number(canary) - 1));
  const fn = shortName(config.function);
  const route = `${fn}:${config.alias}`;
  const mesh = new LocalMesh({ virtualRouter: route, nodes: { [stable]: upstreams.stable, [canary]: upstreams.canary } });
  const world = new LocalLambdaFunction(fn, Math.max(Number(stable), Number(canary)) || 1, [stable, canary]);
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

/** The alias' split as integer mesh weights: each additional version its scaled share, FunctionVersion the rest. */
export function forwardsOf(alias: AliasConfiguration): Array<{ node: string; weight: number }> {
  const extra = Object.entries(alias.RoutingConfig?.AdditionalVersionWeights ?? {}).map(([node, w]) => ({ node, weight: Math.round(w * WEIGHT_SCALE) }));
  const rest = WEIGHT_SCALE - extra.reduce((sum, t) => sum + t.weight, 0);
  return [{ node: alias.FunctionVersion!, weight: rest }, ...extra].filter((t, i) => i === 0 || t.weight > 0);
}

function shortName(fn: string): string {
  return fn.includes(':function:') ? fn.split(':function:')[1]!.split(':')[0]! : fn;
}

/** One function's versions and aliases, with Lambda's rules for alias writes. */
export class LocalLambdaFunction {
  readonly arn: string;
  private readonly versions = new Map<string, FunctionConfiguration>();
  private readonly aliases = new Map<string, AliasConfiguration>();
  onAliasUpdate: (alias: AliasConfiguration) => void = () => undefined;

  /** Versions 1..`published` exist; only `running` ones have a service behind them locally. */
  constructor(
    readonly name: string,
    published: number,
    private readonly running: string[],
  ) {
    this.arn = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${name}`;
    for (let v = 1; v <= published; v++) this.versions.set(String(v), this.configurationOf(String(v)));
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

  configuration(qualifier?: string): FunctionConfiguration {
    if (qualifier === undefined || qualifier === '$LATEST') return this.configurationOf('$LATEST');
    const version = this.versions.get(this.aliases.get(qualifier)?.FunctionVersion ?? qualifier);
    if (!version) throw notFound(`Function not found: ${this.arn}:${qualifier}`);
    return structuredClone(version);
  }

  /** UpdateAlias with Lambda's checks: RevisionId compare-and-swap, one additional published version, weights 0.0-1.0. */
  updateAlias(input: UpdateAliasCommandInput): AliasConfiguration {
    const alias = this.aliases.get(input.Name ?? '');
    if (!alias) throw notFound(`Alias not found: ${this.arn}:${input.Name}`);
    if (input.RevisionId !== undefined && input.RevisionId !== alias.RevisionId) {
      throw new PreconditionFailedException({
        message: 'The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id',
        Type: 'User',
        $metadata: { httpStatusCode: 412 },
      });
    }
    const version = input.FunctionVersion ?? alias.FunctionVersion!;
    const weights = input.RoutingConfig ? (input.RoutingConfig.AdditionalVersionWeights ?? {}) : (alias.RoutingConfig?.AdditionalVersionWeights ?? {});
    const entries = Object.entries(weights);
    if (entries.length > 1) throw invalid('Number of additional versions cannot be greater than 1');
    for (const v of [version, ...entries.map(([k]) => k)]) {
      if (!this.versions.has(v)) throw notFound(`Function not found: ${this.arn}:${v}`);
      if (!this.running.includes(v)) throw invalid(`version ${v} exists but does not run in the local world (only versions ${this.running.join(' and ')} do)`);
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

  private configurationOf(version: string): FunctionConfiguration {
    return {
      FunctionName: this.name,
      FunctionArn: version === '$LATEST' ? this.arn : `${this.arn}:${version}`,
      Role: `arn:aws:iam::${ACCOUNT}:role/${this.name}-lambda`,
      CodeSize: 0,
      Description: '',
      Timeout: 15,
      MemorySize: 512,
      LastModified: '2026-01-01T00:00:00.000+0000',
      CodeSha256: `local-${version}`,
      Version: version,
      TracingConfig: { Mode: 'PassThrough' },
      RevisionId: randomUUID(),
      State: 'Active',
      LastUpdateStatus: 'Successful',
      PackageType: 'Image',
      ImageConfigResponse: {},
      Architectures: ['x86_64'],
      EphemeralStorage: { Size: 512 },
      SnapStart: { ApplyOn: 'None', OptimizationStatus: 'Off' },
      LoggingConfig: { LogFormat: 'Text', LogGroup: `/aws/lambda/${this.name}` },
    };
  }
}

type Command = { input: Record<string, unknown>; constructor: { name: string } };

/** A LambdaClient look-alike whose `send` answers from (and writes to) the local function. */
export function localLambdaClient(fn: LocalLambdaFunction): LambdaClient {
  const client = {
    calls: { GetFunctionConfiguration: 0, GetAlias: 0, UpdateAlias: 0 } as Record<string, number>,
    async send(command: Command): Promise<unknown> {
      const input = command.input;
      const name = command.constructor.name.replace(/Command$/, '');
      client.calls[name] = (client.calls[name] ?? 0) + 1;
      if (shortName(String(input.FunctionName)) !== fn.name) throw notFound(`Function not found: arn:aws:lambda:${REGION}:${ACCOUNT}:function:${String(input.FunctionName)}`);
      if (command instanceof GetFunctionConfigurationCommand) return fn.configuration(input.Qualifier as string | undefined);
      if (command instanceof GetAliasCommand) return fn.alias(String(input.Name));
      if (command instanceof UpdateAliasCommand) return fn.updateAlias(input as unknown as UpdateAliasCommandInput);
      throw new Error(`local Lambda: ${name} is not emulated`);
    },
    destroy(): void {},
  };
  return client as unknown as LambdaClient;
}

function notFound(message: string): Error {
  return new ResourceNotFoundException({ message, Type: 'User', $metadata: { httpStatusCode: 404 } });
}

function invalid(message: string): Error {
  return new InvalidParameterValueException({ message, Type: 'User', $metadata: { httpStatusCode: 400 } });
}
