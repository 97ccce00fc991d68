import type { RolloutSpec } from '../spec';
import { formatDuration } from '../spec/duration';

/** One traffic step: the canary's share after the shift, and when it is judged. */
export interface PlannedStep {
  index: number;
  weight: number;
  /** Seconds from the first shift (approvals excluded) at which this step is shifted. */
  startsAt: number;
  /** Seconds from the first shift at which this step is judged (after its bake). */
  judgedAt: number;
}

/** The schedule of a rollout, derived from its spec with no I/O. */
export interface RolloutPlan {
  steps: PlannedStep[];
  /** The fixed bake, or the longest one (`max`) of a `{ min, max }` bake. */
  bakeSeconds: number;
  /** `strategy.bake: { min, max }`: the sequential judge ends each bake in between, looking every lookInterval. */
  bakeRange?: { min: number; max: number; lookInterval: number };
  /** True when the last step is below 100 and promotion moves the rest of the traffic. */
  promotionShiftsRest: boolean;
  /** Time the rollout takes when every check passes at the first try and approvals are instant (each bake at its min). */
  minDurationSeconds: number;
  /** Longest wait for humans: each approval gate may add up to its timeout. */
  maxApprovalSeconds: number;
}

/** The canary weights of a strategy: `steps` as written, or stepWeight, 2×stepWeight, … capped at maxWeight. */
export function weightSchedule(strategy: Pick<RolloutSpec['strategy'], 'steps' | 'stepWeight' | 'maxWeight'>): number[] {
  if (strategy.steps) return [...strategy.steps];
  const step = strategy.stepWeight;
  if (step === undefined) throw new Error('strategy needs steps or stepWeight');
  const max = strategy.maxWeight ?? 100;
  const weights: number[] = [];
  for (let w = step; w < max; w += step) weights.push(w);
  weights.push(max);
  return weights;
}

/** A fixed bake as `{ min: bake, max: bake }`, and the range of a `{ min, max }` bake as written. */
export function bakeBounds(bake: RolloutSpec['strategy']['bake']): { min: number; max: number; lookInterval?: number } {
  return typeof bake === 'number' ? { min: bake, max: bake } : bake;
}

/** A bake for people: `5m`, or `1m–10m (a look every 1m)`. */
export function describeBake(bake: RolloutSpec['strategy']['bake']): string {
  if (typeof bake === 'number') return formatDuration(bake);
  return `${formatDuration(bake.min)}–${formatDuration(bake.max)} (a look every ${formatDuration(bake.lookInterval)})`;
}

/** Builds the full plan of a validated spec. Steps are timed with the longest bake. */
export function planRollout(spec: Pick<RolloutSpec, 'strategy' | 'approval'>): RolloutPlan {
  const weights = weightSchedule(spec.strategy);
  const bounds = bakeBounds(spec.strategy.bake);
  const bake = bounds.max;
  const steps = weights.map((weight, index) => ({
    index,
    weight,
    startsAt: index * bake,
    judgedAt: (index + 1) * bake,
  }));
  const gates = Number(spec.approval.beforeStart) + Number(spec.approval.beforePromotion);
  return {
    steps,
    bakeSeconds: bake,
    ...(typeof spec.strategy.bake === 'number' ? {} : { bakeRange: spec.strategy.bake }),
    promotionShiftsRest: weights[weights.length - 1]! < 100,
    minDurationSeconds: steps.length * bounds.min,
    maxApprovalSeconds: gates * spec.approval.timeout,
  };
}
