import type { CheckResult, VerdictKind } from '../analysis/judge';

export type RolloutStatus = 'running' | 'waiting' | 'promoted' | 'rolled back' | 'rollback failed' | 'failed';

/** A gate waiting for a human: the task token stays in our table so approvers need nothing else. */
export interface WaitingGate {
  gate: 'beforeStart' | 'beforePromotion';
  token: string;
  requestedAt: string;
  expiresAt: string;
}

/** The history record of one rollout (one Step Functions execution). */
export interface RolloutRecord {
  rolloutId: string;
  specName: string;
  executionArn: string;
  revision?: string;
  status: RolloutStatus;
  routes: string[];
  weights: number[];
  step: number;
  canaryWeight: number;
  startedAt: string;
  updatedAt: string;
  endedAt?: string;
  outcome?: string;
  gate?: WaitingGate;
  spec?: unknown;
  /** When a channel accepted the urgent alert of a loud end (rollback or promotion failed). */
  alertDeliveredAt?: string;
}

export type RolloutEventKind =
  | 'started'
  | 'shifted'
  | 'verdict'
  | 'approval-requested'
  | 'approval-decided'
  | 'promoted'
  | 'rolled-back'
  | 'rollback-failed'
  | 'bake-interrupted'
  /** hooks.beforeStep ran before a shift, with their results. */
  | 'hooks'
  /** The workload (ECS services) moved: canary deployed or ready, primary promoted, canary scaled to zero. */
  | 'workload'
  | 'promotion-failed';

/** One entry of a rollout's timeline. */
export interface RolloutEvent {
  at: string;
  kind: RolloutEventKind;
  step?: number;
  weight?: number;
  verdict?: VerdictKind;
  checks?: CheckResult[];
  message: string;
}

export interface LockHolder {
  key: string;
  rolloutId: string;
  executionArn: string;
  specName: string;
  acquiredAt: string;
  /** Set when a rollback could not restore the route: nobody may take the lock until an operator clears it. */
  needsAttention?: string;
}
