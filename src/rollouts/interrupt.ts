import { redactingReplacer } from '../shared/redact';
import type { Deps } from './deps';
import { TaskNotWaitingError } from './executions';

export interface AlarmChange {
  alarmName: string;
  /** Where the alarm lives (the EventBridge event's account and region). */
  account?: string;
  region?: string;
  state: string;
  reason?: string;
}

/**
 * An alarm entered ALARM: end the bake of every running rollout judged by it, so that it is
 * judged (and rolled back) now instead of when the bake would have ended.
 */
export async function interruptBakes(change: AlarmChange, deps: Deps, here?: { account: string; region: string }): Promise<{ interrupted: string[]; skipped: string[] }> {
  const interrupted: string[] = [];
  const skipped: string[] = [];
  if (change.state !== 'ALARM') return { interrupted, skipped };
  // Specs name alarms of this account and region (Prepare checks them here): an alarm of the same
  // name elsewhere (an event forwarded from another account) must not end anyone's bake.
  if (here && (change.account !== here.account || change.region !== here.region)) return { interrupted, skipped };
  for (const w of await deps.store.watchersOf(change.alarmName)) {
    // One watcher that cannot be reached (its execution aged out, a throttled history read) must
    // not stop the interrupt for the other rollouts on this alarm: they are judged at bake end anyway.
    try {
      const token = await deps.executions.findBakeToken(w.executionArn);
      if (!token) {
        // Not baking right now (shifting, judging, waiting for approval): the next judgement sees the alarm.
        skipped.push(w.rolloutId);
        continue;
      }
      await deps.executions.sendTaskFailure(token, 'Canary.BakeInterrupted', JSON.stringify({ alarm: change.alarmName, reason: change.reason ?? '' }));
      interrupted.push(w.rolloutId);
      await deps.store
        .appendEvent(w.rolloutId, { at: deps.now().toISOString(), kind: 'bake-interrupted', message: `${change.alarmName} entered ALARM: judging now` })
        .catch(() => undefined);
    } catch (error) {
      if (!(error instanceof TaskNotWaitingError)) {
        console.error(JSON.stringify({ level: 'WARN', message: 'could not interrupt a bake', rolloutId: w.rolloutId, alarm: change.alarmName, error: String(error) }, redactingReplacer));
      }
      skipped.push(w.rolloutId);
    }
  }
  return { interrupted, skipped };
}
