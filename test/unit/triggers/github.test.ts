import { createHmac } from 'node:crypto';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DescribeExecutionCommand, ExecutionDoesNotExist, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { GitHubClient, type HttpClient } from '../../../src/gitops/github';
import { DEFAULT_SPEC_LOCATION } from '../../../src/gitops/spec-files';
import { handleGitHubWebhook, MAX_WEBHOOK_BYTES, type WebhookRequest } from '../../../src/triggers/github';
import { SecretReader } from '../../../src/triggers/secrets';
import { fixture, harness, seedDesired, spec, specText } from './support';

const ssm = mockClient(SSMClient);
const secretsManager = mockClient(SecretsManagerClient);
const sfn = mockClient(SFNClient);
const SECRET = 'test-webhook-secret';
const AFTER = 'c5b97d5ae6c19d5c5df71a34c7fbeeda2479ccbc';

/** A fake GitHub: serves spec files at the pushed commit and records every request. */
function fakeGitHub(files: Record<string, string>) {
  const requests: Array<{ url: string; method: string; headers: Record<string, string>; body?: string }> = [];
  const http: HttpClient = {
    async request(url, init) {
      requests.push({ url, ...init });
      if (init.method === 'POST') return { status: 201, body: '{}' };
      const m = /\/repos\/acme\/platform-config\/contents\/(.+)\?ref=([0-9a-f]+)$/.exec(url);
      const path = m ? decodeURIComponent(m[1]!) : '';
      if (m && m[2] === AFTER && files[path] !== undefined) return { status: 200, body: files[path]! };
      return { status: 404, body: '{"message":"Not Found"}' };
    },
  };
  return { http, requests };
}

function sign(body: string | Buffer, secret = SECRET): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

function request(event: string, payload: unknown, opts: { signature?: string | null; base64?: boolean } = {}): WebhookRequest {
  const body = JSON.stringify(payload);
  const signature = opts.signature === undefined ? sign(body) : opts.signature;
  return {
    headers: {
      'content-type': 'application/json',
      'x-github-event': event,
      'x-github-delivery': '72d3162e-cc78-11e3-81ab-4c9367dc0958',
      ...(signature !== null ? { 'x-hub-signature-256': signature } : {}),
    },
    body: opts.base64 ? Buffer.from(body).toString('base64') : body,
    isBase64Encoded: opts.base64 ?? false,
  };
}

const files = {
  '.canary/user-service.yaml': specText('user-service.yaml').replace('canary: user-service-v2', 'canary: user-service-v3'),
  '.canary/orders.yml': specText('orders.yml'),
  '.canary/payments.yaml': specText('payments-invalid.yaml'),
};

async function setup(opts: { reportStatus?: boolean } = {}) {
  const h = harness();
  await seedDesired(h.desired, spec('user-service.yaml'), specText('user-service.yaml'), { repository: 'acme/platform-config' });
  const github = fakeGitHub(files);
  const reader = new SecretReader(new SSMClient({}), new SecretsManagerClient({}));
  const deps = {
    desired: h.desired,
    starter: h.starter,
    log: h.log,
    now: h.now,
    webhookSecret: () => reader.parameter('/canary-controller/github-webhook-secret'),
    github: async () => new GitHubClient(await reader.secret('arn:aws:secretsmanager:us-east-1:123456789012:secret:github-token'), github.http),
    location: DEFAULT_SPEC_LOCATION,
    branches: ['main'],
    repositories: ['acme/platform-config'],
    reportStatus: opts.reportStatus ?? true,
  };
  return { h, deps, github };
}

beforeEach(() => {
  ssm.reset();
  secretsManager.reset();
  sfn.reset();
  ssm.on(GetParameterCommand).resolves({ Parameter: { Name: '/canary-controller/github-webhook-secret', Type: 'SecureString', Value: SECRET } });
  secretsManager.on(GetSecretValueCommand).resolves({ SecretString: 'ghp_testtoken' });
  sfn.on(DescribeExecutionCommand).rejects(new ExecutionDoesNotExist({ message: 'no', $metadata: {} }));
  sfn.on(StartExecutionCommand).callsFake((input: { name: string }) => ({ executionArn: `arn:aws:states:us-east-1:123456789012:execution:sm:${input.name}` }));
});

describe('handleGitHubWebhook', () => {
  describe('signature', () => {
    it('refuses a missing signature with 401 and touches nothing', async () => {
      const { deps, github, h } = await setup();
      const res = await handleGitHubWebhook(request('push', fixture('github-push.json'), { signature: null }), deps);
      expect(res.statusCode).toBe(401);
      expect(github.requests).toEqual([]);
      expect(sfn.calls()).toHaveLength(0);
      expect(await h.desired.list()).toHaveLength(1);
    });

    it('refuses a signature made with another secret with 401 and touches nothing', async () => {
      const { deps, github } = await setup();
      const payload = fixture('github-push.json');
      const res = await handleGitHubWebhook(request('push', payload, { signature: sign(JSON.stringify(payload), 'wrong-secret') }), deps);
      expect(res.statusCode).toBe(401);
      expect(JSON.parse(res.body).message).toBe('invalid signature');
      expect(github.requests).toEqual([]);
      expect(sfn.calls()).toHaveLength(0);
    });

    it('refuses a body changed after signing', async () => {
      const { deps } = await setup();
      const req = request('push', fixture('github-push.json'));
      req.body = req.body!.replace('refs/heads/main', 'refs/heads/mainx');
      expect((await handleGitHubWebhook(req, deps)).statusCode).toBe(401);
    });

    it('reads the secret from SSM with decryption, once for several deliveries', async () => {
      const { deps } = await setup();
      await handleGitHubWebhook(request('ping', fixture('github-ping.json')), deps);
      await handleGitHubWebhook(request('ping', fixture('github-ping.json')), deps);
      expect(ssm.commandCalls(GetParameterCommand).map((c) => c.args[0].input)).toEqual([{ Name: '/canary-controller/github-webhook-secret', WithDecryption: true }]);
    });
  });

  it('refuses a body over 1 MB with 413 before reading the secret', async () => {
    const { deps } = await setup();
    const req: WebhookRequest = { headers: { 'x-github-event': 'push', 'x-hub-signature-256': 'sha256=00' }, body: 'x'.repeat(MAX_WEBHOOK_BYTES + 1) };
    const res = await handleGitHubWebhook(req, deps);
    expect(res.statusCode).toBe(413);
    expect(ssm.calls()).toHaveLength(0);
  });

  it('answers a signed ping with 200', async () => {
    const { deps } = await setup();
    const res = await handleGitHubWebhook(request('ping', fixture('github-ping.json')), deps);
    expect(res).toMatchObject({ statusCode: 200 });
    expect(JSON.parse(res.body).message).toBe('pong');
  });

  it('acknowledges and ignores a push to another branch', async () => {
    const { deps, github, h } = await setup();
    const res = await handleGitHubWebhook(request('push', { ...fixture('github-push.json'), ref: 'refs/heads/feature/x' }), deps);
    expect(res.statusCode).toBe(202);
    expect(JSON.parse(res.body).message).toBe('ignored: branch feature/x is not tracked (tracked: main)');
    expect(github.requests).toEqual([]);
    expect(h.log.lines).toHaveLength(1);
  });

  it('accepts no repository at all when none is configured, even with a valid signature (an empty list means none)', async () => {
    const { deps, github, h } = await setup();
    deps.repositories = [];

    const res = await handleGitHubWebhook(request('push', { ...fixture('github-push.json'), repository: { ...fixture('github-push.json').repository, full_name: 'mallory/specs' } }), deps);

    expect(res.statusCode).toBe(202);
    expect(JSON.parse(res.body).message).toBe('ignored: no spec repository is configured (deployment parameter githubRepositories): push from mallory/specs refused');
    expect(github.requests).toEqual([]);
    expect(await h.desired.list()).toHaveLength(1);
  });

  it('refuses a repository name with a .. segment before any GitHub API call', async () => {
    const { deps, github } = await setup();
    deps.repositories = ['acme/..'];
    const res = await handleGitHubWebhook(request('push', { ...fixture('github-push.json'), repository: { ...fixture('github-push.json').repository, full_name: 'acme/..' } }), deps);
    expect(res.statusCode).toBe(202);
    expect(JSON.parse(res.body).message).toMatch(/not a push payload: repository.full_name is not a repository name/);
    expect(github.requests).toEqual([]);
  });

  it('names what is wrong with a repository name that is not owner/name, not "missing"', async () => {
    const { deps, github } = await setup();
    const res = await handleGitHubWebhook(request('push', { ...fixture('github-push.json'), repository: { ...fixture('github-push.json').repository, full_name: 'acme/specs/extra' } }), deps);
    expect(res.statusCode).toBe(202);
    expect(JSON.parse(res.body).message).toMatch(/not a push payload: repository.full_name is not owner\/name/);
    expect(github.requests).toEqual([]);
  });

  it('acknowledges and ignores a tag push and other events', async () => {
    const { deps } = await setup();
    expect((await handleGitHubWebhook(request('push', { ...fixture('github-push.json'), ref: 'refs/tags/v1' }), deps)).statusCode).toBe(202);
    expect((await handleGitHubWebhook(request('issues', { action: 'opened' }), deps)).statusCode).toBe(202);
  });

  it('syncs a push verified over the base64-decoded raw body, reads the changed specs at the pushed commit and starts what changed', async () => {
    const { deps, github, h } = await setup();

    const res = await handleGitHubWebhook(request('push', fixture('github-push.json'), { base64: true }), deps);

    expect(res.statusCode).toBe(200);
    const body = JSON.parse(res.body);
    expect(body.started.map((s: { specName: string }) => s.specName)).toEqual(['orders', 'user-service']);
    expect(body.invalid).toEqual([{ path: '.canary/payments.yaml', reason: '.canary/payments.yaml: strategy.steps[2]: must be greater than 50' }]);
    expect(body.skipped).toEqual([{ path: '.canary/legacy.yaml', reason: '.canary/legacy.yaml: removed, but no synced spec came from it' }]);

    const gets = github.requests.filter((r) => r.method === 'GET');
    expect(gets.map((r) => r.url)).toEqual([
      `https://api.github.com/repos/acme/platform-config/contents/.canary/orders.yml?ref=${AFTER}`,
      `https://api.github.com/repos/acme/platform-config/contents/.canary/payments.yaml?ref=${AFTER}`,
      `https://api.github.com/repos/acme/platform-config/contents/.canary/user-service.yaml?ref=${AFTER}`,
    ]);
    expect(gets[0]!.headers).toMatchObject({ authorization: 'Bearer ghp_testtoken', accept: 'application/vnd.github.raw+json' });

    const status = github.requests.find((r) => r.method === 'POST')!;
    expect(status.url).toBe(`https://api.github.com/repos/acme/platform-config/statuses/${AFTER}`);
    expect(JSON.parse(status.body!)).toMatchObject({ state: 'failure', context: 'canary-controller', description: expect.stringContaining('.canary/payments.yaml: strategy.steps[2]') });

    const user = await h.desired.get('user-service');
    expect(user).toMatchObject({ repository: 'acme/platform-config', commitId: AFTER, pushedAt: new Date(1772442060 * 1000).toISOString() });
    const input = JSON.parse(sfn.commandCalls(StartExecutionCommand)[1]!.args[0].input.input!);
    expect(input).toMatchObject({ source: 'github:acme/platform-config@main:.canary/user-service.yaml', requestedBy: 'github:alice', waitForLock: true });
  });

  it('answers 200 with nothing to do when no spec file changed', async () => {
    const { deps, github } = await setup();
    const payload = { ...fixture('github-push.json'), commits: [{ added: ['src/app.ts'], modified: [], removed: [] }] };
    const res = await handleGitHubWebhook(request('push', payload), deps);
    expect(res.statusCode).toBe(200);
    expect(github.requests).toEqual([]);
  });

  it('records a spec file GitHub cannot serve as invalid without blocking the others', async () => {
    const { deps } = await setup();
    const payload = { ...fixture('github-push.json'), commits: [{ added: ['.canary/ghost.yaml'], modified: ['.canary/orders.yml'], removed: [] }] };
    const body = JSON.parse((await handleGitHubWebhook(request('push', payload), deps)).body);
    expect(body.invalid).toEqual([{ path: '.canary/ghost.yaml', reason: expect.stringMatching(/^\.canary\/ghost\.yaml: cannot be read at c5b97d5a.*HTTP 404/) }]);
    expect(body.started.map((s: { specName: string }) => s.specName)).toEqual(['orders']);
  });
});
