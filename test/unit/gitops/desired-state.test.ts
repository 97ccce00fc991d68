import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { DynamoDesiredStateStore, MemoryDesiredStateStore, type DesiredSpec } from '../../../src/gitops/desired-state';
import { sdkDocumentTable } from '../../../src/shared/document-table-sdk';
import { spec } from '../triggers/support';

const doc = mockClient(DynamoDBDocumentClient);
const user = spec('user-service.yaml');

function synced(extra: Partial<DesiredSpec> = {}): DesiredSpec {
  return {
    specName: 'user-service',
    spec: user,
    repository: 'platform-config',
    branch: 'main',
    path: '.canary/user-service.yaml',
    commitId: 'c1',
    contentHash: 'h1',
    pushedAt: '2026-03-02T09:00:00Z',
    syncedAt: '2026-03-02T09:00:01Z',
    ...extra,
  };
}

describe('MemoryDesiredStateStore', () => {
  it('refuses a push older than the stored one', async () => {
    const store = new MemoryDesiredStateStore();
    expect(await store.put(synced({ commitId: 'new', pushedAt: '2026-03-02T10:00:00Z' }))).toBe(true);
    expect(await store.put(synced({ commitId: 'old', pushedAt: '2026-03-02T09:00:00Z' }))).toBe(false);
    expect((await store.get('user-service'))!.commitId).toBe('new');
  });

  it('keeps the image fields and the latest revision across git syncs that do not set one', async () => {
    const store = new MemoryDesiredStateStore();
    await store.put(synced({ latestRevision: 'c1:h1' }));
    await store.recordImage('user-service', { revision: 'sha256:aa', image: 'r/u@sha256:aa', pushedAt: '2026-03-02T09:30:00Z' });
    await store.put(synced({ commitId: 'c2', contentHash: 'h2', pushedAt: '2026-03-02T10:00:00Z' }));
    expect(await store.get('user-service')).toMatchObject({ commitId: 'c2', latestRevision: 'sha256:aa', latestImage: 'r/u@sha256:aa' });
  });

  describe('isLatest', () => {
    it('is true only for the newest revision, whichever source recorded it', async () => {
      const store = new MemoryDesiredStateStore();
      await store.put(synced({ latestRevision: 'c1:h1' }));
      expect(await store.isLatest('user-service', 'c1:h1')).toBe(true);

      await store.recordImage('user-service', { revision: 'sha256:aa', image: 'i@sha256:aa', pushedAt: '2026-03-02T09:30:00Z' });
      expect(await store.isLatest('user-service', 'c1:h1')).toBe(false);
      expect(await store.isLatest('user-service', 'sha256:aa')).toBe(true);

      // An image pushed earlier but delivered later never becomes the newest.
      expect(await store.recordImage('user-service', { revision: 'sha256:00', image: 'i@sha256:00', pushedAt: '2026-03-02T09:10:00Z' })).toBe(false);
      expect(await store.isLatest('user-service', 'sha256:00')).toBe(false);
      expect(await store.isLatest('user-service', 'sha256:aa')).toBe(true);

      await store.put(synced({ commitId: 'c3', contentHash: 'h3', pushedAt: '2026-03-02T11:00:00Z', latestRevision: 'c3:h3' }));
      expect(await store.isLatest('user-service', 'sha256:aa')).toBe(false);
      expect(await store.isLatest('user-service', 'c3:h3')).toBe(true);
    });

    it('lets any revision run for a spec that is not managed by GitOps', async () => {
      expect(await new MemoryDesiredStateStore().isLatest('manual', 'anything')).toBe(true);
    });
  });

  it('finds the specs that track an ECR repository, and deletes unless a later push stored the spec again', async () => {
    const store = new MemoryDesiredStateStore();
    await store.put(synced());
    expect((await store.findByEcrRepository('user-service')).map((s) => s.specName)).toEqual(['user-service']);
    expect(await store.findByEcrRepository('other')).toEqual([]);
    expect(await store.delete('user-service', '2026-03-02T08:00:00Z')).toBe(false);
    expect(await store.delete('user-service', '2026-03-02T09:00:00Z')).toBe(true);
    expect(await store.list()).toEqual([]);
  });
});

describe('DynamoDesiredStateStore', () => {
  const store = new DynamoDesiredStateStore('canary-table', sdkDocumentTable());
  beforeEach(() => doc.reset());

  it('writes a sync as one conditional update on SPEC#<name> / DESIRED, listed through the recent index', async () => {
    doc.on(UpdateCommand).resolves({});
    expect(await store.put(synced({ latestRevision: 'c1:h1' }))).toBe(true);
    const input = doc.commandCalls(UpdateCommand)[0]!.args[0].input;
    expect(input.Key).toEqual({ pk: 'SPEC#user-service', sk: 'DESIRED' });
    // Newer push, and only from the repository that owns the name.
    expect(input.ConditionExpression).toBe(
      'attribute_not_exists(pk) OR ((attribute_not_exists(#pushedAt) OR #pushedAt <= :pushedAt) AND (attribute_not_exists(#repository) OR #repository = :repository))',
    );
    expect(input.ExpressionAttributeValues![':repository']).toBe('platform-config');
    const set = Object.fromEntries(Object.entries(input.ExpressionAttributeNames!).map(([k, v]) => [v, input.ExpressionAttributeValues![k.replace('#f', ':v')]]));
    expect(set).toMatchObject({ gsi2pk: 'DESIRED', gsi2sk: 'user-service', ecrRepository: 'user-service', commitId: 'c1', latestRevision: 'c1:h1' });
    expect(input.UpdateExpression).not.toMatch(/latestImage/);
  });

  it('does not touch latestRevision when the sync starts nothing', async () => {
    doc.on(UpdateCommand).resolves({});
    await store.put(synced());
    expect(Object.values(doc.commandCalls(UpdateCommand)[0]!.args[0].input.ExpressionAttributeNames!)).not.toContain('latestRevision');
  });

  it('answers false when a later push already won the conditional write', async () => {
    doc.on(UpdateCommand).rejects(new ConditionalCheckFailedException({ message: 'failed', $metadata: {} }));
    expect(await store.put(synced())).toBe(false);
    expect(await store.recordImage('user-service', { revision: 'sha256:aa', image: 'i', pushedAt: 't' })).toBe(false);
  });

  it('records an image only on an existing spec and never older than the recorded one', async () => {
    doc.on(UpdateCommand).resolves({});
    await store.recordImage('user-service', { revision: 'sha256:aa', image: 'i@sha256:aa', pushedAt: '2026-03-02T10:15:00Z' });
    expect(doc.commandCalls(UpdateCommand)[0]!.args[0].input).toMatchObject({
      Key: { pk: 'SPEC#user-service', sk: 'DESIRED' },
      UpdateExpression: 'SET latestRevision = :r, latestImage = :i, imagePushedAt = :t',
      ConditionExpression: 'attribute_exists(pk) AND (attribute_not_exists(imagePushedAt) OR imagePushedAt <= :t)',
    });
  });

  it('checks isLatest with a consistent read of latestRevision', async () => {
    doc.on(GetCommand).resolves({ Item: { latestRevision: 'sha256:bb' } });
    expect(await store.isLatest('user-service', 'sha256:aa')).toBe(false);
    expect(await store.isLatest('user-service', 'sha256:bb')).toBe(true);
    expect(doc.commandCalls(GetCommand)[0]!.args[0].input).toMatchObject({ Key: { pk: 'SPEC#user-service', sk: 'DESIRED' }, ConsistentRead: true });
    doc.on(GetCommand).resolves({});
    expect(await store.isLatest('manual', 'x')).toBe(true);
  });

  it('finds specs by ECR repository over every page of the index, without the key attributes', async () => {
    doc
      .on(QueryCommand)
      .resolvesOnce({ Items: [{ pk: 'SPEC#a', sk: 'DESIRED', gsi2pk: 'DESIRED', gsi2sk: 'a', ecrRepository: 'user-service', specName: 'a' }], LastEvaluatedKey: { pk: 'SPEC#a' } })
      .resolvesOnce({ Items: [{ pk: 'SPEC#b', sk: 'DESIRED', gsi2pk: 'DESIRED', gsi2sk: 'b', ecrRepository: 'user-service', specName: 'b' }] });
    expect(await store.findByEcrRepository('user-service')).toEqual([{ specName: 'a' }, { specName: 'b' }]);
    const calls = doc.commandCalls(QueryCommand).map((c) => c.args[0].input);
    expect(calls[0]).toMatchObject({ IndexName: 'recent', KeyConditionExpression: 'gsi2pk = :d', FilterExpression: 'ecrRepository = :r', ExpressionAttributeValues: { ':d': 'DESIRED', ':r': 'user-service' } });
    expect(calls[1]!.ExclusiveStartKey).toEqual({ pk: 'SPEC#a' });
  });

  it('deletes conditionally on the push time', async () => {
    doc.on(DeleteCommand).resolves({});
    expect(await store.delete('user-service', '2026-03-02T09:00:00Z')).toBe(true);
    expect(doc.commandCalls(DeleteCommand)[0]!.args[0].input).toMatchObject({ ConditionExpression: 'attribute_not_exists(pk) OR pushedAt <= :t' });
  });
});
