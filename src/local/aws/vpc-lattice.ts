import type { RolloutSpec } from '../../spec';
import type { LocalRouting, LocalUpstreams } from './routing';

/** Placeholder until the facade lands. */
export function localLatticeRouting(spec: RolloutSpec, _upstreams: LocalUpstreams): LocalRouting {
  throw new Error(`${spec.name}: the local world does not play this router yet`);
}
