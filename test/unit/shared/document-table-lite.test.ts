import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { crc32 } from 'node:zlib';
import { DynamoStore } from '../../../src/rollouts/dynamo-store';
import { createServer as createTcpServer } from 'node:net';
import { SignatureV4 } from '@smithy/signature-v4';
import { Sha256 } from '@aws-crypto/sha256-js';
import { dynamoEndpoint } from '../../../src/shared/aws-endpoint';
import { liteDocumentTable, tableTarget } from '../../../src/shared/document-table-lite';
import { isThrottlingAwsError, isTransientAwsError, TransientError } from '../../../src/shared/errors';

/**
 * The lite table's wire behaviour against a scripted DynamoDB endpoint on 127.0.0.1: what it
 * sends, how it reads answers, and how DynamoDB's errors reach the stores (names as the SDK's,
 * throttling and 5xx retried then transient, a failed condition not retried). The real engine
 * suite (test/dynamo) proves the conditional writes themselves.
 */
/** A scripted answer: JSON (`body`), raw text with a content type, cut mid-body, never given, or the connection dropped. */
type Answer = { status: number; body?: unknown; raw?: string; contentType?: string; crc32?: string; errorType?: string } | 'hang-up' | 'cut-mid-body' | 'silent';

const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const credentials = { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: SECRET, sessionToken: 'session-token-example' };

let server: Server;
let endpoint: string;
let answers: Answer[];
let requests: Array<{ headers: IncomingMessage['headers']; body: Record<string, unknown>; raw: string; path: string }>;

beforeAll(async () => {
  server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      requests.push({ headers: req.headers, body: JSON.parse(Buffer.concat(chunks).toString() || '{}') as Record<string, unknown>, raw: Buffer.concat(chunks).toString(), path: req.url ?? '' });
      const answer = answers.shift() ?? { status: 200, body: {} };
      if (answer === 'silent') return;
      if (answer === 'hang-up') {
        req.socket.destroy();
        return;
      }
      if (answer === 'cut-mid-body') {
        res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0', 'content-length': '400' });
        res.write('{"Item":{"pk":{"S":"a"}');
        setImmediate(() => req.socket.destroy());
        return;
      }
      const text = answer.raw ?? JSON.stringify(answer.body ?? {});
      res.writeHead(answer.status, {
        'content-type': answer.contentType ?? 'application/x-amz-json-1.0',
        'x-amzn-requestid': `req-${requests.length}`,
        // DynamoDB's checksum of the body, as dynalite and DynamoDB send it.
        'x-amz-crc32': answer.crc32 ?? String(crc32(Buffer.from(text))),
        ...(answer.errorType ? { 'x-amzn-errortype': answer.errorType } : {}),
      });
      res.end(text);
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
    // A throttle: it backed off on the long base.
    expect(isThrottlingAwsError((error as Error).cause)).toBe(true);
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
    expect(requests).toHaveLength(1);
    expect(isTransientAwsError(error)).toBe(true);
    // The session token is sent with every request: it must not come back in what is logged.
    expect(JSON.stringify({ ...error, message: error.message, stack: error.stack })).not.toContain(credentials.sessionToken);
  });

  it('reports an endpoint that refuses connections as transient', async () => {
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

  it("retries a gateway's non-JSON 5xx and reports it, by its status, as transient when it persists", async () => {
    answers = [{ status: 502, raw: '<html>Bad Gateway</html>', contentType: 'text/html' }, { status: 502, raw: '<html>Bad Gateway</html>', contentType: 'text/html' }];

    const error = await table(1).get({ TableName: 't', Key: { pk: 'a' } }).catch((e: unknown) => e);

    expect(requests).toHaveLength(2);
    expect(error).toMatchObject({ name: 'DynamoDB502', message: 'HTTP 502 (not JSON)', $metadata: { httpStatusCode: 502 } });
    expect(isTransientAwsError(error)).toBe(true);
  });

  it('treats a 200 whose body is not JSON, or fails its CRC32, as a transient fault and retries it', async () => {
    answers = [{ status: 200, raw: '<html>captive portal</html>', contentType: 'text/html' }, { status: 200, body: { Item: { pk: { S: 'a' } } }, crc32: '12345' }, { status: 200, body: { Item: { pk: { S: 'a' } } } }];

    const found = await table(2).get({ TableName: 't', Key: { pk: 'a' } });
    answers = [{ status: 200, body: {}, crc32: '1' }];
    const corrupted = await table(0).get({ TableName: 't', Key: { pk: 'a' } }).catch((e: unknown) => e);

    expect(found).toEqual({ Item: { pk: 'a' } });
    expect(requests).toHaveLength(4);
    expect(corrupted).toMatchObject({ name: 'CRC32CheckFailed' });
    expect(isTransientAwsError(corrupted)).toBe(true);
    // Transient, but not a throttle: it backs off on the short base.
    expect(isThrottlingAwsError(corrupted)).toBe(false);
  });

  it('reports an answer cut mid-body as a transient network error instead of waiting forever', async () => {
    answers = ['cut-mid-body'];

    const error = await table(0).get({ TableName: 't', Key: { pk: 'a' } }).catch((e: unknown) => e);

    expect(error).toMatchObject({ name: 'ECONNRESET' });
    expect(isTransientAwsError(error)).toBe(true);
  });

  it('gives up an attempt that gets no answer within its limit, as a transient TimeoutError', async () => {
    answers = ['silent'];

    const error = await liteDocumentTable({ endpoint, region: 'eu-west-1', credentials, retries: 0, attemptTimeoutMs: 50 })
      .get({ TableName: 't', Key: { pk: 'a' } })
      .catch((e: unknown) => e);

    expect(error).toMatchObject({ name: 'TimeoutError', message: 'DynamoDB GetItem: no whole answer within 50 ms' });
    expect(isTransientAwsError(error)).toBe(true);
  });

  it('signs as the AWS SDK does: the same Authorization for the same request, time and credentials', async () => {
    await table().get({ TableName: 't', Key: { pk: 'é' }, ConsistentRead: true });
    const [request] = requests;
    const amzDate = String(request!.headers['x-amz-date']);
    const signedHeaders = /SignedHeaders=([^,]+)/.exec(String(request!.headers.authorization))![1]!.split(';');
    const headers = Object.fromEntries(signedHeaders.map((h) => [h, String(request!.headers[h])]));
    const at = new Date(`${amzDate.slice(0, 4)}-${amzDate.slice(4, 6)}-${amzDate.slice(6, 8)}T${amzDate.slice(9, 11)}:${amzDate.slice(11, 13)}:${amzDate.slice(13, 15)}Z`);
    const signer = new SignatureV4({ service: 'dynamodb', region: 'eu-west-1', credentials, sha256: Sha256, applyChecksum: false });

    const expected = await signer.sign(
      { method: 'POST', protocol: 'http:', hostname: '127.0.0.1', port: Number(new URL(endpoint).port), path: request!.path, headers, body: request!.raw },
      { signingDate: at },
    );

    expect(request!.headers.authorization).toBe(expected.headers.authorization);
  });

  it('treats a 429 without a type as a throttle, and reads the type from x-amzn-errortype or a suffixed __type', async () => {
    answers = [{ status: 429, raw: 'Too Many Requests', contentType: 'text/plain' }, { status: 400, body: { message: 'bad key' }, errorType: 'ValidationException:http://internal.amazon.com/coral/' }];

    const validation = await table(1).get({ TableName: 't', Key: { pk: 'a' } }).catch((e: unknown) => e);
    answers = [{ status: 400, body: { __type: 'com.amazonaws.dynamodb.v20120810#ResourceNotFoundException:extra', message: 'Requested resource not found' } }];
    const missing = await table(0).get({ TableName: 't', Key: { pk: 'a' } }).catch((e: unknown) => e);

    expect(requests).toHaveLength(3);
    expect(validation).toMatchObject({ name: 'ValidationException', message: 'bad key' });
    expect(isThrottlingAwsError(validation)).toBe(false);
    expect(missing).toMatchObject({ name: 'ResourceNotFoundException', message: 'Requested resource not found' });
    expect(isTransientAwsError(missing)).toBe(false);
  });

  it('does not retry a 4xx a gateway answered in HTML', async () => {
    answers = [{ status: 413, raw: '<html>Request Entity Too Large</html>', contentType: 'text/html' }];

    const error = await table().put({ TableName: 't', Item: { pk: 'a' } }).catch((e: unknown) => e);

    expect(requests).toHaveLength(1);
    expect(error).toMatchObject({ name: 'DynamoDB413', $metadata: { httpStatusCode: 413 } });
    expect(isTransientAwsError(error)).toBe(false);
  });

  it('does not retry an answer that is not HTTP (a configuration fault, not a passing one)', async () => {
    const sockets: import('node:net').Socket[] = [];
    const junk = createTcpServer((socket) => {
      sockets.push(socket);
      socket.end('NOT-HTTP garbage\r\n\r\n');
    });
    await new Promise<void>((resolve) => junk.listen(0, '127.0.0.1', resolve));
    const port = (junk.address() as AddressInfo).port;

    const error = await liteDocumentTable({ endpoint: `http://127.0.0.1:${port}`, region: 'eu-west-1', credentials })
      .get({ TableName: 't', Key: { pk: 'a' } })
      .catch((e: unknown) => e);
    const connections = sockets.length;
    sockets.forEach((socket) => socket.destroy());
    await new Promise<void>((resolve) => junk.close(() => resolve()));

    expect((error as Error).name).toMatch(/^HPE_/);
    expect(isTransientAwsError(error)).toBe(false);
    expect(connections).toBe(1);
  });

  it('reaches an IPv6 endpoint', async () => {
    const v6 = createServer((req, res) => {
      req.resume();
      req.on('end', () => res.end('{}'));
    });
    await new Promise<void>((resolve) => v6.listen(0, '::1', resolve));
    const port = (v6.address() as AddressInfo).port;

    const out = await liteDocumentTable({ endpoint: `http://[::1]:${port}`, region: 'eu-west-1', credentials, retries: 0 }).get({ TableName: 't', Key: { pk: 'a' } });
    v6.closeAllConnections();
    await new Promise<void>((resolve) => v6.close(() => resolve()));

    expect(out).toEqual({});
  });
});

describe('tableTarget: where the table sends its requests, as the SDK resolves it', () => {
  it('is DynamoDB in the region, with FIPS and dual-stack from the environment', () => {
    expect(tableTarget({}, { AWS_REGION: 'ca-west-1' })).toEqual({ url: new URL('https://dynamodb.ca-west-1.amazonaws.com'), region: 'ca-west-1' });
    expect(tableTarget({}, { AWS_DEFAULT_REGION: 'cn-north-1', AWS_USE_DUALSTACK_ENDPOINT: 'true' }).url.href).toBe('https://dynamodb.cn-north-1.api.amazonwebservices.com.cn/');
    expect(tableTarget({}, { AWS_REGION: 'us-east-1', AWS_USE_FIPS_ENDPOINT: 'true' }).url.href).toBe('https://dynamodb-fips.us-east-1.amazonaws.com/');
  });

  it('takes the configured endpoint URLs unless told to ignore them, and signs DynamoDB Local for us-east-1', () => {
    expect(tableTarget({}, { AWS_REGION: 'eu-west-1', AWS_ENDPOINT_URL: 'http://10.0.0.1:8000', AWS_ENDPOINT_URL_DYNAMODB: 'http://10.0.0.2:8000' }).url.href).toBe('http://10.0.0.2:8000/');
    expect(tableTarget({}, { AWS_REGION: 'eu-west-1', AWS_ENDPOINT_URL: 'http://10.0.0.1:8000' }).url.href).toBe('http://10.0.0.1:8000/');
    expect(tableTarget({}, { AWS_REGION: 'eu-west-1', AWS_ENDPOINT_URL_DYNAMODB: 'http://10.0.0.2:8000', AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: 'true' }).url.href).toBe('https://dynamodb.eu-west-1.amazonaws.com/');
    expect(tableTarget({}, { AWS_REGION: 'local' })).toEqual({ url: new URL('http://localhost:8000'), region: 'us-east-1' });
  });

  it('refuses FIPS or dual-stack with a custom endpoint, and a flag that is not true or false, naming it', () => {
    expect(() => tableTarget({ endpoint: 'http://10.0.0.2:8000' }, { AWS_REGION: 'eu-west-1', AWS_USE_FIPS_ENDPOINT: 'true' })).toThrow(/FIPS and Dualstack are not supported with a custom DynamoDB endpoint/);
    expect(() => tableTarget({}, { AWS_REGION: 'eu-west-1', AWS_USE_FIPS_ENDPOINT: 'yes' })).toThrow('AWS_USE_FIPS_ENDPOINT must be "true" or "false" (it is "yes")');
  });
});

describe('liteDocumentTable in a Lambda environment', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  it('signs with the role credentials and region Lambda puts in the environment, and honours AWS_ENDPOINT_URL_DYNAMODB', async () => {
    Object.assign(process.env, {
      AWS_REGION: 'ca-west-1',
      AWS_ACCESS_KEY_ID: 'ASIAENVIRONMENTKEY00',
      AWS_SECRET_ACCESS_KEY: SECRET,
      AWS_SESSION_TOKEN: 'role-session-token',
      AWS_ENDPOINT_URL_DYNAMODB: endpoint,
    });

    await liteDocumentTable().get({ TableName: 't', Key: { pk: 'a' } });

    expect(requests[0]!.headers.authorization).toMatch(/Credential=ASIAENVIRONMENTKEY00\/\d{8}\/ca-west-1\/dynamodb\/aws4_request/);
    expect(requests[0]!.headers['x-amz-security-token']).toBe('role-session-token');
  });

  it('names what is missing when the environment has no credentials or no region', async () => {
    delete process.env.AWS_ACCESS_KEY_ID;
    delete process.env.AWS_SECRET_ACCESS_KEY;
    process.env.AWS_REGION = 'eu-west-1';
    await expect(liteDocumentTable().get({ TableName: 't', Key: { pk: 'a' } })).rejects.toThrow(/AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set/);

    delete process.env.AWS_REGION;
    delete process.env.AWS_DEFAULT_REGION;
    await expect(liteDocumentTable({ credentials }).get({ TableName: 't', Key: { pk: 'a' } })).rejects.toThrow(/no AWS region/);
    expect(requests).toHaveLength(0);
  });
});

describe('dynamoEndpoint (botocore endpoint-rule-set-1.json and partitions.json)', () => {
  it.each([
    ['us-east-1', {}, 'https://dynamodb.us-east-1.amazonaws.com'],
    ['ca-west-1', {}, 'https://dynamodb.ca-west-1.amazonaws.com'],
    ['ap-southeast-7', {}, 'https://dynamodb.ap-southeast-7.amazonaws.com'],
    ['mx-central-1', {}, 'https://dynamodb.mx-central-1.amazonaws.com'],
    ['cn-north-1', {}, 'https://dynamodb.cn-north-1.amazonaws.com.cn'],
    ['eusc-de-east-1', {}, 'https://dynamodb.eusc-de-east-1.amazonaws.eu'],
    ['us-iso-east-1', {}, 'https://dynamodb.us-iso-east-1.c2s.ic.gov'],
    ['eu-west-1', { fips: true }, 'https://dynamodb-fips.eu-west-1.amazonaws.com'],
    ['us-gov-west-1', { fips: true }, 'https://dynamodb.us-gov-west-1.amazonaws.com'],
    ['us-gov-west-1', { fips: true, dualStack: true }, 'https://dynamodb-fips.us-gov-west-1.api.aws'],
    ['eu-west-1', { dualStack: true }, 'https://dynamodb.eu-west-1.api.aws'],
    ['cn-northwest-1', { dualStack: true }, 'https://dynamodb.cn-northwest-1.api.amazonwebservices.com.cn'],
    ['local', {}, 'http://localhost:8000'],
  ])('%s %j → %s', (region, variants, expected) => {
    expect(dynamoEndpoint(region, variants)).toBe(expected);
  });

  it('refuses no region', () => {
    expect(() => dynamoEndpoint('')).toThrow(/no AWS region/);
  });
});
