import { ConditionalCheckFailedException, DynamoDBClient, ProvisionedThroughputExceededException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { DynamoStore } from '../../../src/rollouts/dynamo-store';
import { sdkDocumentTable } from '../../../src/shared/document-table-sdk';
import type { LockHolder, RolloutRecord } from '../../../src/rollouts/records';
import { RouteLockedError, TransientError } from '../../../src/shared/errors';

const dynamo = mockClient(DynamoDBDocumentClient);

const TABLE = 'canary-rollouts';
const ROUTE = 'appmesh:my-mesh/user-router/user-route';
const OTHER_ROUTE = 'appmesh:my-mesh/user-router/user-route-grpc';
const TAKE_FREE_OR_MINE = 'attribute_not_exists(pk) OR rolloutId = :me';

function holder(rolloutId: string): Omit<LockHolder, 'key' | 'acquiredAt'> {
  return { rolloutId, executionArn: `arn:aws:states:us-east-1:123456789012:execution:rollout:${rolloutId}`, specName: 'user-service' };
}

/** A lock item as DynamoDB stores it. */
function lockItem(rolloutId: string, extra: Partial<LockHolder> = {}): Record<string, unknown> {
  return { pk: `LOCK#${ROUTE}`, sk: 'LOCK', key: ROUTE, ...holder(rolloutId), acquiredAt: '2025-03-01T12:00:00.000Z', ...extra };
}

function conditionFailed(): ConditionalCheckFailedException {
  return new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: { httpStatusCode: 400 } });
}

function throttled(): ProvisionedThroughputExceededException {
  return new ProvisionedThroughputExceededException({ message: 'Rate of requests exceeds the allowed throughput', $metadata: { httpStatusCode: 400 } });
}

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

function store(): DynamoStore {
  return new DynamoStore(TABLE, sdkDocumentTable(new DynamoDBClient({})));
}

const puts = () => dynamo.commandCalls(PutCommand).map((c) => c.args[0].input);
const deletes = () => dynamo.commandCalls(DeleteCommand).map((c) => c.args[0].input);
const updates = () => dynamo.commandCalls(UpdateCommand).map((c) => c.args[0].input);
const queries = () => dynamo.commandCalls(QueryCommand).map((c) => c.args[0].input);

beforeEach(() => {
  dynamo.reset();
});

describe('DynamoStore', () => {
  describe('acquireLocks', () => {
    it('takes a free lock with one conditional put', async () => {
      // Prepare
      dynamo.on(PutCommand).resolves({});
      const isRunning = jest.fn(async () => true);

      // Act
      await store().acquireLocks([ROUTE], holder('r1'), isRunning);

      // Assess
      expect(puts()).toEqual([
        {
          TableName: TABLE,
          Item: { pk: `LOCK#${ROUTE}`, sk: 'LOCK', key: ROUTE, ...holder('r1'), acquiredAt: expect.any(String) },
          ConditionExpression: TAKE_FREE_OR_MINE,
          ExpressionAttributeValues: { ':me': 'r1' },
        },
      ]);
      expect(isRunning).not.toHaveBeenCalled();
    });

    it('refuses a lock held by a running rollout, naming the route and the holder', async () => {
      // Prepare
      dynamo.on(PutCommand).rejects(conditionFailed());
      dynamo.on(GetCommand).resolves({ Item: lockItem('r1') });
      const isRunning = jest.fn(async () => true);

      // Act
      const act = store().acquireLocks([ROUTE], holder('r2'), isRunning);

      // Assess
      await expect(act).rejects.toBeInstanceOf(RouteLockedError);
      await expect(act).rejects.toThrow(`route ${ROUTE} is locked by running rollout r1 (user-service, since 2025-03-01T12:00:00.000Z)`);
      expect(isRunning).toHaveBeenCalledWith(holder('r1').executionArn);
      expect(puts()).toHaveLength(1);
      expect(dynamo.commandCalls(GetCommand)[0]!.args[0].input).toEqual({ TableName: TABLE, Key: { pk: `LOCK#${ROUTE}`, sk: 'LOCK' }, ConsistentRead: true });
    });

    it('takes over from a stopped holder, conditioned on that holder still owning it', async () => {
      // Prepare
      dynamo.on(PutCommand).rejectsOnce(conditionFailed()).resolves({});
      dynamo.on(GetCommand).resolves({ Item: lockItem('r1') });

      // Act
      await store().acquireLocks([ROUTE], holder('r2'), async () => false);

      // Assess
      const [first, takeover] = puts();
      expect(first!.ConditionExpression).toBe(TAKE_FREE_OR_MINE);
      expect(takeover).toMatchObject({
        Item: { pk: `LOCK#${ROUTE}`, rolloutId: 'r2' },
        ConditionExpression: 'rolloutId = :old',
        ExpressionAttributeValues: { ':old': 'r1' },
      });
    });

    it('refuses a lock flagged after a failed rollback even though its holder stopped', async () => {
      // Prepare
      dynamo.on(PutCommand).rejects(conditionFailed());
      dynamo.on(GetCommand).resolves({ Item: lockItem('r1', { needsAttention: 'restore failed' }) });
      const isRunning = jest.fn(async () => false);

      // Act
      const act = store().acquireLocks([ROUTE], holder('r2'), isRunning);

      // Assess
      await expect(act).rejects.toThrow(`route ${ROUTE} is locked by rollout r1, whose rollback failed (restore failed)`);
      expect(isRunning).not.toHaveBeenCalled();
      expect(puts()).toHaveLength(1);
    });

    it('takes a lock released between its write and its read with one more conditional put', async () => {
      // Prepare
      dynamo.on(PutCommand).rejectsOnce(conditionFailed()).resolves({});
      dynamo.on(GetCommand).resolves({});

      // Act
      await store().acquireLocks([ROUTE], holder('r2'), async () => true);

      // Assess
      expect(puts().map((p) => p.ConditionExpression)).toEqual([TAKE_FREE_OR_MINE, 'attribute_not_exists(pk)']);
    });

    it('refuses when another running rollout wins the takeover race', async () => {
      // Prepare
      dynamo.on(PutCommand).rejects(conditionFailed());
      dynamo.on(GetCommand).resolvesOnce({ Item: lockItem('r1') }).resolves({ Item: lockItem('r3') });
      const isRunning = jest.fn(async (arn: string) => arn === holder('r3').executionArn);

      // Act
      const act = store().acquireLocks([ROUTE], holder('r2'), isRunning);

      // Assess
      await expect(act).rejects.toThrow(`route ${ROUTE} is locked by running rollout r3`);
      expect(puts().map((p) => p.ConditionExpression)).toEqual([TAKE_FREE_OR_MINE, 'rolloutId = :old']);
    });

    it.each([
      ['a stopped rollout took the lock', { Item: lockItem('r3') }],
      ['the lock was released', {}],
    ])('does not claim a lock it did not write when the takeover race is lost and %s', async (_case, winner) => {
      // Prepare
      dynamo.on(PutCommand).rejects(conditionFailed());
      dynamo.on(GetCommand).resolvesOnce({ Item: lockItem('r1') }).resolves(winner);
      dynamo.on(DeleteCommand).resolves({});

      // Act
      const act = store().acquireLocks([ROUTE], holder('r2'), async () => false);

      // Assess
      await expect(act).rejects.toBeInstanceOf(TransientError);
      await expect(act).rejects.toThrow(`lock ${ROUTE} changed hands while being taken; retry`);
    });

    it('gives back the locks it took when a later route is locked', async () => {
      // Prepare
      dynamo.on(PutCommand).callsFake(async (input: { Item: { key: string } }) => {
        if (input.Item.key === OTHER_ROUTE) throw conditionFailed();
        return {};
      });
      dynamo.on(GetCommand).resolves({ Item: { ...lockItem('r1'), pk: `LOCK#${OTHER_ROUTE}`, key: OTHER_ROUTE } });
      dynamo.on(DeleteCommand).resolves({});

      // Act
      const act = store().acquireLocks([ROUTE, OTHER_ROUTE], holder('r2'), async () => true);

      // Assess
      await expect(act).rejects.toBeInstanceOf(RouteLockedError);
      expect(deletes()).toEqual([
        { TableName: TABLE, Key: { pk: `LOCK#${ROUTE}`, sk: 'LOCK' }, ConditionExpression: TAKE_FREE_OR_MINE, ExpressionAttributeValues: { ':me': 'r2' } },
      ]);
    });

    it('turns throttling into a TransientError naming the lock', async () => {
      // Prepare
      dynamo.on(PutCommand).rejects(throttled());

      // Act
      const act = store().acquireLocks([ROUTE], holder('r1'), async () => true);

      // Assess
      await expect(act).rejects.toBeInstanceOf(TransientError);
      await expect(act).rejects.toThrow(`PutItem lock ${ROUTE}`);
    });
  });

  describe('releaseLocks', () => {
    it('deletes each lock only if this rollout holds it', async () => {
      // Prepare
      dynamo.on(DeleteCommand).resolves({});

      // Act
      await store().releaseLocks([ROUTE, OTHER_ROUTE], 'r1');

      // Assess
      expect(deletes()).toEqual(
        [ROUTE, OTHER_ROUTE].map((key) => ({
          TableName: TABLE,
          Key: { pk: `LOCK#${key}`, sk: 'LOCK' },
          ConditionExpression: TAKE_FREE_OR_MINE,
          ExpressionAttributeValues: { ':me': 'r1' },
        })),
      );
    });

    it("leaves another rollout's lock alone without failing, and goes on with the next", async () => {
      // Prepare
      dynamo.on(DeleteCommand).rejectsOnce(conditionFailed()).resolves({});

      // Act
      const act = store().releaseLocks([ROUTE, OTHER_ROUTE], 'r1');

      // Assess
      await expect(act).resolves.toBeUndefined();
      expect(deletes()).toHaveLength(2);
    });

    it('fails on other errors', async () => {
      // Prepare
      dynamo.on(DeleteCommand).rejects(throttled());

      // Act
      const act = store().releaseLocks([ROUTE], 'r1');

      // Assess
      await expect(act).rejects.toBeInstanceOf(TransientError);
    });
  });

  describe('flagLocks', () => {
    it('flags locks this rollout holds or that were already released, never another rollout\'s', async () => {
      // Prepare
      dynamo.on(UpdateCommand).rejectsOnce(conditionFailed()).resolves({});

      // Act
      await store().flagLocks([OTHER_ROUTE, ROUTE], 'r1', 'restore failed');

      // Assess
      expect(updates()).toEqual(
        [OTHER_ROUTE, ROUTE].map((key) => ({
          TableName: TABLE,
          Key: { pk: `LOCK#${key}`, sk: 'LOCK' },
          UpdateExpression:
            'SET needsAttention = :r, rolloutId = :me, #key = :key, acquiredAt = if_not_exists(acquiredAt, :now), executionArn = if_not_exists(executionArn, :unknown), specName = if_not_exists(specName, :unknown)',
          ConditionExpression: 'attribute_not_exists(pk) OR rolloutId = :me',
          ExpressionAttributeNames: { '#key': 'key' },
          ExpressionAttributeValues: { ':r': 'restore failed', ':me': 'r1', ':key': key, ':now': expect.any(String), ':unknown': 'unknown' },
        })),
      );
    });
  });

  describe('clearLock and getLock', () => {
    it('clears a lock whatever its holder and returns the holder without table keys', async () => {
      // Prepare
      dynamo.on(DeleteCommand).resolves({ Attributes: lockItem('r1', { needsAttention: 'restore failed' }) });

      // Act
      const cleared = await store().clearLock(ROUTE);

      // Assess
      expect(deletes()).toEqual([{ TableName: TABLE, Key: { pk: `LOCK#${ROUTE}`, sk: 'LOCK' }, ReturnValues: 'ALL_OLD' }]);
      expect(cleared).toEqual({ key: ROUTE, ...holder('r1'), acquiredAt: '2025-03-01T12:00:00.000Z', needsAttention: 'restore failed' });
    });

    it('returns undefined for a free route', async () => {
      // Prepare
      dynamo.on(GetCommand).resolves({});
      dynamo.on(DeleteCommand).resolves({});

      // Act
      const lock = await store().getLock(ROUTE);
      const cleared = await store().clearLock(ROUTE);

      // Assess
      expect(lock).toBeUndefined();
      expect(cleared).toBeUndefined();
    });
  });

  describe('rollout records', () => {
    it('writes the record with the keys of both indexes', async () => {
      // Prepare
      dynamo.on(PutCommand).resolves({});

      // Act
      await store().putRollout(record('r1'));

      // Assess
      expect(puts()).toEqual([
        {
          TableName: TABLE,
          Item: {
            pk: 'ROLLOUT#r1',
            sk: 'META',
            gsi1pk: 'SPEC#user-service',
            gsi1sk: '2025-03-01T12:00:00.000Z#r1',
            gsi2pk: 'ROLLOUT',
            gsi2sk: '2025-03-01T12:00:00.000Z#r1',
            ...record('r1'),
          },
        },
      ]);
    });

    it('updates with SET for values and REMOVE for undefined fields, only if the record exists', async () => {
      // Prepare
      dynamo.on(UpdateCommand).resolves({});

      // Act
      await store().updateRollout('r1', { step: 2, outcome: undefined, status: 'promoted' });

      // Assess
      const [input] = updates();
      expect(input).toEqual({
        TableName: TABLE,
        Key: { pk: 'ROLLOUT#r1', sk: 'META' },
        UpdateExpression: 'SET #f0 = :v0, #f2 = :v2, #f3 = :v3 REMOVE #f1',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeNames: { '#f0': 'step', '#f1': 'outcome', '#f2': 'status', '#f3': 'updatedAt' },
        ExpressionAttributeValues: { ':v0': 2, ':v2': 'promoted', ':v3': expect.any(String) },
      });
    });

    it('reads a record consistently and strips the table keys', async () => {
      // Prepare
      dynamo.on(GetCommand).resolves({
        Item: { pk: 'ROLLOUT#r1', sk: 'META', gsi1pk: 'SPEC#user-service', gsi1sk: 'x', gsi2pk: 'ROLLOUT', gsi2sk: 'x', ...record('r1') },
      });

      // Act
      const found = await store().getRollout('r1');

      // Assess
      expect(found).toEqual(record('r1'));
      expect(dynamo.commandCalls(GetCommand)[0]!.args[0].input).toEqual({ TableName: TABLE, Key: { pk: 'ROLLOUT#r1', sk: 'META' }, ConsistentRead: true });
    });

    it.each<[string, { specName?: string; limit?: number }, Record<string, unknown>]>([
      ['the recent index without a spec', {}, { IndexName: 'recent', KeyConditionExpression: 'gsi2pk = :p', ExpressionAttributeValues: { ':p': 'ROLLOUT' }, Limit: 50 }],
      [
        'the bySpec index with a spec',
        { specName: 'user-service', limit: 5 },
        { IndexName: 'bySpec', KeyConditionExpression: 'gsi1pk = :p', ExpressionAttributeValues: { ':p': 'SPEC#user-service' }, Limit: 5 },
      ],
    ])('lists rollouts newest first from %s', async (_case, options, expected) => {
      // Prepare
      dynamo.on(QueryCommand).resolves({ Items: [{ pk: 'ROLLOUT#r2', sk: 'META', gsi2pk: 'ROLLOUT', gsi2sk: 'x', ...record('r2') }] });

      // Act
      const listed = await store().listRollouts(options);

      // Assess
      expect(queries()).toEqual([{ TableName: TABLE, ScanIndexForward: false, ...expected }]);
      expect(listed).toEqual([record('r2')]);
    });
  });

  describe('events', () => {
    it('appends each event under the rollout with a time-ordered, unique sort key', async () => {
      // Prepare
      dynamo.on(PutCommand).resolves({});
      const event = { at: '2025-03-01T12:00:00.000Z', kind: 'shifted' as const, step: 0, weight: 10, message: 'shifted to 10%' };

      // Act
      await store().appendEvent('r1', event);
      await store().appendEvent('r1', event);

      // Assess
      const [a, b] = puts();
      expect(a!.Item).toMatchObject({ pk: 'ROLLOUT#r1', ...event });
      expect(String(a!.Item!.sk)).toMatch(/^EVENT#2025-03-01T12:00:00\.000Z#[0-9a-f-]{36}$/);
      expect(a!.Item!.sk).not.toBe(b!.Item!.sk);
    });

    it('reads every page of the timeline', async () => {
      // Prepare
      const item = (n: number) => ({ pk: 'ROLLOUT#r1', sk: `EVENT#${n}`, at: String(n), kind: 'verdict', message: `event ${n}` });
      dynamo
        .on(QueryCommand)
        .resolvesOnce({ Items: [item(1), item(2)], LastEvaluatedKey: { pk: 'ROLLOUT#r1', sk: 'EVENT#2' } })
        .resolvesOnce({ Items: [item(3)] });

      // Act
      const events = await store().listEvents('r1');

      // Assess
      expect(events.map((e) => e.message)).toEqual(['event 1', 'event 2', 'event 3']);
      expect(events[0]).toEqual({ at: '1', kind: 'verdict', message: 'event 1' });
      expect(queries()).toEqual([
        { TableName: TABLE, KeyConditionExpression: 'pk = :p AND begins_with(sk, :e)', ExpressionAttributeValues: { ':p': 'ROLLOUT#r1', ':e': 'EVENT#' }, ExclusiveStartKey: undefined },
        {
          TableName: TABLE,
          KeyConditionExpression: 'pk = :p AND begins_with(sk, :e)',
          ExpressionAttributeValues: { ':p': 'ROLLOUT#r1', ':e': 'EVENT#' },
          ExclusiveStartKey: { pk: 'ROLLOUT#r1', sk: 'EVENT#2' },
        },
      ]);
    });
  });

  describe('alarm watches', () => {
    it('writes one item per alarm, keyed by alarm then rollout', async () => {
      // Prepare
      dynamo.on(PutCommand).resolves({});

      // Act
      await store().watchAlarms('r1', 'arn:exec:r1', ['user-5xx', 'user-p99']);

      // Assess
      expect(puts()).toEqual(
        ['user-5xx', 'user-p99'].map((alarm) => ({
          TableName: TABLE,
          Item: { pk: `ALARM#${alarm}`, sk: 'ROLLOUT#r1', rolloutId: 'r1', executionArn: 'arn:exec:r1' },
        })),
      );
    });

    it('deletes the watch items of the rollout', async () => {
      // Prepare
      dynamo.on(DeleteCommand).resolves({});

      // Act
      await store().unwatchAlarms('r1', ['user-5xx']);

      // Assess
      expect(deletes()).toEqual([{ TableName: TABLE, Key: { pk: 'ALARM#user-5xx', sk: 'ROLLOUT#r1' } }]);
    });

    it('lists the watchers of an alarm', async () => {
      // Prepare
      dynamo.on(QueryCommand).resolves({
        Items: [
          { pk: 'ALARM#user-5xx', sk: 'ROLLOUT#r1', rolloutId: 'r1', executionArn: 'arn:exec:r1' },
          { pk: 'ALARM#user-5xx', sk: 'ROLLOUT#r2', rolloutId: 'r2', executionArn: 'arn:exec:r2' },
        ],
      });

      // Act
      const watchers = await store().watchersOf('user-5xx');

      // Assess
      expect(queries()).toEqual([{ TableName: TABLE, KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': 'ALARM#user-5xx' } }]);
      expect(watchers).toEqual([
        { rolloutId: 'r1', executionArn: 'arn:exec:r1' },
        { rolloutId: 'r2', executionArn: 'arn:exec:r2' },
      ]);
    });
  });
});
