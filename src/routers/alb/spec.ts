import type { Action, RuleCondition, TargetGroupTuple } from '@aws-sdk/client-elastic-load-balancing-v2';
import { ConfigurationError, UnsupportedError } from '../../shared/errors';
import { contentDigest } from '../drift';
import type { Target } from '../port';
import { canaryTargets, promotedTargets } from '../weights';

/**
 * Pure helpers over ELBv2 listener rules and default actions. ModifyRule and ModifyListener
 * replace the whole action (and condition) lists, so everything here is built to change the
 * target groups of the one forward action and nothing else.
 */

/** ALB's limits on a forward action (not adjustable). */
export const MAX_TARGET_GROUPS = 5;
export const MAX_WEIGHT = 999;

/**
 * What we shift: a listener rule (ModifyRule) or the listener's default action (ModifyListener;
 * the default rule cannot be changed with ModifyRule). Kept verbatim in the snapshot.
 */
export type AlbUnit =
  | { type: 'rule'; arn: string; priority?: string; conditions: RuleCondition[]; actions: Action[] }
  | { type: 'default'; arn: string; actions: Action[] };

/** The one forward action of an action list; the routing action is always the last one ALB performs. */
export function forwardAction(actions: Action[], where: string): Action {
  const forwards = actions.filter((a) => a.Type === 'forward');
  if (forwards.length !== 1) {
    const types = actions.map((a) => a.Type ?? '?').join(', ') || 'none';
    throw new UnsupportedError(`${where} has no weighted forward action to shift (its actions: ${types}); only forward actions carry target group weights`);
  }
  return forwards[0]!;
}

/** True when the actions forward some traffic to `targetGroup` (a weight-0 entry sends it none). */
export function forwardsTo(actions: Action[], targetGroup: string): boolean {
  return actions.some((a) => a.Type === 'forward' && tuplesOf(a).some((t) => t.TargetGroupArn === targetGroup && (t.Weight ?? 1) > 0));
}

/**
 * The target groups of a forward action as ALB holds them. A forward to a single target group
 * may come as `TargetGroupArn` alone: that is one target of weight 1. A tuple without `Weight`
 * counts as 1, ALB's default.
 */
export function tuplesOf(action: Action): TargetGroupTuple[] {
  const tuples = action.ForwardConfig?.TargetGroups;
  if (tuples && tuples.length > 0) return tuples;
  return action.TargetGroupArn ? [{ TargetGroupArn: action.TargetGroupArn, Weight: 1 }] : [];
}

/** Forward targets as the core sees them. A target group listed twice has no single weight, so it is refused. */
export function toTargets(action: Action, where: string): Target[] {
  const seen = new Set<string>();
  return tuplesOf(action).map((t) => {
    const name = t.TargetGroupArn ?? '';
    if (seen.has(name)) throw new UnsupportedError(`${where} lists target group ${name} twice in its forward action`);
    seen.add(name);
    return { name, weight: t.Weight ?? 1 };
  });
}

/**
 * The weight total a route is written with, and the factor its snapshotted weights are scaled by.
 *
 * Decision: ALB weights are relative, so we pick the largest integer multiple of the snapshot's
 * total that stays ≤ 999 (a lone `TargetGroupArn` of weight 1 becomes 999; `90/10` becomes
 * `810/90`). Scaling by an integer keeps every extra target's share exact, and the stable +
 * canary pool gets the finest resolution ALB allows. A snapshot total already above 999 is
 * kept as it is (factor 1).
 */
export function scaleOf(targets: Target[]): { factor: number; total: number } {
  const sum = targets.reduce((s, t) => s + t.weight, 0);
  const factor = sum > 0 ? Math.max(1, Math.floor(MAX_WEIGHT / sum)) : 1;
  return { factor, total: sum * factor };
}

/** The targets a step at `weight` % writes, computed from the snapshot (not from what is there now). */
export function desiredTargets(snapshotTargets: Target[], stable: string, canary: string, weight: number): Target[] {
  const { factor, total } = scaleOf(snapshotTargets);
  const scaled = snapshotTargets.map((t) => ({ name: t.name, weight: t.weight * factor }));
  return checkWeights(canaryTargets(scaled, stable, canary, weight, { total, maxTargets: MAX_TARGET_GROUPS }));
}

/** The promoted targets: the canary takes the stable + canary pool, the stable target group is removed. */
export function promotedDesired(snapshotTargets: Target[], stable: string, canary: string): Target[] {
  const { factor, total } = scaleOf(snapshotTargets);
  const scaled = snapshotTargets.map((t) => ({ name: t.name, weight: t.weight * factor }));
  return checkWeights(promotedTargets(scaled, stable, canary, { total, maxTargets: MAX_TARGET_GROUPS }));
}

function checkWeights(targets: Target[]): Target[] {
  const over = targets.find((t) => t.weight > MAX_WEIGHT);
  if (over) throw new UnsupportedError(`target group ${over.name} would need weight ${over.weight}; ALB allows 0-${MAX_WEIGHT}`);
  return targets;
}

/**
 * A copy of `actions` in which only the forward action's target groups differ. The forward is
 * written as `ForwardConfig` (a single `TargetGroupArn` cannot carry weights), keeping its
 * `Order` and `TargetGroupStickinessConfig`; every other action is copied as it is.
 */
export function withTargets(actions: Action[], targets: Target[], where: string): Action[] {
  const forward = forwardAction(actions, where);
  return actions.map((a) => {
    if (a !== forward) return structuredClone(a);
    const { TargetGroupArn: _single, ForwardConfig, ...rest } = structuredClone(a);
    return {
      ...rest,
      ForwardConfig: { ...ForwardConfig, TargetGroups: targets.map((t) => ({ TargetGroupArn: t.name, Weight: t.weight })) },
    };
  });
}

/**
 * Conditions as ModifyRule accepts them. DescribeRules answers `host-header` and `path-pattern`
 * with both the legacy `Values` and the typed config, but ModifyRule accepts only one of them
 * (aws/aws-sdk#439): the typed config wins, it holds every value (and `RegexValues`). A condition
 * with only `Values` (an old rule) is sent as it is.
 */
export function writableConditions(conditions: RuleCondition[]): RuleCondition[] {
  return conditions.map((c) => {
    const copy = structuredClone(c);
    const typed = copy.HostHeaderConfig ?? copy.PathPatternConfig ?? copy.HttpHeaderConfig ?? copy.QueryStringConfig ?? copy.HttpRequestMethodConfig ?? copy.SourceIpConfig;
    if (typed !== undefined) delete copy.Values;
    return copy;
  });
}

/**
 * Actions as ModifyRule / ModifyListener accept them. DescribeRules never returns an OIDC client
 * secret, and a modify without one must say `UseExistingClientSecret` or ALB rejects it; the
 * secret itself is kept by ALB, untouched.
 */
export function writableActions(actions: Action[]): Action[] {
  return actions.map((a) => {
    const copy = structuredClone(a);
    if (copy.AuthenticateOidcConfig && copy.AuthenticateOidcConfig.ClientSecret === undefined) {
      copy.AuthenticateOidcConfig.UseExistingClientSecret = true;
    }
    return copy;
  });
}

/**
 * The version of a rule or default action: a digest of its conditions and actions in a canonical
 * form (key order, `undefined`, the echoed `Values` of typed conditions and the OIDC secret flag
 * do not count). ALB has no version field; two reads of the same configuration give the same
 * digest, whoever wrote it.
 */
export function digestOf(unit: { conditions?: RuleCondition[]; actions: Action[] }): string {
  const content = {
    conditions: writableConditions(unit.conditions ?? []),
    actions: [...unit.actions].sort((a, b) => (a.Order ?? 0) - (b.Order ?? 0)).map(canonicalAction),
  };
  return contentDigest(content);
}

/**
 * An action as it behaves, not as it is spelt: a forward to one target group written as
 * `TargetGroupArn`, as `ForwardConfig` or as both is the same forward; target groups are compared
 * regardless of the order ALB answers them in; a disabled stickiness config is no stickiness
 * config (ALB reports `{Enabled: false}` for a forward written without one); the OIDC secret flag
 * is a write instruction, not content.
 */
function canonicalAction(a: Action): Action {
  const copy = structuredClone(a);
  if (copy.AuthenticateOidcConfig) {
    delete copy.AuthenticateOidcConfig.UseExistingClientSecret;
    delete copy.AuthenticateOidcConfig.ClientSecret;
  }
  if (copy.Type !== 'forward') return copy;
  const tuples = tuplesOf(a)
    .map((t) => ({ TargetGroupArn: t.TargetGroupArn, Weight: t.Weight ?? 1 }))
    .sort((x, y) => (x.TargetGroupArn ?? '').localeCompare(y.TargetGroupArn ?? ''));
  const sticky = copy.ForwardConfig?.TargetGroupStickinessConfig;
  delete copy.TargetGroupArn;
  copy.ForwardConfig = { TargetGroups: tuples, ...(sticky?.Enabled ? { TargetGroupStickinessConfig: sticky } : {}) };
  return copy;
}

/** The actions with the forward's target groups blanked out: everything a rollout must not change. */
export function withoutTargets(actions: Action[]): unknown {
  return [...actions]
    .sort((a, b) => (a.Order ?? 0) - (b.Order ?? 0))
    .map((a) => {
      const copy = canonicalAction(a);
      if (copy.ForwardConfig) delete copy.ForwardConfig.TargetGroups;
      return copy;
    });
}

/** Checks a target group ARN, naming the spec field it came from. */
export function checkTargetGroupArn(value: string, field: string): void {
  if (!/^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:\d{12}:targetgroup\/[^/]+\/[0-9a-f]+$/.test(value)) {
    throw new ConfigurationError(`${field} must be a target group ARN (arn:aws:elasticloadbalancing:<region>:<account>:targetgroup/<name>/<id>), got "${value}"`);
  }
}
