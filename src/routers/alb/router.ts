import {
  DescribeListenersCommand,
  DescribeRulesCommand,
  DescribeTargetGroupsCommand,
  ElasticLoadBalancingV2Client,
  ModifyListenerCommand,
  ModifyRuleCommand,
  type Action,
  type Listener,
  type Rule,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { ConfigurationError, TransientError } from '../../shared/errors';
import { stableStringify } from '../../shared/stable-json';
import type { RouteSnapshot, RouteVersions, RouterSnapshot, Target, TrafficRouter, VerifyResult, VerifyTarget } from '../port';
import { guessStable, sameTargets } from '../weights';
import { checkDrift, isRolloutTargets, restoreEach } from '../drift';
import { mapElbv2Error, type AlbCallContext } from './errors';
import {
  checkTargetGroupArn,
  desiredTargets,
  digestOf,
  forwardAction,
  forwardsTo,
  promotedDesired,
  toTargets,
  withTargets,
  withoutTargets,
  writableActions,
  writableConditions,
  type AlbUnit,
} from './spec';

/** Where the rules live. Mirrors `AlbRouterSchema` in src/spec/schema.ts. */
export interface AlbRouterConfig {
  listenerArn: string;
  /** Rules to shift (a default rule's ARN means the listener's default action). Default: the default action and every rule forwarding to stable. */
  rules?: string[];
}

/** The target groups traffic moves between (ARNs). Without `stable`, the largest target of the first forward is taken. */
export interface AlbTargets {
  canary: string;
  stable?: string;
}

/**
 * TrafficRouter over the rules and default action of one Application Load Balancer listener.
 *
 * ELBv2 has neither a version field nor compare-and-swap, and ModifyRule / ModifyListener replace
 * the whole action list. So every write re-reads the rule, refuses to go on when its content
 * digest is not the one our last write produced, and changes nothing but the target groups of
 * the forward action. Transforms are never sent, so ALB keeps them as they are.
 */
export class AlbRouter implements TrafficRouter {
  readonly kind = 'alb';

  /** Validates the config at once (a typo must fail before any AWS call); the client defaults to a real one. */
  constructor(
    private readonly config: AlbRouterConfig,
    private readonly targets: AlbTargets,
    private readonly client: ElasticLoadBalancingV2Client = new ElasticLoadBalancingV2Client({}),
  ) {
    validate(config, targets);
  }

  /**
   * Checks that the listener, the rules and the target groups exist, resolves what to shift and
   * refuses what cannot be shifted (no weighted forward, more than 5 target groups). Read-only.
   */
  async snapshot(): Promise<RouterSnapshot> {
    const listener = await this.describeListener();
    await this.describeTargetGroup(this.targets.canary, 'target.canary');
    if (this.targets.stable !== undefined) await this.describeTargetGroup(this.targets.stable, 'target.stable');

    const named = this.config.rules;
    const candidates: AlbUnit[] = [];
    if (named) {
      for (const arn of named) {
        const rule = await this.describeRule(arn);
        candidates.push(rule.IsDefault ? defaultUnit(listener) : ruleUnit(rule));
      }
    } else {
      candidates.push(defaultUnit(listener));
      for (const rule of await this.listRules()) if (!rule.IsDefault) candidates.push(ruleUnit(rule));
    }

    const stable = this.targets.stable ?? this.guessStableGroup(candidates);
    // Named rules must all qualify; listed ones are a search: only what forwards to stable is ours.
    const selected = named ? candidates : candidates.filter((u) => forwardsTo(u.actions, stable));
    if (selected.length === 0) {
      throw new ConfigurationError(`neither the default action nor any rule of listener ${this.config.listenerArn} forwards to the stable target group ${stable}`);
    }
    const routes = selected.map((unit): RouteSnapshot => {
      const where = describeUnit(unit);
      const targets = toTargets(forwardAction(unit.actions, where), where);
      if (!targets.some((t) => t.name === stable)) throw new ConfigurationError(`${where} does not forward to the stable target group ${stable}`);
      const pool = targets.filter((t) => t.name === stable || t.name === this.targets.canary).reduce((s, t) => s + t.weight, 0);
      if (pool === 0) throw new ConfigurationError(`${where} gives the stable target group ${stable} weight 0: there is no share to move to the canary`);
      // Every state the rollout will write must be writable, checked now, not at the first shift.
      desiredTargets(targets, stable, this.targets.canary, 50);
      promotedDesired(targets, stable, this.targets.canary);
      return { key: keyOf(unit.arn), name: unit.arn, version: digestOf(unit), targets, raw: structuredClone(unit) };
    });
    return { kind: this.kind, stable, canary: this.targets.canary, routes, takenAt: new Date().toISOString() };
  }

  /** Gives the canary `weight` % of the stable + canary share on every rule; other target groups keep theirs. */
  async setCanaryWeight(snapshot: RouterSnapshot, weight: number, expected: RouteVersions): Promise<RouteVersions> {
    return this.rewrite(snapshot, expected, (route) => desiredTargets(route.targets, snapshot.stable, snapshot.canary, weight));
  }

  /** Hands the whole stable + canary share to the canary and removes the stable target group. */
  async promote(snapshot: RouterSnapshot, expected: RouteVersions): Promise<RouteVersions> {
    return this.rewrite(snapshot, expected, (route) => promotedDesired(route.targets, snapshot.stable, snapshot.canary));
  }

  /**
   * Writes every rule's snapshotted conditions and actions back. Every rule is attempted even when
   * one fails, then the failures are thrown together, so a partial restore is never silent.
   */
  async restore(snapshot: RouterSnapshot, expected: RouteVersions, options: { force?: boolean } = {}): Promise<RouteVersions> {
    this.checkSnapshot(snapshot);
    return restoreEach(snapshot.routes, async (route) => {
      const raw = route.raw as AlbUnit;
      const current = await this.read(raw);
      const version = digestOf(current);
      if (version === digestOf(raw)) return version;
      // A split this rollout could have written, with everything else as snapshotted, is ours
      // even under an unrecorded digest (a Task failed after its Modify call): not another writer.
      if (!options.force && !this.isOwnState(snapshot, route, current)) checkDrift(route, expected, version, { label: route.name, what: 'content' });
      await this.write(raw, raw.actions);
      // The digest of what we wrote (see rewrite), which a later DescribeRules gives too.
      return digestOf(raw);
    });
  }

  /** Reads every rule back and compares its forward targets with what `weight` should have produced. */
  async verify(snapshot: RouterSnapshot, target: VerifyTarget): Promise<VerifyResult> {
    this.checkSnapshot(snapshot);
    const routes: Array<{ key: string; expected: Target[]; actual: Target[] }> = [];
    for (const route of snapshot.routes) {
      const current = await this.read(route.raw as AlbUnit);
      const actual = toTargets(forwardAction(current.actions, describeUnit(current)), describeUnit(current));
      const expected =
        target === 'restored' ? route.targets : target === 'promoted' ? promotedDesired(route.targets, snapshot.stable, snapshot.canary) : desiredTargets(route.targets, snapshot.stable, snapshot.canary, target);
      routes.push({ key: route.key, expected, actual });
    }
    return { supported: true, ok: routes.every((r) => sameTargets(r.expected, r.actual)), routes };
  }

  private async rewrite(snapshot: RouterSnapshot, expected: RouteVersions, desiredFor: (route: RouteSnapshot) => Target[]): Promise<RouteVersions> {
    this.checkSnapshot(snapshot);
    const versions: RouteVersions = {};
    // Sequential and fail-fast: a later rule must not move while an earlier one is in an unknown state.
    for (const route of snapshot.routes) {
      const raw = route.raw as AlbUnit;
      const where = describeUnit(raw);
      const current = await this.read(raw);
      const desired = desiredFor(route);
      const actions = withTargets(raw.actions, desired, where);
      // Already there (this very write was made before and its answer lost, or the Task is retried):
      // recognised by content, nothing to overwrite, and not another writer.
      if (sameContent(current, { ...raw, actions })) {
        versions[route.key] = digestOf(current);
        continue;
      }
      checkDrift(route, expected, digestOf(current), { label: route.name, what: 'content' });
      const written = await this.write(raw, actions);
      const applied = toTargets(forwardAction(written.actions, where), where);
      if (!sameTargets(applied, desired)) {
        throw new TransientError(`${where}: ALB answered ${formatTargets(applied)} after writing ${formatTargets(desired)}; the write is retried`);
      }
      // The version is the digest of what we wrote, not of the answer: ModifyRule/ModifyListener
      // have answered in other spellings than DescribeRules, and the next step would take that
      // difference for another writer. What we write is the snapshot read (as DescribeRules spells
      // it) with only the forward's target groups changed, so its digest is what a later read gives.
      versions[route.key] = digestOf({ ...raw, actions });
    }
    return versions;
  }

  /** True when `current` is a state this rollout writes (a split or the promoted state) with everything else as snapshotted. */
  private isOwnState(snapshot: RouterSnapshot, route: RouteSnapshot, current: AlbUnit): boolean {
    try {
      const raw = route.raw as AlbUnit;
      if (stableStringify(withoutTargets(current.actions)) !== stableStringify(withoutTargets(raw.actions))) return false;
      if (raw.type === 'rule' && stableStringify(writableConditions(raw.conditions)) !== stableStringify(writableConditions(current.type === 'rule' ? current.conditions : []))) return false;
      const actual = toTargets(forwardAction(current.actions, route.name), route.name);
      return isRolloutTargets(
        actual,
        (w) => desiredTargets(route.targets, snapshot.stable, snapshot.canary, w),
        () => promotedDesired(route.targets, snapshot.stable, snapshot.canary),
      );
    } catch {
      return false; // a configuration we cannot read as ours is someone else's
    }
  }

  /** The unit as ALB holds it now. */
  private async read(unit: AlbUnit): Promise<AlbUnit> {
    if (unit.type === 'default') return defaultUnit(await this.describeListener());
    return ruleUnit(await this.describeRule(unit.arn));
  }

  /** ModifyRule (conditions and actions) or ModifyListener (default actions only); returns what ALB answered (for its weights only). */
  private async write(unit: AlbUnit, actions: Action[]): Promise<AlbUnit> {
    if (unit.type === 'default') {
      const out = await this.call({ action: 'ModifyListener', resource: `listener ${unit.arn}` }, () =>
        this.client.send(new ModifyListenerCommand({ ListenerArn: unit.arn, DefaultActions: writableActions(actions) })),
      );
      const listener = out.Listeners?.[0];
      if (!listener) throw new TransientError(`ModifyListener returned no listener for ${unit.arn}`);
      return defaultUnit(listener);
    }
    const out = await this.call({ action: 'ModifyRule', resource: `listener rule ${unit.arn}` }, () =>
      this.client.send(new ModifyRuleCommand({ RuleArn: unit.arn, Conditions: writableConditions(unit.conditions), Actions: writableActions(actions) })),
    );
    const rule = out.Rules?.[0];
    if (!rule) throw new TransientError(`ModifyRule returned no rule for ${unit.arn}`);
    return ruleUnit(rule);
  }

  private async describeListener(): Promise<Listener> {
    const arn = this.config.listenerArn;
    const out = await this.call({ action: 'DescribeListeners', resource: `listener ${arn}` }, () =>
      this.client.send(new DescribeListenersCommand({ ListenerArns: [arn] })),
    );
    const listener = out.Listeners?.find((l) => l.ListenerArn === arn);
    if (!listener) throw new ConfigurationError(`DescribeListeners did not return listener ${arn}`);
    return listener;
  }

  private async describeRule(arn: string): Promise<Rule> {
    const out = await this.call({ action: 'DescribeRules', resource: `listener rule ${arn}` }, () => this.client.send(new DescribeRulesCommand({ RuleArns: [arn] })));
    const rule = out.Rules?.find((r) => r.RuleArn === arn);
    if (!rule) throw new ConfigurationError(`DescribeRules did not return rule ${arn}`);
    return rule;
  }

  /** Every rule of the listener, paged with Marker. */
  private async listRules(): Promise<Rule[]> {
    const rules: Rule[] = [];
    let marker: string | undefined;
    do {
      const page = await this.call({ action: 'DescribeRules', resource: `rules of listener ${this.config.listenerArn}` }, () =>
        this.client.send(new DescribeRulesCommand({ ListenerArn: this.config.listenerArn, PageSize: 100, ...(marker ? { Marker: marker } : {}) })),
      );
      rules.push(...(page.Rules ?? []));
      marker = page.NextMarker;
    } while (marker);
    return rules;
  }

  private async describeTargetGroup(arn: string, field: string): Promise<void> {
    const out = await this.call({ action: 'DescribeTargetGroups', resource: `target group ${arn} (${field})` }, () =>
      this.client.send(new DescribeTargetGroupsCommand({ TargetGroupArns: [arn] })),
    );
    if (!out.TargetGroups?.some((g) => g.TargetGroupArn === arn)) throw new ConfigurationError(`DescribeTargetGroups did not return target group ${arn} (${field})`);
  }

  private async call<T>(ctx: AlbCallContext, send: () => Promise<T>): Promise<T> {
    try {
      return await send();
    } catch (error) {
      throw mapElbv2Error(error, ctx);
    }
  }

  private guessStableGroup(units: AlbUnit[]): string {
    // The first forward with a target besides the canary decides; the default action comes first.
    for (const unit of units) {
      const forward = unit.actions.find((a) => a.Type === 'forward');
      if (!forward) continue;
      const guess = guessStable(safeTargets(forward), this.targets.canary);
      if (guess !== undefined) return guess;
    }
    throw new ConfigurationError(
      `cannot tell the stable target group: nothing on listener ${this.config.listenerArn} forwards to a target group other than the canary ${this.targets.canary}; name it in target.stable`,
    );
  }

  /** A snapshot taken by another router, or of another listener, would make us write someone else's rules. */
  private checkSnapshot(snapshot: RouterSnapshot): void {
    if (snapshot.kind !== this.kind) throw new ConfigurationError(`snapshot is of a "${snapshot.kind}" router, not "${this.kind}"`);
    for (const route of snapshot.routes) {
      const raw = route.raw as AlbUnit | undefined;
      const ours = raw !== undefined && route.key === keyOf(raw.arn) && (raw.type === 'default' ? raw.arn === this.config.listenerArn : ruleOfListener(raw.arn, this.config.listenerArn));
      if (!ours) throw new ConfigurationError(`snapshot route "${route.key}" does not belong to listener ${this.config.listenerArn}`);
    }
  }
}

function keyOf(arn: string): string {
  return `alb:${arn}`;
}

function defaultUnit(listener: Listener): AlbUnit {
  return { type: 'default', arn: listener.ListenerArn ?? '', actions: structuredClone(listener.DefaultActions ?? []) };
}

function ruleUnit(rule: Rule): AlbUnit {
  return {
    type: 'rule',
    arn: rule.RuleArn ?? '',
    ...(rule.Priority !== undefined ? { priority: rule.Priority } : {}),
    conditions: structuredClone(rule.Conditions ?? []),
    actions: structuredClone(rule.Actions ?? []),
  };
}

function describeUnit(unit: AlbUnit): string {
  return unit.type === 'default' ? `the default action of listener ${unit.arn}` : `listener rule ${unit.arn}`;
}

/** Same conditions and actions, as ALB would compare them. */
function sameContent(a: AlbUnit, b: AlbUnit): boolean {
  return digestOf(a) === digestOf(b);
}

function safeTargets(forward: Action): Target[] {
  try {
    return toTargets(forward, '');
  } catch {
    return [];
  }
}

function formatTargets(targets: Target[]): string {
  return targets.map((t) => `${t.name}=${t.weight}`).join(', ');
}

/** `...:listener-rule/app/<lb>/<id>/<listener-id>/<rule-id>` belongs to `...:listener/app/<lb>/<id>/<listener-id>`. */
function ruleOfListener(ruleArn: string, listenerArn: string): boolean {
  return ruleArn.replace(':listener-rule/', ':listener/').startsWith(`${listenerArn}/`);
}

function validate(config: AlbRouterConfig, targets: AlbTargets): void {
  checkTargetGroupArn(targets.canary, 'target.canary');
  if (targets.stable !== undefined) {
    checkTargetGroupArn(targets.stable, 'target.stable');
    if (targets.stable === targets.canary) throw new ConfigurationError(`target.stable and target.canary are the same target group ${targets.canary}`);
  }
  for (const [i, rule] of (config.rules ?? []).entries()) {
    if (!ruleOfListener(rule, config.listenerArn)) throw new ConfigurationError(`router.alb.rules[${i}] (${rule}) is not a rule of listener ${config.listenerArn}`);
    if (config.rules?.indexOf(rule) !== i) throw new ConfigurationError(`router.alb.rules[${i}] (${rule}) is listed twice`);
  }
}
