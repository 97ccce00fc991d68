import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DynamoStore } from '../../../src/rollouts/dynamo-store';
import { liteDocumentTable } from '../../../src/shared/document-table-lite';
import { isTransientAwsError, TransientError } from '../../../src/shared/errors';

/**
 * The aws-lite table's wire behaviour against a scripted DynamoDB endpoint on 127.0.0.1: what it
 * sends, how it reads answers, and how DynamoDB's errors reach the stores (names as the SDK's,
 * throttling and 5xx retried then transient, a failed condition not retried). The real engine
 * suite (test/dynamo) proves the conditional writes themselves.
 */
type Answer = { status: number; body?: unknown } | 'hang-up';

const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const credentials = { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: SECRET, sessionToken: 'session-token-example' };

let server: Server;
let endpoint: string;
let answers: Answer[];
let requests: Array<{ headers: IncomingMessage['headers']; body: Record<string, unknown> }>;

beforeAll(async () => {
  server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      requests.push({ headers: req.headers, body: JSON.parse(Buffer.concat(chunks).toString() || '{}') as Record<string, unknown> });
      const answer = answers.shift() ?? { status: 200, body: {} };
      if (answer === 'hang-up') {
        req.socket.destroy();
        return;
      }
      res.writeHead(answer.status, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': `req-${requests.length}` });
      res.end(JSON.stringify(answer.body ?? {}));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});
beforeEach(() => {
  answers = [];
  requests = [];
});

const table = (retries = 2) => liteDocumentTable({ endpoint, region: 'eu-west-1', credentials, retries });
const dynamoError = (type: string, message: string): Answer => ({ status: 400, body: { __type: `com.amazonaws.dynamodb.v20120810#${type}`, message } });

/** A class instance, as records sometimes carry: written as a map (convertClassInstanceToMap). */
class Point {
  constructor(
    readonly x: number,
    readonly y: number,
  ) {}
}

describe('liteDocumentTable', () => {
  it('speaks DynamoDB JSON 1.0, signed for dynamodb in the region, with items marshalled and undefined fields dropped', async () => {
    await table().put({ TableName: 't', Item: { pk: 'a', sk: 'b', n: 3, flag: true, list: ['x'], at: new Point(1, 2), gone: undefined }, ConditionExpression: 'attribute_not_exists(pk)' });

    const [request] = requests;
    expect(request!.headers['x-amz-target']).toBe('DynamoDB_20120810.PutItem');
    expect(request!.headers['content-type']).toBe('application/x-amz-json-1.0');
    expect(request!.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE\/\d{8}\/eu-west-1\/dynamodb\/aws4_request, SignedHeaders=.*x-amz-target.*, Signature=[0-9a-f]{64}$/);
    expect(request!.headers['x-amz-security-token']).toBe('session-token-example');
    expect(request!.body).toEqual({
      TableName: 't',
      Item: { pk: { S: 'a' }, sk: { S: 'b' }, n: { N: '3' }, flag: { BOOL: true }, list: { L: [{ S: 'x' }] }, at: { M: { x: { N: '1' }, y: { N: '2' } } } },
      ConditionExpression: 'attribute_not_exists(pk)',
    });
  });

  it('reads items, pages and deleted attributes back as native values', async () => {
    answers = [
      { status: 200, body: { Item: { pk: { S: 'a' }, n: { N: '7' }, m: { M: { k: { SS: ['p', 'q'] } } } } } },
      { status: 200, body: {} },
      { status: 200, body: { Items: [{ pk: { S: 'a' } }, { pk: { S: 'b' } }], Count: 2, ScannedCount: 2, LastEvaluatedKey: { pk: { S: 'b' }, sk: { S: 'META' } } } },
      { status: 200, body: { Attributes: { pk: { S: 'a' }, rolloutId: { S: 'r1' } } } },
    ];
    const t = table();

    const found = await t.get({ TableName: 't', Key: { pk: 'a', sk: 'META' }, ConsistentRead: true });
    const missing = await t.get({ TableName: 't', Key: { pk: 'z', sk: 'META' } });
    const page = await t.query({ TableName: 't', KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': 'a' }, ExclusiveStartKey: { pk: 'a', sk: 'A' } });
    const deleted = await t.delete({ TableName: 't', Key: { pk: 'a', sk: 'LOCK' }, ReturnValues: 'ALL_OLD' });

    expect(found).toEqual({ Item: { pk: 'a', n: 7, m: { k: new Set(['p', 'q']) } } });
    expect(missing).toEqual({});
    expect(page).toEqual({ Items: [{ pk: 'a' }, { pk: 'b' }], LastEvaluatedKey: { pk: 'b', sk: 'META' } });
    expect(deleted).toEqual({ Attributes: { pk: 'a', rolloutId: 'r1' } });
    expect(requests[0]!.body).toEqual({ TableName: 't', Key: { pk: { S: 'a' }, sk: { S: 'META' } }, ConsistentRead: true });
    expect(requests[2]!.body).toMatchObject({ ExpressionAttributeValues: { ':p': { S: 'a' } }, ExclusiveStartKey: { pk: { S: 'a' }, sk: { S: 'A' } } });
  });

  it('names a failed condition as the SDK does and does not retry it', async () => {
    answers = [dynamoError('ConditionalCheckFailedException', 'The conditional request failed')];

    const error = (await table().put({ TableName: 't', Item: { pk: 'a' }, ConditionExpression: 'attribute_not_exists(pk)' }).catch((e: unknown) => e)) as Error & {
      $metadata: { httpStatusCode: number; requestId: string };
    };

    expect(error.name).toBe('ConditionalCheckFailedException');
    expect(error.message).toBe('The conditional request failed');
    expect(error.$metadata).toEqual({ httpStatusCode: 400, requestId: 'req-1' });
    expect(isTransientAwsError(error)).toBe(false);
    expect(requests).toHaveLength(1);
  });

  it('retries throttling and 5xx inside the call, and succeeds when DynamoDB recovers', async () => {
    answers = [dynamoError('ProvisionedThroughputExceededException', 'Rate of requests exceeds the allowed throughput'), { status: 500, body: { __type: 'com.amazon.coral.availability#InternalFailure' } }, { status: 200, body: { Item: { pk: { S: 'a' } } } }];

    expect(await table().get({ TableName: 't', Key: { pk: 'a' } })).toEqual({ Item: { pk: 'a' } });
    expect(requests).toHaveLength(3);
  });

  it('gives up after its retries with an error the stores turn into a TransientError naming what they did', async () => {
    answers = Array.from({ length: 3 }, () => dynamoError('ProvisionedThroughputExceededException', 'Rate of requests exceeds the allowed throughput'));
    const store = new DynamoStore('t', table());

    const error = await store.getLock('appmesh:m/r/route').catch((e: unknown) => e);

    expect(requests).toHaveLength(3);
    expect(error).toBeInstanceOf(TransientError);
    expect((error as Error).message).toBe('GetItem lock appmesh:m/r/route: ProvisionedThroughputExceededException: Rate of requests exceeds the allowed throughput');
  });

  it('reports a 5xx without an error type as transient, by its status', async () => {
    answers = [{ status: 503, body: {} }];

    const error = await table(0).get({ TableName: 't', Key: { pk: 'a' } }).catch((e: unknown) => e);

    expect(error).toMatchObject({ name: 'DynamoDB503', $metadata: { httpStatusCode: 503 } });
    expect(isTransientAwsError(error)).toBe(true);
  });

  it('reports a connection lost mid-call as a transient network error, without credentials in it', async () => {
    answers = ['hang-up'];

    const error = (await table(0).update({ TableName: 't', Key: { pk: 'a' }, UpdateExpression: 'SET n = :n', ExpressionAttributeValues: { ':n': 1 } }).catch((e: unknown) => e)) as Error;

    expect(error.name).toBe('ECONNRESET');
    expect(error.message).toBe('DynamoDB UpdateItem: socket hang up');
    expect(isTransientAwsError(error)).toBe(true);
    expect(JSON.stringify({ ...error, message: error.message, stack: error.stack })).not.toContain(SECRET);
  });

  it('reports an endpoint that refuses connections as transient, after retrying it', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));

    const error = (await liteDocumentTable({ endpoint: `http://127.0.0.1:${port}`, region: 'eu-west-1', credentials, retries: 1 })
      .get({ TableName: 't', Key: { pk: 'a' } })
      .catch((e: unknown) => e)) as Error;

    expect(error.name).toBe('ECONNREFUSED');
    expect(isTransientAwsError(error)).toBe(true);
  });
});
