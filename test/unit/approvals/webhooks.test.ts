import { FanOutNotifier, type LifecycleEvent, type LifecycleType } from '../../../src/approvals/notifier';
import { slackMessage, teamsMessage, fetchPoster, WebhookNotifier } from '../../../src/approvals/webhooks';

const base = { rolloutId: 'user-service-aaaa1111', specName: 'user-service', at: '2025-06-01T12:00:00.000Z' };

const EVENTS: Record<LifecycleType, LifecycleEvent> = {
  started: { ...base, type: 'started', revision: 'abc123', steps: 4, reason: 'stable v1 → canary v2' },
  'step-passed': { ...base, type: 'step-passed', step: 1, steps: 4, weight: 25, checks: [{ name: 'user-5xx', kind: 'metric', state: 'OK' }] },
  'waiting-for-approval': {
    ...base,
    type: 'waiting-for-approval',
    gate: 'beforePromotion',
    step: 3,
    steps: 4,
    weight: 100,
    reason: 'expires 2025-06-02T12:00:00.000Z; on timeout: rollback',
    actions: [
      { label: 'approve', url: 'https://api.example.com/approvals/a.b' },
      { label: 'reject', url: 'https://api.example.com/approvals/c.d' },
      { label: 'approve', command: 'canaryctl approve user-service-aaaa1111' },
    ],
  },
  promoted: { ...base, type: 'promoted', revision: 'abc123', weight: 100 },
  'rolled-back': {
    ...base,
    type: 'rolled-back',
    step: 2,
    steps: 4,
    weight: 50,
    reason: 'step 3 (50%): user-5xx in ALARM',
    checks: [{ name: 'user-5xx', kind: 'metric', state: 'ALARM', reason: 'Threshold Crossed: 1 datapoint [7.0] > 5' }],
  },
  'rollback-failed': { ...base, type: 'rollback-failed', step: 2, steps: 4, weight: 50, reason: 'ConcurrentModificationError: route changed', urgent: true },
  'promotion-failed': { ...base, type: 'promotion-failed', step: 3, steps: 4, weight: 100, reason: 'deployment ecs-svc/1 of service user-primary failed: tasks failed to start', urgent: true },
  'failed-to-start': { ...base, type: 'failed-to-start', reason: 'analysis.alarms: alarm "x" not found' },
};

type SlackBlock = { type: string; text?: { text: string }; fields?: Array<{ text: string }>; elements?: Array<Record<string, any>> };
const slackBlocks = (e: LifecycleEvent) => (slackMessage(e).attachments as Array<{ blocks: SlackBlock[]; color: string }>)[0]!.blocks;
const slackText = (e: LifecycleEvent) => JSON.stringify(slackBlocks(e));
const card = (e: LifecycleEvent) => (teamsMessage(e).attachments as Array<{ contentType: string; content: Record<string, any> }>)[0]!;

describe('Slack messages', () => {
  it.each(Object.keys(EVENTS) as LifecycleType[])('%s: headline, rollout and spec facts', (type) => {
    const e = EVENTS[type];
    const msg = slackMessage(e);
    expect(typeof msg.text).toBe('string');
    const fields = slackBlocks(e).find((b) => b.fields)!.fields!.map((f) => f.text);
    expect(fields).toEqual(expect.arrayContaining(['*Rollout*\nuser-service-aaaa1111', '*Spec*\nuser-service']));
  });

  it('waiting for approval: approve and reject buttons with the signed links, commands as context', () => {
    const actions = slackBlocks(EVENTS['waiting-for-approval']).find((b) => b.type === 'actions')!;
    expect(actions.elements).toEqual([
      { type: 'button', text: { type: 'plain_text', text: 'Approve' }, url: 'https://api.example.com/approvals/a.b', style: 'primary' },
      { type: 'button', text: { type: 'plain_text', text: 'Reject' }, url: 'https://api.example.com/approvals/c.d', style: 'danger' },
    ]);
    expect(slackText(EVENTS['waiting-for-approval'])).toContain('canaryctl approve user-service-aaaa1111');
    expect(slackMessage(EVENTS['waiting-for-approval']).text).toContain('waiting for approval (beforePromotion)');
  });

  it('rolled back: the step, the failing alarm and its state', () => {
    const e = EVENTS['rolled-back'];
    expect(slackMessage(e).text).toBe('user-service: rolled back: step 3 (50%): user-5xx in ALARM');
    expect(slackText(e)).toContain('user-5xx: ALARM (Threshold Crossed: 1 datapoint [7.0] &gt; 5)');
    expect(slackText(e)).toContain('*Step*\\n3 of 4');
  });

  it('rollback failed: urgent, mentions the channel', () => {
    const e = EVENTS['rollback-failed'];
    expect(slackBlocks(e)[0]!.text!.text).toMatch(/^:rotating_light: <!channel> \*URGENT user-service: rollback FAILED/);
  });

  it('started, step passed, promoted: say what happened', () => {
    expect(slackMessage(EVENTS.started).text).toBe('Rollout user-service-aaaa1111 of user-service started (abc123)');
    expect(slackMessage(EVENTS['step-passed']).text).toBe('user-service: step passed at step 2/4 (25%)');
    expect(slackMessage(EVENTS.promoted).text).toBe('user-service: promoted (rollout user-service-aaaa1111)');
    expect(slackBlocks(EVENTS.promoted).some((b) => b.type === 'actions')).toBe(false);
  });
});

describe('Teams messages', () => {
  it.each(Object.keys(EVENTS) as LifecycleType[])('%s: an Adaptive Card with headline and facts', (type) => {
    const c = card(EVENTS[type]);
    expect(c.contentType).toBe('application/vnd.microsoft.card.adaptive');
    expect(c.content.type).toBe('AdaptiveCard');
    expect(c.content.body[0].text).toContain('user-service');
    expect(c.content.body[1].facts).toEqual(expect.arrayContaining([{ title: 'Rollout', value: 'user-service-aaaa1111' }]));
  });

  it('waiting for approval: OpenUrl actions for approve and reject', () => {
    expect(card(EVENTS['waiting-for-approval']).content.actions).toEqual([
      { type: 'Action.OpenUrl', title: 'Approve', url: 'https://api.example.com/approvals/a.b' },
      { type: 'Action.OpenUrl', title: 'Reject', url: 'https://api.example.com/approvals/c.d' },
    ]);
  });

  it('rolled back: the failing alarms with their states; rollback failed is urgent', () => {
    const body = card(EVENTS['rolled-back']).content.body as Array<Record<string, any>>;
    expect(body).toContainEqual({ type: 'FactSet', facts: [{ title: 'user-5xx', value: 'ALARM (Threshold Crossed: 1 datapoint [7.0] > 5)' }] });
    expect(card(EVENTS['rollback-failed']).content.body[0]).toMatchObject({ text: expect.stringMatching(/^URGENT: /), color: 'attention' });
  });
});

describe('WebhookNotifier', () => {
  it('posts to the URL from the spec parameter, else the default one', async () => {
    const post = jest.fn(async () => ({ statusCode: 200 }));
    const readSecret = jest.fn(async (name: string) => `https://hooks.example.com${name}`);
    const n = new WebhookNotifier({
      kind: 'slack',
      defaultParameter: '/canary-controller/notify/slack',
      parameterFor: async (e) => (e.specName === 'orders' ? '/canary-controller/notify/slack/orders' : undefined),
      readSecret,
      post,
    });

    await n.notify(EVENTS.promoted);
    await n.notify({ ...EVENTS.promoted, specName: 'orders' });

    expect(post.mock.calls.map((c) => (c as unknown[])[0])).toEqual(['https://hooks.example.com/canary-controller/notify/slack', 'https://hooks.example.com/canary-controller/notify/slack/orders']);
    expect(JSON.parse((post.mock.calls[0] as unknown[])[1] as string).text).toContain('promoted');
    expect(n.delivered).toBe(2);
  });

  it('skips events when no parameter is configured', async () => {
    const post = jest.fn();
    await new WebhookNotifier({ kind: 'teams', readSecret: async () => 'x', post }).notify(EVENTS.started);
    expect(post).not.toHaveBeenCalled();
  });

  it('a failed delivery is counted and logged by the fan-out, never thrown', async () => {
    const failures: string[] = [];
    const slack = new WebhookNotifier({ kind: 'slack', defaultParameter: '/canary-controller/notify/p', readSecret: async () => 'https://hooks.example.com/x', post: async () => ({ statusCode: 500, body: 'boom' }) });
    const teams = new WebhookNotifier({ kind: 'teams', defaultParameter: '/canary-controller/notify/p', readSecret: async () => Promise.reject(new Error('ParameterNotFound')), post: jest.fn() });
    const fanOut = new FanOutNotifier([slack, teams], (error) => failures.push(String(error)));

    await expect(fanOut.notify(EVENTS['rolled-back'])).resolves.toBeUndefined();

    expect(fanOut.failures).toBe(2);
    expect(failures[0]).toContain('slack webhook (/canary-controller/notify/p) answered HTTP 500: boom');
    expect(failures[1]).toContain('ParameterNotFound');
  });
});

describe('fetchPoster', () => {
  it('POSTs JSON and reports the status', async () => {
    const calls: Array<{ url: string; init: RequestInit }> = [];
    const fakeFetch = (async (url: string, init: RequestInit) => {
      calls.push({ url, init });
      return new Response('ok', { status: 200 });
    }) as unknown as typeof fetch;

    await expect(fetchPoster(fakeFetch)('https://hooks.slack.example/services/T/B/X', '{"text":"hi"}')).resolves.toEqual({ statusCode: 200, body: 'ok' });
    expect(calls).toHaveLength(1);
    expect(calls[0]!.url).toBe('https://hooks.slack.example/services/T/B/X');
    expect(calls[0]!.init).toMatchObject({ method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"text":"hi"}' });
  });

  it('gives up after its timeout', async () => {
    const slowFetch = ((_url: string, init: RequestInit) =>
      new Promise((_resolve, reject) => init.signal!.addEventListener('abort', () => reject(init.signal!.reason)))) as unknown as typeof fetch;

    await expect(fetchPoster(slowFetch, 50)('https://slow.example/', '{}')).rejects.toThrow();
  });
});
