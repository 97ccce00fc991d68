/**
 * Redaction of secret values before anything leaves the process (log lines, errors, events,
 * notifications, reports). Two nets, because either alone misses something:
 * - values: every secret this process read (webhook URLs, signing keys, webhook secrets, tokens)
 *   is registered when read, and each occurrence is replaced wherever it appears;
 * - shapes: secrets the process never read itself (a signed approval link, a Step Functions task
 *   token, a Slack or Teams hook URL typed into a spec) are recognised by their form or by the
 *   key they sit under.
 */

export const REDACTED = '[REDACTED]';

/** Shorter values would redact ordinary words; no secret we read is that short. */
const MIN_SECRET_LENGTH = 8;

const secrets = new Set<string>();

/** Registers a secret value read by this process: it is redacted from now on. */
export function registerSecret(value: string | undefined): void {
  if (!value || value.length < MIN_SECRET_LENGTH) return;
  for (const v of [value, value.trim(), encodeURIComponent(value), JSON.stringify(value).slice(1, -1)]) {
    if (v.length >= MIN_SECRET_LENGTH) secrets.add(v);
  }
}

/** Forgets every registered secret (tests). */
export function clearSecrets(): void {
  secrets.clear();
}

/** Object keys whose values are secrets whatever they look like. */
const SECRET_KEY = /^(task_?token|token|secret|password|signature|authorization|webhook_?url|x-hub-signature(-256)?)$/i;

const SHAPES: Array<[RegExp, string]> = [
  // Signed approval links: /approvals/<payload>.<signature>
  [/\/approvals\/[A-Za-z0-9_.~%-]{8,}/g, `/approvals/${REDACTED}`],
  // Chat incoming-webhook URLs carry their credential in the path.
  [/https?:\/\/hooks\.slack\.com\/[^\s"'<>]*/gi, REDACTED],
  [/https?:\/\/[a-z0-9.-]*\.(webhook\.office\.com|logic\.azure\.com|powerautomate\.com)[^\s"'<>]*/gi, REDACTED],
  // Step Functions task tokens are long opaque base64 strings; nothing else we log is.
  [/[A-Za-z0-9+/=]{200,}/g, REDACTED],
];

/** The text with every registered secret and every secret-shaped substring replaced. */
export function redact(text: string): string {
  let out = text;
  for (const s of secrets) if (out.includes(s)) out = out.split(s).join(REDACTED);
  for (const [shape, replacement] of SHAPES) out = out.replace(shape, replacement);
  return out;
}

/** JSON.stringify replacer: redacts strings, and values under secret-named keys entirely. */
export function redactingReplacer(key: string, value: unknown): unknown {
  if (key && SECRET_KEY.test(key) && value !== undefined && value !== null && value !== '') return REDACTED;
  return typeof value === 'string' ? redact(value) : value;
}

/** A deep copy of a JSON-like value with every secret redacted (events, notifications, reports). */
export function redactDeep<T>(value: T): T {
  return JSON.parse(JSON.stringify(value, redactingReplacer) ?? 'null') as T;
}

/**
 * The same error with a redacted message and stack (name and cause chain kept: the name is the
 * ASL's Retry/Catch contract). Used where errors are shaped for the state machine and logs.
 */
export function redactError<E>(error: E): E {
  if (!(error instanceof Error)) return error;
  const message = redact(error.message);
  if (message !== error.message) {
    try {
      error.message = message;
    } catch {
      // a frozen error keeps its message; the logger's replacer still redacts it
    }
  }
  if (error.stack) error.stack = redact(error.stack);
  if (error.cause !== undefined) redactError(error.cause);
  return error;
}
