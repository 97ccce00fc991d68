import awsLite from '@aws-lite/client';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { MARSHALL_OPTIONS, type DocumentTable, type Item } from './document-table';

export interface LiteTableOptions {
  /**
   * A DynamoDB-compatible endpoint (e.g. a local engine, `http://127.0.0.1:8000`). Default: as the
   * AWS SDK, `AWS_ENDPOINT_URL_DYNAMODB`, then `AWS_ENDPOINT_URL`, then DynamoDB in the region.
   */
  endpoint?: string;
  /** Default: AWS_REGION. */
  region?: string;
  /** Default: the environment (a Lambda function's role), then the profile files. */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** Retries of throttled, 5xx and network failures inside one call (backoff with jitter). Default 2: 3 attempts, as the SDK. */
  retries?: number;
}

/**
 * The stores' table through aws-lite (SigV4 by `aws4`, Node's https with keep-alive): what the
 * Lambda functions use. Its module init is a few ms where the SDK's DynamoDB client takes
 * ~110 ms (bench §3), and every function reads or writes the table, so that was most of each cold
 * start. Items are marshalled with `@aws-sdk/util-dynamodb` and the same options as the SDK table.
 */
export function liteDocumentTable(options: LiteTableOptions = {}): DocumentTable {
  let client: ReturnType<typeof awsLite> | undefined;
  const connect = () => {
    const endpoint = options.endpoint ?? (process.env.AWS_ENDPOINT_URL_DYNAMODB || process.env.AWS_ENDPOINT_URL || undefined);
    client ??= awsLite({
      ...(endpoint ? { endpoint } : {}),
      ...(options.region ? { region: options.region } : {}),
      ...(options.credentials ?? {}),
      retries: options.retries ?? 2,
      // Raw JSON: the items are unmarshalled here, per field (aws-lite would try the whole answer).
      responseContentType: 'application/json',
    }).catch((error: unknown) => {
      client = undefined;
      throw error;
    });
    return client;
  };

  async function call(action: string, payload: Record<string, unknown>): Promise<Record<string, unknown>> {
    const aws = await connect();
    try {
      const out = await aws({
        service: 'dynamodb',
        headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': `DynamoDB_20120810.${action}` },
        payload: dropUndefined(payload),
        awsjson: false,
      });
      return (out.payload ?? {}) as Record<string, unknown>;
    } catch (error) {
      throw dynamoError(action, error);
    }
  }

  const toItem = (values: unknown): Item | undefined =>
    values && typeof values === 'object' ? (marshall(values as Item, MARSHALL_OPTIONS) as Item) : undefined;
  const fromItem = (values: unknown): Item | undefined =>
    values && typeof values === 'object' ? (unmarshall(values as Parameters<typeof unmarshall>[0]) as Item) : undefined;

  return {
    async get(input) {
      const out = await call('GetItem', { ...input, Key: toItem(input.Key) });
      const item = fromItem(out.Item);
      return item ? { Item: item } : {};
    },
    async put(input) {
      await call('PutItem', { ...input, Item: toItem(input.Item), ExpressionAttributeValues: toItem(input.ExpressionAttributeValues) });
    },
    async update(input) {
      await call('UpdateItem', { ...input, Key: toItem(input.Key), ExpressionAttributeValues: toItem(input.ExpressionAttributeValues) });
    },
    async delete(input) {
      const out = await call('DeleteItem', { ...input, Key: toItem(input.Key), ExpressionAttributeValues: toItem(input.ExpressionAttributeValues) });
      const attributes = fromItem(out.Attributes);
      return attributes ? { Attributes: attributes } : {};
    },
    async query(input) {
      const out = await call('Query', {
        ...input,
        ExpressionAttributeValues: toItem(input.ExpressionAttributeValues),
        ExclusiveStartKey: toItem(input.ExclusiveStartKey),
      });
      const items = Array.isArray(out.Items) ? out.Items.map((i) => fromItem(i) ?? {}) : [];
      const last = fromItem(out.LastEvaluatedKey);
      return { Items: items, ...(last ? { LastEvaluatedKey: last } : {}) };
    },
  };
}

function dropUndefined(payload: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(payload).filter(([, v]) => v !== undefined));
}

/** The code of a network failure, which aws-lite reports in its message only (Node says "socket hang up" for ECONNRESET). */
function networkCode(message: string): string {
  if (/socket hang up/i.test(message)) return 'ECONNRESET';
  return /\b(E[A-Z_]{3,})\b/.exec(message)?.[1] ?? 'NetworkingError';
}

/**
 * aws-lite's error as the SDK would name it: `name` is DynamoDB's error type without its namespace
 * (`com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException` → `ConditionalCheckFailedException`),
 * `$metadata.httpStatusCode` set, and a network failure marked retryable, so `classifyAwsError`
 * and the stores' condition checks read it as they read the SDK's.
 */
export function dynamoError(action: string, error: unknown): Error {
  if (!(error instanceof Error)) return new Error(`DynamoDB ${action}: ${String(error)}`);
  const e = error as Error & { __type?: unknown; statusCode?: unknown; headers?: Record<string, string>; rawStack?: unknown };
  const message = e.message.replace(/^@aws-lite\/client: dynamodb(\.\w+)?: /, '');
  const type = typeof e.__type === 'string' ? e.__type.split('#').pop() : undefined;
  const status = typeof e.statusCode === 'number' ? e.statusCode : undefined;
  if (!type && status === undefined) {
    // aws-lite tags a failed request (no answer) with the transport's stack; anything else is not DynamoDB's.
    if (e.rawStack === undefined) return error;
    const code = networkCode(message);
    return Object.assign(new Error(`DynamoDB ${action}: ${message}`), { name: code, code, $retryable: {} });
  }
  const out = new Error(message) as Error & { $metadata: { httpStatusCode?: number; requestId?: string } };
  out.name = type ?? `DynamoDB${status}`;
  out.$metadata = { httpStatusCode: status, requestId: e.headers?.['x-amzn-requestid'] };
  return out;
}
