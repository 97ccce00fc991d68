import { WriteLog, dataPlaneConvergenceMs, CONVERGENCE_WINDOW } from '../../../src/local/convergence';
import type { TrafficRouter } from '../../../src/routers/port';
import type { RequestRecord } from '../../../src/local/mesh/stats';

const rec = (at: number, target: string): RequestRecord => ({ at, route: 'r', target, status: 200, latencyMs: 1 });

/** Requests every 10 ms from `start`, every `every`-th to the canary. */
function traffic(start: number, count: number, every: number): RequestRecord[] {
  return Array.from({ length: count }, (_, i) => rec(start + i * 10, every > 0 && i % every === every - 1 ? 'canary' : 'stable'));
}

describe('dataPlaneConvergenceMs', () => {
  it('is the time of the first full window after the write whose canary share is within ±5 points', () => {
    // Prepare: before the write nothing went to the canary; after it, one request in 10.
    const records = [...traffic(0, 50, 0), ...traffic(1000, 100, 10)];

    // Act
    const ms = dataPlaneConvergenceMs(records, 'canary', 10, 1000);

    // Assess: the window closes at the 20th request after the write.
    expect(ms).toBe((CONVERGENCE_WINDOW - 1) * 10);
  });

  it('waits while the data plane still carries the old weights (a lagging data plane)', () => {
    const records = [...traffic(1000, 60, 0), ...traffic(1600, 60, 4)];
    expect(dataPlaneConvergenceMs(records, 'canary', 25, 1000)).toBeGreaterThanOrEqual(600);
  });

  it('is undefined when the share never comes within tolerance, and 0 tolerance means exactly 0 % for a rollback', () => {
    expect(dataPlaneConvergenceMs(traffic(0, 100, 2), 'canary', 10, 0)).toBeUndefined();
    const rollback = [...traffic(0, 5, 1), ...traffic(50, 40, 0)];
    expect(dataPlaneConvergenceMs(rollback, 'canary', 0, 0, 0)).toBe(50 + (CONVERGENCE_WINDOW - 1) * 10);
  });
});

describe('WriteLog', () => {
  it('times the writes of any router and passes reads through', async () => {
    const calls: string[] = [];
    const router: TrafficRouter = {
      kind: 'fake',
      snapshot: async () => ({ kind: 'fake', stable: 's', canary: 'c', routes: [], takenAt: '' }),
      setCanaryWeight: async () => (calls.push('set'), { k: '1' }),
      promote: async () => (calls.push('promote'), {}),
      restore: async () => {
        calls.push('restore');
        throw new Error('no');
      },
      verify: async () => ({ supported: false, reason: 'x' }),
    };
    const log = new WriteLog();
    const timed = log.wrap(router);
    const snap = await timed.snapshot();

    expect(await timed.setCanaryWeight(snap, 25, {})).toEqual({ k: '1' });
    await expect(timed.restore(snap, {})).rejects.toThrow('no');
    await timed.verify(snap, 25);

    expect(calls).toEqual(['set', 'restore']);
    expect(log.writes.map((w) => [w.op, w.weight, w.acceptedAt !== undefined])).toEqual([
      ['set', 25, true],
      ['restore', 0, false],
    ]);
    expect(log.find('set', 0, Infinity, 25)).toBe(log.writes[0]);
    expect(log.find('restore', 0)).toBeUndefined();
  });
});
