import type { LockHolder, RolloutEvent, RolloutRecord } from '../../../src/rollouts/records';
import { MemoryStore, type IsRunning } from '../../../src/rollouts/store';
import { RouteLockedError, RouteNotCleanError } from '../../../src/shared/errors';

const ROUTE = 'appmesh:my-mesh/user-router/user-route';
const OTHER_ROUTE = 'appmesh:my-mesh/user-router/user-route-grpc';

function holder(rolloutId: string): Omit<LockHolder, 'key' | 'acquiredAt'> {
  return { rolloutId, executionArn: `arn:aws:states:us-east-1:123456789012:execution:rollout:${rolloutId}`, specName: 'user-service' };
}

const running: IsRunning = async () => true;
const stopped: IsRunning = async () => false;

function record(rolloutId: string, overrides: Partial<RolloutRecord> = {}): RolloutRecord {
  return {
    rolloutId,
    specName: 'user-service',
    executionArn: holder(rolloutId).executionArn,
    status: 'running',
    routes: [ROUTE],
    weights: [10, 50, 100],
    step: 0,
    canaryWeight: 10,
    startedAt: '2025-03-01T12:00:00.000Z',
    updatedAt: '2025-03-01T12:00:00.000Z',
    ...overrides,
  };
}

describe('MemoryStore', () => {
  describe('acquireLocks', () => {
    it('takes free locks and records the holder', async () => {
      // Prepare
      const store = new MemoryStore();

      // Act
      await store.acquireLocks([ROUTE, OTHER_ROUTE], holder('r1'), running);

      // Assess
      const lock = await store.getLock(ROUTE);
      expect(lock).toEqual({ ...holder('r1'), key: ROUTE, acquiredAt: expect.any(String) });
      expect(Number.isNaN(Date.parse(lock!.acquiredAt))).toBe(false);
      expect((await store.getLock(OTHER_ROUTE))?.rolloutId).toBe('r1');
    });

    type Case = [string, { needsAttention?: string; holderRunning: boolean }, 'refused' | 'taken over'];
    const CASES: Case[] = [
      ['a running holder', { holderRunning: true }, 'refused'],
      ['a stopped holder', { holderRunning: false }, 'taken over'],
      ['a flagged holder that stopped', { needsAttention: 'restore failed', holderRunning: false }, 'refused'],
      ['a flagged holder still running', { needsAttention: 'restore failed', holderRunning: true }, 'refused'],
    ];

    it.each(CASES)('with %s: %s', async (_case, { needsAttention, holderRunning }, outcome) => {
      // Prepare
      const store = new MemoryStore();
      await store.acquireLocks([ROUTE], holder('r1'), running);
      if (needsAttention) await store.flagLocks([ROUTE], 'r1', needsAttention);
      const isRunning = jest.fn<Promise<boolean>, [string]>(async () => holderRunning);

      // Act
      const act = store.acquireLocks([ROUTE], holder('r2'), isRunning);

      // Assess
      if (outcome === 'refused') {
        // A flagged lock is not waited for (waitForLock would wait forever): the route is not clean.
        await expect(act).rejects.toBeInstanceOf(needsAttention ? RouteNotCleanError : RouteLockedError);
        expect((await store.getLock(ROUTE))?.rolloutId).toBe('r1');
      } else {
        await expect(act).resolves.toBeUndefined();
        expect((await store.getLock(ROUTE))?.rolloutId).toBe('r2');
        expect(isRunning).toHaveBeenCalledWith(holder('r1').executionArn);
      }
    });

    it('names the route, holder and spec when a running rollout holds the lock', async () => {
      // Prepare
      const store = new MemoryStore();
      await store.acquireLocks([ROUTE], holder('r1'), running);

      // Act
      const act = store.acquireLocks([ROUTE], holder('r2'), running);

      // Assess
      await expect(act).rejects.toThrow(new RegExp(`^route ${ROUTE} is locked by running rollout r1 \\(user-service, since .+\\)$`));
    });

    it('refuses a flagged lock without asking whether the holder runs, and says how to clear it', async () => {
      // Prepare
      const store = new MemoryStore();
      await store.acquireLocks([ROUTE], holder('r1'), running);
      await store.flagLocks([ROUTE], 'r1', 'UpdateRoute failed during rollback');
      const isRunning = jest.fn<Promise<boolean>, [string]>(async () => false);

      // Act
      const act = store.acquireLocks([ROUTE], holder('r2'), isRunning);

      // Assess
      await expect(act).rejects.toThrow(
        `route ${ROUTE} is locked by rollout r1, whose rollback failed (UpdateRoute failed during rollback); check the route, then clear the lock with \`canaryctl unlock\``,
      );
      expect(isRunning).not.toHaveBeenCalled();
    });

    it('is re-entrant for the same rollout without asking whether it runs', async () => {
      // Prepare
      const store = new MemoryStore();
      await store.acquireLocks([ROUTE], holder('r1'), running);
      const isRunning = jest.fn<Promise<boolean>, [string]>(async () => true);

      // Act
      await store.acquireLocks([ROUTE], holder('r1'), isRunning);

      // Assess
      expect((await store.getLock(ROUTE))?.rolloutId).toBe('r1');
      expect(isRunning).not.toHaveBeenCalled();
    });

    it('gives back the locks it took in this call when a later route is locked', async () => {
      // Prepare
      const store = new MemoryStore();
      await store.acquireLocks([OTHER_ROUTE], holder('r1'), running);

      // Act
      const act = store.acquireLocks([ROUTE, OTHER_ROUTE], holder('r2'), running);

      // Assess
      await expect(act).rejects.toBeInstanceOf(RouteLockedError);
      expect(await store.getLock(ROUTE)).toBeUndefined();
      expect((await store.getLock(OTHER_ROUTE))?.rolloutId).toBe('r1');
    });
  });

  describe('releaseLocks', () => {
    it('releases only the locks the rollout holds', async () => {
      // Prepare
      const store = new MemoryStore();
      await store.acquireLocks([ROUTE], holder('r1'), running);
      await store.acquireLocks([OTHER_ROUTE], holder('r2'), running);

      // Act
      await store.releaseLocks([ROUTE, OTHER_ROUTE], 'r1');

      // Assess
      expect(await store.getLock(ROUTE)).toBeUndefined();
      expect((await store.getLock(OTHER_ROUTE))?.rolloutId).toBe('r2');
    });

    it('ignores routes that are not locked', async () => {
      // Prepare
      const store = new MemoryStore();

      // Act
      const act = store.releaseLocks([ROUTE], 'r1');

      // Assess
      await expect(act).resolves.toBeUndefined();
    });
  });

  describe('flagLocks', () => {
    it('re-creates a lock already released, so a loud failure still blocks the route', async () => {
      const store = new MemoryStore();
      await store.acquireLocks([ROUTE], holder('r1'), running);
      await store.releaseLocks([ROUTE], 'r1');

      await store.flagLocks([ROUTE], 'r1', 'rollback failed');

      expect(await store.getLock(ROUTE)).toMatchObject({ rolloutId: 'r1', needsAttention: 'rollback failed' });
      await expect(store.acquireLocks([ROUTE], holder('r2'), stopped)).rejects.toThrow('whose rollback failed');
    });

    it('flags only the locks the rollout holds', async () => {
      // Prepare
      const store = new MemoryStore();
      await store.acquireLocks([ROUTE], holder('r1'), running);
      await store.acquireLocks([OTHER_ROUTE], holder('r2'), running);

      // Act
      await store.flagLocks([ROUTE, OTHER_ROUTE], 'r1', 'restore failed');

      // Assess
      expect((await store.getLock(ROUTE))?.needsAttention).toBe('restore failed');
      expect((await store.getLock(OTHER_ROUTE))?.needsAttention).toBeUndefined();
    });
  });

  describe('clearLock', () => {
    it('removes a lock whatever its holder and returns it', async () => {
      // Prepare
      const store = new MemoryStore();
      await store.acquireLocks([ROUTE], holder('r1'), running);
      await store.flagLocks([ROUTE], 'r1', 'restore failed');

      // Act
      const cleared = await store.clearLock(ROUTE);

      // Assess
      expect(cleared).toMatchObject({ rolloutId: 'r1', key: ROUTE, needsAttention: 'restore failed' });
      expect(await store.getLock(ROUTE)).toBeUndefined();
      await expect(store.acquireLocks([ROUTE], holder('r2'), running)).resolves.toBeUndefined();
    });

    it('returns undefined for a free route', async () => {
      // Act
      const cleared = await new MemoryStore().clearLock(ROUTE);

      // Assess
      expect(cleared).toBeUndefined();
    });
  });

  describe('getLock', () => {
    it('returns a copy that cannot change the stored lock', async () => {
      // Prepare
      const store = new MemoryStore();
      await store.acquireLocks([ROUTE], holder('r1'), stopped);

      // Act
      const lock = await store.getLock(ROUTE);
      lock!.rolloutId = 'someone-else';

      // Assess
      expect((await store.getLock(ROUTE))?.rolloutId).toBe('r1');
    });
  });

  describe('rollout records', () => {
    it('stores a copy of the record', async () => {
      // Prepare
      const store = new MemoryStore();
      const r = record('r1');

      // Act
      await store.putRollout(r);
      r.weights.push(999);

      // Assess
      expect(await store.getRollout('r1')).toEqual(record('r1'));
    });

    it('sets the patched fields, removes the undefined ones and bumps updatedAt', async () => {
      // Prepare
      const store = new MemoryStore();
      await store.putRollout(record('r1', { outcome: 'pending' }));

      // Act
      await store.updateRollout('r1', { step: 2, canaryWeight: 100, status: 'promoted', outcome: undefined });

      // Assess
      const updated = await store.getRollout('r1');
      expect(updated).toMatchObject({ step: 2, canaryWeight: 100, status: 'promoted', specName: 'user-service' });
      expect(updated).not.toHaveProperty('outcome');
      expect(updated!.updatedAt > '2025-03-01T12:00:00.000Z').toBe(true);
    });

    it('ignores an update of an unknown rollout', async () => {
      // Prepare
      const store = new MemoryStore();

      // Act
      await store.updateRollout('nope', { step: 1 });

      // Assess
      expect(await store.getRollout('nope')).toBeUndefined();
    });

    it('lists the newest first, filtered by spec and limited', async () => {
      // Prepare
      const store = new MemoryStore();
      await store.putRollout(record('old', { startedAt: '2025-03-01T10:00:00.000Z' }));
      await store.putRollout(record('new', { startedAt: '2025-03-01T12:00:00.000Z' }));
      await store.putRollout(record('mid', { startedAt: '2025-03-01T11:00:00.000Z' }));
      await store.putRollout(record('orders', { specName: 'order-service', startedAt: '2025-03-01T13:00:00.000Z' }));

      // Act
      const all = await store.listRollouts();
      const users = await store.listRollouts({ specName: 'user-service' });
      const latest = await store.listRollouts({ specName: 'user-service', limit: 2 });

      // Assess
      expect(all.map((r) => r.rolloutId)).toEqual(['orders', 'new', 'mid', 'old']);
      expect(users.map((r) => r.rolloutId)).toEqual(['new', 'mid', 'old']);
      expect(latest.map((r) => r.rolloutId)).toEqual(['new', 'mid']);
    });

    it('lists at most 50 by default', async () => {
      // Prepare
      const store = new MemoryStore();
      for (let i = 0; i < 60; i++) await store.putRollout(record(`r${i}`, { startedAt: new Date(Date.UTC(2025, 0, 1, 0, i)).toISOString() }));

      // Act
      const listed = await store.listRollouts();

      // Assess
      expect(listed).toHaveLength(50);
      expect(listed[0]!.rolloutId).toBe('r59');
    });
  });

  describe('events', () => {
    it('keeps each rollout timeline in the order it was written', async () => {
      // Prepare
      const store = new MemoryStore();
      const shifted: RolloutEvent = { at: '2025-03-01T12:00:00.000Z', kind: 'shifted', step: 0, weight: 10, message: 'shifted to 10%' };
      const verdict: RolloutEvent = { at: '2025-03-01T12:05:00.000Z', kind: 'verdict', verdict: 'healthy', message: 'all 2 checks OK' };

      // Act
      await store.appendEvent('r1', shifted);
      await store.appendEvent('r1', verdict);
      await store.appendEvent('r2', { at: '2025-03-01T12:06:00.000Z', kind: 'started', message: 'started' });

      // Assess
      expect(await store.listEvents('r1')).toEqual([shifted, verdict]);
      expect(await store.listEvents('nope')).toEqual([]);
    });
  });

  describe('alarm watches', () => {
    it('lists the rollouts watching an alarm until they unwatch it', async () => {
      // Prepare
      const store = new MemoryStore();
      await store.watchAlarms('r1', 'arn:exec:r1', ['user-5xx', 'user-p99']);
      await store.watchAlarms('r2', 'arn:exec:r2', ['user-5xx']);

      // Act
      const before = await store.watchersOf('user-5xx');
      await store.unwatchAlarms('r1', ['user-5xx', 'user-p99']);
      const after = await store.watchersOf('user-5xx');

      // Assess
      expect(before).toEqual([
        { rolloutId: 'r1', executionArn: 'arn:exec:r1' },
        { rolloutId: 'r2', executionArn: 'arn:exec:r2' },
      ]);
      expect(after).toEqual([{ rolloutId: 'r2', executionArn: 'arn:exec:r2' }]);
      expect(await store.watchersOf('user-p99')).toEqual([]);
      expect(await store.watchersOf('unknown')).toEqual([]);
    });
  });

  describe('lookout registry', () => {
    it('lists the registered rollouts until they are unregistered', async () => {
      // Prepare
      const store = new MemoryStore();
      await store.watchLooks('r1', 'arn:exec:r1');
      await store.watchLooks('r2', 'arn:exec:r2');

      // Act
      const before = await store.lookers();
      await store.unwatchLooks('r1');
      await store.unwatchLooks('r1');

      // Assess
      expect(before).toEqual([
        { rolloutId: 'r1', executionArn: 'arn:exec:r1' },
        { rolloutId: 'r2', executionArn: 'arn:exec:r2' },
      ]);
      expect(await store.lookers()).toEqual([{ rolloutId: 'r2', executionArn: 'arn:exec:r2' }]);
    });
  });
});
