import type { DocumentTable } from '../shared/document-table';
import { liteDocumentTable } from '../shared/document-table-lite';
import type { RevisionGuard } from '../rollouts/deps';
import type { RolloutSpec } from '../spec';
import { classifyAwsError } from '../shared/errors';

/**
 * The desired state of one spec: what git says it should be (spec, commit, content hash) and
 * the newest revision a trigger asked for (image digest or commit + content hash).
 */
export interface DesiredState {
  specName: string;
  spec: RolloutSpec;
  /** Where the spec came from. */
  repository: string;
  branch: string;
  path: string;
  commitId: string;
  /** sha256 of the file text, hex. */
  contentHash: string;
  /** When the source pushed this commit (event time): orders pushes that arrive out of order. */
  pushedAt: string;
  /** When we stored it. */
  syncedAt: string;
  /** The newest revision a trigger started (or asked to start); Prepare refuses any other one. */
  latestRevision?: string;
  /** The newest image pushed to the tracked ECR repository, pinned by digest. */
  latestImage?: string;
  /** When that image was pushed: orders ECR events that arrive out of order. */
  imagePushedAt?: string;
}

/** A git sync: everything but the image fields, which ECR pushes own. */
export type DesiredSpec = Omit<DesiredState, 'latestImage' | 'imagePushedAt'>;

export interface ImagePush {
  revision: string;
  image: string;
  pushedAt: string;
}

/** Synced specs. `put`, `recordImage` and `delete` return false when a newer push already won. */
export interface DesiredStateStore extends RevisionGuard {
  get(specName: string): Promise<DesiredState | undefined>;
  /** Stores a synced spec unless a later push is stored or another repository owns the name; keeps the image fields; `latestRevision` only changes when given. */
  put(state: DesiredSpec): Promise<boolean>;
  /** Records the newest image (and makes its digest the latest revision) unless a later push is recorded. */
  recordImage(specName: string, push: ImagePush): Promise<boolean>;
  /** Removes a spec whose file was deleted, unless a later push stored it again. */
  delete(specName: string, pushedAt?: string): Promise<boolean>;
  list(): Promise<DesiredState[]>;
  findByEcrRepository(repository: string): Promise<DesiredState[]>;
  /** True when no newer revision was recorded for the spec (no desired state: not managed by GitOps, so true). */
  isLatest(specName: string, revision: string): Promise<boolean>;
}

/** True when `candidate` is not older than `stored` (ISO timestamps compare as strings). */
function notOlder(candidate: string, stored: string | undefined): boolean {
  return stored === undefined || candidate >= stored;
}

/** In-memory store for tests and the local runner; same ordering rules as the DynamoDB store. */
export class MemoryDesiredStateStore implements DesiredStateStore {
  private readonly items = new Map<string, DesiredState>();

  async get(specName: string): Promise<DesiredState | undefined> {
    const s = this.items.get(specName);
    return s && structuredClone(s);
  }

  async put(state: DesiredSpec): Promise<boolean> {
    const current = this.items.get(state.specName);
    if (current && !notOlder(state.pushedAt, current.pushedAt)) return false;
    if (current && current.repository !== state.repository) return false;
    const next: DesiredState = { ...current, ...structuredClone(state) };
    if (state.latestRevision === undefined && current?.latestRevision !== undefined) next.latestRevision = current.latestRevision;
    this.items.set(state.specName, next);
    return true;
  }

  async recordImage(specName: string, push: ImagePush): Promise<boolean> {
    const current = this.items.get(specName);
    if (!current || !notOlder(push.pushedAt, current.imagePushedAt)) return false;
    Object.assign(current, { latestRevision: push.revision, latestImage: push.image, imagePushedAt: push.pushedAt });
    return true;
  }

  async delete(specName: string, pushedAt?: string): Promise<boolean> {
    const current = this.items.get(specName);
    if (!current) return true;
    if (pushedAt !== undefined && !notOlder(pushedAt, current.pushedAt)) return false;
    this.items.delete(specName);
    return true;
  }

  async list(): Promise<DesiredState[]> {
    return [...this.items.values()].sort((a, b) => a.specName.localeCompare(b.specName)).map((s) => structuredClone(s));
  }

  async findByEcrRepository(repository: string): Promise<DesiredState[]> {
    return (await this.list()).filter((s) => s.spec.triggers?.ecrRepository === repository);
  }

  async isLatest(specName: string, revision: string): Promise<boolean> {
    const latest = this.items.get(specName)?.latestRevision;
    return latest === undefined || latest === revision;
  }
}

const DESIRED = 'DESIRED';

/**
 * DynamoDB store in the engine's single table: `pk = SPEC#<name>`, `sk = DESIRED`.
 * Listing uses the table's `recent` index with `gsi2pk = DESIRED` (gsi2sk = spec name), so
 * neither `list` nor `findByEcrRepository` scans the table; the repository is a filter on that
 * query (`ecrRepository` is copied to the top level of the item for it). Writes are conditional on
 * the push time, so a push delivered late never overwrites a newer one.
 */
export class DynamoDesiredStateStore implements DesiredStateStore {
  /** `table`: how items reach DynamoDB (default the lite table, what the functions use). */
  constructor(
    private readonly tableName: string,
    private readonly table: DocumentTable = liteDocumentTable(),
  ) {}

  private key(specName: string) {
    return { pk: `SPEC#${specName}`, sk: DESIRED };
  }

  private async send<T>(doing: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      throw classifyAwsError(error, doing);
    }
  }

  /** Runs a conditional write; false when the condition failed. */
  private async conditional(doing: string, fn: () => Promise<unknown>): Promise<boolean> {
    try {
      await this.send(doing, fn);
      return true;
    } catch (error) {
      if ((error as Error).name === 'ConditionalCheckFailedException') return false;
      throw error;
    }
  }

  async get(specName: string): Promise<DesiredState | undefined> {
    const out = await this.send(`GetItem desired state ${specName}`, () =>
      this.table.get({ TableName: this.tableName, Key: this.key(specName), ConsistentRead: true }),
    );
    return out.Item ? fromItem(out.Item) : undefined;
  }

  async put(state: DesiredSpec): Promise<boolean> {
    const fields: Record<string, unknown> = {
      specName: state.specName,
      spec: state.spec,
      repository: state.repository,
      branch: state.branch,
      path: state.path,
      commitId: state.commitId,
      contentHash: state.contentHash,
      pushedAt: state.pushedAt,
      syncedAt: state.syncedAt,
      ecrRepository: state.spec.triggers?.ecrRepository,
      gsi2pk: DESIRED,
      gsi2sk: state.specName,
      latestRevision: state.latestRevision,
    };
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = {};
    const sets: string[] = [];
    const removes: string[] = [];
    Object.entries(fields).forEach(([field, value], i) => {
      if (value === undefined && field === 'latestRevision') return;
      names[`#f${i}`] = field;
      if (value === undefined) removes.push(`#f${i}`);
      else {
        values[`:v${i}`] = value;
        sets.push(`#f${i} = :v${i}`);
      }
    });
    names['#pushedAt'] = 'pushedAt';
    values[':pushedAt'] = state.pushedAt;
    names['#repository'] = 'repository';
    values[':repository'] = state.repository;
    const expression = [`SET ${sets.join(', ')}`, removes.length ? `REMOVE ${removes.join(', ')}` : ''].filter(Boolean).join(' ');
    return this.conditional(`UpdateItem desired state ${state.specName}`, () =>
      this.table.update({
        TableName: this.tableName,
        Key: this.key(state.specName),
        UpdateExpression: expression,
        // Newer than what is stored, and from the repository that owns the name (if any).
        ConditionExpression:
          'attribute_not_exists(pk) OR ((attribute_not_exists(#pushedAt) OR #pushedAt <= :pushedAt) AND (attribute_not_exists(#repository) OR #repository = :repository))',
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      }),
    );
  }

  async recordImage(specName: string, push: ImagePush): Promise<boolean> {
    return this.conditional(`UpdateItem desired image ${specName}`, () =>
      this.table.update({
        TableName: this.tableName,
        Key: this.key(specName),
        UpdateExpression: 'SET latestRevision = :r, latestImage = :i, imagePushedAt = :t',
        ConditionExpression: 'attribute_exists(pk) AND (attribute_not_exists(imagePushedAt) OR imagePushedAt <= :t)',
        ExpressionAttributeValues: { ':r': push.revision, ':i': push.image, ':t': push.pushedAt },
      }),
    );
  }

  async delete(specName: string, pushedAt?: string): Promise<boolean> {
    return this.conditional(`DeleteItem desired state ${specName}`, () =>
      this.table.delete({
        TableName: this.tableName,
        Key: this.key(specName),
        ...(pushedAt !== undefined
          ? { ConditionExpression: 'attribute_not_exists(pk) OR pushedAt <= :t', ExpressionAttributeValues: { ':t': pushedAt } }
          : {}),
      }),
    );
  }

  private async query(filter?: { expression: string; values: Record<string, unknown> }): Promise<DesiredState[]> {
    const items: Record<string, unknown>[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const out = await this.send('Query desired states', () =>
        this.table.query({
          TableName: this.tableName,
          IndexName: 'recent',
          KeyConditionExpression: 'gsi2pk = :d',
          ExpressionAttributeValues: { ':d': DESIRED, ...(filter?.values ?? {}) },
          ...(filter ? { FilterExpression: filter.expression } : {}),
          ExclusiveStartKey: start,
        }),
      );
      items.push(...(out.Items ?? []));
      start = out.LastEvaluatedKey;
    } while (start);
    return items.map(fromItem);
  }

  list(): Promise<DesiredState[]> {
    return this.query();
  }

  findByEcrRepository(repository: string): Promise<DesiredState[]> {
    return this.query({ expression: 'ecrRepository = :r', values: { ':r': repository } });
  }

  async isLatest(specName: string, revision: string): Promise<boolean> {
    const out = await this.send(`GetItem desired state ${specName}`, () =>
      this.table.get({ TableName: this.tableName, Key: this.key(specName), ConsistentRead: true, ProjectionExpression: 'latestRevision' }),
    );
    const latest = out.Item?.latestRevision as string | undefined;
    return latest === undefined || latest === revision;
  }
}

function fromItem(item: Record<string, unknown>): DesiredState {
  const { pk: _pk, sk: _sk, gsi2pk: _a, gsi2sk: _b, ecrRepository: _e, ...rest } = item;
  return rest as unknown as DesiredState;
}
