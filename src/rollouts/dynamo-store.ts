import { randomUUID } from 'node:crypto';
import type { DocumentTable } from '../shared/document-table';
import { liteDocumentTable } from '../shared/document-table-lite';
import { classifyAwsError, TransientError } from '../shared/errors';
import type { LockHolder, RolloutEvent, RolloutRecord } from './records';
import { decideTakeover, type IsRunning, type RolloutStore } from './store';

/**
 * Single-table layout (see serverless.yml `RolloutTable`):
 * - `LOCK#<route key>` / `LOCK`: the route lock
 * - `ROLLOUT#<id>` / `META`: the history record; GSI `bySpec` (SPEC#<name>, startedAt#id) and `recent` (ROLLOUT, startedAt#id)
 * - `ROLLOUT#<id>` / `EVENT#<at>#<uuid>`: timeline entries
 * - `ALARM#<name>` / `ROLLOUT#<id>`: which running rollouts an alarm interrupts
 */
export class DynamoStore implements RolloutStore {
  /** `table`: how items reach DynamoDB (default the lite table, what the functions use; canaryctl passes the SDK's). */
  constructor(
    private readonly tableName: string,
    private readonly table: DocumentTable = liteDocumentTable(),
  ) {}

  private async send<T>(doing: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      throw classifyAwsError(error, doing);
    }
  }

  async acquireLocks(keys: string[], holder: Omit<LockHolder, 'key' | 'acquiredAt'>, isRunning: IsRunning): Promise<void> {
    const taken: string[] = [];
    try {
      for (const key of keys) {
        if (await this.tryPut(key, holder, 'attribute_not_exists(pk) OR rolloutId = :me', { ':me': holder.rolloutId })) {
          taken.push(key);
          continue;
        }
        const current = await this.getLock(key);
        if (!current) {
          // Released between our write and our read: one more conditional write decides.
          if (await this.tryPut(key, holder, 'attribute_not_exists(pk)', {})) taken.push(key);
          else throw new TransientError(`lock ${key} changed hands while being taken; retry`);
          continue;
        }
        await decideTakeover(key, current, holder.rolloutId, isRunning);
        // Take over only from the holder we judged stopped: a racing rollout loses this write.
        if (!(await this.tryPut(key, holder, 'rolloutId = :old', { ':old': current.rolloutId }))) {
          const winner = await this.getLock(key);
          // We wrote nothing: the lock is ours only if the winner is us; a running winner refuses us.
          if (!winner || (await decideTakeover(key, winner, holder.rolloutId, isRunning)) !== 'mine') {
            throw new TransientError(`lock ${key} changed hands while being taken; retry`);
          }
        }
        taken.push(key);
      }
    } catch (error) {
      await this.releaseLocks(taken, holder.rolloutId);
      throw error;
    }
  }

  private async tryPut(key: string, holder: Omit<LockHolder, 'key' | 'acquiredAt'>, condition: string, values: Record<string, unknown>): Promise<boolean> {
    try {
      await this.send(`PutItem lock ${key}`, () =>
        this.table.put({
          TableName: this.tableName,
          Item: { pk: `LOCK#${key}`, sk: 'LOCK', key, ...holder, acquiredAt: new Date().toISOString() },
          ConditionExpression: condition,
          ...(Object.keys(values).length ? { ExpressionAttributeValues: values } : {}),
        }),
      );
      return true;
    } catch (error) {
      if ((error as Error).name === 'ConditionalCheckFailedException') return false;
      throw error;
    }
  }

  async releaseLocks(keys: string[], rolloutId: string): Promise<void> {
    for (const key of keys) {
      try {
        await this.send(`DeleteItem lock ${key}`, () =>
          this.table.delete({
            TableName: this.tableName,
            Key: { pk: `LOCK#${key}`, sk: 'LOCK' },
            ConditionExpression: 'attribute_not_exists(pk) OR rolloutId = :me',
            ExpressionAttributeValues: { ':me': rolloutId },
          }),
        );
      } catch (error) {
        if ((error as Error).name !== 'ConditionalCheckFailedException') throw error;
      }
    }
  }

  async flagLocks(keys: string[], rolloutId: string, reason: string): Promise<void> {
    for (const key of keys) {
      try {
        await this.send(`UpdateItem lock ${key}`, () =>
          this.table.update({
            TableName: this.tableName,
            Key: { pk: `LOCK#${key}`, sk: 'LOCK' },
            // Re-creates a lock already released (a loud failure after a release must still block the route).
            UpdateExpression:
              'SET needsAttention = :r, rolloutId = :me, #key = :key, acquiredAt = if_not_exists(acquiredAt, :now), executionArn = if_not_exists(executionArn, :unknown), specName = if_not_exists(specName, :unknown)',
            ConditionExpression: 'attribute_not_exists(pk) OR rolloutId = :me',
            ExpressionAttributeNames: { '#key': 'key' },
            ExpressionAttributeValues: { ':r': reason, ':me': rolloutId, ':key': key, ':now': new Date().toISOString(), ':unknown': 'unknown' },
          }),
        );
      } catch (error) {
        if ((error as Error).name !== 'ConditionalCheckFailedException') throw error;
      }
    }
  }

  async clearLock(key: string): Promise<LockHolder | undefined> {
    const out = await this.send(`DeleteItem lock ${key}`, () =>
      this.table.delete({ TableName: this.tableName, Key: { pk: `LOCK#${key}`, sk: 'LOCK' }, ReturnValues: 'ALL_OLD' }),
    );
    return out.Attributes ? stripKeys<LockHolder>(out.Attributes) : undefined;
  }

  async getLock(key: string): Promise<LockHolder | undefined> {
    const out = await this.send(`GetItem lock ${key}`, () =>
      this.table.get({ TableName: this.tableName, Key: { pk: `LOCK#${key}`, sk: 'LOCK' }, ConsistentRead: true }),
    );
    return out.Item ? stripKeys<LockHolder>(out.Item) : undefined;
  }

  async putRollout(record: RolloutRecord): Promise<void> {
    await this.send(`PutItem rollout ${record.rolloutId}`, () =>
      this.table.put({
        TableName: this.tableName,
        Item: {
          pk: `ROLLOUT#${record.rolloutId}`,
          sk: 'META',
          gsi1pk: `SPEC#${record.specName}`,
          gsi1sk: `${record.startedAt}#${record.rolloutId}`,
          gsi2pk: 'ROLLOUT',
          gsi2sk: `${record.startedAt}#${record.rolloutId}`,
          ...record,
        },
      }),
    );
  }

  async updateRollout(rolloutId: string, patch: Partial<RolloutRecord>): Promise<void> {
    const entries = Object.entries({ ...patch, updatedAt: new Date().toISOString() });
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = {};
    const sets: string[] = [];
    const removes: string[] = [];
    entries.forEach(([field, value], i) => {
      names[`#f${i}`] = field;
      if (value === undefined) removes.push(`#f${i}`);
      else {
        values[`:v${i}`] = value;
        sets.push(`#f${i} = :v${i}`);
      }
    });
    const expression = [sets.length ? `SET ${sets.join(', ')}` : '', removes.length ? `REMOVE ${removes.join(', ')}` : ''].filter(Boolean).join(' ');
    await this.send(`UpdateItem rollout ${rolloutId}`, () =>
      this.table.update({
        TableName: this.tableName,
        Key: { pk: `ROLLOUT#${rolloutId}`, sk: 'META' },
        UpdateExpression: expression,
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      }),
    );
  }

  async getRollout(rolloutId: string): Promise<RolloutRecord | undefined> {
    const out = await this.send(`GetItem rollout ${rolloutId}`, () =>
      this.table.get({ TableName: this.tableName, Key: { pk: `ROLLOUT#${rolloutId}`, sk: 'META' }, ConsistentRead: true }),
    );
    return out.Item ? stripKeys<RolloutRecord>(out.Item) : undefined;
  }

  async listRollouts(options: { specName?: string; limit?: number } = {}): Promise<RolloutRecord[]> {
    const bySpec = options.specName !== undefined;
    const out = await this.send('Query rollouts', () =>
      this.table.query({
        TableName: this.tableName,
        IndexName: bySpec ? 'bySpec' : 'recent',
        KeyConditionExpression: bySpec ? 'gsi1pk = :p' : 'gsi2pk = :p',
        ExpressionAttributeValues: { ':p': bySpec ? `SPEC#${options.specName}` : 'ROLLOUT' },
        ScanIndexForward: false,
        Limit: options.limit ?? 50,
      }),
    );
    return (out.Items ?? []).map((i) => stripKeys<RolloutRecord>(i));
  }

  async appendEvent(rolloutId: string, event: RolloutEvent): Promise<void> {
    await this.send(`PutItem event ${rolloutId}`, () =>
      this.table.put({
        TableName: this.tableName,
        Item: { pk: `ROLLOUT#${rolloutId}`, sk: `EVENT#${event.at}#${randomUUID()}`, ...event },
      }),
    );
  }

  async listEvents(rolloutId: string): Promise<RolloutEvent[]> {
    const items: Record<string, unknown>[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const out = await this.send(`Query events ${rolloutId}`, () =>
        this.table.query({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :p AND begins_with(sk, :e)',
          ExpressionAttributeValues: { ':p': `ROLLOUT#${rolloutId}`, ':e': 'EVENT#' },
          ExclusiveStartKey: start,
        }),
      );
      items.push(...(out.Items ?? []));
      start = out.LastEvaluatedKey;
    } while (start);
    return items.map((i) => stripKeys<RolloutEvent>(i));
  }

  async watchAlarms(rolloutId: string, executionArn: string, alarms: string[]): Promise<void> {
    for (const alarm of alarms) {
      await this.send(`PutItem watch ${alarm}`, () =>
        this.table.put({ TableName: this.tableName, Item: { pk: `ALARM#${alarm}`, sk: `ROLLOUT#${rolloutId}`, rolloutId, executionArn } }),
      );
    }
  }

  async unwatchAlarms(rolloutId: string, alarms: string[]): Promise<void> {
    for (const alarm of alarms) {
      await this.send(`DeleteItem watch ${alarm}`, () =>
        this.table.delete({ TableName: this.tableName, Key: { pk: `ALARM#${alarm}`, sk: `ROLLOUT#${rolloutId}` } }),
      );
    }
  }

  async watchersOf(alarm: string): Promise<Array<{ rolloutId: string; executionArn: string }>> {
    const out = await this.send(`Query watches ${alarm}`, () =>
      this.table.query({ TableName: this.tableName, KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': `ALARM#${alarm}` } }),
    );
    return (out.Items ?? []).map((i) => ({ rolloutId: String(i.rolloutId), executionArn: String(i.executionArn) }));
  }

  async watchLooks(rolloutId: string, executionArn: string): Promise<void> {
    await this.send(`PutItem look ${rolloutId}`, () =>
      this.table.put({ TableName: this.tableName, Item: { pk: LOOKS, sk: `ROLLOUT#${rolloutId}`, rolloutId, executionArn } }),
    );
  }

  async unwatchLooks(rolloutId: string): Promise<void> {
    await this.send(`DeleteItem look ${rolloutId}`, () =>
      this.table.delete({ TableName: this.tableName, Key: { pk: LOOKS, sk: `ROLLOUT#${rolloutId}` } }),
    );
  }

  async lookers(): Promise<Array<{ rolloutId: string; executionArn: string }>> {
    const items: Array<Record<string, unknown>> = [];
    let start: Record<string, unknown> | undefined;
    do {
      const out = await this.send('Query looks', () =>
        this.table.query({ TableName: this.tableName, KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': LOOKS }, ExclusiveStartKey: start }),
      );
      items.push(...(out.Items ?? []));
      start = out.LastEvaluatedKey;
    } while (start);
    return items.map((i) => ({ rolloutId: String(i.rolloutId), executionArn: String(i.executionArn) }));
  }
}

/** Partition of the lookout's registry: one item per running rollout with a sequential comparison. */
const LOOKS = 'LOOKS';

function stripKeys<T>(item: Record<string, unknown>): T {
  const { pk: _pk, sk: _sk, gsi1pk: _a, gsi1sk: _b, gsi2pk: _c, gsi2sk: _d, ...rest } = item;
  return rest as T;
}
