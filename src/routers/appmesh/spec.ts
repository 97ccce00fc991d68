import { isDeepStrictEqual } from 'node:util';
import type { RouteSpec, WeightedTarget } from '@aws-sdk/client-app-mesh';
import { ConfigurationError, UnsupportedError } from '../../shared/errors';
import type { Target } from '../port';

/**
 * Pure helpers over an App Mesh RouteSpec. UpdateRoute replaces the whole spec, so everything
 * here is built to touch `action.weightedTargets` and nothing else.
 */

export type RouteKind = 'httpRoute' | 'http2Route' | 'grpcRoute' | 'tcpRoute';

const ROUTE_KINDS: readonly RouteKind[] = ['httpRoute', 'http2Route', 'grpcRoute', 'tcpRoute'];

/** The one route kind of `spec` that holds weighted targets; anything else is a route we cannot shift. */
export function routeKind(spec: RouteSpec | undefined, route: string): RouteKind {
  const kinds = ROUTE_KINDS.filter((k) => Array.isArray(spec?.[k]?.action?.weightedTargets));
  if (kinds.length !== 1) {
    throw new ConfigurationError(
      `route "${route}" must have exactly one of ${ROUTE_KINDS.join(', ')} with action.weightedTargets; found ${kinds.length === 0 ? 'none' : kinds.join(', ')}`,
    );
  }
  return kinds[0] as RouteKind;
}

/** The weighted targets of `spec` as App Mesh holds them (port and all). */
export function weightedTargetsOf(spec: RouteSpec | undefined, route: string): WeightedTarget[] {
  return spec?.[routeKind(spec, route)]?.action?.weightedTargets ?? [];
}

/** Weighted targets as the core sees them. A node listed twice (one per port) has no single weight to shift, so it is refused. */
export function toTargets(weighted: WeightedTarget[], route: string): Target[] {
  const seen = new Set<string>();
  return weighted.map((w) => {
    const name = w.virtualNode ?? '';
    if (seen.has(name)) {
      throw new UnsupportedError(`route "${route}" lists virtual node "${name}" more than once; canary-controller cannot shift weights between ports of one node`);
    }
    seen.add(name);
    return { name, weight: w.weight ?? 0 };
  });
}

/**
 * Turns the desired targets back into App Mesh weighted targets. An existing target keeps every
 * field but its weight (notably `port`, which selects a listener of a multi-listener node); a
 * new target copies the port of its counterpart (canary ↔ stable), since both versions of a
 * service listen on the same port and a route to a multi-listener node needs one.
 */
export function toWeightedTargets(current: WeightedTarget[], desired: Target[], stable: string, canary: string): WeightedTarget[] {
  return desired.map((t) => {
    const existing = current.find((w) => w.virtualNode === t.name);
    if (existing) return { ...existing, weight: t.weight };
    const counterpart = t.name === canary ? stable : t.name === stable ? canary : undefined;
    const port = current.find((w) => w.virtualNode === counterpart)?.port;
    return port === undefined ? { virtualNode: t.name, weight: t.weight } : { virtualNode: t.name, weight: t.weight, port };
  });
}

/** A deep copy of `spec` in which only `action.weightedTargets` differs. */
export function withWeightedTargets(spec: RouteSpec, route: string, weighted: WeightedTarget[]): RouteSpec {
  const kind = routeKind(spec, route);
  const copy = structuredClone(spec);
  const action = copy[kind]?.action;
  if (!action) throw new ConfigurationError(`route "${route}" has no ${kind}.action`);
  action.weightedTargets = weighted;
  return copy;
}

/**
 * Equality of two API values as App Mesh would see them once serialised: key order and keys
 * holding `undefined` do not matter.
 */
export function sameJson(a: unknown, b: unknown): boolean {
  return isDeepStrictEqual(normalise(a), normalise(b));
}

function normalise(value: unknown): unknown {
  return value === undefined ? undefined : JSON.parse(JSON.stringify(value));
}
