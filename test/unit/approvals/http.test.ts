import { SendTaskFailureCommand, SendTaskSuccessCommand, SFNClient } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { handleApprovalRequest, type ApprovalApiDeps, type HttpRequest } from '../../../src/approvals/http';
import { signLink, type LinkClaims } from '../../../src/approvals/links';
import { SfnExecutions } from '../../../src/rollouts/sfn-executions';
import { MemoryStore } from '../../../src/rollouts/store';
import { record } from '../cli/support';

const KEY = Buffer.from('0123456789abcdef0123456789abcdef');
const NOW = new Date('2025-06-01T12:00:00.000Z');
const EXPIRES = '2025-06-02T11:55:00.000Z';
const gate = { gate: 'beforePromotion' as const, token: 'gate-token-1', requestedAt: '2025-06-01T11:55:00.000Z', expiresAt: EXPIRES };

let sfn: ReturnType<typeof mockClient>;
let store: MemoryStore;
let deps: ApprovalApiDeps;

beforeEach(async () => {
  sfn = mockClient(SFNClient);
  sfn.on(SendTaskSuccessCommand).resolves({});
  sfn.on(SendTaskFailureCommand).resolves({});
  store = new MemoryStore();
  await store.putRollout(record({ status: 'waiting', gate }));
  deps = { store, executions: new SfnExecutions(new SFNClient({})), key: async () => KEY, now: () => NOW };
});
afterEach(() => sfn.restore());

function token(decision: 'approve' | 'reject', overrides: Partial<LinkClaims> = {}): string {
  return signLink({ rolloutId: 'user-service-aaaa1111', gate: 'beforePromotion', decision, expiresAt: Date.parse(EXPIRES) / 1000, ...overrides }, KEY);
}

function req(method: 'GET' | 'POST', t: string, body?: string, headers: Record<string, string> = {}): HttpRequest {
  return { requestContext: { http: { method } }, pathParameters: { token: t }, headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body };
}

const sfnCalls = () => sfn.calls().length;

describe('approval API', () => {
  it('GET shows a confirmation form and never decides', async () => {
    const res = await handleApprovalRequest(req('GET', token('approve')), deps);

    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('<form method="post">');
    expect(res.body).toContain('user-service-aaaa1111');
    expect(res.headers['referrer-policy']).toBe('no-referrer');
    expect(sfnCalls()).toBe(0);
    expect((await store.getRollout('user-service-aaaa1111'))!.gate).toBeDefined();
  });

  it('POST approves and records who (verified JWT claims) and why', async () => {
    const request = req('POST', token('approve'), 'reason=metrics+look+good');
    const res = await handleApprovalRequest({ ...request, requestContext: { ...request.requestContext, authorizer: { jwt: { claims: { email: 'bob@example.com' } } } } }, deps);

    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('approved by bob@example.com');
    const input = sfn.commandCalls(SendTaskSuccessCommand)[0]!.args[0].input;
    expect(input.taskToken).toBe('gate-token-1');
    expect(JSON.parse(input.output!)).toEqual({ decision: 'approve', by: 'bob@example.com (approval link)', reason: 'metrics look good' });
    const events = await store.listEvents('user-service-aaaa1111');
    expect(events.at(-1)!.message).toBe('beforePromotion: approved by bob@example.com (approval link): metrics look good');
  });

  it('POST reject takes who from the form, marked unverified, when there is no verified identity (base64 body)', async () => {
    const body = Buffer.from('by=carol&reason=error+rate').toString('base64');
    const res = await handleApprovalRequest({ ...req('POST', token('reject'), body), isBase64Encoded: true }, deps);

    expect(res.statusCode).toBe(200);
    expect(sfn.commandCalls(SendTaskFailureCommand)[0]!.args[0].input).toMatchObject({
      taskToken: 'gate-token-1',
      error: 'Canary.Rejected',
      cause: 'error rate (by carol (unverified) (approval link))',
    });
  });

  it('ignores a forged x-amzn-oidc-identity header unless the deployment opted into a proxy header', async () => {
    await handleApprovalRequest(req('POST', token('approve'), 'by=mallory', { 'x-amzn-oidc-identity': 'ceo@example.com' }), deps);
    const by = JSON.parse(sfn.commandCalls(SendTaskSuccessCommand)[0]!.args[0].input.output!).by as string;
    expect(by).toBe('mallory (unverified) (approval link)');
    expect(by).not.toContain('ceo@example.com');
  });

  it('reads the identity from a configured header', async () => {
    deps.identityHeader = 'x-forwarded-user';
    await handleApprovalRequest(req('POST', token('approve'), '', { 'x-forwarded-user': 'dave' }), deps);
    expect(JSON.parse(sfn.commandCalls(SendTaskSuccessCommand)[0]!.args[0].input.output!).by).toBe('dave (approval link)');
  });

  it('answers a reused link with 403 "already decided" and decides nothing', async () => {
    await handleApprovalRequest(req('POST', token('approve'), 'by=bob'), deps);
    sfn.resetHistory();

    for (const method of ['GET', 'POST'] as const) {
      const res = await handleApprovalRequest(req(method, token('reject'), 'by=mallory'), deps);
      expect(res.statusCode).toBe(403);
      expect(res.body).toContain('Already decided');
    }
    expect(sfnCalls()).toBe(0);
  });

  it('answers 403 and decides nothing for a tampered link', async () => {
    const [body, sig] = token('approve').split('.');
    const claims = JSON.parse(Buffer.from(body!, 'base64url').toString());
    const forged = `${Buffer.from(JSON.stringify({ ...claims, r: 'other-rollout' })).toString('base64url')}.${sig}`;

    const res = await handleApprovalRequest(req('POST', forged, 'by=mallory'), deps);

    expect(res.statusCode).toBe(403);
    expect(res.body).toContain('Invalid link');
    expect(sfnCalls()).toBe(0);
  });

  it('answers 410 for an expired link and decides nothing', async () => {
    const res = await handleApprovalRequest(req('POST', token('approve', { expiresAt: Date.parse('2025-06-01T11:00:00Z') / 1000 }), 'by=bob'), deps);
    expect(res.statusCode).toBe(410);
    expect(sfnCalls()).toBe(0);
  });

  it('escapes what it echoes', async () => {
    const res = await handleApprovalRequest(req('POST', token('approve'), 'by=%3Cscript%3Ealert(1)%3C%2Fscript%3E'), deps);
    expect(res.body).not.toContain('<script>');
    expect(res.body).toContain('&#60;script&#62;');
  });

  it('answers 405 to other methods', async () => {
    const res = await handleApprovalRequest({ ...req('GET', token('approve')), requestContext: { http: { method: 'DELETE' } } }, deps);
    expect(res.statusCode).toBe(405);
    expect(sfnCalls()).toBe(0);
  });
});
