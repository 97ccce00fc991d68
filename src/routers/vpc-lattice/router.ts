import {
  GetListenerCommand,
  GetRuleCommand,
  GetTargetGroupCommand,
  ListRulesCommand,
  UpdateListenerCommand,
  UpdateRuleCommand,
  VPCLatticeClient,
  type RuleAction,
} from '@aws-sdk/client-vpc-lattice';
import { ConfigurationError, TransientError } from '../../shared/errors';
import { checkDrift, isRolloutTargets, restoreEach } from '../drift';
import type { RouteSnapshot, RouteVersions, RouterSnapshot, Target, TrafficRouter, VerifyResult, VerifyTarget } from '../port';
import { guessStable, sameTargets } from '../weights';
import { mapLatticeError, type LatticeCallContext } from './errors';
import {
  actionOf,
  digest,
  forwardAction,
  forwardGroups,
  idOf,
  latticePromoted,
  latticeWeights,
  requireForward,
  sameContent,
  toTargets,
  toWeightedGroups,
  weightOf,
  withAction,
  type RouteContent,
} from './spec';

/** Where the routes live. Mirrors `VpcLatticeRouterSchema` in src/spec/schema.ts (ids or ARNs). */
export interface LatticeRouterConfig {
  service: string;
  listener: string;
  /** Rules to shift. Default: the listener's default action and every rule that forwards to the stable target group. */
  rules?: string[];
}

/** The target groups traffic moves between (id or ARN). Without `stable`, the largest group of the first route is taken. */
export interface LatticeTargets {
  canary: string;
  stable?: string;
}

/** The route name of the listener's default action (rules are named by their id). */
export const DEFAULT_ACTION = 'default';

/**
 * TrafficRouter over the rules and default action of one VPC Lattice listener.
 *
 * Lattice has neither a version field nor compare-and-swap: every write re-reads the rule, refuses
 * to go on when its content is not what our last write produced (a digest of the writable fields
 * is the version), and sends only the `action` (UpdateRule is a PATCH, so match and priority stay
 * as they are; the default action changes only through UpdateListener).
 */
export class LatticeRouter implements TrafficRouter {
  readonly kind = 'vpc-lattice';
  private readonly service: string;
  private readonly listener: string;

  /** Validates the config at once (a typo must fail before any AWS call); the client defaults to a real one. */
  constructor(
    private readonly config: LatticeRouterConfig,
    private readonly targets: LatticeTargets,
    private readonly client: VPCLatticeClient = new VPCLatticeClient({}),
  ) {
    validate(config, targets);
    this.service = idOf(config.service);
    this.listener = idOf(config.listener);
  }

  /**
   * Checks that the listener, the rules and the target groups exist and resolves which routes to
   * shift. Read-only: nothing is written. The snapshot holds each route's writable content for restore.
   */
  async snapshot(): Promise<RouterSnapshot> {
    const listener = await this.getListener();
    const canary = idOf(this.targets.canary);
    await this.getTargetGroup(canary);
    if (this.targets.stable !== undefined) await this.getTargetGroup(idOf(this.targets.stable));

    const named = this.config.rules;
    const candidates: Array<{ name: string; content: RouteContent }> = [];
    if (named) {
      for (const rule of named) candidates.push(await this.readNamedRule(idOf(rule), listener));
    } else {
      candidates.push({ name: DEFAULT_ACTION, content: listener });
      for (const rule of await this.listRuleIds()) candidates.push({ name: rule, content: await this.getRule(rule) });
    }

    const stable = this.targets.stable !== undefined ? idOf(this.targets.stable) : this.guessStableGroup(candidates.map((c) => c.content), canary);
    // Named rules must all qualify; listed ones are a search, and only those that forward to the
    // stable group are ours (a fixed-response rule or another service's group is skipped).
    const selected = named ? candidates : candidates.filter((c) => groupsOf(c.content).includes(stable));
    if (selected.length === 0) {
      throw new ConfigurationError(`neither the default action nor any rule of listener "${this.listener}" of service "${this.service}" forwards to the stable target group "${stable}"`);
    }
    const routes = selected.map(({ name, content }): RouteSnapshot => {
      const label = this.label(name);
      const targets = toTargets(requireForward(content, label), label);
      if (!targets.some((t) => t.name === stable)) throw new ConfigurationError(`${label} does not forward to the stable target group "${stable}"`);
      // Every state the rollout will write must be writable, checked now: a rule that cannot take the
      // canary (10 groups already, or weights that cannot scale) fails Prepare, not a later shift.
      latticeWeights(targets, stable, canary, 50);
      latticeWeights(targets, stable, canary, 100);
      latticePromoted(targets, stable, canary);
      return { key: this.keyOf(name), name, version: digest(content), targets, raw: structuredClone(content) };
    });
    return { kind: this.kind, stable, canary, routes, takenAt: new Date().toISOString() };
  }

  /** Gives the canary `weight` % of the stable + canary share on every route; other groups keep their share. */
  async setCanaryWeight(snapshot: RouterSnapshot, weight: number, expected: RouteVersions): Promise<RouteVersions> {
    return this.rewrite(snapshot, expected, (route) => latticeWeights(route.targets, snapshot.stable, snapshot.canary, weight));
  }

  /** Hands the whole stable + canary share to the canary and removes the stable group. */
  async promote(snapshot: RouterSnapshot, expected: RouteVersions): Promise<RouteVersions> {
    return this.rewrite(snapshot, expected, (route) => latticePromoted(route.targets, snapshot.stable, snapshot.canary));
  }

  /**
   * Writes every route's snapshotted content back exactly (a rule's match and priority too). Every
   * route is attempted even when one fails, then the failures are thrown together.
   */
  async restore(snapshot: RouterSnapshot, expected: RouteVersions, options: { force?: boolean } = {}): Promise<RouteVersions> {
    this.checkSnapshot(snapshot);
    return restoreEach(snapshot.routes, async (route) => {
      const raw = route.raw as RouteContent;
      const current = await this.read(route.name);
      if (sameContent(current, raw)) return digest(current);
      // A split this rollout writes, with everything else as snapshotted, under a digest we did not
      // record means our own last write was not recorded (a Task failed after its update), not another writer.
      if (!options.force && !this.isOwnSplit(snapshot, route, current)) checkDrift(route, expected, digest(current), { label: this.label(route.name), what: 'content' });
      await this.write(route.name, raw, true);
      return digest(raw);
    });
  }

  /** Reads every route back and compares its target groups with what `weight` should have produced. */
  async verify(snapshot: RouterSnapshot, target: VerifyTarget): Promise<VerifyResult> {
    this.checkSnapshot(snapshot);
    const routes: Array<{ key: string; expected: Target[]; actual: Target[] }> = [];
    for (const route of snapshot.routes) {
      const current = await this.read(route.name);
      const actual = toTargets(forwardGroups(actionOf(current)) ?? [], this.label(route.name));
      const expected =
        target === 'restored' ? route.targets : target === 'promoted' ? latticePromoted(route.targets, snapshot.stable, snapshot.canary) : latticeWeights(route.targets, snapshot.stable, snapshot.canary, target);
      routes.push({ key: route.key, expected, actual });
    }
    return { supported: true, ok: routes.every((r) => sameTargets(r.expected, r.actual)), routes };
  }

  private isOwnSplit(snapshot: RouterSnapshot, route: RouteSnapshot, current: RouteContent): boolean {
    try {
      const groups = forwardGroups(actionOf(current));
      if (!groups) return false;
      const targets = toTargets(groups, route.name);
      const ours = isRolloutTargets(
        targets,
        (w) => latticeWeights(route.targets, snapshot.stable, snapshot.canary, w),
        () => latticePromoted(route.targets, snapshot.stable, snapshot.canary),
      );
      if (!ours) return false;
      const blank = forwardAction([]);
      return sameContent(withAction(current, blank), withAction(route.raw as RouteContent, blank));
    } catch {
      return false; // content we cannot read as ours is someone else's
    }
  }

  private async rewrite(snapshot: RouterSnapshot, expected: RouteVersions, desiredFrom: (route: RouteSnapshot) => Target[]): Promise<RouteVersions> {
    this.checkSnapshot(snapshot);
    const versions: RouteVersions = {};
    // Sequential and fail-fast: a later route must not move while an earlier one is in an unknown state.
    for (const route of snapshot.routes) {
      const label = this.label(route.name);
      const current = await this.read(route.name);
      const groups = requireForward(current, label);
      // The snapshot's match and priority, not the current ones: a route whose weights match but whose
      // match or priority another writer changed is not our write (the drift check below catches it).
      const desired = withAction(route.raw as RouteContent, forwardAction(toWeightedGroups(groups, desiredFrom(route))));
      // Checked before drift: a route already carrying this content needs no write, and a step retried
      // after a lost answer must not take its own write for another writer's.
      if (sameContent(current, desired)) {
        versions[route.key] = digest(current);
        continue;
      }
      checkDrift(route, expected, digest(current), { label, what: 'content' });
      await this.write(route.name, desired, false);
      // The version is the digest of what we wrote, not of the answer: a PATCH answer is not
      // guaranteed to echo every field, and GetRule will return exactly this content.
      versions[route.key] = digest(desired);
    }
    return versions;
  }

  /** The writable content of a route as VPC Lattice holds it now. */
  private async read(name: string): Promise<RouteContent> {
    return name === DEFAULT_ACTION ? this.getListener() : this.getRule(name);
  }

  /**
   * Writes a route: the default action with UpdateListener; a rule's action (and on restore its match
   * and priority) with UpdateRule. A ConflictException (the route is being updated) is re-read: the
   * content we are writing means it was our own write (the SDK retried it), so it succeeded; anything
   * else stays a TransientError, and the retried step's digest check catches a real other writer.
   */
  private async write(name: string, content: RouteContent, exact: boolean): Promise<void> {
    try {
      await this.send(name, content, exact);
    } catch (error) {
      if (!(error instanceof TransientError && (error.cause as { name?: string } | undefined)?.name === 'ConflictException')) throw error;
      if (sameContent(await this.read(name), content)) return;
      throw error;
    }
  }

  private async send(name: string, content: RouteContent, exact: boolean): Promise<void> {
    if ('defaultAction' in content) {
      await this.call({ action: 'UpdateListener', ...this.context(name) }, () =>
        this.client.send(new UpdateListenerCommand({ serviceIdentifier: this.config.service, listenerIdentifier: this.config.listener, defaultAction: content.defaultAction })),
      );
      return;
    }
    const rest = exact ? { ...(content.match ? { match: content.match } : {}), ...(content.priority !== undefined ? { priority: content.priority } : {}) } : {};
    await this.call({ action: 'UpdateRule', ...this.context(name) }, () =>
      this.client.send(
        new UpdateRuleCommand({ serviceIdentifier: this.config.service, listenerIdentifier: this.config.listener, ruleIdentifier: name, ...rest, action: content.action }),
      ),
    );
  }

  private async getListener(): Promise<{ defaultAction: RuleAction }> {
    const out = await this.call({ action: 'GetListener', ...this.context(DEFAULT_ACTION) }, () =>
      this.client.send(new GetListenerCommand({ serviceIdentifier: this.config.service, listenerIdentifier: this.config.listener })),
    );
    if (!out?.defaultAction) throw new Error(`GetListener returned no defaultAction for listener "${this.listener}"`);
    return { defaultAction: out.defaultAction };
  }

  private async getRule(rule: string): Promise<RouteContent> {
    return (await this.getRuleOutput(rule)).content;
  }

  private async getRuleOutput(rule: string): Promise<{ content: RouteContent; isDefault: boolean }> {
    const out = await this.call({ action: 'GetRule', ...this.context(rule) }, () =>
      this.client.send(new GetRuleCommand({ serviceIdentifier: this.config.service, listenerIdentifier: this.config.listener, ruleIdentifier: rule })),
    );
    if (!out?.action) throw new Error(`GetRule returned no action for rule "${rule}"`);
    return { content: { match: out.match, priority: out.priority, action: out.action }, isDefault: out.isDefault === true };
  }

  /** A rule named in the spec. The listener's default rule is shifted through the listener (UpdateRule cannot change it). */
  private async readNamedRule(rule: string, listener: { defaultAction: RuleAction }): Promise<{ name: string; content: RouteContent }> {
    const { content, isDefault } = await this.getRuleOutput(rule);
    return isDefault ? { name: DEFAULT_ACTION, content: listener } : { name: rule, content };
  }

  private async listRuleIds(): Promise<string[]> {
    const ids: string[] = [];
    let nextToken: string | undefined;
    do {
      const page = await this.call({ action: 'ListRules', ...this.context(DEFAULT_ACTION) }, () =>
        this.client.send(new ListRulesCommand({ serviceIdentifier: this.config.service, listenerIdentifier: this.config.listener, ...(nextToken ? { nextToken } : {}) })),
      );
      // The default rule is listed too; its action is the listener's default action, read through GetListener.
      for (const item of page.items ?? []) if (item.id && !item.isDefault) ids.push(item.id);
      nextToken = page.nextToken;
    } while (nextToken);
    return ids;
  }

  private async getTargetGroup(id: string): Promise<void> {
    await this.call({ action: 'GetTargetGroup', resource: `target group "${id}"`, scope: 'in this account and Region' }, () =>
      this.client.send(new GetTargetGroupCommand({ targetGroupIdentifier: id })),
    );
  }

  private async call<T>(ctx: LatticeCallContext, send: () => Promise<T>): Promise<T> {
    try {
      return await send();
    } catch (error) {
      throw mapLatticeError(error, ctx);
    }
  }

  private context(name: string): Omit<LatticeCallContext, 'action'> {
    return name === DEFAULT_ACTION
      ? { resource: `listener "${this.listener}"`, scope: `of service "${this.service}"` }
      : { resource: `rule "${name}"`, scope: `on listener "${this.listener}" of service "${this.service}"` };
  }

  private label(name: string): string {
    return name === DEFAULT_ACTION ? `the default action of listener "${this.listener}"` : `rule "${name}" of listener "${this.listener}"`;
  }

  private keyOf(name: string): string {
    return `vpc-lattice:${this.service}/${this.listener}${name === DEFAULT_ACTION ? '' : `/${name}`}`;
  }

  private guessStableGroup(contents: RouteContent[], canary: string): string {
    // The first route with a group besides the canary decides: a canary-only rule says nothing about which group is stable.
    for (const content of contents) {
      const groups = forwardGroups(actionOf(content)) ?? [];
      const guess = guessStable(groups.map((g) => ({ name: idOf(g.targetGroupIdentifier ?? ''), weight: weightOf(g, groups.length) ?? 0 })), canary);
      if (guess !== undefined) return guess;
    }
    throw new ConfigurationError(
      `cannot tell the stable target group: no route of listener "${this.listener}" of service "${this.service}" forwards to a group other than the canary "${canary}"; name it in the spec`,
    );
  }

  /** A snapshot taken by another router would make us write someone else's rules. */
  private checkSnapshot(snapshot: RouterSnapshot): void {
    if (snapshot.kind !== this.kind) throw new ConfigurationError(`snapshot is of a "${snapshot.kind}" router, not "${this.kind}"`);
    for (const route of snapshot.routes) {
      if (route.key !== this.keyOf(route.name)) {
        throw new ConfigurationError(`snapshot route "${route.key}" does not belong to listener "${this.listener}" of service "${this.service}"`);
      }
    }
  }
}

function groupsOf(content: RouteContent): string[] {
  return (forwardGroups(actionOf(content)) ?? []).map((g) => idOf(g.targetGroupIdentifier ?? ''));
}

const TARGET_GROUP = /^(tg-[0-9a-z]{17}|arn:aws[a-z-]*:vpc-lattice:[a-z0-9-]+:\d{12}:targetgroup\/tg-[0-9a-z]{17})$/;

function validate(config: LatticeRouterConfig, targets: LatticeTargets): void {
  const problems: string[] = [];
  const nonEmpty = (value: unknown, field: string) => {
    if (typeof value !== 'string' || value.trim() === '') problems.push(`${field} must be a non-empty string`);
  };
  nonEmpty(config.service, 'service');
  nonEmpty(config.listener, 'listener');
  // Lattice names target groups by id or ARN only: a name (as App Mesh nodes have) is refused before any call.
  const targetGroup = (value: string | undefined, field: string) => {
    if (value !== undefined && !TARGET_GROUP.test(value)) problems.push(`${field} must be a VPC Lattice target group id (tg-<17 characters>) or ARN, got "${value}"`);
  };
  targetGroup(targets.canary, 'target.canary');
  targetGroup(targets.stable, 'target.stable');
  if (targets.stable !== undefined) {
    if (idOf(targets.stable) === idOf(targets.canary)) problems.push(`stable and canary are the same target group "${idOf(targets.canary)}"`);
  }
  if (config.rules !== undefined) {
    if (config.rules.length === 0) problems.push('rules must list at least one rule, or be left out');
    config.rules.forEach((r, i) => nonEmpty(r, `rules[${i}]`));
    const ids = config.rules.map(idOf);
    const dup = ids.find((r, i) => ids.indexOf(r) !== i);
    if (dup !== undefined) problems.push(`rule "${dup}" is listed twice`);
  }
  if (problems.length > 0) throw new ConfigurationError(`invalid VPC Lattice router config: ${problems.join('; ')}`);
}
