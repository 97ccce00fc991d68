import { MemoryDesiredStateStore } from '../../src/gitops/desired-state';
import { parseOwnership } from '../../src/rollouts/ownership';
import { parseSpec } from '../../src/spec';
import { Harness, specInput } from './harness';

/**
 * The real state machine with admission on, as it runs in AWS: a start that is not the synced git
 * spec, or that moves traffic outside its binding, ends in FailedToStart with no route written.
 */
describe('rollout state machine: admission', () => {
  let h: Harness;
  const desired = new MemoryDesiredStateStore();
  const REVISION = 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678:0123456789abcdef';

  beforeAll(async () => {
    await desired.put({
      specName: 'user-service',
      spec: parseSpec(specInput()),
      repository: 'acme/payments-config',
      branch: 'main',
      path: '.canary/user-service.yaml',
      commitId: REVISION.slice(0, 40),
      contentHash: '0123456789abcdef'.repeat(4),
      pushedAt: '2026-03-01T08:00:00Z',
      syncedAt: '2026-03-01T08:00:01Z',
      latestRevision: REVISION,
    });
  });

  beforeEach(() => {
    h = new Harness();
    h.deps.revisions = desired;
    h.deps.admission = {
      desired,
      allowManualStart: false,
      ownership: () => parseOwnership(JSON.stringify({ bindings: [{ name: 'payments-team', repository: 'acme/payments-config', resources: ['appmesh:mesh/my-mesh/virtualRouter/payments-router/route/*'] }] })),
    };
  });
  afterEach(() => h.close());

  it.each([
    ['a start without a git revision', {}, 'NotFromGitError', 'user-service: the execution input has no git revision; rollouts start from git'],
    ['the synced spec moving a route outside its binding', { revision: REVISION }, 'NotOwnedError', 'appmesh:mesh/my-mesh/virtualRouter/user-router/route/user-route is outside its ownership binding "payments-team"'],
  ])('refuses %s, says why, and writes no route', async (_what, extra, error, message) => {
    const outcome = await h.start(specInput(), extra).result;

    expect(outcome).toMatchObject({ status: 'FAILED', error });
    expect(outcome.cause).toContain(message);
    expect(h.mesh.updates).toEqual([]);
    expect(h.notifier.events.at(-1)).toMatchObject({ type: 'failed-to-start', reason: expect.stringContaining(message) });
    expect(await h.store.getLock('appmesh:my-mesh/user-router/user-route')).toBeUndefined();
  });
});
