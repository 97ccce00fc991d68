import { createHmac } from 'node:crypto';
import type { LambdaCheck, WebhookCheck } from '../spec/analysis';
import type { CheckResult } from './judge';

/**
 * Custom checks: a Lambda function or an HTTPS webhook answers for a step. Both get the same
 * context and both come back as a CheckResult with the answer in its evidence. Used for
 * `analysis.lambdaChecks[]`, `analysis.webhooks[]` and `hooks.beforeStep[]`.
 */

/** What a custom check is told about the rollout. Never a secret or a token. */
export interface CheckContext {
  phase: 'analysis' | 'beforeStep';
  check: string;
  rolloutId: string;
  specName: string;
  revision?: string;
  /** Index of the step being judged, or (beforeStep) the step about to start. */
  step: number;
  /** Canary weight of that step, in percent. */
  weight: number;
  canary: string;
  stable: string;
  window?: { start: string; end: string };
}

/** The I/O custom checks need; real AWS by default (see `awsCustomCheckPorts`), fakes in tests and locally. */
export interface CustomCheckPorts {
  /** Invokes a function synchronously; `functionError` is set when the function threw. */
  invoke(functionName: string, payload: string, timeoutSeconds: number): Promise<{ functionError?: string; payload: string }>;
  /** The HMAC secret of a webhook (SSM SecureString or Secrets Manager). */
  secret(ref: { parameter?: string; arn?: string }): Promise<string>;
  fetch: typeof fetch;
  /** Pause between webhook retries; injectable so tests do not wait. */
  sleep?(ms: number): Promise<void>;
}

/** Longest webhook or Lambda answer kept in the history. */
export const MAX_RESPONSE_CHARS = 256;

/** `sha256=<hex>` HMAC of `<timestamp>.<body>`: what a receiver recomputes to trust a webhook call. */
export function signWebhook(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/**
 * Invokes a Lambda check. The function answers `{ "result": "pass" | "fail" | "inconclusive",
 * "reason": "..." }`; anything else (a thrown error, another shape) is a failed check, never a pass.
 */
export async function runLambdaCheck(check: LambdaCheck, context: CheckContext, ports: CustomCheckPorts, kind: CheckResult['kind'] = 'lambda'): Promise<CheckResult> {
  const base = { name: check.name, kind, evidence: { query: `lambda ${check.function}` } };
  const answer = await ports.invoke(check.function, JSON.stringify(context), check.timeout);
  const response = truncate(answer.payload);
  if (answer.functionError) {
    return { ...base, state: 'ALARM', reason: `function error (${answer.functionError})`, evidence: { ...base.evidence, response } };
  }
  let parsed: { result?: unknown; reason?: unknown } | undefined;
  try {
    parsed = JSON.parse(answer.payload) as typeof parsed;
  } catch {
    parsed = undefined;
  }
  const result = typeof parsed?.result === 'string' ? parsed.result.toLowerCase() : undefined;
  const reason = typeof parsed?.reason === 'string' ? truncate(parsed.reason) : undefined;
  if (result === 'pass') return { ...base, state: 'OK', reason: reason ?? 'pass', evidence: { ...base.evidence, response } };
  if (result === 'inconclusive') return { ...base, state: 'INSUFFICIENT_DATA', onNoData: 'wait', reason: reason ?? 'inconclusive', evidence: { ...base.evidence, response } };
  if (result === 'fail') return { ...base, state: 'ALARM', reason: reason ?? 'fail', evidence: { ...base.evidence, response } };
  return { ...base, state: 'ALARM', reason: 'answer is not {"result": "pass" | "fail" | "inconclusive"}', evidence: { ...base.evidence, response } };
}

/**
 * POSTs the context to a webhook, signed, with a timeout and retries on timeouts, network errors,
 * 429 and 5xx. 2xx passes; any other answer (or none) fails. The secret and the signature are
 * never put in a result; the body is truncated.
 */
export async function runWebhook(check: WebhookCheck, context: CheckContext, ports: CustomCheckPorts, kind: CheckResult['kind'] = 'webhook'): Promise<CheckResult> {
  const url = new URL(check.url);
  // The origin only: hook URLs often carry their token in the path (Slack-style), and evidence
  // reaches history, notifications and reports.
  const base = { name: check.name, kind, evidence: { query: `POST ${url.origin}` } };
  const secret = check.secretParameter || check.secretArn ? await ports.secret({ parameter: check.secretParameter, arn: check.secretArn }) : undefined;
  const body = JSON.stringify(context);
  const sleep = ports.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  let last = '';
  const attempts = check.retries + 1;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const timestamp = String(Math.floor(Date.now() / 1000));
    const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': 'canary-controller', 'x-canary-timestamp': timestamp };
    if (secret !== undefined) headers['x-canary-signature'] = signWebhook(secret, timestamp, body);
    try {
      const res = await ports.fetch(check.url, { method: 'POST', headers, body, signal: AbortSignal.timeout(check.timeout * 1000), redirect: 'error' });
      const text = truncate(await res.text().catch(() => ''));
      const response = `HTTP ${res.status}${text ? `: ${text}` : ''}`;
      if (res.status >= 200 && res.status < 300) return { ...base, state: 'OK', reason: `answered ${res.status}`, evidence: { ...base.evidence, response } };
      if (res.status !== 429 && res.status < 500) return { ...base, state: 'ALARM', reason: `answered ${res.status}`, evidence: { ...base.evidence, response } };
      last = `answered ${res.status}`;
      if (attempt === attempts) return { ...base, state: 'ALARM', reason: `${last} after ${attempt} attempts`, evidence: { ...base.evidence, response } };
    } catch (error) {
      last = (error as Error).name === 'TimeoutError' ? `no answer within ${check.timeout}s` : `unreachable (${(error as Error).message})`;
      if (attempt === attempts) return { ...base, state: 'ALARM', reason: `${last} after ${attempt} attempts`, evidence: base.evidence };
    }
    await sleep(250 * 2 ** (attempt - 1));
  }
  return { ...base, state: 'ALARM', reason: last };
}

/** Real ports: Lambda Invoke, SSM / Secrets Manager, global fetch. Loaded on first use (cold start). */
export function awsCustomCheckPorts(): CustomCheckPorts {
  let lambda: import('@aws-sdk/client-lambda').LambdaClient | undefined;
  let secrets: import('../triggers/secrets').SecretReader | undefined;
  return {
    async invoke(functionName, payload, timeoutSeconds) {
      const sdk = require('@aws-sdk/client-lambda') as typeof import('@aws-sdk/client-lambda');
      lambda ??= new sdk.LambdaClient({});
      const { classifyAwsError } = require('../shared/errors') as typeof import('../shared/errors');
      const out = await lambda
        .send(new sdk.InvokeCommand({ FunctionName: functionName, InvocationType: 'RequestResponse', Payload: new TextEncoder().encode(payload) }), {
          abortSignal: AbortSignal.timeout(timeoutSeconds * 1000),
        })
        .catch((error: unknown) => {
          throw classifyAwsError(error, `Invoke ${functionName}`);
        });
      return { functionError: out.FunctionError, payload: out.Payload ? new TextDecoder().decode(out.Payload) : '' };
    },
    async secret(ref) {
      const { SecretReader } = require('../triggers/secrets') as typeof import('../triggers/secrets');
      secrets ??= new SecretReader();
      return ref.parameter ? secrets.parameter(ref.parameter) : secrets.secret(ref.arn!);
    },
    fetch: (...args) => fetch(...args),
  };
}

function truncate(text: string): string {
  return text.length > MAX_RESPONSE_CHARS ? `${text.slice(0, MAX_RESPONSE_CHARS)}… (${text.length} chars)` : text;
}
