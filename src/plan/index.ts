import type { RolloutSpec } from '../spec';

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
  bakeSeconds: number;
  /** True when the last step is below 100 and promotion moves the rest of the traffic. */
  promotionShiftsRest: boolean;
  /** Time the rollout takes when every check passes at the first try and approvals are instant. */
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

/** Builds the full plan of a validated spec. */
export function planRollout(spec: Pick<RolloutSpec, 'strategy' | 'approval'>): RolloutPlan {
  const weights = weightSchedule(spec.strategy);
  const bake = spec.strategy.bake;
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
    promotionShiftsRest: weights[weights.length - 1]! < 100,
    minDurationSeconds: steps.length * bake,
    maxApprovalSeconds: gates * spec.approval.timeout,
  };
}
