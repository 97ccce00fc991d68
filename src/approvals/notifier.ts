import type { CheckResult } from '../analysis/judge';
import { TransientError } from '../shared/errors';

/** Lifecycle changes worth telling people and other systems about. */
export type LifecycleType =
  | 'started'
  | 'step-passed'
  | 'waiting-for-approval'
  | 'promoted'
  | 'rolled-back'
  | 'rollback-failed'
  | 'promotion-failed'
  | 'failed-to-start';

export interface LifecycleEvent {
  type: LifecycleType;
  rolloutId: string;
  specName: string;
  at: string;
  step?: number;
  steps?: number;
  weight?: number;
  revision?: string;
  gate?: string;
  /** Why: the failing alarms at rollback, the error at a failure. */
  reason?: string;
  checks?: CheckResult[];
  /** Links or commands that act on the rollout (approve/reject). */
  actions?: Array<{ label: string; url?: string; command?: string }>;
  urgent?: boolean;
}

/** What a channel answers when it is not configured for an event: nothing was delivered, nothing failed. */
export const SKIPPED = 'skipped';

/**
 * Delivers lifecycle events. A failed routine delivery is logged and counted, never fails a
 * rollout; an urgent one (`urgent: true`, the loud endings) throws when no channel accepted it,
 * so the state machine's Retry sends it again.
 */
export interface Notifier {
  notify(event: LifecycleEvent): Promise<void | typeof SKIPPED>;
}

/** No channel accepted an urgent event. Transient by nature: the loud state retries until one does. */
export class AlertNotDeliveredError extends TransientError {}

/** Keeps events in memory: the local runner's live view and tests read them. */
export class RecordingNotifier implements Notifier {
  readonly events: LifecycleEvent[] = [];
  private readonly listeners: Array<(e: LifecycleEvent) => void> = [];

  async notify(event: LifecycleEvent): Promise<void> {
    this.events.push(event);
    for (const l of this.listeners) l(event);
  }

  onEvent(listener: (e: LifecycleEvent) => void): void {
    this.listeners.push(listener);
  }
}

/**
 * Sends each event to every notifier; one failing never stops the others. An urgent event that
 * no channel accepted throws AlertNotDeliveredError (with the channels' errors as its cause).
 */
export class FanOutNotifier implements Notifier {
  failures = 0;
  constructor(
    private readonly notifiers: Notifier[],
    private readonly onFailure: (error: unknown, event: LifecycleEvent) => void = () => undefined,
  ) {}

  async notify(event: LifecycleEvent): Promise<void> {
    const results = await Promise.allSettled(this.notifiers.map((n) => n.notify(event)));
    const errors: unknown[] = [];
    for (const r of results) {
      if (r.status === 'rejected') {
        this.failures++;
        errors.push(r.reason);
        this.onFailure(r.reason, event);
      }
    }
    const accepted = results.filter((r) => r.status === 'fulfilled' && r.value !== SKIPPED).length;
    if (event.urgent && accepted === 0) {
      throw new AlertNotDeliveredError(
        `urgent ${event.type} alert of rollout ${event.rolloutId} reached no channel (${errors.length} failed, ${results.length - errors.length} not configured): ${errors.map(String).join('; ') || 'no channel configured'}`,
        { cause: errors },
      );
    }
  }
}

/** One line a person can read, used as the subject and first line of every message. */
export function headline(e: LifecycleEvent): string {
  const where = e.step !== undefined ? ` at step ${e.step + 1}${e.steps ? `/${e.steps}` : ''}${e.weight !== undefined ? ` (${e.weight}%)` : ''}` : '';
  switch (e.type) {
    case 'started':
      return `Rollout ${e.rolloutId} of ${e.specName} started${e.revision ? ` (${e.revision})` : ''}`;
    case 'step-passed':
      return `${e.specName}: step passed${where}`;
    case 'waiting-for-approval':
      return `${e.specName}: waiting for approval (${e.gate})${where}`;
    case 'promoted':
      return `${e.specName}: promoted (rollout ${e.rolloutId})`;
    case 'rolled-back':
      // A verdict's reason already says where ("step 2 (25%): ..."); do not say it twice.
      return `${e.specName}: rolled back${e.reason?.startsWith('step ') ? '' : where}: ${e.reason ?? 'unknown reason'}`;
    case 'rollback-failed':
      return `URGENT ${e.specName}: rollback FAILED${where}; traffic may still be split: ${e.reason ?? ''}`;
    case 'promotion-failed':
      return `URGENT ${e.specName}: promotion FAILED; traffic stays on the canary until an operator acts: ${e.reason ?? ''}`;
    case 'failed-to-start':
      return `${e.specName}: rollout did not start: ${e.reason ?? ''}`;
  }
}
