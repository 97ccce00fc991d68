import * as z from '../shared/zod-mini';
import { CanaryError } from '../shared/errors';
import type { Deps } from '../rollouts/deps';
import { TaskNotWaitingError } from '../rollouts/executions';
import { RolloutStateSchema, type RolloutState } from '../rollouts/state';
import { gateLinks } from './links';

export type GateName = 'beforeStart' | 'beforePromotion';

/** Input of the approval Lambda, invoked by `lambda:invoke.waitForTaskToken`. */
export const ApprovalRequestSchema = z.object({
  gate: z.enum(['beforeStart', 'beforePromotion']),
  token: z.string().check(z.minLength(1)),
  rollout: RolloutStateSchema,
});
export type ApprovalRequest = z.infer<typeof ApprovalRequestSchema>;

/** The gate is not waiting (never asked, already decided, or timed out). Nothing was decided. */
export class GateNotWaitingError extends CanaryError {}
export class RolloutNotFoundError extends CanaryError {}

/** Stores the task token with the rollout and tells people a decision is needed. Returns at once; the execution waits. */
export async function requestApproval(req: ApprovalRequest, deps: Deps): Promise<{ requested: true }> {
  const r: RolloutState = req.rollout;
  const now = deps.now();
  const expiresAt = new Date(now.getTime() + r.approvalTimeoutSeconds * 1000).toISOString();
  await deps.store.updateRollout(r.id, { status: 'waiting', gate: { gate: req.gate, token: req.token, requestedAt: now.toISOString(), expiresAt } });
  await deps.store.appendEvent(r.id, { at: now.toISOString(), kind: 'approval-requested', step: r.step, weight: r.weight, message: `waiting for approval (${req.gate}) until ${expiresAt}` });
  // Signed approve/reject links (when the approval API is deployed) first, so chat buttons lead; the commands always follow.
  const links = await gateLinks({ rolloutId: r.id, gate: req.gate, expiresAt });
  await deps.notifier.notify({
    type: 'waiting-for-approval',
    rolloutId: r.id,
    specName: r.specName,
    at: now.toISOString(),
    gate: req.gate,
    step: r.step >= 0 ? r.step : undefined,
    steps: r.weights.length,
    weight: r.step >= 0 ? r.weight : undefined,
    reason: `expires ${expiresAt}; on timeout: ${r.onApprovalTimeout}`,
    actions: [
      ...links,
      { label: 'approve', command: `canaryctl approve ${r.id}` },
      { label: 'reject', command: `canaryctl reject ${r.id} --reason "..."` },
    ],
  });
  return { requested: true };
}

/** "approved" / "rejected", for messages about a decision. */
export function pastTense(decision: 'approve' | 'reject'): 'approved' | 'rejected' {
  return decision === 'approve' ? 'approved' : 'rejected';
}

export interface Decision {
  rolloutId: string;
  gate?: GateName;
  decision: 'approve' | 'reject';
  reason?: string;
  by?: string;
}

/**
 * Answers a waiting gate: SendTaskSuccess to approve, SendTaskFailure (`Canary.Rejected`) to
 * reject, which rolls back. A gate that is not waiting is an error and changes nothing.
 */
/** The ports decide() uses: callers outside the state machine (CLI, approval API) have only these. */
export type DecideDeps = Pick<Deps, 'store' | 'executions' | 'now'>;

export async function decide(d: Decision, deps: DecideDeps): Promise<{ rolloutId: string; gate: GateName; decision: string }> {
  const record = await deps.store.getRollout(d.rolloutId);
  if (!record) throw new RolloutNotFoundError(`rollout ${d.rolloutId} not found`);
  const waiting = record.gate;
  if (!waiting || (d.gate && waiting.gate !== d.gate)) {
    throw new GateNotWaitingError(
      `rollout ${d.rolloutId} is not waiting for ${d.gate ? `the ${d.gate} approval` : 'approval'} (status: ${record.status}${waiting ? `, waiting at ${waiting.gate}` : ''})`,
    );
  }
  const by = d.by ?? 'unknown';
  try {
    if (d.decision === 'approve') await deps.executions.sendTaskSuccess(waiting.token, { decision: 'approve', by, reason: d.reason ?? '' });
    else await deps.executions.sendTaskFailure(waiting.token, 'Canary.Rejected', `${d.reason ?? 'rejected'} (by ${by})`);
  } catch (error) {
    if (error instanceof TaskNotWaitingError) {
      await deps.store.updateRollout(d.rolloutId, { gate: undefined });
      throw new GateNotWaitingError(`rollout ${d.rolloutId}: the ${waiting.gate} gate was already decided or expired`);
    }
    throw error;
  }
  const now = deps.now().toISOString();
  await deps.store.updateRollout(d.rolloutId, { gate: undefined, status: 'running' });
  await deps.store.appendEvent(d.rolloutId, { at: now, kind: 'approval-decided', message: `${waiting.gate}: ${pastTense(d.decision)} by ${by}${d.reason ? `: ${d.reason}` : ''}` });
  return { rolloutId: d.rolloutId, gate: waiting.gate, decision: d.decision };
}
