import {
  AppMeshClient,
  DescribeRouteCommand,
  DescribeVirtualNodeCommand,
  DescribeVirtualRouterCommand,
  ListRoutesCommand,
  UpdateRouteCommand,
  type RouteData,
  type RouteSpec,
  type WeightedTarget,
} from '@aws-sdk/client-app-mesh';
import { ConfigurationError } from '../../shared/errors';
import type { RouteSnapshot, RouteVersions, RouterSnapshot, Target, TrafficRouter, VerifyResult, VerifyTarget } from '../port';
import { canaryTargets, guessStable, promotedTargets, sameTargets } from '../weights';
import { checkDrift, isRolloutTargets, restoreEach } from '../drift';
import { mapAppMeshError, type AppMeshCallContext } from './errors';
import { sameJson, toTargets, toWeightedTargets, weightedTargetsOf, withWeightedTargets } from './spec';

/** Where the routes live. Mirrors `AppMeshRouterSchema` in src/spec/schema.ts. */
export interface AppMeshRouterConfig {
  mesh: string;
  virtualRouter: string;
  /** Routes to shift. Default: every route of the router that targets the stable node. */
  routes?: string[];
  /** Account that owns a shared mesh. */
  meshOwner?: string;
}

/** The virtual nodes traffic moves between. Without `stable`, the largest target of the first route is taken. */
export interface AppMeshNodes {
  canary: string;
  stable?: string;
}

/**
 * TrafficRouter over AWS App Mesh routes of one virtual router.
 *
 * App Mesh has no compare-and-swap: UpdateRoute replaces the whole spec and `metadata.version`
 * only reveals another writer afterwards. So every write re-reads the route, refuses to go on
 * when its version is not the one our last write produced, and changes nothing but
 * `action.weightedTargets`.
 */
export class AppMeshRouter implements TrafficRouter {
  readonly kind = 'appmesh';

  /** Validates the config at once (a typo must fail before any AWS call); the client defaults to a real one. */
  constructor(
    private readonly config: AppMeshRouterConfig,
    private readonly nodes: AppMeshNodes,
    private readonly client: AppMeshClient = new AppMeshClient({}),
  ) {
    validate(config, nodes);
  }

  /**
   * Checks that the router, the nodes and the routes exist and resolves which routes to shift.
   * Read-only: nothing is written. The snapshot holds each route's spec verbatim for restore.
   */
  async snapshot(): Promise<RouterSnapshot> {
    const { mesh, virtualRouter } = this.config;
    await this.call({ action: 'DescribeVirtualRouter', resource: `virtual router "${virtualRouter}"`, scope: `in mesh "${mesh}"` }, () =>
      this.client.send(new DescribeVirtualRouterCommand({ meshName: mesh, virtualRouterName: virtualRouter, ...this.owner() })),
    );
    await this.describeNode(this.nodes.canary);
    if (this.nodes.stable !== undefined) await this.describeNode(this.nodes.stable);

    const named = this.config.routes;
    const candidates: RouteData[] = [];
    for (const name of named ?? (await this.listRouteNames())) candidates.push(await this.describeRoute(name));

    const stable = this.nodes.stable ?? this.guessStableNode(candidates);
    // Explicitly named routes must all qualify; listed ones are a search, and only the routes
    // that send traffic to the stable node are ours to shift (an odd route elsewhere on the
    // router is none of our business, so it is skipped rather than refused).
    const selected = named ? candidates : candidates.filter((route) => nodesOf(route).includes(stable));
    if (selected.length === 0) {
      throw new ConfigurationError(
        `no route of virtual router "${virtualRouter}" in mesh "${mesh}" targets the stable virtual node "${stable}"`,
      );
    }
    const routes = selected.map((route): RouteSnapshot => {
      const name = nameOf(route);
      const targets = toTargets(weightedTargetsOf(route.spec, name), name);
      if (!targets.some((t) => t.name === stable)) {
        throw new ConfigurationError(`route "${name}" of virtual router "${virtualRouter}" does not target the stable virtual node "${stable}"`);
      }
      // Every state the rollout will write must be writable, checked now: a route that cannot take
      // the canary (10 targets already) must fail Prepare, not the second route's first shift.
      canaryTargets(targets, stable, this.nodes.canary, 50);
      promotedTargets(targets, stable, this.nodes.canary);
      return {
        key: this.keyOf(name),
        name,
        version: versionOf(route),
        targets,
        raw: structuredClone(route.spec),
      };
    });
    return { kind: this.kind, stable, canary: this.nodes.canary, routes, takenAt: new Date().toISOString() };
  }

  /**
   * Gives the canary `weight` % of the stable + canary share on every route. Other targets keep
   * their weight. Returns each route's version after the call.
   */
  async setCanaryWeight(snapshot: RouterSnapshot, weight: number, expected: RouteVersions): Promise<RouteVersions> {
    return this.rewrite(snapshot, expected, (current) => canaryTargets(current, snapshot.stable, snapshot.canary, weight));
  }

  /** Hands the whole stable + canary share to the canary and removes the stable target. */
  async promote(snapshot: RouterSnapshot, expected: RouteVersions): Promise<RouteVersions> {
    return this.rewrite(snapshot, expected, (current) => promotedTargets(current, snapshot.stable, snapshot.canary));
  }

  /**
   * Writes every route's snapshotted spec back exactly. Every route is attempted even when one
   * fails, then the failures are thrown together, so a partial restore is never silent.
   */
  async restore(snapshot: RouterSnapshot, expected: RouteVersions, options: { force?: boolean } = {}): Promise<RouteVersions> {
    this.checkSnapshot(snapshot);
    return restoreEach(snapshot.routes, async (route) => {
      const current = await this.describeRoute(route.name);
      // Checked before drift: a route already back in its snapshotted state needs no write, and a
      // restore retried after a partial failure must not trip over the version of its own write.
      if (sameJson(current.spec, route.raw)) return versionOf(current);
      // A split between stable and canary, with everything else as snapshotted, is a state this
      // rollout writes; finding it under a newer version means our own last write was not recorded
      // (a Task failed after its UpdateRoute), not another writer.
      if (!options.force && !this.isOwnSplit(snapshot, route, current)) checkDrift(route, expected, versionOf(current), { label: `route "${route.name}"`, what: 'version' });
      const written = await this.updateRoute(route.name, structuredClone(route.raw) as RouteSpec);
      return versionOf(written);
    });
  }

  /** Reads every route back and compares its targets with what `weight` should have produced. */
  async verify(snapshot: RouterSnapshot, target: VerifyTarget): Promise<VerifyResult> {
    this.checkSnapshot(snapshot);
    const routes: Array<{ key: string; expected: Target[]; actual: Target[] }> = [];
    for (const route of snapshot.routes) {
      const current = await this.describeRoute(route.name);
      const actual = toTargets(weightedTargetsOf(current.spec, route.name), route.name);
      const expected =
        target === 'restored' ? route.targets : target === 'promoted' ? promotedTargets(route.targets, snapshot.stable, snapshot.canary) : canaryTargets(route.targets, snapshot.stable, snapshot.canary, target);
      routes.push({ key: route.key, expected, actual });
    }
    return { supported: true, ok: routes.every((r) => sameTargets(r.expected, r.actual)), routes };
  }

  private isOwnSplit(snapshot: RouterSnapshot, route: RouteSnapshot, current: RouteData): boolean {
    try {
      const targets = toTargets(weightedTargetsOf(current.spec, route.name), route.name);
      const ours = isRolloutTargets(
        targets,
        (w) => canaryTargets(route.targets, snapshot.stable, snapshot.canary, w),
        () => promotedTargets(route.targets, snapshot.stable, snapshot.canary),
      );
      if (!ours) return false;
      // Compare the rest of the spec with the targets blanked out on both sides.
      return sameJson(withWeightedTargets(current.spec!, route.name, []), withWeightedTargets(route.raw as RouteSpec, route.name, []));
    } catch {
      return false; // a spec we cannot read as ours is someone else's
    }
  }

  private async rewrite(snapshot: RouterSnapshot, expected: RouteVersions, desiredFrom: (current: Target[]) => Target[]): Promise<RouteVersions> {
    this.checkSnapshot(snapshot);
    const versions: RouteVersions = {};
    // Sequential and fail-fast: a later route must not move while an earlier one is in an unknown state.
    for (const route of snapshot.routes) {
      const current = await this.describeRoute(route.name);
      const spec = current.spec as RouteSpec;
      const weighted = weightedTargetsOf(spec, route.name);
      const desired = toWeightedTargets(weighted, desiredFrom(toTargets(weighted, route.name)), snapshot.stable, snapshot.canary);
      // Checked before drift: when the route already carries these weights there is nothing to
      // overwrite, and a step retried after a partial failure must not trip over its own write.
      if (sameJson(weighted, desired)) {
        // Our own write whose answer was lost carries our weights and the rest as snapshotted; a
        // newer version with anything else changed is another writer, even when the weights match.
        if (!sameJson(withWeightedTargets(spec, route.name, []), withWeightedTargets(route.raw as RouteSpec, route.name, []))) checkDrift(route, expected, versionOf(current), { label: `route "${route.name}"`, what: 'version' });
        versions[route.key] = versionOf(current);
        continue;
      }
      checkDrift(route, expected, versionOf(current), { label: `route "${route.name}"`, what: 'version' });
      const written = await this.updateRoute(route.name, withWeightedTargets(spec, route.name, desired));
      versions[route.key] = versionOf(written);
    }
    return versions;
  }

  private async listRouteNames(): Promise<string[]> {
    const { mesh, virtualRouter } = this.config;
    const names: string[] = [];
    let nextToken: string | undefined;
    do {
      const page = await this.call({ action: 'ListRoutes', resource: `virtual router "${virtualRouter}"`, scope: `in mesh "${mesh}"` }, () =>
        this.client.send(new ListRoutesCommand({ meshName: mesh, virtualRouterName: virtualRouter, ...this.owner(), ...(nextToken ? { nextToken } : {}) })),
      );
      for (const ref of page.routes ?? []) if (ref.routeName) names.push(ref.routeName);
      nextToken = page.nextToken;
    } while (nextToken);
    return names;
  }

  private async describeNode(name: string): Promise<void> {
    const { mesh } = this.config;
    await this.call({ action: 'DescribeVirtualNode', resource: `virtual node "${name}"`, scope: `in mesh "${mesh}"` }, () =>
      this.client.send(new DescribeVirtualNodeCommand({ meshName: mesh, virtualNodeName: name, ...this.owner() })),
    );
  }

  private async describeRoute(name: string): Promise<RouteData> {
    const out = await this.call({ action: 'DescribeRoute', ...this.routeContext(name) }, () =>
      this.client.send(new DescribeRouteCommand({ meshName: this.config.mesh, virtualRouterName: this.config.virtualRouter, routeName: name, ...this.owner() })),
    );
    if (!out?.route) throw new Error(`DescribeRoute returned no route for "${name}"`);
    return out.route;
  }

  private async updateRoute(name: string, spec: RouteSpec): Promise<RouteData> {
    const out = await this.call({ action: 'UpdateRoute', ...this.routeContext(name) }, () =>
      this.client.send(
        new UpdateRouteCommand({ meshName: this.config.mesh, ...this.owner(), virtualRouterName: this.config.virtualRouter, routeName: name, spec }),
      ),
    );
    if (!out?.route) throw new Error(`UpdateRoute returned no route for "${name}"`);
    return out.route;
  }

  private async call<T>(ctx: AppMeshCallContext, send: () => Promise<T>): Promise<T> {
    try {
      return await send();
    } catch (error) {
      throw mapAppMeshError(error, ctx);
    }
  }

  private routeContext(name: string): Omit<AppMeshCallContext, 'action'> {
    return { resource: `route "${name}"`, scope: `on virtual router "${this.config.virtualRouter}" in mesh "${this.config.mesh}"` };
  }

  private owner(): { meshOwner?: string } {
    return this.config.meshOwner === undefined ? {} : { meshOwner: this.config.meshOwner };
  }

  private keyOf(route: string): string {
    return `appmesh:${this.config.mesh}/${this.config.virtualRouter}/${route}`;
  }

  private guessStableNode(routes: RouteData[]): string {
    // The first route that has a target besides the canary decides: a canary-only route (such as
    // a beta-users header route) says nothing about which node is stable.
    for (const route of routes) {
      const weighted = safeWeightedTargets(route);
      const guess = guessStable(weighted.map((w) => ({ name: w.virtualNode ?? '', weight: w.weight ?? 0 })), this.nodes.canary);
      if (guess !== undefined) return guess;
    }
    throw new ConfigurationError(
      `cannot tell the stable virtual node: no route of virtual router "${this.config.virtualRouter}" in mesh "${this.config.mesh}" targets a node other than the canary "${this.nodes.canary}"; name it in the spec`,
    );
  }

  /** A snapshot taken by another router would make us write someone else's routes. */
  private checkSnapshot(snapshot: RouterSnapshot): void {
    if (snapshot.kind !== this.kind) throw new ConfigurationError(`snapshot is of a "${snapshot.kind}" router, not "${this.kind}"`);
    for (const route of snapshot.routes) {
      if (route.key !== this.keyOf(route.name)) {
        throw new ConfigurationError(`snapshot route "${route.key}" does not belong to virtual router "${this.config.virtualRouter}" in mesh "${this.config.mesh}"`);
      }
    }
  }
}

function versionOf(route: RouteData): string {
  const version = route.metadata?.version;
  if (version === undefined || version === null) throw new Error(`App Mesh returned route "${route.routeName}" without metadata.version`);
  return String(version);
}

function nameOf(route: RouteData): string {
  return route.routeName ?? '';
}

/** The weighted targets of a route found by listing, or none when it is not a route we could shift. */
function safeWeightedTargets(route: RouteData): WeightedTarget[] {
  try {
    return weightedTargetsOf(route.spec, nameOf(route));
  } catch {
    return [];
  }
}

function nodesOf(route: RouteData): string[] {
  return safeWeightedTargets(route).map((w) => w.virtualNode ?? '');
}

function validate(config: AppMeshRouterConfig, nodes: AppMeshNodes): void {
  const problems: string[] = [];
  const nonEmpty = (value: unknown, field: string) => {
    if (typeof value !== 'string' || value.trim() === '') problems.push(`${field} must be a non-empty string`);
  };
  nonEmpty(config.mesh, 'mesh');
  nonEmpty(config.virtualRouter, 'virtualRouter');
  nonEmpty(nodes.canary, 'canary virtual node');
  if (nodes.stable !== undefined) {
    nonEmpty(nodes.stable, 'stable virtual node');
    if (nodes.stable === nodes.canary) problems.push(`stable and canary are the same virtual node "${nodes.canary}"`);
  }
  if (config.meshOwner !== undefined) nonEmpty(config.meshOwner, 'meshOwner');
  if (config.routes !== undefined) {
    if (config.routes.length === 0) problems.push('routes must list at least one route, or be left out');
    config.routes.forEach((r, i) => nonEmpty(r, `routes[${i}]`));
    const dup = config.routes.find((r, i) => config.routes?.indexOf(r) !== i);
    if (dup !== undefined) problems.push(`route "${dup}" is listed twice`);
  }
  if (problems.length > 0) throw new ConfigurationError(`invalid App Mesh router config: ${problems.join('; ')}`);
}
