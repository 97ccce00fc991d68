import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { DETAIL_TYPES, EVENT_SOURCE, EventBridgeNotifier, SnsNotifier } from '../../../src/approvals/aws-notifiers';
import { AlertNotDeliveredError, FanOutNotifier, headline, RecordingNotifier, SKIPPED, type LifecycleEvent, type LifecycleType, type Notifier } from '../../../src/approvals/notifier';

const sns = mockClient(SNSClient);
const eventBridge = mockClient(EventBridgeClient);

const TOPIC = 'arn:aws:sns:us-east-1:123456789012:canary';
const BUS = 'canary-bus';
const ALL_TYPES: LifecycleType[] = ['started', 'step-passed', 'waiting-for-approval', 'promoted', 'rolled-back', 'rollback-failed', 'promotion-failed', 'failed-to-start'];

function lifecycle(overrides: Partial<LifecycleEvent> = {}): LifecycleEvent {
  return { type: 'started', rolloutId: 'user-service-abc123', specName: 'user-service', at: '2025-03-01T12:00:00.000Z', ...overrides };
}

/** A rollback at step 2 of 4 (25%) because two alarms fired. */
function rolledBack(overrides: Partial<LifecycleEvent> = {}): LifecycleEvent {
  return lifecycle({
    type: 'rolled-back',
    step: 1,
    steps: 4,
    weight: 25,
    reason: 'user-5xx, user-p99 in ALARM',
    checks: [
      { name: 'user-5xx', kind: 'metric', state: 'ALARM', reason: 'Threshold Crossed: 1 datapoint [12.0] > 5.0' },
      { name: 'user-p99', kind: 'composite', state: 'ALARM' },
      { name: 'user-cpu', kind: 'metric', state: 'INSUFFICIENT_DATA' },
    ],
    ...overrides,
  });
}

beforeEach(() => {
  sns.reset();
  eventBridge.reset();
});

describe('SnsNotifier', () => {
  it('publishes the headline as subject and the facts as message', async () => {
    // Prepare
    sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
    const event = rolledBack();

    // Act
    await new SnsNotifier(TOPIC, new SNSClient({})).notify(event);

    // Assess
    const input = sns.commandCalls(PublishCommand)[0]!.args[0].input;
    expect(input.TopicArn).toBe(TOPIC);
    expect(input.Subject).toBe('user-service: rolled back at step 2/4 (25%): user-5xx, user-p99 in ALARM');
    const lines = input.Message!.split('\n');
    expect(lines[0]).toBe(input.Subject);
    expect(lines).toEqual(
      expect.arrayContaining([
        'rollout: user-service-abc123',
        'step: 2 of 4, canary weight 25%',
        'reason: user-5xx, user-p99 in ALARM',
        '  - user-5xx: ALARM (Threshold Crossed: 1 datapoint [12.0] > 5.0)',
        '  - user-p99: ALARM',
        '  - user-cpu: INSUFFICIENT_DATA',
      ]),
    );
  });

  it('sets message attributes subscribers can filter on', async () => {
    // Prepare
    sns.on(PublishCommand).resolves({});

    // Act
    await new SnsNotifier(TOPIC, new SNSClient({})).notify(lifecycle({ type: 'rollback-failed', urgent: true, reason: 'UpdateRoute denied' }));

    // Assess
    expect(sns.commandCalls(PublishCommand)[0]!.args[0].input.MessageAttributes).toEqual({
      type: { DataType: 'String', StringValue: 'rollback-failed' },
      spec: { DataType: 'String', StringValue: 'user-service' },
      urgent: { DataType: 'String', StringValue: 'true' },
    });
  });

  it('keeps the subject under the 100 characters SNS accepts', async () => {
    // Prepare
    sns.on(PublishCommand).resolves({});
    const event = rolledBack({ reason: `${'very-long-alarm-name-'.repeat(10)}in ALARM` });

    // Act
    await new SnsNotifier(TOPIC, new SNSClient({})).notify(event);

    // Assess
    const input = sns.commandCalls(PublishCommand)[0]!.args[0].input;
    expect(input.Subject!.length).toBeLessThan(100);
    expect(input.Subject!.startsWith('user-service: rolled back at step 2/4 (25%): very-long-alarm-name-')).toBe(true);
    expect(input.Message).toContain(event.reason);
  });

  it('keeps line breaks of a multi-line reason out of the subject', async () => {
    // Prepare
    sns.on(PublishCommand).resolves({});
    const event = lifecycle({ type: 'failed-to-start', reason: 'invalid rollout spec:\n  name: is required' });

    // Act
    await new SnsNotifier(TOPIC, new SNSClient({})).notify(event);

    // Assess
    const input = sns.commandCalls(PublishCommand)[0]!.args[0].input;
    expect(input.Subject).toBe('user-service: rollout did not start: invalid rollout spec: name: is required');
    expect(input.Message).toContain('invalid rollout spec:\n  name: is required');
  });

  it('lists the commands an approver can run, never a signed link (every topic subscriber would hold it)', async () => {
    // Prepare
    sns.on(PublishCommand).resolves({});
    const event = lifecycle({
      type: 'waiting-for-approval',
      gate: 'beforePromotion',
      actions: [
        { label: 'Approve', url: 'https://canary.example.com/approvals/eyJyIjoidXNlciJ9.c2lnbmF0dXJl' },
        { label: 'Reject', command: 'canaryctl reject user-service-abc123' },
      ],
    });

    // Act
    await new SnsNotifier(TOPIC, new SNSClient({})).notify(event);

    // Assess
    const message = sns.commandCalls(PublishCommand)[0]!.args[0].input.Message!;
    expect(message).not.toContain('https://canary.example.com/approvals/');
    expect(message).not.toContain('c2lnbmF0dXJl');
    expect(message).toContain('Reject: canaryctl reject user-service-abc123');
    expect(message).toContain('rollout: ');
  });
});

describe('EventBridgeNotifier', () => {
  it.each(ALL_TYPES)('puts a %s event with its own detail-type and the event as detail', async (type) => {
    // Prepare
    eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] });
    const event = lifecycle({ type });

    // Act
    await new EventBridgeNotifier(BUS, new EventBridgeClient({})).notify(event);

    // Assess
    const entries = eventBridge.commandCalls(PutEventsCommand)[0]!.args[0].input.Entries!;
    expect(entries).toHaveLength(1);
    expect(entries[0]).toEqual({ EventBusName: BUS, Source: EVENT_SOURCE, DetailType: DETAIL_TYPES[type], Detail: JSON.stringify(event) });
  });

  it('puts a waiting gate on the bus as a rollout id and a gate name, never with its signed links', async () => {
    // Prepare
    eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] });
    const link = 'https://api.example.com/approvals/eyJyb2xsb3V0SWQiOiJ1In0.bGlua3NpZ25hdHVyZQ';
    const event = lifecycle({
      type: 'waiting-for-approval',
      gate: 'beforePromotion',
      actions: [
        { label: 'approve', url: link },
        { label: 'approve', command: 'canaryctl approve user-service-abc123' },
      ],
    });

    // Act
    await new EventBridgeNotifier(BUS, new EventBridgeClient({})).notify(event);

    // Assess
    const detail = eventBridge.commandCalls(PutEventsCommand)[0]!.args[0].input.Entries![0]!.Detail!;
    expect(detail).not.toContain('bGlua3NpZ25hdHVyZQ');
    expect(detail).not.toContain('/approvals/');
    expect(JSON.parse(detail)).toMatchObject({ rolloutId: event.rolloutId, gate: 'beforePromotion', actions: [{ label: 'approve', command: 'canaryctl approve user-service-abc123' }] });
  });

  it('uses a distinct detail-type for every lifecycle type', () => {
    // Act
    const detailTypes = ALL_TYPES.map((t) => DETAIL_TYPES[t]);

    // Assess
    expect(new Set(detailTypes).size).toBe(ALL_TYPES.length);
    expect(detailTypes.every((d) => d.startsWith('Canary Rollout '))).toBe(true);
  });

  it('throws when EventBridge reports a failed entry', async () => {
    // Prepare
    eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'InternalFailure', ErrorMessage: 'try again' }] });

    // Act
    const act = new EventBridgeNotifier(BUS, new EventBridgeClient({})).notify(lifecycle());

    // Assess
    await expect(act).rejects.toThrow('PutEvents failed: InternalFailure try again');
  });
});

describe('FanOutNotifier', () => {
  const failing = (message: string): Notifier => ({ notify: async () => Promise.reject(new Error(message)) });

  it('delivers to every notifier even when some fail, and never throws', async () => {
    // Prepare
    const first = new RecordingNotifier();
    const last = new RecordingNotifier();
    const onFailure = jest.fn();
    const fanOut = new FanOutNotifier([first, failing('SNS down'), last, failing('bus gone')], onFailure);
    const event = lifecycle();

    // Act
    const act = fanOut.notify(event);

    // Assess
    await expect(act).resolves.toBeUndefined();
    expect(first.events).toEqual([event]);
    expect(last.events).toEqual([event]);
    expect(fanOut.failures).toBe(2);
    expect(onFailure.mock.calls.map(([error, e]) => [(error as Error).message, e])).toEqual([
      ['SNS down', event],
      ['bus gone', event],
    ]);
  });

  it('throws for an urgent event that no channel accepted, so the loud state retries it', async () => {
    // Prepare
    const skipped: Notifier = { notify: async () => SKIPPED };
    const fanOut = new FanOutNotifier([failing('SNS down'), skipped]);
    const urgent = lifecycle({ type: 'rollback-failed', urgent: true });

    // Act
    const act = fanOut.notify(urgent);

    // Assess
    await expect(act).rejects.toBeInstanceOf(AlertNotDeliveredError);
    await expect(fanOut.notify(urgent)).rejects.toThrow('1 failed, 1 not configured): Error: SNS down');
  });

  it('accepts an urgent event that one channel of several delivered', async () => {
    // Prepare
    const delivered = new RecordingNotifier();
    const fanOut = new FanOutNotifier([failing('SNS down'), delivered]);
    const urgent = lifecycle({ type: 'rollback-failed', urgent: true });

    // Act
    await fanOut.notify(urgent);

    // Assess
    expect(delivered.events).toEqual([urgent]);
  });

  it('counts failures across events', async () => {
    // Prepare
    const fanOut = new FanOutNotifier([failing('down')]);

    // Act
    await fanOut.notify(lifecycle());
    await fanOut.notify(lifecycle({ type: 'promoted' }));

    // Assess
    expect(fanOut.failures).toBe(2);
  });

  it('swallows a failing SNS publish next to a working EventBridge put', async () => {
    // Prepare
    sns.on(PublishCommand).rejects(new Error('AuthorizationError'));
    eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0 });
    const fanOut = new FanOutNotifier([new SnsNotifier(TOPIC, new SNSClient({})), new EventBridgeNotifier(BUS, new EventBridgeClient({}))]);

    // Act
    await fanOut.notify(rolledBack());

    // Assess
    expect(fanOut.failures).toBe(1);
    expect(eventBridge.commandCalls(PutEventsCommand)).toHaveLength(1);
  });
});

describe('headline', () => {
  it.each<[string, Partial<LifecycleEvent>, string]>([
    ['started', { type: 'started', revision: 'abc1234' }, 'Rollout user-service-abc123 of user-service started (abc1234)'],
    ['started without revision', { type: 'started' }, 'Rollout user-service-abc123 of user-service started'],
    ['step-passed', { type: 'step-passed', step: 0, steps: 3, weight: 10 }, 'user-service: step passed at step 1/3 (10%)'],
    ['waiting-for-approval', { type: 'waiting-for-approval', gate: 'beforePromotion', step: 2, steps: 3, weight: 100 }, 'user-service: waiting for approval (beforePromotion) at step 3/3 (100%)'],
    ['promoted', { type: 'promoted' }, 'user-service: promoted (rollout user-service-abc123)'],
    ['rolled-back', { type: 'rolled-back', step: 1, weight: 25, reason: 'user-5xx in ALARM' }, 'user-service: rolled back at step 2 (25%): user-5xx in ALARM'],
    ['rolled-back whose reason names the step', { type: 'rolled-back', step: 1, weight: 25, reason: 'step 2 (25%): user-5xx in ALARM' }, 'user-service: rolled back: step 2 (25%): user-5xx in ALARM'],
    ['rolled-back without reason', { type: 'rolled-back' }, 'user-service: rolled back: unknown reason'],
    [
      'rollback-failed',
      { type: 'rollback-failed', step: 1, steps: 4, weight: 25, reason: 'UpdateRoute denied' },
      'URGENT user-service: rollback FAILED at step 2/4 (25%); traffic may still be split: UpdateRoute denied',
    ],
    ['failed-to-start', { type: 'failed-to-start', reason: 'route user-route is locked' }, 'user-service: rollout did not start: route user-route is locked'],
  ])('reads well for %s', (_case, overrides, expected) => {
    // Act
    const text = headline(lifecycle(overrides));

    // Assess
    expect(text).toBe(expected);
  });

  it('marks only the loud failures (rollback or promotion failed) as URGENT', () => {
    // Act
    const urgent = ALL_TYPES.filter((type) => headline(lifecycle({ type, reason: 'x' })).includes('URGENT'));

    // Assess
    expect(urgent).toEqual(['rollback-failed', 'promotion-failed']);
  });
});
