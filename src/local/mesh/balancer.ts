import type { WeightedTarget } from './types';

/**
 * Smooth weighted round-robin, nginx's algorithm (ngx_http_upstream_get_peer): on each pick
 * every target's `current` grows by its weight, the largest `current` wins, and the winner
 * gives back the total weight.
 *
 * Why not Envoy's behaviour: Envoy (what App Mesh runs) picks a weighted cluster at random
 * per request, which is only right on average: 100 requests at 10 % can easily yield 5 or 16
 * canary hits. This algorithm is deterministic and gives every target exactly its share in
 * every run of `sum(weights)` picks, spread out rather than in bursts, so a short local demo
 * shows the shares the route says, and tests can assert them exactly.
 */
export class SmoothWeightedRoundRobin {
  private readonly peers: Array<{ name: string; weight: number; current: number }>;
  private readonly total: number;

  constructor(targets: ReadonlyArray<Pick<WeightedTarget, 'virtualNode' | 'weight'>>) {
    // Zero-weight targets are legal in App Mesh and must never receive traffic.
    this.peers = targets.filter((t) => t.weight > 0).map((t) => ({ name: t.virtualNode, weight: t.weight, current: 0 }));
    this.total = this.peers.reduce((sum, p) => sum + p.weight, 0);
  }

  /** The next target, or undefined when every weight is 0. */
  next(): string | undefined {
    let best: (typeof this.peers)[number] | undefined;
    for (const peer of this.peers) {
      peer.current += peer.weight;
      if (best === undefined || peer.current > best.current) best = peer;
    }
    if (best === undefined) return undefined;
    best.current -= this.total;
    return best.name;
  }
}

/** True when two target lists would balance identically (same nodes, weights and order). */
export function sameTargets(a: readonly WeightedTarget[], b: readonly WeightedTarget[]): boolean {
  return a.length === b.length && a.every((t, i) => t.virtualNode === b[i]?.virtualNode && t.weight === b[i]?.weight);
}
