import type { CompareCheck } from './analysis';

/*
 * Spec facts the run-time code needs, kept apart from the zod schemas: importing a value from
 * schema.ts or analysis.ts builds every spec schema, which only Prepare, the triggers and the CLI
 * need; the other functions would pay for it at each cold start. The schema modules re-export these.
 */

/** The SSM prefix of chat webhook URLs: no other secret lives under it, and only it is readable by notifiers. */
export const NOTIFY_PARAMETER_PREFIX = '/canary-controller/notify/';

/** `{{canary}}`-style placeholders; which names exist depends on the router (checked at Prepare). */
export const PLACEHOLDER = /\{\{\s*([A-Za-z][A-Za-z0-9]*)\s*\}\}/g;

/** The name a comparison goes by: its own, else the metric (with the bound for slow requests). */
export function compareName(c: Pick<CompareCheck, 'name' | 'metric' | 'over'>): string {
  return c.name ?? (c.metric === 'slowRequests' ? `slowRequests>${c.over}ms` : c.metric);
}
