import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { MARSHALL_OPTIONS, type DocumentTable } from './document-table';

/**
 * The stores' table through the AWS SDK's DocumentClient: canaryctl (the SDK's whole credential
 * chain for a user's profile) and unit tests that mock the SDK with aws-sdk-client-mock. Not for
 * the Lambda functions: loading this client is most of a cold start (they use the lite table, src/shared/document-table-lite.ts).
 */
export function sdkDocumentTable(client: DynamoDBClient = new DynamoDBClient({})): DocumentTable {
  const doc = DynamoDBDocumentClient.from(client, { marshallOptions: MARSHALL_OPTIONS });
  return {
    async get(input) {
      const out = await doc.send(new GetCommand(input));
      return out.Item ? { Item: out.Item } : {};
    },
    async put(input) {
      await doc.send(new PutCommand(input));
    },
    async update(input) {
      await doc.send(new UpdateCommand(input));
    },
    async delete(input) {
      const out = await doc.send(new DeleteCommand(input));
      return out.Attributes ? { Attributes: out.Attributes } : {};
    },
    async query(input) {
      const out = await doc.send(new QueryCommand(input));
      return { Items: out.Items ?? [], ...(out.LastEvaluatedKey ? { LastEvaluatedKey: out.LastEvaluatedKey } : {}) };
    },
  };
}
