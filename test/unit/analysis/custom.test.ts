import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { runLambdaCheck, runWebhook, signWebhook, type CheckContext, type CustomCheckPorts } from '../../../src/analysis/custom';
import { runBeforeStepHooks } from '../../../src/analysis/run';
import { LambdaCheckSchema, parseSpec, WebhookSchema } from '../../../src/spec';

const SECRET = 'webhook-secret-value-1234';
const CONTEXT: CheckContext = { phase: 'analysis', check: 'smoke', rolloutId: 'web-1', specName: 'web', step: 1, weight: 25, canary: 'v2', stable: 'v1' };

/** A receiver on 127.0.0.1 answering with the statuses given, one per request, recording what it got. */
async function receiver(statuses: Array<number | 'hang'>, body = 'ok'): Promise<{ url: string; got: Array<{ headers: IncomingHttpHeaders; body: string }>; close(): Promise<void> }> {
  const got: Array<{ headers: IncomingHttpHeaders; body: string }> = [];
  const server: Server = createServer((req, res) => {
    let text = '';
    req.on('data', (c: Buffer) => (text += c.toString()));
    req.on('end', () => {
      got.push({ headers: req.headers, body: text });
      const status = statuses[Math.min(got.length - 1, statuses.length - 1)]!;
      if (status === 'hang') return;
      res.writeHead(status).end(body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/check`, got, close: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }) };
}

function ports(overrides: Partial<CustomCheckPorts> = {}): CustomCheckPorts & { secretsAsked: unknown[] } {
  const secretsAsked: unknown[] = [];
  return {
    secretsAsked,
    invoke: async () => ({ payload: '{}' }),
    secret: async (ref) => {
      secretsAsked.push(ref);
      return SECRET;
    },
    fetch: (...args) => fetch(...args),
    sleep: async () => undefined,
    ...overrides,
  };
}

describe('runWebhook', () => {
  it('POSTs the context signed with HMAC-SHA256 of timestamp and body, which the receiver can verify', async () => {
    // Prepare
    const r = await receiver([200]);
    const check = WebhookSchema.parse({ name: 'smoke', url: r.url, secretParameter: '/canary/hooks/smoke' });
    const p = ports();

    // Act
    const result = await runWebhook(check, CONTEXT, p);
    await r.close();

    // Assess
    const { headers, body } = r.got[0]!;
    const expected = `sha256=${createHmac('sha256', SECRET).update(`${headers['x-canary-timestamp']}.${body}`).digest('hex')}`;
    expect(headers['x-canary-signature']).toBe(expected);
    expect(JSON.parse(body)).toEqual(CONTEXT);
    expect(p.secretsAsked).toEqual([{ parameter: '/canary/hooks/smoke', arn: undefined }]);
    expect(result).toMatchObject({ name: 'smoke', kind: 'webhook', state: 'OK', reason: 'answered 200' });
    expect(JSON.stringify(result)).not.toContain(SECRET);
    expect(JSON.stringify(result)).not.toContain(expected);
  });

  it('records the hook by its origin only, so a token in the URL path reaches no result', async () => {
    // Prepare
    const r = await receiver([200]);
    const token = 'T0KEN-in-the-path-9f8e7d';
    const check = WebhookSchema.parse({ name: 'smoke', url: `${r.url}/${token}` });

    // Act
    const result = await runWebhook(check, CONTEXT, ports());
    await r.close();

    // Assess
    expect(result.evidence?.query).toBe(`POST ${new URL(r.url).origin}`);
    expect(JSON.stringify(result)).not.toContain(token);
  });

  it('retries a 503 and passes on the 2xx that follows', async () => {
    // Prepare
    const r = await receiver([503, 503, 204]);
    const check = WebhookSchema.parse({ name: 'smoke', url: r.url, retries: 2 });

    // Act
    const result = await runWebhook(check, CONTEXT, ports());
    await r.close();

    // Assess
    expect(r.got).toHaveLength(3);
    expect(result.state).toBe('OK');
  });

  it('fails on a 4xx at once, keeping only the start of a long body', async () => {
    // Prepare
    const r = await receiver([403], 'x'.repeat(5000));
    const check = WebhookSchema.parse({ name: 'smoke', url: r.url, retries: 3 });

    // Act
    const result = await runWebhook(check, CONTEXT, ports());
    await r.close();

    // Assess
    expect(r.got).toHaveLength(1);
    expect(result).toMatchObject({ state: 'ALARM', reason: 'answered 403' });
    expect(result.evidence?.response).toBe(`HTTP 403: ${'x'.repeat(256)}… (5000 chars)`);
  });

  it('fails after its retries when the receiver never answers within the timeout', async () => {
    // Prepare
    const r = await receiver(['hang']);
    const check = WebhookSchema.parse({ name: 'smoke', url: r.url, timeout: '1s', retries: 1 });

    // Act
    const result = await runWebhook(check, CONTEXT, ports());
    await r.close();

    // Assess
    expect(r.got).toHaveLength(2);
    expect(result).toMatchObject({ state: 'ALARM', reason: 'no answer within 1s after 2 attempts' });
  });

  it('refuses an https webhook without a secret, and plain http beyond this machine', () => {
    // Act
    const unsigned = WebhookSchema.safeParse({ name: 'w', url: 'https://hooks.example.com/x' });
    const plain = WebhookSchema.safeParse({ name: 'w', url: 'http://hooks.example.com/x', secretParameter: '/s' });

    // Assess
    expect(unsigned.error?.issues.map((i) => i.message)).toEqual(['needs secretParameter or secretArn: the HMAC secret the call is signed with']);
    expect(plain.error?.issues.map((i) => [i.path.join('.'), i.message])).toEqual([['url', 'must be an https:// URL (http:// only to 127.0.0.1 or localhost)']]);
  });

  it('signs deterministically for a given secret, timestamp and body', () => {
    expect(signWebhook('k', '1700000000', '{}')).toBe(`sha256=${createHmac('sha256', 'k').update('1700000000.{}').digest('hex')}`);
  });
});

describe('runLambdaCheck', () => {
  const check = LambdaCheckSchema.parse({ name: 'synthetic', function: 'canary-synthetics:live' });
  const answer = (payload: string, functionError?: string) => ports({ invoke: async () => ({ payload, functionError }) });

  it.each([
    ['{"result":"pass","reason":"42 journeys ok"}', 'OK', '42 journeys ok'],
    ['{"result":"fail","reason":"checkout broken"}', 'ALARM', 'checkout broken'],
    ['{"result":"inconclusive","reason":"no users yet"}', 'INSUFFICIENT_DATA', 'no users yet'],
    ['"yes"', 'ALARM', 'answer is not {"result": "pass" | "fail" | "inconclusive"}'],
  ])('reads %s as %s', async (payload, state, reason) => {
    // Act
    const result = await runLambdaCheck(check, CONTEXT, answer(payload));

    // Assess
    expect(result).toMatchObject({ name: 'synthetic', kind: 'lambda', state, reason });
  });

  it('fails when the function throws, never passing by default', async () => {
    // Act
    const result = await runLambdaCheck(check, CONTEXT, answer('{"errorType":"TypeError"}', 'Unhandled'));

    // Assess
    expect(result).toMatchObject({ state: 'ALARM', reason: 'function error (Unhandled)' });
  });

  it('sends the rollout context as the payload', async () => {
    // Prepare
    const sent: unknown[] = [];
    const p = ports({ invoke: async (fn, payload, timeout) => (sent.push([fn, JSON.parse(payload), timeout]), { payload: '{"result":"pass"}' }) });

    // Act
    await runLambdaCheck(check, CONTEXT, p);

    // Assess
    expect(sent).toEqual([['canary-synthetics:live', CONTEXT, 30]]);
  });
});

describe('runBeforeStepHooks', () => {
  it('runs each hook with phase beforeStep and reports them as hooks', async () => {
    // Prepare
    const spec = parseSpec({
      name: 'web',
      router: { appMesh: { mesh: 'm', virtualRouter: 'r' } },
      target: { canary: 'v2' },
      strategy: { steps: [50, 100] },
      hooks: { beforeStep: [{ name: 'load-test', function: 'start-load-test' }] },
    });
    const sent: unknown[] = [];
    const p = ports({ invoke: async (_fn, payload) => (sent.push(JSON.parse(payload)), { payload: '{"result":"fail","reason":"load generator busy"}' }) });

    // Act
    const results = await runBeforeStepHooks(spec, { rolloutId: 'r', specName: 'web', step: 1, weight: 100, canary: 'v2', stable: 'v1' }, p);

    // Assess
    expect(sent).toEqual([{ phase: 'beforeStep', check: 'load-test', rolloutId: 'r', specName: 'web', step: 1, weight: 100, canary: 'v2', stable: 'v1' }]);
    expect(results).toMatchObject([{ name: 'load-test', kind: 'hook', state: 'ALARM', reason: 'load generator busy' }]);
  });
});
