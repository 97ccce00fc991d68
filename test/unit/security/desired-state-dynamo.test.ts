import { DynamoDesiredStateStore, type DesiredSpec } from '../../../src/gitops/desired-state';
import { startDynalite, type LocalDynamo } from '../../../src/local/dynamo';
import { parseSpec } from '../../../src/spec';
import { specInput } from '../../statemachine/harness';

// dynalite: DynamoDB's API on an in-process LevelDB, so the conditional write runs for real.
describe('DynamoDesiredStateStore against a real DynamoDB engine', () => {
  let dynamo: LocalDynamo;

  beforeAll(async () => {
    dynamo = await startDynalite();
    await dynamo.createTable('rollouts');
  });
  afterAll(async () => {
    await dynamo?.close();
  });

  const synced = (repository: string, canary: string, pushedAt: string): DesiredSpec => ({
    specName: 'user-service',
    spec: parseSpec(specInput({ target: { canary } })),
    repository,
    branch: 'main',
    path: '.canary/user-service.yaml',
    commitId: 'c'.repeat(40),
    contentHash: 'h'.repeat(64),
    pushedAt,
    syncedAt: pushedAt,
    latestRevision: `${repository}:${canary}`,
  });

  it('refuses a later push of the same name from another repository, and accepts the owner', async () => {
    // Through the lite table, as the triggers write it.
    const store = new DynamoDesiredStateStore('rollouts', dynamo.table('lite'));

    expect(await store.put(synced('acme/platform-config', 'user-service-v2', '2026-03-01T08:00:00Z'))).toBe(true);
    expect(await store.put(synced('mallory/fork', 'evil-node', '2026-03-01T09:00:00Z'))).toBe(false);
    expect((await store.get('user-service'))!.spec.target.canary).toBe('user-service-v2');
    expect(await store.put(synced('acme/platform-config', 'user-service-v3', '2026-03-01T10:00:00Z'))).toBe(true);
    expect((await store.get('user-service'))!).toMatchObject({ repository: 'acme/platform-config', latestRevision: 'acme/platform-config:user-service-v3' });
  });
});
