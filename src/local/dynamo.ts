import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { DynamoStore } from '../rollouts/dynamo-store';
import type { DocumentTable } from '../shared/document-table';
import { liteDocumentTable } from '../shared/document-table-lite';
import { sdkDocumentTable } from '../shared/document-table-sdk';

/**
 * A real DynamoDB engine in this process: dynalite (LevelDB in memory) on 127.0.0.1, port 0.
 * It evaluates ConditionExpressions, which aws-sdk-client-mock cannot: the store tests and the
 * local runner's `--store dynamo` run the real DynamoDB adapter on it. Close it when done.
 */
export interface LocalDynamo {
  /** An SDK client of the engine (tables are created with it). */
  client: DynamoDBClient;
  /** Where the engine listens (http://127.0.0.1:<port>). */
  endpoint: string;
  /** The engine as the stores reach it: through the lite table (what the functions use) or the AWS SDK (canaryctl). */
  table(via: TableClient): DocumentTable;
  /** Creates a table with the layout of serverless.yml's RolloutTable (pk/sk, GSIs bySpec and recent). */
  createTable(name: string): Promise<void>;
  close(): Promise<void>;
}

/** The two ways the stores reach DynamoDB (src/shared/document-table.ts). */
export type TableClient = 'lite' | 'sdk';

export async function startDynalite(): Promise<LocalDynamo> {
  // dynalite ships no types.
  const dynalite = require('dynalite') as (options: Record<string, unknown>) => Server;
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const credentials = { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'local' };
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials,
    // Races put many requests in flight at once; the default agent would queue them.
    maxAttempts: 1,
  });
  return {
    client,
    endpoint,
    // No retries for either, as the SDK client above: a race's outcome must not depend on a retry.
    table: (via) => (via === 'sdk' ? sdkDocumentTable(client) : liteDocumentTable({ endpoint, region: 'us-east-1', credentials, retries: 0 })),
    async createTable(name) {
      const gsi = (IndexName: string, hash: string, range: string) => ({
        IndexName,
        KeySchema: [
          { AttributeName: hash, KeyType: 'HASH' as const },
          { AttributeName: range, KeyType: 'RANGE' as const },
        ],
        Projection: { ProjectionType: 'ALL' as const },
      });
      await client.send(
        new CreateTableCommand({
          TableName: name,
          BillingMode: 'PAY_PER_REQUEST',
          AttributeDefinitions: ['pk', 'sk', 'gsi1pk', 'gsi1sk', 'gsi2pk', 'gsi2sk'].map((AttributeName) => ({ AttributeName, AttributeType: 'S' as const })),
          KeySchema: [
            { AttributeName: 'pk', KeyType: 'HASH' },
            { AttributeName: 'sk', KeyType: 'RANGE' },
          ],
          GlobalSecondaryIndexes: [gsi('bySpec', 'gsi1pk', 'gsi1sk'), gsi('recent', 'gsi2pk', 'gsi2sk')],
        }),
      );
    },
    async close() {
      client.destroy();
      await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
    },
  };
}

/** The local runner's `--store dynamo`: the real DynamoStore, through the lite table as in the functions, on a fresh in-process engine. */
export async function startLocalDynamoStore(): Promise<{ store: DynamoStore; close(): Promise<void> }> {
  const dynamo = await startDynalite();
  try {
    await dynamo.createTable('canary-rollouts-local');
  } catch (error) {
    await dynamo.close();
    throw error;
  }
  return { store: new DynamoStore('canary-rollouts-local', dynamo.table('lite')), close: () => dynamo.close() };
}
