import { ConfigurationError } from '../shared/errors';
import type { RolloutSpec } from './schema';

/**
 * The spec's canary in the router's vocabulary. Every spec names one, except a spec with
 * `target.lambda`, whose canary is the version its deploy publishes (it is in the rollout's
 * snapshot from then on, not in the spec).
 */
export function canaryOf(spec: Pick<RolloutSpec, 'name' | 'target'>): string {
  if (spec.target.canary === undefined) throw new ConfigurationError(`${spec.name}: target.canary is required here (only target.lambda publishes the canary itself)`);
  return spec.target.canary;
}
