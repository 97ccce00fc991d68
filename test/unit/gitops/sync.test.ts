import { MemoryDesiredStateStore } from '../../../src/gitops/desired-state';
import { contentHash, isSpecPath, specLocationFromEnv, stableStringify } from '../../../src/gitops/spec-files';
import { gitRevision, syncPush, type GitPush } from '../../../src/gitops/sync';
import { parseSpec } from '../../../src/spec';
import { fixedNow, seedDesired, spec, specText } from '../triggers/support';

function push(changed: GitPush['changed'], removed: string[] = [], extra: Partial<GitPush> = {}): GitPush {
  return { repository: 'platform-config', branch: 'main', commitId: 'c2', pushedAt: '2026-03-02T09:00:00Z', changed, removed, ...extra };
}

describe('syncPush', () => {
  it('starts a new spec and stores what Prepare can parse again', async () => {
    const store = new MemoryDesiredStateStore();
    const text = specText('orders.yml');
    const result = await syncPush(push([{ path: '.canary/orders.yml', text }]), store, fixedNow);
    expect(result.toStart).toEqual([{ spec: spec('orders.yml'), revision: gitRevision('c2', contentHash(text)), path: '.canary/orders.yml' }]);
    const stored = await store.get('orders');
    expect(parseSpec(JSON.parse(JSON.stringify(stored!.spec)))).toEqual(spec('orders.yml'));
    expect(stored!.syncedAt).toBe(fixedNow().toISOString());
  });

  it('only updates the desired state when fields other than target change', async () => {
    const store = new MemoryDesiredStateStore();
    await seedDesired(store, spec('orders.yml'), specText('orders.yml'), { latestRevision: 'c1:old' });
    const text = specText('orders.yml').replace('steps: [20, 50, 100]', 'steps: [10, 50, 100]');
    const result = await syncPush(push([{ path: '.canary/orders.yml', text }]), store);
    expect(result.toStart).toEqual([]);
    expect(result.updated).toEqual([{ specName: 'orders', path: '.canary/orders.yml' }]);
    expect(await store.get('orders')).toMatchObject({ contentHash: contentHash(text), latestRevision: 'c1:old' });
  });

  it('starts when target changes, whatever the key order', async () => {
    const store = new MemoryDesiredStateStore();
    await seedDesired(store, spec('orders.yml'), specText('orders.yml'));
    const reordered = specText('orders.yml').replace('target:\n  virtualNode: orders-v7', 'target: { canary: orders-v7 }\n# same target');
    expect((await syncPush(push([{ path: '.canary/orders.yml', text: reordered }]), store)).toStart).toEqual([]);
    const moved = specText('orders.yml').replace('orders-v7', 'orders-v8');
    expect((await syncPush(push([{ path: '.canary/orders.yml', text: moved }], [], { commitId: 'c3', pushedAt: '2026-03-02T09:10:00Z' }), store)).toStart).toHaveLength(1);
  });

  it('reports an invalid file by file and field, and still syncs the valid ones', async () => {
    const store = new MemoryDesiredStateStore();
    const result = await syncPush(
      push([
        { path: '.canary/user.yaml', text: specText('orders.yml').replace('name: orders', 'name: user').replace('steps: [20, 50, 100]', 'steps: [10, 50, 25, 100]') },
        { path: '.canary/orders.yml', text: specText('orders.yml') },
        { path: '.canary/broken.yaml', text: 'name: [unclosed' },
      ]),
      store,
    );
    expect(result.invalid).toEqual([
      { path: '.canary/user.yaml', reason: '.canary/user.yaml: strategy.steps[2]: must be greater than 50' },
      { path: '.canary/broken.yaml', reason: expect.stringMatching(/^\.canary\/broken\.yaml: is not valid YAML or JSON/) },
    ]);
    expect(result.toStart.map((r) => r.spec.name)).toEqual(['orders']);
  });

  it('skips a spec that tracks another branch', async () => {
    const store = new MemoryDesiredStateStore();
    const text = specText('user-service.yaml').replace('branch: main', 'branch: release');
    const result = await syncPush(push([{ path: '.canary/user-service.yaml', text }]), store);
    expect(result.skipped).toEqual([{ path: '.canary/user-service.yaml', specName: 'user-service', reason: '.canary/user-service.yaml: user-service tracks branch release, not main' }]);
    expect(await store.get('user-service')).toBeUndefined();
  });

  it('passes the latest image along when a git change starts a spec with an ECR trigger', async () => {
    const store = new MemoryDesiredStateStore();
    await seedDesired(store, spec('user-service.yaml'), specText('user-service.yaml'));
    await store.recordImage('user-service', { revision: 'sha256:aa', image: 'r/user-service@sha256:aa', pushedAt: '2026-03-01T09:00:00Z' });
    const text = specText('user-service.yaml').replace('user-service-v2', 'user-service-v3');
    const result = await syncPush(push([{ path: '.canary/user-service.yaml', text }]), store);
    expect(result.toStart[0]).toMatchObject({ image: 'r/user-service@sha256:aa' });
    expect(await store.isLatest('user-service', result.toStart[0]!.revision)).toBe(true);
  });

  it('removes the desired state of a deleted file and starts nothing', async () => {
    const store = new MemoryDesiredStateStore();
    await seedDesired(store, spec('orders.yml'), specText('orders.yml'));
    const result = await syncPush(push([], ['.canary/orders.yaml']), store);
    expect(result).toMatchObject({ toStart: [], removed: [{ specName: 'orders', path: '.canary/orders.yaml' }] });
    expect(await store.get('orders')).toBeUndefined();
  });

  it('ignores a push older than the synced one', async () => {
    const store = new MemoryDesiredStateStore();
    await seedDesired(store, spec('orders.yml'), specText('orders.yml'), { pushedAt: '2026-03-02T10:00:00Z' });
    const text = specText('orders.yml').replace('orders-v7', 'orders-v6');
    const result = await syncPush(push([{ path: '.canary/orders.yaml', text }]), store);
    expect(result.toStart).toEqual([]);
    expect(result.skipped[0]!.reason).toMatch(/a later push of orders is already synced/);
  });
});

describe('spec files', () => {
  it('recognises spec paths in the folder', () => {
    expect(isSpecPath('.canary/a.yaml')).toBe(true);
    expect(isSpecPath('.canary/team/a.YML')).toBe(true);
    expect(isSpecPath('.canary/a.json')).toBe(true);
    expect(isSpecPath('.canary/README.md')).toBe(false);
    expect(isSpecPath('canary/a.yaml')).toBe(false);
    expect(isSpecPath('deploy/specs/a.yaml', specLocationFromEnv({ SPEC_FOLDER: './deploy/specs' }))).toBe(true);
  });

  it('compares objects whatever their key order', () => {
    expect(stableStringify({ b: 1, a: { d: [1, { y: 2, x: 1 }], c: undefined } })).toBe(stableStringify({ a: { d: [1, { x: 1, y: 2 }] }, b: 1 }));
  });
});
