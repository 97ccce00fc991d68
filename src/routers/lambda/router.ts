import {
  GetAliasCommand,
  GetFunctionConfigurationCommand,
  LambdaClient,
  UpdateAliasCommand,
  type AliasConfiguration,
  type FunctionConfiguration,
} from '@aws-sdk/client-lambda';
import { ConcurrentModificationError, ConfigurationError, UnsupportedError } from '../../shared/errors';
import type { RouteSnapshot, RouteVersions, RouterSnapshot, TrafficRouter, VerifyResult, VerifyTarget } from '../port';
import { canaryTargets, promotedTargets } from '../weights';
import {
  contentOf,
  describeContent,
  isPublishedVersion,
  promotedContent,
  sameContent,
  splitContent,
  targetsOf,
  type AliasContent,
} from './alias';
import { mapLambdaError, type LambdaCallContext } from './errors';

/** Where the alias lives. Mirrors `LambdaRouterSchema` in src/spec/schema.ts. */
export interface LambdaAliasConfig {
  /** Function name or unqualified ARN. */
  function: string;
  alias: string;
}

/**
 * The versions traffic moves between. `stable` defaults to the alias' FunctionVersion. `canary`
 * may be absent only when a workload publishes it later (`target.lambda`): the snapshot then has
 * an empty canary, which DeployCanary fills in before the first shift.
 */
export interface LambdaVersions {
  canary?: string;
  stable?: string;
}

/**
 * TrafficRouter over one Lambda alias: the canary is a published version that gets
 * `RoutingConfig.AdditionalVersionWeights = {canary: weight / 100}` while `FunctionVersion`
 * stays on stable. Unlike App Mesh, Lambda has real compare-and-swap: every UpdateAlias carries
 * the RevisionId our last write produced, so another writer is caught by Lambda itself
 * (PreconditionFailedException) even if it moved between our read and our write.
 */
export class LambdaAliasRouter implements TrafficRouter {
  readonly kind = 'lambda';

  /** Validates the config at once (a typo must fail before any AWS call); the client defaults to a real one. */
  constructor(
    private readonly config: LambdaAliasConfig,
    private readonly versions: LambdaVersions,
    private readonly client: LambdaClient = new LambdaClient({}),
  ) {
    validate(config, versions);
  }

  /**
   * Checks that the function, the alias and the versions exist and that the alias is a clean
   * baseline (no split), then keeps the alias verbatim for restore. Read-only.
   */
  async snapshot(): Promise<RouterSnapshot> {
    const fn = this.config.function;
    await this.call({ action: 'GetFunctionConfiguration', resource: `function "${fn}"` }, () =>
      this.client.send(new GetFunctionConfigurationCommand({ FunctionName: fn })),
    );
    const alias = await this.getAlias();
    const content = contentOf(alias);
    const stable = this.versions.stable ?? content.FunctionVersion;
    const canary = this.versions.canary;
    const where = this.describe();
    if (!isPublishedVersion(content.FunctionVersion)) {
      throw new UnsupportedError(`${where} points at version "${content.FunctionVersion}"; traffic can only be split from a published version`);
    }
    if (content.FunctionVersion !== stable) {
      throw new ConfigurationError(`${where} points at version ${content.FunctionVersion}, not at target.stable ${stable}; point it at the stable version or fix target.stable`);
    }
    const split = Object.entries(content.AdditionalVersionWeights);
    if (split.length > 0) {
      const [version, weight] = split[0]!;
      // A split to the canary is an earlier rollout that did not end cleanly; a split to any
      // other version is someone else's. Neither is a baseline we may restore to.
      throw version === canary
        ? new ConfigurationError(`${where} already sends ${weight * 100}% to the canary version ${version} (an earlier rollout did not end cleanly?); restore the alias first`)
        : new UnsupportedError(`${where} already splits traffic to a third version (${describeContent(content)}); a Lambda alias routes to at most two versions`);
    }
    if (canary !== undefined) {
      if (canary === stable) throw new ConfigurationError(`target.canary ${canary} is the version ${where} already points at (the stable version)`);
      const [stableConfig, canaryConfig] = [await this.versionConfiguration(stable), await this.versionConfiguration(canary)];
      // UpdateAlias refuses a routing config between versions whose execution role or DLQ differ:
      // refused here, at Prepare, rather than at the first shift.
      const difference = splitBlocker(stableConfig, canaryConfig);
      if (difference) {
        throw new ConfigurationError(`${where} cannot split traffic between versions ${stable} and ${canary}: ${difference}; Lambda requires both versions of a weighted alias to share them`);
      }
    }
    const route: RouteSnapshot = {
      key: `lambda:${alias.AliasArn ?? `${fn}:${this.config.alias}`}`,
      name: this.routeName(),
      version: revisionOf(alias),
      targets: targetsOf(content),
      raw: structuredClone(alias),
    };
    return { kind: this.kind, stable, canary: canary ?? '', routes: [route], takenAt: new Date().toISOString() };
  }

  /** Sends `weight` % of the alias' invocations to the canary version, the rest to stable. */
  async setCanaryWeight(snapshot: RouterSnapshot, weight: number, expected: RouteVersions): Promise<RouteVersions> {
    const route = this.checkSnapshot(snapshot, { needsCanary: true });
    if (!Number.isInteger(weight) || weight < 0 || weight > 100) throw new RangeError(`weight must be an integer 0-100, got ${weight}`);
    return this.write(route, splitContent(snapshot.stable, snapshot.canary, weight, contentOf(rawOf(route)).Description), expected);
  }

  /** Points the alias at the canary version with no routing config. */
  async promote(snapshot: RouterSnapshot, expected: RouteVersions): Promise<RouteVersions> {
    const route = this.checkSnapshot(snapshot, { needsCanary: true });
    return this.write(route, promotedContent(snapshot.canary, contentOf(rawOf(route)).Description), expected);
  }

  /**
   * Writes FunctionVersion, RoutingConfig and Description back exactly as snapshotted. An alias
   * found in a state this rollout writes (a split of stable and canary, or promoted) under an
   * unexpected RevisionId is our own write whose answer was lost, not another writer's.
   */
  async restore(snapshot: RouterSnapshot, expected: RouteVersions, options: { force?: boolean } = {}): Promise<RouteVersions> {
    const route = this.checkSnapshot(snapshot, { needsCanary: false });
    const desired = contentOf(rawOf(route));
    return this.write(route, desired, expected, (current) => options.force === true || this.isOwnState(snapshot, route, current));
  }

  /** Reads the alias back and compares its split with what `weight` should have produced (weights as doubles, within a tolerance). */
  async verify(snapshot: RouterSnapshot, target: VerifyTarget): Promise<VerifyResult> {
    const route = this.checkSnapshot(snapshot, { needsCanary: target !== 'restored' });
    const current = contentOf(await this.getAlias());
    const want =
      target === 'restored'
        ? contentOf(rawOf(route))
        : target === 'promoted'
          ? promotedContent(snapshot.canary, contentOf(rawOf(route)).Description)
          : splitContent(snapshot.stable, snapshot.canary, target, current.Description);
    const expected =
      target === 'restored'
        ? route.targets
        : target === 'promoted'
          ? promotedTargets(route.targets, snapshot.stable, snapshot.canary, { maxTargets: 2 })
          : canaryTargets(route.targets, snapshot.stable, snapshot.canary, target, { maxTargets: 2 });
    return { supported: true, ok: sameContent(current, want), routes: [{ key: route.key, expected, actual: targetsOf(current) }] };
  }

  /**
   * Writes `desired` unless the alias already holds it. The RevisionId sent is the one our last
   * write produced (`expected`), so Lambda refuses the write if anyone moved in between; a refusal
   * whose re-read shows exactly `desired` was our own earlier attempt (the SDK retried a write
   * whose answer was lost), not another writer.
   */
  private async write(
    route: RouteSnapshot,
    desired: AliasContent,
    expected: RouteVersions,
    adoptCurrent: (current: AliasContent) => boolean = () => false,
  ): Promise<RouteVersions> {
    const current = await this.getAlias();
    const content = contentOf(current);
    // Checked before drift: a retried Task must not trip over the revision of its own write.
    if (sameContent(content, desired)) return { [route.key]: revisionOf(current) };
    const want = expected[route.key] ?? route.version;
    let revision = want;
    if (revisionOf(current) !== want) {
      if (!adoptCurrent(content)) {
        throw new ConcurrentModificationError(
          `${this.describe()} (${route.key}) was changed by another writer: expected RevisionId ${want}, found ${revisionOf(current)} (${describeContent(content)}); not overwriting it`,
        );
      }
      revision = revisionOf(current);
    }
    try {
      const written = await this.client.send(
        new UpdateAliasCommand({
          FunctionName: this.config.function,
          Name: this.config.alias,
          FunctionVersion: desired.FunctionVersion,
          Description: desired.Description,
          // Sent even when empty: an UpdateAlias without RoutingConfig keeps the old split.
          RoutingConfig: { AdditionalVersionWeights: desired.AdditionalVersionWeights },
          RevisionId: revision,
        }),
      );
      return { [route.key]: revisionOf(written) };
    } catch (error) {
      if (error instanceof Error && error.name === 'PreconditionFailedException') {
        const now = await this.getAlias();
        if (sameContent(contentOf(now), desired)) return { [route.key]: revisionOf(now) };
        throw new ConcurrentModificationError(
          `${this.describe()} (${route.key}) was changed by another writer while we wrote it: it now holds ${describeContent(contentOf(now))} (RevisionId ${revisionOf(now)}); not overwriting it`,
          { cause: error },
        );
      }
      throw mapLambdaError(error, { action: 'UpdateAlias', resource: this.describe() });
    }
  }

  /** True when `current` is one of the states this rollout writes, with everything else as snapshotted. */
  private isOwnState(snapshot: RouterSnapshot, route: RouteSnapshot, current: AliasContent): boolean {
    if (!isPublishedVersion(snapshot.canary)) return false;
    const description = contentOf(rawOf(route)).Description;
    if (sameContent(current, promotedContent(snapshot.canary, description))) return true;
    for (let w = 0; w <= 100; w++) if (sameContent(current, splitContent(snapshot.stable, snapshot.canary, w, description))) return true;
    return false;
  }

  private async versionConfiguration(version: string): Promise<FunctionConfiguration> {
    const fn = this.config.function;
    return this.call({ action: 'GetFunctionConfiguration', resource: `version ${version} of function "${fn}"` }, () =>
      this.client.send(new GetFunctionConfigurationCommand({ FunctionName: fn, Qualifier: version })),
    );
  }

  private async getAlias(): Promise<AliasConfiguration> {
    return this.call({ action: 'GetAlias', resource: this.describe() }, () =>
      this.client.send(new GetAliasCommand({ FunctionName: this.config.function, Name: this.config.alias })),
    );
  }

  private async call<T>(ctx: LambdaCallContext, send: () => Promise<T>): Promise<T> {
    try {
      return await send();
    } catch (error) {
      throw mapLambdaError(error, ctx);
    }
  }

  private describe(): string {
    return `alias "${this.config.alias}" of function "${this.config.function}"`;
  }

  private routeName(): string {
    return `${this.config.function}:${this.config.alias}`;
  }

  /** A snapshot taken by another router (or for another alias) would make us write someone else's alias. */
  private checkSnapshot(snapshot: RouterSnapshot, opts: { needsCanary: boolean }): RouteSnapshot {
    if (snapshot.kind !== this.kind) throw new ConfigurationError(`snapshot is of a "${snapshot.kind}" router, not "${this.kind}"`);
    const route = snapshot.routes[0];
    if (snapshot.routes.length !== 1 || route === undefined || route.name !== this.routeName()) {
      throw new ConfigurationError(`snapshot does not hold exactly ${this.describe()}`);
    }
    if (opts.needsCanary) {
      if (!isPublishedVersion(snapshot.canary)) {
        throw new ConfigurationError(`${this.describe()}: the canary "${snapshot.canary}" is not a published version (was the canary version published?)`);
      }
      if (snapshot.canary === snapshot.stable) throw new ConfigurationError(`${this.describe()}: canary and stable are the same version ${snapshot.canary}`);
    }
    return route;
  }
}

/**
 * Why Lambda would refuse a weighted alias between these two versions, or undefined: both must
 * have the same execution role and the same dead-letter queue (or none).
 */
function splitBlocker(stable: FunctionConfiguration, canary: FunctionConfiguration): string | undefined {
  const differences: string[] = [];
  if ((stable.Role ?? '') !== (canary.Role ?? '')) differences.push(`the execution role differs (stable ${stable.Role ?? 'none'}, canary ${canary.Role ?? 'none'})`);
  const dlq = (c: FunctionConfiguration) => c.DeadLetterConfig?.TargetArn ?? 'none';
  if (dlq(stable) !== dlq(canary)) differences.push(`the dead-letter queue differs (stable ${dlq(stable)}, canary ${dlq(canary)})`);
  return differences.length > 0 ? differences.join('; ') : undefined;
}

function rawOf(route: RouteSnapshot): AliasConfiguration {
  return route.raw as AliasConfiguration;
}

function revisionOf(alias: AliasConfiguration): string {
  if (!alias.RevisionId) throw new Error(`Lambda returned alias "${alias.Name}" without a RevisionId`);
  return alias.RevisionId;
}

function validate(config: LambdaAliasConfig, versions: LambdaVersions): void {
  const problems: string[] = [];
  if (typeof config.function !== 'string' || config.function.trim() === '') problems.push('function must be a non-empty string');
  if (typeof config.alias !== 'string' || config.alias.trim() === '') problems.push('alias must be a non-empty string');
  for (const side of ['canary', 'stable'] as const) {
    const v = versions[side];
    if (v !== undefined && !isPublishedVersion(v)) {
      problems.push(`target.${side} "${v}" is not a published version number${v.startsWith('$LATEST') ? ' ($LATEST cannot be given a share of an alias: publish a version)' : ''}`);
    }
  }
  if (versions.canary !== undefined && versions.canary === versions.stable) problems.push(`target.canary and target.stable are the same version ${versions.canary}`);
  if (problems.length > 0) throw new ConfigurationError(`invalid Lambda alias router config: ${problems.join('; ')}`);
}

