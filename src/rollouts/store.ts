import { RouteLockedError, RouteNotCleanError } from '../shared/errors';
import type { LockHolder, RolloutEvent, RolloutRecord } from './records';

/** Tells whether an execution still runs; a lock whose holder stopped may be taken over. */
export type IsRunning = (executionArn: string) => Promise<boolean>;

/** Persistence of locks, history records and alarm watches. DynamoDB in AWS, memory locally. */
export interface RolloutStore {
  /**
   * Takes the lock of every route key, atomically per key. Re-entrant for the same rollout.
   * A lock held by a stopped execution is taken over; one held by a running execution is refused
   * with RouteLockedError, one flagged as needing attention with RouteNotCleanError, naming the holder.
   */
  acquireLocks(keys: string[], holder: Omit<LockHolder, 'key' | 'acquiredAt'>, isRunning: IsRunning): Promise<void>;
  /** Releases the locks this rollout holds; locks held by others are left alone. */
  releaseLocks(keys: string[], rolloutId: string): Promise<void>;
  /** Keeps (or re-creates) the locks and flags them so nothing takes them over until an operator clears them. */
  flagLocks(keys: string[], rolloutId: string, reason: string): Promise<void>;
  /** Clears a lock whatever its holder (operator action after a failed rollback). */
  clearLock(key: string): Promise<LockHolder | undefined>;
  getLock(key: string): Promise<LockHolder | undefined>;

  putRollout(record: RolloutRecord): Promise<void>;
  updateRollout(rolloutId: string, patch: Partial<RolloutRecord>): Promise<void>;
  getRollout(rolloutId: string): Promise<RolloutRecord | undefined>;
  listRollouts(options?: { specName?: string; limit?: number }): Promise<RolloutRecord[]>;
  appendEvent(rolloutId: string, event: RolloutEvent): Promise<void>;
  listEvents(rolloutId: string): Promise<RolloutEvent[]>;

  /** Remembers which running rollouts judge by an alarm, so an ALARM can end their bake early. */
  watchAlarms(rolloutId: string, executionArn: string, alarms: string[]): Promise<void>;
  unwatchAlarms(rolloutId: string, alarms: string[]): Promise<void>;
  watchersOf(alarm: string): Promise<Array<{ rolloutId: string; executionArn: string }>>;

  /** Remembers a running rollout whose bakes the lookout looks into (it has a sequential comparison). */
  watchLooks(rolloutId: string, executionArn: string): Promise<void>;
  /** Forgets it; idempotent. */
  unwatchLooks(rolloutId: string): Promise<void>;
  /** Every rollout the lookout looks at. */
  lookers(): Promise<Array<{ rolloutId: string; executionArn: string }>>;
}

/** Shared lock decision so both stores refuse and take over the same way. */
export async function decideTakeover(
  key: string,
  holder: LockHolder,
  me: string,
  isRunning: IsRunning,
): Promise<'mine' | 'takeover'> {
  if (holder.rolloutId === me) return 'mine';
  if (holder.needsAttention) {
    // Not RouteLockedError: waiting (waitForLock) would wait forever for an operator. The start
    // fails at once, loudly, naming the rollout that left the route.
    throw new RouteNotCleanError(
      `route ${key} is locked by rollout ${holder.rolloutId}, whose rollback failed (${holder.needsAttention}); ` +
        'check the route, then clear the lock with `canaryctl unlock`',
    );
  }
  if (await isRunning(holder.executionArn)) {
    throw new RouteLockedError(
      `route ${key} is locked by running rollout ${holder.rolloutId} (${holder.specName}, since ${holder.acquiredAt})`,
    );
  }
  return 'takeover';
}

/** In-memory store for the local runner and tests; same semantics as the DynamoDB store. */
export class MemoryStore implements RolloutStore {
  private readonly locks = new Map<string, LockHolder>();
  private readonly rollouts = new Map<string, RolloutRecord>();
  private readonly events = new Map<string, RolloutEvent[]>();
  private readonly watches = new Map<string, Map<string, string>>();
  private readonly looks = new Map<string, string>();

  async acquireLocks(keys: string[], holder: Omit<LockHolder, 'key' | 'acquiredAt'>, isRunning: IsRunning): Promise<void> {
    const taken: string[] = [];
    try {
      for (const key of keys) {
        const current = this.locks.get(key);
        if (current) await decideTakeover(key, current, holder.rolloutId, isRunning);
        if (current?.rolloutId !== holder.rolloutId) {
          this.locks.set(key, { ...holder, key, acquiredAt: new Date().toISOString() });
          taken.push(key);
        }
      }
    } catch (error) {
      await this.releaseLocks(taken, holder.rolloutId);
      throw error;
    }
  }

  async releaseLocks(keys: string[], rolloutId: string): Promise<void> {
    for (const key of keys) if (this.locks.get(key)?.rolloutId === rolloutId) this.locks.delete(key);
  }

  async flagLocks(keys: string[], rolloutId: string, reason: string): Promise<void> {
    for (const key of keys) {
      const lock = this.locks.get(key);
      if (lock?.rolloutId === rolloutId) lock.needsAttention = reason;
      else if (!lock) this.locks.set(key, { key, rolloutId, executionArn: 'unknown', specName: 'unknown', acquiredAt: new Date().toISOString(), needsAttention: reason });
    }
  }

  async clearLock(key: string): Promise<LockHolder | undefined> {
    const lock = this.locks.get(key);
    this.locks.delete(key);
    return lock;
  }

  async getLock(key: string): Promise<LockHolder | undefined> {
    const lock = this.locks.get(key);
    return lock && { ...lock };
  }

  async putRollout(record: RolloutRecord): Promise<void> {
    this.rollouts.set(record.rolloutId, structuredClone(record));
  }

  async updateRollout(rolloutId: string, patch: Partial<RolloutRecord>): Promise<void> {
    const current = this.rollouts.get(rolloutId);
    if (!current) return;
    const next = { ...current, ...structuredClone(patch), updatedAt: new Date().toISOString() };
    for (const [k, v] of Object.entries(patch)) if (v === undefined) delete (next as Record<string, unknown>)[k];
    this.rollouts.set(rolloutId, next);
  }

  async getRollout(rolloutId: string): Promise<RolloutRecord | undefined> {
    const r = this.rollouts.get(rolloutId);
    return r && structuredClone(r);
  }

  async listRollouts(options: { specName?: string; limit?: number } = {}): Promise<RolloutRecord[]> {
    return [...this.rollouts.values()]
      .filter((r) => !options.specName || r.specName === options.specName)
      .sort((a, b) => b.startedAt.localeCompare(a.startedAt))
      .slice(0, options.limit ?? 50)
      .map((r) => structuredClone(r));
  }

  async appendEvent(rolloutId: string, event: RolloutEvent): Promise<void> {
    const list = this.events.get(rolloutId) ?? [];
    list.push(structuredClone(event));
    this.events.set(rolloutId, list);
  }

  async listEvents(rolloutId: string): Promise<RolloutEvent[]> {
    return structuredClone(this.events.get(rolloutId) ?? []);
  }

  async watchAlarms(rolloutId: string, executionArn: string, alarms: string[]): Promise<void> {
    for (const alarm of alarms) {
      const m = this.watches.get(alarm) ?? new Map<string, string>();
      m.set(rolloutId, executionArn);
      this.watches.set(alarm, m);
    }
  }

  async unwatchAlarms(rolloutId: string, alarms: string[]): Promise<void> {
    for (const alarm of alarms) this.watches.get(alarm)?.delete(rolloutId);
  }

  async watchersOf(alarm: string): Promise<Array<{ rolloutId: string; executionArn: string }>> {
    return [...(this.watches.get(alarm) ?? new Map<string, string>()).entries()].map(([rolloutId, executionArn]) => ({ rolloutId, executionArn }));
  }

  async watchLooks(rolloutId: string, executionArn: string): Promise<void> {
    this.looks.set(rolloutId, executionArn);
  }

  async unwatchLooks(rolloutId: string): Promise<void> {
    this.looks.delete(rolloutId);
  }

  async lookers(): Promise<Array<{ rolloutId: string; executionArn: string }>> {
    return [...this.looks.entries()].map(([rolloutId, executionArn]) => ({ rolloutId, executionArn }));
  }
}
