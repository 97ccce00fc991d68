import { MemoryStore } from '../../../src/rollouts/store';
import { WorkloadEventLog } from '../../../src/local/workload-events';

const at = '2026-11-29T20:00:00.000Z';

describe('WorkloadEventLog', () => {
  it('prints each workload event of the rollout once, in order, however the looks overlap, and nothing else', async () => {
    const store = new MemoryStore();
    const printed: string[] = [];
    const log = new WorkloadEventLog(store, 'r1', (m) => printed.push(m));
    await store.appendEvent('r1', { at, kind: 'workload', message: 'function demo-fn → image' });
    await store.appendEvent('r1', { at, kind: 'shifted', message: 'shifted to 10%', step: 0, weight: 10 });
    await store.appendEvent('r2', { at, kind: 'workload', message: 'another rollout' });

    await Promise.all([log.poll(), log.poll()]);
    await store.appendEvent('r1', { at, kind: 'workload', message: 'function demo-fn: published version 2' });
    const overlapping = log.poll();
    await log.flush();
    await overlapping;

    expect(printed).toEqual(['function demo-fn → image', 'function demo-fn: published version 2']);
  });
});
