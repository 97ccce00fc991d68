import type { RuleAction, RuleMatch, WeightedTargetGroup } from '@aws-sdk/client-vpc-lattice';
import { ConfigurationError, UnsupportedError } from '../../shared/errors';
import { stableStringify } from '../../shared/stable-json';
import { contentDigest } from '../drift';
import type { Target } from '../port';
import { canaryTargets, promotedTargets } from '../weights';

/**
 * Pure helpers over VPC Lattice rule actions. A rule is written with UpdateRule (PATCH: only the
 * `action` we send changes) and the listener's default action with UpdateListener; both carry the
 * whole `action.forward.targetGroups` list, so everything here rebuilds that list and nothing else.
 */

/** What one shifted route holds: a rule's writable fields, or the listener's default action. */
export type RouteContent = { match?: RuleMatch; priority?: number; action: RuleAction } | { defaultAction: RuleAction };

/** VPC Lattice limits (botocore vpc-lattice/2022-11-30: TargetGroupWeight 0-999, WeightedTargetGroupList 1-10). */
export const MAX_WEIGHT = 999;
export const MAX_TARGET_GROUPS = 10;

/** The id of a VPC Lattice resource given as an id or an ARN (`arn:...:targetgroup/tg-0123...` → `tg-0123...`). */
export function idOf(identifier: string): string {
  return identifier.startsWith('arn:') ? identifier.slice(identifier.lastIndexOf('/') + 1) : identifier;
}

/** The action of a route's content. */
export function actionOf(content: RouteContent): RuleAction {
  return 'defaultAction' in content ? content.defaultAction : content.action;
}

/** The same content with another action. */
export function withAction(content: RouteContent, action: RuleAction): RouteContent {
  return 'defaultAction' in content ? { defaultAction: action } : { ...structuredClone(content), action };
}

/** The weighted target groups of an action, or undefined when it is not a forward (a fixed response). */
export function forwardGroups(action: RuleAction | undefined): WeightedTargetGroup[] | undefined {
  return action && 'forward' in action && action.forward ? action.forward.targetGroups ?? [] : undefined;
}

/** Target groups as the core sees them, by id. A group listed twice has no single weight to shift, so it is refused. */
export function toTargets(groups: WeightedTargetGroup[], route: string): Target[] {
  const seen = new Set<string>();
  return groups.map((g) => {
    const name = idOf(g.targetGroupIdentifier ?? '');
    if (seen.has(name)) throw new UnsupportedError(`${route} forwards to target group "${name}" more than once; canary-controller cannot shift weights between two entries of one group`);
    seen.add(name);
    const weight = weightOf(g, groups.length);
    if (weight === undefined) throw new ConfigurationError(`${route} forwards to target group "${name}" without a weight among ${groups.length} groups; VPC Lattice requires one`);
    return { name, weight };
  });
}

/**
 * The weight of one of `count` weighted target groups. botocore (WeightedTargetGroup.weight): the
 * weight is "only required if you specify multiple target groups", and "if there's only one target
 * group ... the default value is 100". A missing weight among several groups is not a valid action:
 * undefined. Every write from us sets the weight explicitly.
 */
export function weightOf(group: WeightedTargetGroup, count: number): number | undefined {
  return group.weight ?? (count === 1 ? DEFAULT_SINGLE_WEIGHT : undefined);
}

/** The weight VPC Lattice gives the only target group of a forward action written without one. */
export const DEFAULT_SINGLE_WEIGHT = 100;

/**
 * Lattice weights are relative (0-999), so a route may forward `stable: 1`. The step weight needs a
 * pool (stable + canary) of at least 100 units to be exact, so every weight is scaled by one factor
 * first: other target groups keep their share exactly. The factor is the same for a route at every
 * step, so re-running a step writes the same content (absolute weights).
 */
export function latticeWeights(base: Target[], stable: string, canary: string, weight: number): Target[] {
  return scaledCall(base, stable, canary, (scaled, total) => canaryTargets(scaled, stable, canary, weight, { total, maxTargets: MAX_TARGET_GROUPS }));
}

/** The promoted target list: the canary takes the stable + canary pool, the stable group is removed. */
export function latticePromoted(base: Target[], stable: string, canary: string): Target[] {
  return scaledCall(base, stable, canary, (scaled, total) => promotedTargets(scaled, stable, canary, { total, maxTargets: MAX_TARGET_GROUPS }));
}

function scaledCall(base: Target[], stable: string, canary: string, compute: (scaled: Target[], total: number) => Target[]): Target[] {
  const pool = base.filter((t) => t.name === stable || t.name === canary).reduce((s, t) => s + t.weight, 0);
  const largest = Math.max(1, ...base.map((t) => t.weight));
  const factor = pool >= 100 ? 1 : Math.max(1, Math.min(Math.ceil(100 / Math.max(pool, 1)), Math.floor(MAX_WEIGHT / largest)));
  const scaled = base.map((t) => ({ name: t.name, weight: t.weight * factor }));
  const result = compute(scaled, scaled.reduce((s, t) => s + t.weight, 0));
  const over = result.find((t) => t.weight > MAX_WEIGHT);
  if (over) throw new UnsupportedError(`target group "${over.name}" would need weight ${over.weight}; VPC Lattice allows at most ${MAX_WEIGHT}`);
  return result;
}

/**
 * Turns the desired targets back into weighted target groups. An existing group keeps its
 * identifier exactly as written (id or ARN); a new group (the canary) is written by id.
 */
export function toWeightedGroups(current: WeightedTargetGroup[], desired: Target[]): WeightedTargetGroup[] {
  return desired.map((t) => {
    const existing = current.find((g) => idOf(g.targetGroupIdentifier ?? '') === t.name);
    return { ...(existing ?? {}), targetGroupIdentifier: existing?.targetGroupIdentifier ?? t.name, weight: t.weight };
  });
}

/** A forward action over `groups`. A forward action has nothing besides its target groups to keep. */
export function forwardAction(groups: WeightedTargetGroup[]): RuleAction {
  return { forward: { targetGroups: groups } };
}

/**
 * The version of a route: a digest of its writable content. Lattice has no version field, so
 * another writer shows as content we did not write. Key order and undefined keys do not count.
 */
export function digest(content: RouteContent): string {
  return contentDigest(content);
}

/** Equality of two contents as VPC Lattice would store them. */
export function sameContent(a: RouteContent, b: RouteContent): boolean {
  return stableStringify(a) === stableStringify(b);
}

/** A forward action's groups, or a refusal naming the route: a fixed response has no weights to shift. */
export function requireForward(content: RouteContent, route: string): WeightedTargetGroup[] {
  const groups = forwardGroups(actionOf(content));
  if (!groups) {
    throw new UnsupportedError(`${route} does not forward to target groups (its action is ${Object.keys(actionOf(content) ?? {}).join(', ') || 'empty'}); only a weighted forward can carry a canary`);
  }
  if (groups.length === 0) throw new ConfigurationError(`${route} forwards to no target group`);
  return groups;
}
