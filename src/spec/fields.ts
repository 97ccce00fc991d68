import * as z from '../shared/zod-mini';

/**
 * Field builders the spec schema repeats, in zod/mini's functional API (see src/shared/zod-mini.ts:
 * the classic API cannot be tree-shaken, and the functions that parse specs would carry ~200 KB).
 */

/**
 * A value written as text or a number (`30s`, `0.5%`, `300ms`) that `parse` turns into what the
 * spec means (seconds, a fraction, milliseconds), reporting a bad one with `fail`. `jsonSchema`
 * describes the field as written, for editors: the JSON Schema cannot express the parse.
 */
export function textOrNumber<T>(error: string, parse: (value: string | number, ctx: z.core.ParsePayload) => T, jsonSchema: z.core.GlobalMeta) {
  return z.pipe(z.union([z.string(), z.number()], { error }), z.transform(parse)).register(z.globalRegistry, jsonSchema);
}

/** A whole number from `min` to `max`, with zod's own messages. */
export const wholeNumber = (min: number, max: number) => z.number().check(z.int(), z.gte(min), z.lte(max));

/**
 * Reports why a value cannot be parsed, from inside a `textOrNumber` parse, and yields no value.
 * zod/mini's transform context has no `addIssue` (the classic API adds one): this pushes the issue
 * the classic `ctx.addIssue({ code: 'custom', message })` did, so users read the same message.
 */
export function fail(ctx: z.core.ParsePayload, message: string): never {
  ctx.issues.push({ code: 'custom', message, input: ctx.value });
  return z.NEVER;
}
