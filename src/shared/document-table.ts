import type { DeleteCommandInput, GetCommandInput, PutCommandInput, QueryCommandInput, UpdateCommandInput } from '@aws-sdk/lib-dynamodb';

/** An item as the stores read and write it: native JavaScript values, not DynamoDB AttributeValues. */
export type Item = Record<string, unknown>;

/**
 * The five DynamoDB item operations the controller's stores use, with native values in and out
 * (the inputs are lib-dynamodb's). Two implementations: `liteDocumentTable` (DynamoDB's JSON protocol
 * signed by `aws4`, what the Lambda functions use: its module init is a fraction of the SDK client's, see bench §3) and
 * `sdkDocumentTable` (the AWS SDK, for canaryctl and tests that mock the SDK). Both marshal with
 * `@aws-sdk/util-dynamodb` and the same options, and the DynamoDB engine suite runs the stores on
 * each. Errors keep DynamoDB's names (`ConditionalCheckFailedException`, throttling) so callers
 * and `classifyAwsError` treat them alike.
 */
export interface DocumentTable {
  get(input: GetCommandInput): Promise<{ Item?: Item }>;
  put(input: PutCommandInput): Promise<void>;
  update(input: UpdateCommandInput): Promise<void>;
  delete(input: DeleteCommandInput): Promise<{ Attributes?: Item }>;
  query(input: QueryCommandInput): Promise<{ Items: Item[]; LastEvaluatedKey?: Item }>;
}

/** What both implementations marshal with (as the stores' DocumentClient did). */
export const MARSHALL_OPTIONS = { removeUndefinedValues: true, convertClassInstanceToMap: true } as const;
