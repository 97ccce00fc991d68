import { redactingReplacer } from '../shared/redact';
/**
 * Runs bookkeeping that must not undo or repeat a route write that already happened: once
 * traffic has moved, a failed history write is logged loudly, never turned into a Task failure
 * (which would send the rollout to Rollback with stale versions, or roll back a promotion).
 */
export async function bestEffort(what: string, rolloutId: string, fn: () => Promise<unknown>): Promise<void> {
  try {
    await fn();
  } catch (error) {
    console.error(JSON.stringify({ level: 'ERROR', message: `bookkeeping failed after a route write: ${what}`, rolloutId, error: String(error) }, redactingReplacer));
  }
}
