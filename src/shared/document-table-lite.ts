import { sign } from 'aws4';
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { crc32 } from 'node:zlib';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { dynamoEndpoint, envFlag } from './aws-endpoint';
import { MARSHALL_OPTIONS, type DocumentTable, type Item } from './document-table';
import { isThrottlingAwsError, isTransientAwsError } from './errors';

export interface LiteTableOptions {
  /**
   * A DynamoDB-compatible endpoint (e.g. a local engine, `http://127.0.0.1:8000`). Default: as the
   * AWS SDK, `AWS_ENDPOINT_URL_DYNAMODB`, then `AWS_ENDPOINT_URL`, then DynamoDB in the region
   * (with `AWS_USE_FIPS_ENDPOINT` / `AWS_USE_DUALSTACK_ENDPOINT`).
   */
  endpoint?: string;
  /** Default: AWS_REGION, then AWS_DEFAULT_REGION. */
  region?: string;
  /** Default: the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN), as Lambda gives a function its role. */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /**
   * Retries of throttled, 5xx, garbled and network failures inside one call. Default 3 (4
   * attempts, the SDK's default for DynamoDB); full jitter on 100 ms × 2^n, on 1 s × 2^n after a
   * throttle (the SDK's throttling delay), at most 20 s.
   */
  retries?: number;
  /** One attempt's limit, from sending to the whole answer read. Default 5,000 ms (DynamoDB answers in milliseconds). */
  attemptTimeoutMs?: number;
}

/** Keep-alive sockets shared by every table of the process (a Lambda reuses them across invocations). */
const agents = { http: new HttpAgent({ keepAlive: true }), https: new HttpsAgent({ keepAlive: true }) };

/**
 * The stores' table as the Lambda functions reach it: DynamoDB's JSON protocol over Node's https,
 * signed with SigV4 by `aws4`. The AWS SDK's DynamoDB client was ~110 ms of each function's
 * ~140 ms cold module init (every function reads the table); this module loads in a few ms.
 * What the SDK does and the stores rely on is done here too, and tested
 * (test/unit/shared/document-table-lite.test.ts): the SDK's endpoint rules for every partition,
 * retries with full-jitter backoff of what `isTransientAwsError` calls transient, a time limit per
 * attempt, the answer's CRC32 checked, and DynamoDB's error names kept. canaryctl keeps the SDK
 * (`sdkDocumentTable`): a user's machine needs its whole credential chain.
 */
export function liteDocumentTable(options: LiteTableOptions = {}): DocumentTable {
  const retries = options.retries ?? 3;
  const attemptTimeoutMs = options.attemptTimeoutMs ?? 5000;
  let target: TableTarget | undefined;
  // Resolved on first use: a module that constructs a store never fails at import.
  const resolve = () => (target ??= tableTarget(options, process.env));
  const credentials = () => {
    if (options.credentials) return options.credentials;
    const { AWS_ACCESS_KEY_ID: accessKeyId, AWS_SECRET_ACCESS_KEY: secretAccessKey, AWS_SESSION_TOKEN: sessionToken } = process.env;
    if (!accessKeyId || !secretAccessKey) throw new Error('no AWS credentials for DynamoDB: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set (Lambda sets them from the function role)');
    return { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) };
  };

  async function call(action: string, payload: Record<string, unknown>): Promise<Record<string, unknown>> {
    const body = JSON.stringify(payload);
    for (let attempt = 0; ; attempt++) {
      try {
        return await attemptOnce(resolve(), credentials(), action, body, attemptTimeoutMs);
      } catch (error) {
        if (attempt >= retries || !isTransientAwsError(error)) throw error;
        // Full jitter (the SDK's standard retry strategy): a throttle backs off ten times longer.
        const base = isThrottlingAwsError(error) ? 1000 : 100;
        await new Promise((done) => setTimeout(done, Math.random() * Math.min(20_000, base * 2 ** attempt)));
      }
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

/** Where the table's requests go, and the region they are signed for. */
export interface TableTarget {
  url: URL;
  region: string;
}

/**
 * The endpoint and signing region, as the SDK resolves them: the option, else
 * `AWS_ENDPOINT_URL_DYNAMODB` then `AWS_ENDPOINT_URL` (unless `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS`),
 * else DynamoDB's endpoint for the region with `AWS_USE_FIPS_ENDPOINT` / `AWS_USE_DUALSTACK_ENDPOINT`
 * (which a custom endpoint refuses, as the rule set does). Region `local` is DynamoDB Local, signed
 * for us-east-1 as the SDK signs it (DynamoDB Local keeps one database per key and region).
 */
export function tableTarget(options: Pick<LiteTableOptions, 'endpoint' | 'region'>, env: NodeJS.ProcessEnv): TableTarget {
  const region = options.region ?? (env.AWS_REGION || env.AWS_DEFAULT_REGION || '');
  if (!region) throw new Error('no AWS region for DynamoDB: set AWS_REGION (a Lambda function always has it)');
  const variants = { fips: envFlag(env, 'AWS_USE_FIPS_ENDPOINT'), dualStack: envFlag(env, 'AWS_USE_DUALSTACK_ENDPOINT') };
  const configured = envFlag(env, 'AWS_IGNORE_CONFIGURED_ENDPOINT_URLS') ? undefined : env.AWS_ENDPOINT_URL_DYNAMODB || env.AWS_ENDPOINT_URL || undefined;
  const override = options.endpoint ?? configured;
  if (override && (variants.fips || variants.dualStack)) throw new Error('Invalid Configuration: FIPS and Dualstack are not supported with a custom DynamoDB endpoint');
  return { url: new URL(override ?? dynamoEndpoint(region, variants)), region: region === 'local' ? 'us-east-1' : region };
}

/** Socket failures worth another attempt (the SDK's list); a TLS or protocol error is a configuration fault, not retried. */
const RETRYABLE_SOCKET = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNABORTED']);

/** An error as the SDK names it: `name`, `$metadata.httpStatusCode`, `$retryable` for what the SDK would retry. */
function awsError(name: string, message: string, status?: number, requestId?: string, retryable = false): Error {
  const error = new Error(message) as Error & { $metadata: { httpStatusCode?: number; requestId?: string }; $retryable?: object };
  error.name = name;
  error.$metadata = { httpStatusCode: status, requestId };
  if (retryable) error.$retryable = {};
  return error;
}

/** One signed POST and its answer: the parsed body, or an error named as DynamoDB (or the network) names it. */
function attemptOnce(
  target: TableTarget,
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string },
  action: string,
  body: string,
  timeoutMs: number,
): Promise<Record<string, unknown>> {
  const { url, region } = target;
  const https = url.protocol === 'https:';
  // `[::1]` in a URL, `::1` to connect to.
  const hostname = url.hostname.replace(/^\[(.*)\]$/, '$1');
  // undefined keys are dropped by JSON.stringify above; `Host` with its port when not the default.
  const signed = sign(
    {
      host: hostname,
      path: url.pathname || '/',
      method: 'POST',
      service: 'dynamodb',
      region,
      headers: { Host: url.host, 'Content-Type': 'application/x-amz-json-1.0', 'X-Amz-Target': `DynamoDB_20120810.${action}` },
      body,
    },
    credentials,
  );
  return new Promise((settle, fail) => {
    let done = false;
    const finish = (error: Error | undefined, value?: Record<string, unknown>) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (error) {
        req.destroy();
        fail(error);
      } else settle(value!);
    };
    const request = https ? httpsRequest : httpRequest;
    const req = request({
      protocol: url.protocol,
      hostname,
      port: url.port || undefined,
      path: signed.path,
      method: 'POST',
      headers: signed.headers,
      agent: https ? agents.https : agents.http,
    });
    const timer = setTimeout(() => finish(awsError('TimeoutError', `DynamoDB ${action}: no whole answer within ${timeoutMs} ms`, undefined, undefined, true)), timeoutMs);
    req.on('error', (error: NodeJS.ErrnoException) =>
      finish(awsError(error.code ?? 'NetworkingError', `DynamoDB ${action}: ${error.message}`, undefined, undefined, RETRYABLE_SOCKET.has(error.code ?? ''))),
    );
    req.on('response', (res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      // A connection reset mid-answer: 'aborted' then 'error' (or 'close' without 'end').
      res.on('error', (error: NodeJS.ErrnoException) => finish(awsError(error.code ?? 'NetworkingError', `DynamoDB ${action}: the answer was cut: ${error.message}`, res.statusCode, undefined, true)));
      res.on('close', () => {
        if (!res.complete) finish(awsError('ECONNRESET', `DynamoDB ${action}: the answer was cut`, res.statusCode, undefined, true));
      });
      res.on('end', () => finish(...readAnswer(action, res, Buffer.concat(chunks))));
    });
    req.end(body);
  });
}

/** DynamoDB's answer: JSON on 2xx, `{ __type, message }` otherwise; a body that is neither, or fails its CRC32, is a transient fault. */
function readAnswer(action: string, res: IncomingMessage, raw: Buffer): [Error | undefined, Record<string, unknown>?] {
  const status = res.statusCode ?? 0;
  const requestId = header(res, 'x-amzn-requestid');
  const checksum = header(res, 'x-amz-crc32');
  if (checksum !== undefined && Number(checksum) !== crc32(raw)) {
    // DynamoDB signs its answers' bodies with CRC32 (botocore and the v2 SDK check it; v3 does not): a mismatch is a corrupted body, worth another attempt.
    return [awsError('CRC32CheckFailed', `DynamoDB ${action}: the answer's CRC32 does not match its x-amz-crc32 header`, status, requestId, true)];
  }
  let parsed: Record<string, unknown> | undefined;
  try {
    parsed = raw.length ? (JSON.parse(raw.toString('utf8')) as Record<string, unknown>) : {};
  } catch {
    parsed = undefined;
  }
  if (status >= 200 && status < 300) {
    if (parsed && typeof parsed === 'object') return [undefined, parsed];
    return [awsError('InvalidResponse', `DynamoDB ${action}: the answer (HTTP ${status}) is not JSON`, status, requestId, true)];
  }
  // The type as the SDK reads it: the x-amzn-errortype header, else `__type` or `code`; namespace (`…#`) and suffix (`:…`) cut.
  const rawType = header(res, 'x-amzn-errortype') ?? [parsed?.__type, parsed?.code].find((t) => typeof t === 'string');
  const type = typeof rawType === 'string' && rawType ? rawType.split(':')[0]!.split('#').pop() || undefined : undefined;
  const said = parsed?.message ?? parsed?.Message;
  const message = typeof said === 'string' ? said : `HTTP ${status}${parsed ? '' : ' (not JSON)'}`;
  // No type: a proxy or a gateway answered (5xx transient by status, as the SDK).
  return [awsError(type ?? `DynamoDB${status}`, message, status, requestId)];
}

function header(res: IncomingMessage, name: string): string | undefined {
  const value = res.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
