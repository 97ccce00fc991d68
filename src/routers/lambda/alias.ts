import type { AliasConfiguration } from '@aws-sdk/client-lambda';
import type { Target } from '../port';

/**
 * Pure helpers over a Lambda alias. An alias has exactly three fields a rollout may touch:
 * `FunctionVersion`, `RoutingConfig.AdditionalVersionWeights` and `Description`; these are what
 * every write sends and every comparison looks at.
 */

/** What UpdateAlias writes (besides FunctionName, Name and RevisionId). */
export interface AliasContent {
  FunctionVersion: string;
  /** Additional version → share of invocations, 0.0-1.0 (a double). Empty: no split. */
  AdditionalVersionWeights: Record<string, number>;
  Description: string;
}

/**
 * Two weights closer than this are the same. Weights are doubles written as `percent / 100`;
 * a JSON round trip keeps them exact, but a value written by another tool may not be, and one
 * percent step is 0.01: a millionth tells "ours" from "not ours" with room to spare.
 */
export const WEIGHT_TOLERANCE = 1e-6;

/** Published versions are numbers; `$LATEST` (and anything else) cannot be given a share. */
export function isPublishedVersion(version: string | undefined): boolean {
  return version !== undefined && /^[0-9]+$/.test(version);
}

/** The content of an alias as read; an alias without RoutingConfig or Description has an empty one. */
export function contentOf(alias: AliasConfiguration): AliasContent {
  return {
    FunctionVersion: alias.FunctionVersion ?? '',
    AdditionalVersionWeights: { ...(alias.RoutingConfig?.AdditionalVersionWeights ?? {}) },
    Description: alias.Description ?? '',
  };
}

/** The alias when `weight` % of its invocations go to `canary` and the rest to `stable`. */
export function splitContent(stable: string, canary: string, weight: number, description: string): AliasContent {
  // w / 100 is the double nearest to the intended share; no other rounding happens on our side.
  return { FunctionVersion: stable, AdditionalVersionWeights: weight === 0 ? {} : { [canary]: weight / 100 }, Description: description };
}

/** The promoted alias: every invocation on the canary, no routing config. */
export function promotedContent(canary: string, description: string): AliasContent {
  return { FunctionVersion: canary, AdditionalVersionWeights: {}, Description: description };
}

/** Same alias content, weights compared within WEIGHT_TOLERANCE. */
export function sameContent(a: AliasContent, b: AliasContent): boolean {
  if (a.FunctionVersion !== b.FunctionVersion || a.Description !== b.Description) return false;
  const ka = Object.keys(a.AdditionalVersionWeights).sort();
  const kb = Object.keys(b.AdditionalVersionWeights).sort();
  if (ka.length !== kb.length || ka.some((k, i) => k !== kb[i])) return false;
  return ka.every((k) => Math.abs((a.AdditionalVersionWeights[k] ?? 0) - (b.AdditionalVersionWeights[k] ?? 0)) <= WEIGHT_TOLERANCE);
}

/**
 * The alias' split as the core sees it, in percent: the primary version gets what the
 * additional versions leave. Percent may be fractional when someone else wrote the weights.
 */
export function targetsOf(content: AliasContent): Target[] {
  const extra = Object.entries(content.AdditionalVersionWeights).map(([name, w]) => ({ name, weight: roundPercent(w * 100) }));
  const rest = roundPercent(100 - extra.reduce((sum, t) => sum + t.weight, 0));
  return [{ name: content.FunctionVersion, weight: rest }, ...extra];
}

/** Percent with the float noise of a double product removed (1e-9 %), so 0.07 × 100 reads 7, not 7.000000000000001. */
function roundPercent(value: number): number {
  return Math.round(value * 1e9) / 1e9;
}

/** A short human form of an alias' content for error messages: `version 3 + version 4 at 10%`. */
export function describeContent(content: AliasContent): string {
  const extra = Object.entries(content.AdditionalVersionWeights).map(([v, w]) => ` + version ${v} at ${roundPercent(w * 100)}%`);
  return `version ${content.FunctionVersion}${extra.join('')}`;
}
