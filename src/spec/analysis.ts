import * as z from '../shared/zod-mini';
import { compareName, PLACEHOLDER } from './constants';
import { parseDuration } from './duration';
import { fail, textOrNumber, wholeNumber } from './fields';
import { refineSequential, sequentialShape } from './sequential';

/**
 * The analysis checks beyond alarms: canary-against-stable comparisons (`analysis.compare[]`),
 * raw CloudWatch metric checks (`analysis.metrics[]`), Lambda checks, webhooks, and the
 * `hooks.beforeStep` that reuse them. Every object is strict, like the rest of the spec.
 */

/** A check's name as it appears in verdicts, history and reports. */
const checkName = z
  .string({ error: 'must be a string' })
  .check(z.regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,62}$/, { error: 'must be 1-63 letters, digits, ".", "_", ":" or "-", starting with a letter or digit' }));

/** A time in milliseconds: `300ms`, `0.5s`, `2s`, or a bare number of milliseconds. */
const millis = textOrNumber(
  'must be a time such as 300ms or 1.5s',
  (value, ctx) => {
    const ms = parseMillis(value);
    if (ms === undefined || ms <= 0 || ms > 3_600_000) return fail(ctx, `must be a time between 1ms and 1h such as 300ms or 1.5s, got "${value}"`);
    return ms;
  },
  { type: ['string', 'number'], description: 'Milliseconds: 300ms, 1.5s, or a number of milliseconds' },
);

/** `300ms`, `1.5s`, `300` → milliseconds; undefined when the text is not a time. */
export function parseMillis(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s)?\s*$/.exec(value);
  if (!m) return undefined;
  return Number(m[1]) * (m[2] === 's' ? 1000 : 1);
}

/**
 * Percentage points: `0.5%`, or a fraction (0.005). The output is the fraction, which reads back
 * the same (execution inputs carry the parsed spec).
 */
const points = textOrNumber(
  'must be percentage points such as 0.5%',
  (value, ctx) => {
    const m = typeof value === 'string' ? /^\s*(\d+(?:\.\d+)?)\s*%\s*$/.exec(value) : undefined;
    const n = typeof value === 'number' ? value : m ? Number(m[1]) / 100 : Number.NaN;
    if (!(n >= 0 && n <= 1)) return fail(ctx, `must be percentage points such as 0.5% (or a fraction from 0 to 1 such as 0.005), got "${value}"`);
    return n;
  },
  { type: ['string', 'number'], description: 'Percentage points: 0.5% (or the fraction 0.005)' },
);

/**
 * A CloudWatch period in seconds. CloudWatch accepts 1, 5, 10, 20, 30 (high-resolution metrics)
 * or a multiple of 60; anything else returns no data, so it is refused here.
 */
const period = textOrNumber(
  'must be a period such as 60s or 5m',
  (value, ctx) => {
    const seconds = parseDuration(value);
    if (seconds === undefined || !([1, 5, 10, 20, 30].includes(seconds) || (seconds % 60 === 0 && seconds > 0 && seconds <= 86400))) {
      return fail(ctx, `must be 1s, 5s, 10s, 20s, 30s or a multiple of 60s up to 1d (CloudWatch periods), got "${value}"`);
    }
    return seconds;
  },
  { type: ['string', 'number'], description: 'CloudWatch period: 1s, 5s, 10s, 20s, 30s or a multiple of 60s' },
);

/** A duration in whole seconds within bounds (timeouts). */
const seconds = (min: number, max: number) =>
  textOrNumber(
    'must be a duration such as 10s',
    (value, ctx) => {
      const s = parseDuration(value);
      if (s === undefined || s < min || s > max) return fail(ctx, `must be a duration between ${min}s and ${max}s, got "${value}"`);
      return s;
    },
    { type: ['string', 'number'], description: `Duration between ${min}s and ${max}s` },
  );

export { PLACEHOLDER };

// ---------------------------------------------------------------------------------------------
// analysis.compare[]

/**
 * Fields of one comparison. Exported as a shape so that other judges (e.g. `test: sequential`)
 * add their fields to the same entry instead of defining a second one.
 */
export const compareShape = {
  /** Name in verdicts and reports. Default: the metric (`errorRate`, `slowRequests>300ms`). */
  name: z.optional(checkName),
  /** `errorRate`: 5xx / requests. `slowRequests`: share of requests slower than `over`. */
  metric: z.enum(['errorRate', 'slowRequests'], { error: 'must be errorRate or slowRequests' }),
  /** For slowRequests: the latency bound (`300ms`). */
  over: z.optional(millis),
  /** The canary's rate may exceed stable's by at most this many percentage points (`0.5%`). */
  maxIncrease: z.optional(points),
  /** The canary's rate may be at most this multiple of stable's. */
  maxRatio: z.optional(z.number({ error: 'must be a number' }).check(z.gte(1, { error: 'must be at least 1' }), z.lte(1000))),
  /** Fewer canary requests than this in the window: inconclusive (judged again), never healthy or failed. */
  minRequests: z._default(z.number({ error: 'must be a number' }).check(z.int({ error: 'must be a whole number' }), z.gte(1), z.lte(1_000_000_000)), 100),
  /** CloudWatch period of the per-version counts. */
  period: z._default(period, 60),
};

/** The rules every comparison keeps, whatever judge reads it; other judges may relax the limit rule for their entries. */
export function refineCompare(entry: { metric: string; over?: number; maxIncrease?: number; maxRatio?: number; test?: unknown }, ctx: z.core.$RefinementCtx): void {
  if (entry.metric === 'slowRequests' && entry.over === undefined) {
    ctx.addIssue({ code: 'custom', path: ['over'], message: 'is required for slowRequests (the latency bound, e.g. 300ms)' });
  }
  if (entry.metric === 'errorRate' && entry.over !== undefined) {
    ctx.addIssue({ code: 'custom', path: ['over'], message: 'applies only to slowRequests' });
  }
  if (entry.maxIncrease === undefined && entry.maxRatio === undefined && entry.test === undefined) {
    ctx.addIssue({ code: 'custom', message: 'needs a limit: maxIncrease (percentage points) and/or maxRatio' });
  }
}

export const CompareSchema = z.strictObject({ ...compareShape, ...sequentialShape(points) }).check(
  z.superRefine((entry, ctx) => {
    refineCompare(entry, ctx);
    refineSequential(entry, ctx);
  }),
);
export type CompareCheck = z.output<typeof CompareSchema>;

export { compareName };

// ---------------------------------------------------------------------------------------------
// analysis.metrics[]

/** CloudWatch statistics: the named ones, percentiles (p99, p99.9), trimmed and percentile-rank forms (TM(10%:90%), PR(:300)). */
const STAT = /^(SampleCount|Average|Sum|Minimum|Maximum|IQM|p\d{1,2}(\.\d+)?|(tm|wm|tc|ts)\d{1,2}(\.\d+)?|(TM|WM|TC|TS|PR)\((\d+(\.\d+)?%?)?:(\d+(\.\d+)?%?)?\))$/;

/** A string of `min` to `max` characters; `error` when it is not a string (zod's message without). */
const text = (min: number, max: number, error?: string) => z.string(error === undefined ? undefined : { error }).check(z.minLength(min), z.maxLength(max));

const MetricStatSchema = z.strictObject({
  namespace: text(1, 255, 'must be a string'),
  metricName: text(1, 255, 'must be a string'),
  /** Dimension name → value; values may use placeholders such as `{{canaryTargetGroup}}`. */
  dimensions: z._default(
    z.record(text(1, 255), text(1, 1024, 'must be a string')).check(z.refine((d) => Object.keys(d).length <= 30, { message: 'must have at most 30 dimensions' })),
    {},
  ),
  stat: z.string({ error: 'must be a string' }).check(z.regex(STAT, { error: 'must be a CloudWatch statistic (Sum, Average, Maximum, SampleCount, p99, PR(:300), TM(10%:90%), ...)' })),
  unit: z.optional(text(1, 32)),
});
export type MetricStatInput = z.output<typeof MetricStatSchema>;

/** An id CloudWatch accepts for a query: a lowercase letter, then letters, digits and `_`. */
const queryId = z.string().check(z.regex(/^[a-z][A-Za-z0-9_]{0,254}$/, { error: 'must start with a lowercase letter, then letters, digits or _' }));

export const MetricCheckSchema = z
  .strictObject({
    name: checkName,
    /** One metric and statistic... */
    metric: z.optional(MetricStatSchema),
    /** ...or a metric math expression over the metrics in `using` (ids as variables). */
    expression: z.optional(text(1, 2048, 'must be a string')),
    using: z.optional(z.record(queryId, MetricStatSchema)),
    period: z._default(period, 60),
    /** Failed when any period of the window is above max or below min. */
    max: z.optional(z.number({ error: 'must be a number' })),
    min: z.optional(z.number({ error: 'must be a number' })),
    /** No datapoint in the window: wait (re-check, up to analysis.insufficientDataLimit), pass, or fail. */
    onNoData: z._default(z.enum(['wait', 'pass', 'fail']), 'wait'),
  })
  .check(z.superRefine((check, ctx) => {
    if ((check.metric === undefined) === (check.expression === undefined)) {
      ctx.addIssue({ code: 'custom', message: 'needs exactly one of metric or expression' });
    }
    if (check.using && check.expression === undefined) ctx.addIssue({ code: 'custom', path: ['using'], message: 'applies only to an expression' });
    if (check.max === undefined && check.min === undefined) ctx.addIssue({ code: 'custom', message: 'needs a limit: max and/or min' });
    if (check.max !== undefined && check.min !== undefined && check.min > check.max) {
      ctx.addIssue({ code: 'custom', path: ['min'], message: `must not be greater than max (${check.max})` });
    }
    if (check.expression !== undefined) {
      const problem = expressionProblem(check.expression, Object.keys(check.using ?? {}));
      if (problem) ctx.addIssue({ code: 'custom', path: ['expression'], message: problem });
    }
  }));
export type MetricCheck = z.output<typeof MetricCheckSchema>;

/**
 * What is wrong with a metric math expression, as far as we can tell without CloudWatch:
 * unbalanced parentheses, characters math does not use, or a variable not defined in `using`.
 * Functions are upper case in CloudWatch metric math; lower-case words are query ids.
 */
export function expressionProblem(expression: string, ids: string[]): string | undefined {
  const text = expression.replace(PLACEHOLDER, 'x').replace(/"[^"]*"|'[^']*'/g, '""');
  let depth = 0;
  for (const ch of text) {
    if (ch === '(') depth++;
    if (ch === ')' && --depth < 0) return 'has a ")" without its "("';
  }
  if (depth !== 0) return 'has a "(" without its ")"';
  const bad = /[^A-Za-z0-9_ .,+\-*/^()<>=!&|:\t"\[\]]/.exec(text);
  if (bad) return `has a character metric math does not use: "${bad[0]}"`;
  for (const m of text.matchAll(/\b([a-z][A-Za-z0-9_]*)\b(?!\s*\()/g)) {
    if (!ids.includes(m[1]!)) return `uses "${m[1]}", which is not defined in using (${ids.length ? ids.join(', ') : 'none'})`;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// analysis.lambdaChecks[], analysis.webhooks[], hooks.beforeStep[]

export const LambdaCheckSchema = z.strictObject({
  name: checkName,
  /** Function name or ARN, optionally qualified (`name:alias`). */
  function: z
    .string({ error: 'must be a string' })
    .check(z.maxLength(170), z.regex(/^(arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:)?[A-Za-z0-9_-]{1,64}(:[A-Za-z0-9$_-]{1,128})?$/, { error: 'must be a Lambda function name or ARN' })),
  timeout: z._default(seconds(1, 900), 30),
});
export type LambdaCheck = z.output<typeof LambdaCheckSchema>;

/** HTTPS only; plain HTTP only to this machine (local runs and tests). */
const webhookUrl = z.string({ error: 'must be a string' }).check(
  z.maxLength(2048),
  z.refine(
    (u) => {
      try {
        const url = new URL(u);
        return url.protocol === 'https:' || (url.protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname));
      } catch {
        return false;
      }
    },
    { message: 'must be an https:// URL (http:// only to 127.0.0.1 or localhost)' },
  ),
);

export const WebhookSchema = z
  .strictObject({
    name: checkName,
    url: webhookUrl,
    /** SSM SecureString parameter holding the HMAC secret... */
    secretParameter: z.optional(z.string().check(z.startsWith('/', { error: 'must be an SSM parameter name starting with /' }), z.maxLength(2048))),
    /** ...or a Secrets Manager secret (name or ARN). */
    secretArn: z.optional(text(1, 2048)),
    timeout: z._default(seconds(1, 60), 10),
    /** Retries after a timeout, a network error or a 5xx/429 answer. */
    retries: z._default(wholeNumber(0, 5), 2),
  })
  .check(z.superRefine((w, ctx) => {
    if (w.secretParameter !== undefined && w.secretArn !== undefined) ctx.addIssue({ code: 'custom', message: 'use either secretParameter or secretArn, not both' });
    // Calls leaving this machine are signed, so the receiver can trust them.
    if (w.secretParameter === undefined && w.secretArn === undefined && w.url.startsWith('https:')) {
      ctx.addIssue({ code: 'custom', message: 'needs secretParameter or secretArn: the HMAC secret the call is signed with' });
    }
  }));
export type WebhookCheck = z.output<typeof WebhookSchema>;

/** A hook run before each shift: a Lambda check or a webhook, told it is a hook. */
export const HookSchema = z.union([LambdaCheckSchema, WebhookSchema], { error: 'must be a Lambda check (name, function) or a webhook (name, url)' });
export type Hook = z.output<typeof HookSchema>;

export const HooksSchema = z.strictObject({
  /** Run before every shift (e.g. start a load test); a failing hook stops the rollout before the shift. */
  beforeStep: z._default(z.array(HookSchema).check(z.maxLength(10)), []),
});

/** The fields `analysis` gains with this module; spread into AnalysisSchema. */
export const analysisChecksShape = {
  /** Canary against stable, on per-version metrics the router provides. */
  compare: z._default(z.array(CompareSchema).check(z.maxLength(20)), []),
  /** Raw CloudWatch queries with thresholds. */
  metrics: z._default(z.array(MetricCheckSchema).check(z.maxLength(50)), []),
  lambdaChecks: z._default(z.array(LambdaCheckSchema).check(z.maxLength(10)), []),
  webhooks: z._default(z.array(WebhookSchema).check(z.maxLength(10)), []),
};

/** Defaults of the fields above, for the spec-level default of `analysis`. */
export const ANALYSIS_CHECKS_DEFAULTS = { compare: [], metrics: [], lambdaChecks: [], webhooks: [] };

/** Names must be unique across every kind of check: a verdict names the check that failed. */
export function refineCheckNames(
  analysis: { alarms: string[]; compare: CompareCheck[]; metrics: MetricCheck[]; lambdaChecks: LambdaCheck[]; webhooks: WebhookCheck[] },
  ctx: z.core.$RefinementCtx,
): void {
  const seen = new Map<string, string>();
  const add = (name: string, path: (string | number)[]) => {
    const before = seen.get(name);
    if (before) ctx.addIssue({ code: 'custom', path, message: `name "${name}" is already used by ${before}` });
    else seen.set(name, path.join('.'));
  };
  analysis.alarms.forEach((n, i) => add(n, ['alarms', i]));
  analysis.compare.forEach((c, i) => add(compareName(c), ['compare', i]));
  analysis.metrics.forEach((m, i) => add(m.name, ['metrics', i]));
  analysis.lambdaChecks.forEach((l, i) => add(l.name, ['lambdaChecks', i]));
  analysis.webhooks.forEach((w, i) => add(w.name, ['webhooks', i]));
}
