import { requestApproval } from '../../../src/approvals/gates';
import { configureGateLinks } from '../../../src/approvals/links';
import { RecordingNotifier } from '../../../src/approvals/notifier';
import type { Deps } from '../../../src/rollouts/deps';
import type { RolloutState } from '../../../src/rollouts/state';
import { MemoryStore } from '../../../src/rollouts/store';
import { record } from '../cli/support';

afterEach(() => configureGateLinks(undefined));

function deps(notifier: RecordingNotifier, store: MemoryStore): Deps {
  return {
    store,
    notifier,
    now: () => new Date('2025-06-01T12:00:00.000Z'),
    executions: { isRunning: async () => true, sendTaskSuccess: jest.fn(), sendTaskFailure: jest.fn(), findBakeToken: async () => undefined, findBake: async () => undefined },
    routerFor: () => {
      throw new Error('unused');
    },
    checks: { describe: async () => ({ results: [], missing: [] }) },
  };
}

const rollout = { id: 'user-service-aaaa1111', specName: 'user-service', step: 2, weight: 100, weights: [10, 50, 100], approvalTimeoutSeconds: 3600, onApprovalTimeout: 'rollback' } as RolloutState;

describe('requestApproval with approval links', () => {
  it('puts the signed approve/reject links first in the actions, expiring with the gate', async () => {
    const store = new MemoryStore();
    await store.putRollout(record());
    const notifier = new RecordingNotifier();
    const factory = jest.fn(async (g: { rolloutId: string; gate: string; expiresAt: string }) => [
      { label: 'approve', url: `https://api/approvals/${g.rolloutId}.${g.gate}.${g.expiresAt}` },
      { label: 'reject', url: 'https://api/approvals/r' },
    ]);
    configureGateLinks(factory);

    await requestApproval({ gate: 'beforePromotion', token: 'tok', rollout }, deps(notifier, store));

    expect(factory).toHaveBeenCalledWith({ rolloutId: 'user-service-aaaa1111', gate: 'beforePromotion', expiresAt: '2025-06-01T13:00:00.000Z' });
    expect(notifier.events[0]!.actions).toEqual([
      { label: 'approve', url: 'https://api/approvals/user-service-aaaa1111.beforePromotion.2025-06-01T13:00:00.000Z' },
      { label: 'reject', url: 'https://api/approvals/r' },
      { label: 'approve', command: 'canaryctl approve user-service-aaaa1111' },
      { label: 'reject', command: 'canaryctl reject user-service-aaaa1111 --reason "..."' },
    ]);
  });

  it('still notifies, with the commands, when the links cannot be made', async () => {
    const store = new MemoryStore();
    await store.putRollout(record());
    const notifier = new RecordingNotifier();
    configureGateLinks(async () => {
      throw new Error('ParameterNotFound');
    });
    const spy = jest.spyOn(console, 'error').mockImplementation(() => undefined);

    await requestApproval({ gate: 'beforePromotion', token: 'tok', rollout }, deps(notifier, store));

    expect(notifier.events[0]!.actions!.map((a) => a.command ?? a.url)).toEqual(['canaryctl approve user-service-aaaa1111', 'canaryctl reject user-service-aaaa1111 --reason "..."']);
    expect(spy).toHaveBeenCalled();
    spy.mockRestore();
  });
});
