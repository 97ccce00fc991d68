import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { AddressInfo } from 'node:net';
import { DynamoDesiredStateStore, type DesiredSpec } from '../../../src/gitops/desired-state';
import { liteDocumentTable } from '../../../src/shared/document-table-lite';
import { parseSpec } from '../../../src/spec';
import { specInput } from '../../statemachine/harness';

// dynalite: DynamoDB's API on an in-process LevelDB, so the conditional write runs for real.
const dynalite = require('dynalite') as (opts: { createTableMs: number }) => import('node:http').Server;

describe('DynamoDesiredStateStore against a real DynamoDB engine', () => {
  const server = dynalite({ createTableMs: 0 });
  let client: DynamoDBClient;
  let endpoint: string;

  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    endpoint = `http://127.0.0.1:${port}`;
    client = new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });
    await client.send(
      new CreateTableCommand({
        TableName: 'rollouts',
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'S' },
        ],
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
      }),
    );
  });
  afterAll(async () => {
    client.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
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
    // Through aws-lite, as the triggers write it.
    const store = new DynamoDesiredStateStore('rollouts', liteDocumentTable({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } }));

    expect(await store.put(synced('acme/platform-config', 'user-service-v2', '2026-03-01T08:00:00Z'))).toBe(true);
    expect(await store.put(synced('mallory/fork', 'evil-node', '2026-03-01T09:00:00Z'))).toBe(false);
    expect((await store.get('user-service'))!.spec.target.canary).toBe('user-service-v2');
    expect(await store.put(synced('acme/platform-config', 'user-service-v3', '2026-03-01T10:00:00Z'))).toBe(true);
    expect((await store.get('user-service'))!).toMatchObject({ repository: 'acme/platform-config', latestRevision: 'acme/platform-config:user-service-v3' });
  });
});
