import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import * as z from '../../../src/shared/zod-mini';
import { EventBridgeNotifier, SnsNotifier } from '../../../src/approvals/aws-notifiers';
import { FanOutNotifier, RecordingNotifier } from '../../../src/approvals/notifier';
import { fetchPoster, ssmSecretReader, WebhookNotifier } from '../../../src/approvals/webhooks';
import { MemoryDesiredStateStore } from '../../../src/gitops/desired-state';
import { isSpecPath } from '../../../src/gitops/spec-files';
import { syncPush } from '../../../src/gitops/sync';
import { localContext } from '../../../src/local/handlers';
import { CONTROL_TOKEN_HEADER, decideLocally, startControlServer } from '../../../src/local/control';
import { renderReport } from '../../../src/local/report/render';
import { configureDeps, type Deps } from '../../../src/rollouts/deps';
import { interruptBakes } from '../../../src/rollouts/interrupt';
import { MemoryStore } from '../../../src/rollouts/store';
import { globMatch, type GlobWork } from '../../../src/shared/glob';
import { lambda, logger } from '../../../src/shared/lambda';
import { clearSecrets } from '../../../src/shared/redact';
import { parseSpec } from '../../../src/spec';
import { tagRejection } from '../../../src/triggers/tag-filter';
import { SecretReader } from '../../../src/triggers/secrets';
import { specInput } from '../../statemachine/harness';

/** A secret value that must never leave the process: not a URL, so fetch fails quoting it. */
const CANARY = 'canary-secret-7f3a9c1e5b2d4068';

describe('attack: a spec author leaks a secret through the chat webhook', () => {
  const ssm = mockClient(SSMClient);
  beforeEach(() => {
    ssm.reset();
    clearSecrets();
    ssm.on(GetParameterCommand).resolves({ Parameter: { Name: '/canary-controller/notify/slack', Type: 'SecureString', Value: CANARY } });
  });
  afterAll(() => ssm.restore());

  it('refuses a spec naming the approval signing key as its Slack webhook parameter', () => {
    expect(() => parseSpec(specInput({ notify: { slackWebhookParameter: '/canary-controller/approval-key' } }))).toThrow(
      /notify.slackWebhookParameter: must be an SSM parameter under \/canary-controller\/notify\//,
    );
    expect(() => parseSpec(specInput({ notify: { teamsWebhookParameter: '/canary-controller/notify/../approval-key' } }))).toThrow(/must not contain "\.\."/);
  });

  it('never reads a parameter outside the webhook prefix, even from a spec stored before the check existed', async () => {
    const readSecret = jest.fn(async () => CANARY);
    const slack = new WebhookNotifier({ kind: 'slack', parameterFor: async () => '/canary-controller/approval-key', readSecret, post: jest.fn() });
    await expect(slack.notify({ type: 'started', rolloutId: 'r', specName: 's', at: 'now' })).rejects.toThrow('slack webhook parameter /canary-controller/approval-key is not under /canary-controller/notify/');
    expect(readSecret).not.toHaveBeenCalled();
  });

  it('keeps a secret that is not a URL out of the delivery error, the log line and the handler error', async () => {
    // Prepare: the real SSM reader and the real fetch, which fails with "Failed to parse URL from <value>".
    const failures: string[] = [];
    const slack = new WebhookNotifier({ kind: 'slack', defaultParameter: '/canary-controller/notify/slack', readSecret: ssmSecretReader(new SSMClient({})), post: fetchPoster() });
    const fanOut = new FanOutNotifier([slack], (error) => failures.push(String(error)));
    const written: string[] = [];
    const capture = (chunk: unknown) => (written.push(String(chunk)), true);
    const out = jest.spyOn(process.stdout, 'write').mockImplementation(capture);
    const err = jest.spyOn(process.stderr, 'write').mockImplementation(capture);
    logger.setLogLevel('DEBUG');
    configureDeps({ now: () => new Date() } as unknown as Deps);
    const handler = lambda('leak', z.looseObject({}), async () => {
      await fanOut.notify({ type: 'started', rolloutId: 'r', specName: 's', at: 'now' });
      logger.info('delivery failed', { failure: failures[0], url: CANARY });
      throw new TypeError(`Failed to parse URL from ${CANARY}`);
    });

    // Act
    let thrown: unknown;
    try {
      await handler({}, localContext('leak'));
    } catch (error) {
      thrown = error;
    } finally {
      out.mockRestore();
      err.mockRestore();
      logger.setLogLevel('SILENT');
      configureDeps(undefined);
    }

    // Assess
    expect(failures).toHaveLength(1);
    expect(failures[0]).not.toContain(CANARY);
    expect(written.join('').length).toBeGreaterThan(0);
    expect(written.join('')).toContain('delivery failed');
    expect(written.join('')).not.toContain(CANARY);
    expect(String((thrown as Error).message)).not.toContain(CANARY);
    expect(String((thrown as Error).stack)).not.toContain(CANARY);
    expect((thrown as Error).name).toBe('TypeError');
  });

  it('keeps a secret the process read out of bus events, SNS notifications and reports', async () => {
    // Prepare: the GitHub trigger's reader registered the secret when it read it.
    await new SecretReader(new SSMClient({})).parameter('/canary-controller/notify/slack');
    const eventBridge = mockClient(EventBridgeClient);
    eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e' }] });
    const sns = mockClient(SNSClient);
    sns.on(PublishCommand).resolves({});
    const leaking = { type: 'failed-to-start' as const, rolloutId: 'r', specName: 's', at: 'now', reason: `bad webhook ${CANARY}` };

    // Act
    await new EventBridgeNotifier('bus', new EventBridgeClient({})).notify(leaking);
    await new SnsNotifier('arn:aws:sns:us-east-1:123456789012:t', new SNSClient({})).notify(leaking);
    const html = renderReport({
      title: 't',
      specName: 's',
      startedAt: '2025-01-15T10:00:00.000Z',
      endedAt: '2025-01-15T10:01:00.000Z',
      outcome: 'rolled back',
      outcomeText: `webhook ${CANARY} failed`,
      samples: [],
      events: [{ t: 0, kind: 'info', label: 'notify', detail: CANARY }],
      steps: [],
      totals: { requests: 0, byVersion: {}, non2xx: 0, injectedFaults: 0 },
      settings: {},
    });

    // Assess
    expect(eventBridge.commandCalls(PutEventsCommand)[0]!.args[0].input.Entries![0]!.Detail).not.toContain(CANARY);
    const published = sns.commandCalls(PublishCommand)[0]!.args[0].input;
    expect(`${published.Subject} ${published.Message}`).not.toContain(CANARY);
    expect(published.Message).toContain('bad webhook [REDACTED]');
    expect(html).not.toContain(CANARY);
    eventBridge.restore();
    sns.restore();
  });
});

describe('attack: a crafted tag glob holds the ECR trigger (ReDoS)', () => {
  // picomatch compiles the extglob +(*)x to /^(?:(?=.)(?:[^/]*?)+x)$/: exponential backtracking, ~0.5 s at 24 characters, doubling with each one.
  const HOSTILE = ['+(*)x', '*(a*)x', '*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b'];
  const TAG = `${'a'.repeat(127)}!`;

  it('refuses extglob, braces and classes in triggers.tags, naming the field', () => {
    expect(() => parseSpec(specInput({ triggers: { tags: ['+(*)x'] } }))).toThrow(/triggers.tags\[0\]: must be a glob with only \* and \?/);
    expect(() => parseSpec(specInput({ triggers: { tags: ['x'.repeat(129)] } }))).toThrow(/triggers.tags\[0\]: must be at most 128 characters/);
  });

  it('matches the worst known patterns in at most (pattern + 1) x (tag + 1) steps', () => {
    for (const pattern of HOSTILE) {
      const work: GlobWork = { steps: 0 };
      expect(globMatch(pattern, TAG, work)).toBe(false);
      expect(work.steps).toBeLessThanOrEqual((pattern.length + 1) * (TAG.length + 1));
    }
  });

  it('answers a hostile filter stored before the check existed well inside the trigger timeout', () => {
    const started = process.hrtime.bigint();
    expect(tagRejection(TAG.slice(0, 128), HOSTILE)).toMatch(/matches none/);
    // Measured once, with a bound ~1000x the real cost: picomatch needs hours for this input.
    expect(Number(process.hrtime.bigint() - started) / 1e6).toBeLessThan(500);
  });
});

describe('attack: path traversal in a push', () => {
  it('refuses .. and absolute spec paths, which would climb out of the spec folder and the GitHub contents URL', () => {
    expect(isSpecPath('.canary/../../../../orgs/acme/secrets.yaml')).toBe(false);
    expect(isSpecPath('/.canary/user.yaml')).toBe(false);
    expect(isSpecPath('.canary/./user.yaml')).toBe(false);
    expect(isSpecPath('.canary/team/user.yaml')).toBe(true);
  });
});

describe('attack: a second repository takes over a spec by name', () => {
  it('keeps the spec of the repository that owns the name and reports the foreign file as invalid', async () => {
    // Prepare
    const store = new MemoryDesiredStateStore();
    const text = (canary: string) => JSON.stringify({ ...specInput(), target: { canary } });
    const push = (repository: string, canary: string, pushedAt: string) => ({
      repository,
      branch: 'main',
      commitId: `${repository.length}`.padEnd(40, '0'),
      pushedAt,
      changed: [{ path: '.canary/user-service.json', text: text(canary) }],
      removed: [],
    });
    await syncPush(push('acme/platform-config', 'user-service-v2', '2026-03-01T08:00:00Z'), store);

    // Act
    const attack = await syncPush(push('mallory/fork', 'evil-node', '2026-03-01T09:00:00Z'), store);

    // Assess
    expect(attack.toStart).toEqual([]);
    expect(attack.invalid[0]!.reason).toBe('.canary/user-service.json: name: "user-service" belongs to acme/platform-config:.canary/user-service.json; a spec from mallory/fork cannot replace it');
    expect((await store.get('user-service'))!.spec.target.canary).toBe('user-service-v2');
  });
});

describe('attack: an alarm of the same name in another account ends a bake', () => {
  it('interrupts only for alarms of this account and region', async () => {
    // Prepare
    const store = new MemoryStore();
    await store.watchAlarms('r-1', 'arn:aws:states:us-east-1:123456789012:execution:sm:r-1', ['user-service-5xx']);
    const sendTaskFailure = jest.fn(async () => undefined);
    const deps = { store, executions: { findBakeToken: async () => 'token', sendTaskFailure }, now: () => new Date() } as unknown as Deps;
    const here = { account: '123456789012', region: 'us-east-1' };

    // Act
    const foreign = await interruptBakes({ alarmName: 'user-service-5xx', state: 'ALARM', account: '999999999999', region: 'us-east-1' }, deps, here);
    const otherRegion = await interruptBakes({ alarmName: 'user-service-5xx', state: 'ALARM', account: '123456789012', region: 'eu-west-1' }, deps, here);
    const own = await interruptBakes({ alarmName: 'user-service-5xx', state: 'ALARM', account: '123456789012', region: 'us-east-1' }, deps, here);

    // Assess
    expect(foreign.interrupted).toEqual([]);
    expect(otherRegion.interrupted).toEqual([]);
    expect(own.interrupted).toEqual(['r-1']);
    expect(sendTaskFailure).toHaveBeenCalledTimes(1);
  });
});

describe('attack: a web page POSTs to the local runner control port', () => {
  it('refuses a cross-site form POST and decides only with the run secret from the control file', async () => {
    // Prepare: a waiting gate in the local store.
    const store = new MemoryStore();
    const file = join(mkdtempSync(join(tmpdir(), 'canary-control-')), 'runner.json');
    const sendTaskSuccess = jest.fn(async () => undefined);
    const deps = { store, executions: { sendTaskSuccess, sendTaskFailure: jest.fn() }, notifier: new RecordingNotifier(), now: () => new Date() } as unknown as Deps;
    await store.putRollout({
      rolloutId: 'local',
      specName: 'demo',
      executionArn: 'arn:local',
      status: 'waiting',
      routes: [],
      weights: [100],
      step: 0,
      canaryWeight: 0,
      startedAt: '2026-03-01T08:00:00Z',
      updatedAt: '2026-03-01T08:00:00Z',
      gate: { gate: 'beforePromotion', token: 'gate-token', requestedAt: '2026-03-01T08:00:00Z', expiresAt: '2099-01-01T00:00:00Z' },
    });
    const server = await startControlServer({ rolloutId: 'local', deps, file });
    try {
      // Act: what a browser sends for <form method=post enctype=text/plain action=http://127.0.0.1:port/decide>.
      const forged = await request(`${server.url}/decide`, {
        method: 'POST',
        headers: { 'content-type': 'text/plain', origin: 'https://evil.example' },
        body: '{"decision":"approve","by":"mallory"}',
      });
      const forgedBody = await forged.body.text();
      const jsonWithoutSecret = await request(`${server.url}/decide`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"decision":"approve"}' });
      await jsonWithoutSecret.body.text();

      // Assess
      expect(forged.statusCode).toBe(403);
      expect(forgedBody).toContain(CONTROL_TOKEN_HEADER);
      expect(jsonWithoutSecret.statusCode).toBe(403);
      expect(sendTaskSuccess).not.toHaveBeenCalled();
      expect((await store.getRollout('local'))!.gate).toBeDefined();

      // The second terminal, which can read the control file, still decides.
      await expect(decideLocally({ decision: 'approve', by: 'second terminal' }, file)).resolves.toMatchObject({ decision: 'approve' });
      expect(sendTaskSuccess).toHaveBeenCalledTimes(1);
    } finally {
      await server.close();
    }
  });
});

describe('attack: markup in a report field', () => {
  it('escapes the event kind too (it lands in class and data attributes)', () => {
    const html = renderReport({
      title: 't',
      specName: 's',
      startedAt: '2025-01-15T10:00:00.000Z',
      endedAt: '2025-01-15T10:01:00.000Z',
      outcome: 'rolled back',
      outcomeText: 'x',
      samples: [],
      events: [{ t: 1000, kind: '"><img src=x onerror=alert(1)>' as never, label: 'x' }],
      steps: [],
      totals: { requests: 0, byVersion: {}, non2xx: 0, injectedFaults: 0 },
      settings: {},
    });
    expect(html).not.toContain('<img src=x');
    expect(html).toContain('class="event event-&quot;&gt;&lt;img');
  });
});
