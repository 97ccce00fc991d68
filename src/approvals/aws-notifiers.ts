import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { DynamoStore } from '../rollouts/dynamo-store';
import { FanOutNotifier, headline, type LifecycleEvent, type Notifier } from './notifier';
import { WebhookNotifier } from './webhooks';
import { redactDeep, redactingReplacer } from '../shared/redact';

/** EventBridge `detail-type` per lifecycle change; documented in the README's Events section. */
export const DETAIL_TYPES: Record<LifecycleEvent['type'], string> = {
  started: 'Canary Rollout Started',
  'step-passed': 'Canary Rollout Step Passed',
  'waiting-for-approval': 'Canary Rollout Waiting For Approval',
  promoted: 'Canary Rollout Promoted',
  'rolled-back': 'Canary Rollout Rolled Back',
  'rollback-failed': 'Canary Rollout Rollback Failed',
  'promotion-failed': 'Canary Rollout Promotion Failed',
  'failed-to-start': 'Canary Rollout Failed To Start',
};

export const EVENT_SOURCE = 'canary-controller';

/**
 * The event as it may leave for broad audiences (the event bus, the SNS topic): signed approval
 * links are bearer credentials, so they go only to the chat webhooks (themselves secrets); here an
 * approval is a rollout id, a gate name and the canaryctl commands. Anything secret-shaped is redacted.
 */
export function publicEvent(e: LifecycleEvent): LifecycleEvent {
  const actions = e.actions?.filter((a) => a.command).map((a) => ({ label: a.label, command: a.command }));
  const { actions: _links, ...rest } = e;
  return redactDeep(actions?.length ? { ...rest, actions } : rest);
}

/** The readable body of a message: headline, then the facts that explain it. */
export function messageBody(e: LifecycleEvent): string {
  const lines = [headline(e), '', `rollout: ${e.rolloutId}`, `spec: ${e.specName}`];
  if (e.revision) lines.push(`revision: ${e.revision}`);
  if (e.step !== undefined) lines.push(`step: ${e.step + 1}${e.steps ? ` of ${e.steps}` : ''}${e.weight !== undefined ? `, canary weight ${e.weight}%` : ''}`);
  if (e.reason) lines.push(`reason: ${e.reason}`);
  for (const c of e.checks ?? []) lines.push(`  - ${c.name}: ${c.state}${c.reason ? ` (${c.reason})` : ''}`);
  for (const a of e.actions ?? []) lines.push(`${a.label}: ${a.url ?? a.command ?? ''}`);
  return lines.join('\n');
}

export class SnsNotifier implements Notifier {
  constructor(
    private readonly topicArn: string,
    private readonly client: SNSClient = new SNSClient({}),
  ) {}

  async notify(event: LifecycleEvent): Promise<void> {
    const e = publicEvent(event);
    await this.client.send(
      new PublishCommand({
        TopicArn: this.topicArn,
        // SNS rejects subjects with line breaks or control characters, or of 100 characters or more;
        // a reason may be a multi-line error message.
        Subject: headline(e).replace(/[\s\u0000-\u001f\u007f]+/g, ' ').trim().slice(0, 99),
        Message: messageBody(e),
        MessageAttributes: {
          type: { DataType: 'String', StringValue: e.type },
          spec: { DataType: 'String', StringValue: e.specName },
          urgent: { DataType: 'String', StringValue: String(Boolean(e.urgent)) },
        },
      }),
    );
  }
}

export class EventBridgeNotifier implements Notifier {
  constructor(
    private readonly busName: string,
    private readonly client: EventBridgeClient = new EventBridgeClient({}),
  ) {}

  async notify(event: LifecycleEvent): Promise<void> {
    const e = publicEvent(event);
    const out = await this.client.send(
      new PutEventsCommand({ Entries: [{ EventBusName: this.busName, Source: EVENT_SOURCE, DetailType: DETAIL_TYPES[e.type], Detail: JSON.stringify(e) }] }),
    );
    if (out.FailedEntryCount) throw new Error(`PutEvents failed: ${out.Entries?.[0]?.ErrorCode ?? 'unknown'} ${out.Entries?.[0]?.ErrorMessage ?? ''}`);
  }
}

/** SNS (TOPIC_ARN) and EventBridge (EVENT_BUS_NAME) from the environment; failures are logged, and thrown only for an urgent alert no channel accepted. */
export function defaultNotifier(env: NodeJS.ProcessEnv = process.env): Notifier {
  const notifiers: Notifier[] = [];
  if (env.TOPIC_ARN) notifiers.push(new SnsNotifier(env.TOPIC_ARN));
  if (env.EVENT_BUS_NAME) notifiers.push(new EventBridgeNotifier(env.EVENT_BUS_NAME));
  // Slack and Teams: the spec's own webhook parameter (notify.*WebhookParameter, read from the
  // rollout's history record) or the controller-wide one from the environment.
  const specNotify = env.TABLE_NAME ? specNotifyLookup(new DynamoStore(env.TABLE_NAME)) : undefined;
  notifiers.push(
    new WebhookNotifier({ kind: 'slack', defaultParameter: env.SLACK_WEBHOOK_PARAMETER || undefined, parameterFor: async (e) => (await specNotify?.(e))?.slackWebhookParameter }),
    new WebhookNotifier({ kind: 'teams', defaultParameter: env.TEAMS_WEBHOOK_PARAMETER || undefined, parameterFor: async (e) => (await specNotify?.(e))?.teamsWebhookParameter }),
  );
  return new FanOutNotifier(notifiers, (error, event) =>
    console.error(JSON.stringify({ level: 'WARN', message: 'notification delivery failed', type: event.type, rolloutId: event.rolloutId, error: String(error) }, redactingReplacer)),
  );
}

type SpecNotify = { slackWebhookParameter?: string; teamsWebhookParameter?: string };

/** The `notify` block of the rollout's spec, read once per rollout per process. */
function specNotifyLookup(store: Pick<DynamoStore, 'getRollout'>): (e: LifecycleEvent) => Promise<SpecNotify | undefined> {
  const cache = new Map<string, Promise<SpecNotify | undefined>>();
  return (e) => {
    let found = cache.get(e.rolloutId);
    if (!found) {
      found = store
        .getRollout(e.rolloutId)
        .then((r) => (r?.spec as { notify?: SpecNotify } | undefined)?.notify)
        .catch(() => undefined);
      cache.set(e.rolloutId, found);
    }
    return found;
  };
}
