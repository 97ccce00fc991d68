import type { RolloutSpec } from '../spec';

/**
 * `--judge sequential` for a local run: every comparison becomes a sequential test (its
 * maxIncrease the "not worse" margin; a ratio limit has no meaning there and is dropped), on
 * 1 s periods, and each step bakes `{ min: a quarter of the bake, max: the bake }`, looked at
 * every second. A spec without comparisons gets one on the error rate with a 1-point margin.
 */
export function withSequentialJudge(spec: RolloutSpec): RolloutSpec {
  const max = typeof spec.strategy.bake === 'number' ? spec.strategy.bake : spec.strategy.bake.max;
  const compare = spec.analysis.compare.length
    ? spec.analysis.compare.map(({ maxRatio: _ignored, ...c }) => ({ ...c, test: 'sequential' as const, margin: c.margin ?? c.maxIncrease, period: 1 }))
    : [{ metric: 'errorRate' as const, test: 'sequential' as const, margin: 0.01, minRequests: 1, period: 1 }];
  return {
    ...spec,
    strategy: { ...spec.strategy, bake: { min: Math.max(1, Math.round(max / 4)), max, lookInterval: 1 } },
    analysis: { ...spec.analysis, compare },
  };
}
