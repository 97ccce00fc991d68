import type { SSMClient } from '@aws-sdk/client-ssm';
import { NOTIFY_PARAMETER_PREFIX } from '../spec/constants';
import { registerSecret } from '../shared/redact';
import { getSecureParameter } from './ssm';
import { headline, SKIPPED, type LifecycleEvent, type Notifier } from './notifier';

/**
 * Slack and Microsoft Teams incoming webhooks. Each lifecycle event becomes one message that
 * explains itself: what happened, where (step, weight), why (failing alarms with their states),
 * and, for a waiting gate, approve/reject buttons. The webhook URL is a secret: it lives in an
 * SSM SecureString parameter, read once per process.
 */

export type WebhookKind = 'slack' | 'teams';

const COLOURS: Record<LifecycleEvent['type'], { slack: string; teams: 'good' | 'attention' | 'warning' | 'accent' | 'default' }> = {
  started: { slack: '#439FE0', teams: 'accent' },
  'step-passed': { slack: '#2EB67D', teams: 'good' },
  'waiting-for-approval': { slack: '#ECB22E', teams: 'warning' },
  promoted: { slack: '#2EB67D', teams: 'good' },
  'rolled-back': { slack: '#E01E5A', teams: 'attention' },
  'rollback-failed': { slack: '#A00000', teams: 'attention' },
  'promotion-failed': { slack: '#A00000', teams: 'attention' },
  'failed-to-start': { slack: '#E01E5A', teams: 'attention' },
};

/** The facts of an event as label/value pairs, shared by both formats. */
export function eventFacts(e: LifecycleEvent): Array<{ title: string; value: string }> {
  const facts = [
    { title: 'Rollout', value: e.rolloutId },
    { title: 'Spec', value: e.specName },
  ];
  if (e.revision) facts.push({ title: 'Revision', value: e.revision });
  if (e.step !== undefined) facts.push({ title: 'Step', value: `${e.step + 1}${e.steps ? ` of ${e.steps}` : ''}` });
  else if (e.steps !== undefined && e.type === 'started') facts.push({ title: 'Steps', value: String(e.steps) });
  if (e.weight !== undefined) facts.push({ title: 'Canary weight', value: `${e.weight}%` });
  if (e.gate) facts.push({ title: 'Gate', value: e.gate });
  if (e.reason) facts.push({ title: e.type === 'waiting-for-approval' ? 'Expires' : 'Reason', value: e.reason });
  return facts;
}

function checkLines(e: LifecycleEvent): string[] {
  return (e.checks ?? []).map((c) => `${c.name}: ${c.state}${c.reason ? ` (${c.reason})` : ''}`);
}

const links = (e: LifecycleEvent) => (e.actions ?? []).filter((a): a is { label: string; url: string } => Boolean(a.url));
const commands = (e: LifecycleEvent) => (e.actions ?? []).filter((a) => !a.url && a.command).map((a) => a.command!);

/** Slack Block Kit message (incoming webhook). */
export function slackMessage(e: LifecycleEvent): Record<string, unknown> {
  const title = headline(e);
  const blocks: Array<Record<string, unknown>> = [
    { type: 'section', text: { type: 'mrkdwn', text: `${e.urgent ? ':rotating_light: <!channel> ' : ''}*${escapeSlack(title)}*` } },
    { type: 'section', fields: eventFacts(e).map((f) => ({ type: 'mrkdwn', text: `*${f.title}*\n${escapeSlack(f.value)}` })) },
  ];
  const checks = checkLines(e);
  if (checks.length > 0) {
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: `*Checks*\n${checks.map((l) => `• ${escapeSlack(l)}`).join('\n')}` } });
  }
  const buttons = links(e);
  if (buttons.length > 0) {
    blocks.push({
      type: 'actions',
      elements: buttons.map((a) => ({
        type: 'button',
        text: { type: 'plain_text', text: capitalise(a.label) },
        url: a.url,
        ...(a.label === 'approve' ? { style: 'primary' } : a.label === 'reject' ? { style: 'danger' } : {}),
      })),
    });
  }
  const cmds = commands(e);
  if (cmds.length > 0) blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: cmds.map((c) => `\`${c}\``).join('  ') }] });
  return { text: title, attachments: [{ color: COLOURS[e.type].slack, blocks }] };
}

/** Microsoft Teams message with an Adaptive Card (Workflows and legacy incoming webhooks accept it). */
export function teamsMessage(e: LifecycleEvent): Record<string, unknown> {
  const body: Array<Record<string, unknown>> = [
    {
      type: 'TextBlock',
      text: `${e.urgent ? 'URGENT: ' : ''}${headline(e)}`,
      weight: 'Bolder',
      size: 'Medium',
      wrap: true,
      color: COLOURS[e.type].teams,
    },
    { type: 'FactSet', facts: eventFacts(e) },
  ];
  const checks = checkLines(e);
  if (checks.length > 0) {
    body.push({ type: 'TextBlock', text: 'Alarms', weight: 'Bolder', wrap: true });
    body.push({ type: 'FactSet', facts: (e.checks ?? []).map((c) => ({ title: c.name, value: `${c.state}${c.reason ? ` (${c.reason})` : ''}` })) });
  }
  const cmds = commands(e);
  if (cmds.length > 0) body.push({ type: 'TextBlock', text: cmds.join('\n\n'), fontType: 'Monospace', isSubtle: true, wrap: true });
  return {
    type: 'message',
    attachments: [
      {
        contentType: 'application/vnd.microsoft.card.adaptive',
        contentUrl: null,
        content: {
          $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
          type: 'AdaptiveCard',
          version: '1.4',
          body,
          actions: links(e).map((a) => ({ type: 'Action.OpenUrl', title: capitalise(a.label), url: a.url })),
        },
      },
    ],
  };
}

/** Posts JSON to a URL; resolves with the HTTP status. */
export type Poster = (url: string, body: string) => Promise<{ statusCode: number; body?: string }>;

export const WEBHOOK_TIMEOUT_MS = 5000;

/**
 * Node's built-in fetch with a 5 s budget for the whole exchange. Built-in rather than the undici
 * package: bundling undici would add ~400 KB to every Lambda that notifies (bench/report.md).
 */
export function fetchPoster(fetchImpl: typeof fetch = globalThis.fetch, timeoutMs = WEBHOOK_TIMEOUT_MS): Poster {
  return async (url, body) => {
    let res: Response;
    try {
      res = await fetchImpl(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body, signal: AbortSignal.timeout(timeoutMs) });
    } catch (error) {
      // fetch's messages quote the URL ("Failed to parse URL from <url>"), and the URL is the
      // secret: keep only the error's name and code.
      const e = error as Error & { cause?: { code?: string } };
      throw new Error(`webhook POST failed: ${e.name}${e.cause?.code ? ` (${e.cause.code})` : ''}`);
    }
    const text = await res.text();
    return { statusCode: res.status, body: text.slice(0, 200) };
  };
}

/** Resolves an SSM SecureString parameter to its value, cached per name for the life of the process. */
export function ssmSecretReader(client?: SSMClient): (name: string) => Promise<string> {
  const cache = new Map<string, Promise<string>>();
  return (name) => {
    let value = cache.get(name);
    if (!value) {
      value = getSecureParameter(name, client).then((parameter) => {
        if (!parameter) throw new Error(`webhook parameter ${name} has no value`);
        registerSecret(parameter);
        return parameter;
      });
      // A failed read is not cached: the next event tries again.
      value.catch(() => cache.delete(name));
      cache.set(name, value);
    }
    return value;
  };
}

export interface WebhookNotifierOptions {
  kind: WebhookKind;
  /** Parameter used when the event's spec names none (env SLACK_WEBHOOK_PARAMETER / TEAMS_WEBHOOK_PARAMETER). */
  defaultParameter?: string;
  /** The spec's own parameter (notify.slackWebhookParameter), if any. */
  parameterFor?: (event: LifecycleEvent) => Promise<string | undefined>;
  readSecret?: (name: string) => Promise<string>;
  post?: Poster;
}

/**
 * One chat webhook. Throws on a failed delivery so that FanOutNotifier logs and counts it;
 * it never reaches the rollout. An event with no parameter configured is skipped (SKIPPED: not a delivery).
 */
export class WebhookNotifier implements Notifier {
  delivered = 0;
  private readonly readSecret: (name: string) => Promise<string>;
  private readonly post: Poster;

  constructor(private readonly options: WebhookNotifierOptions) {
    this.readSecret = options.readSecret ?? ssmSecretReader();
    this.post = options.post ?? fetchPoster();
  }

  async notify(event: LifecycleEvent): Promise<void | typeof SKIPPED> {
    const parameter = (await this.options.parameterFor?.(event).catch(() => undefined)) ?? this.options.defaultParameter;
    if (!parameter) return SKIPPED;
    // Only webhook parameters: the prefix holds nothing else, so a spec cannot point this reader
    // at the approval key or the GitHub secret (IAM allows only the prefix as well).
    if (!isNotifyParameter(parameter)) {
      throw new Error(`${this.options.kind} webhook parameter ${parameter} is not under ${NOTIFY_PARAMETER_PREFIX}: not read`);
    }
    const url = await this.readSecret(parameter);
    const payload = this.options.kind === 'slack' ? slackMessage(event) : teamsMessage(event);
    const res = await this.post(url, JSON.stringify(payload));
    if (res.statusCode < 200 || res.statusCode >= 300) {
      throw new Error(`${this.options.kind} webhook (${parameter}) answered HTTP ${res.statusCode}${res.body ? `: ${res.body}` : ''}`);
    }
    this.delivered++;
  }
}

/** True for an SSM name under the notifier prefix, with no `..` segment. */
export function isNotifyParameter(name: string): boolean {
  return name.startsWith(NOTIFY_PARAMETER_PREFIX) && name.length > NOTIFY_PARAMETER_PREFIX.length && !name.split('/').includes('..');
}

function escapeSlack(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
