import type { core } from 'zod/mini';
import { RolloutSpecSchema, type RolloutSpec } from './schema';
import { SpecValidationError, type SpecIssue } from './errors';
import { formatPath, toIssues } from './issues';

export { formatPath };

/** A schema as the walk below reads it: its definition (zod/mini schemas have no `.element`). */
type Walked = { def?: { innerType?: unknown; in?: unknown; type?: string; shape?: Record<string, unknown>; element?: unknown } } | undefined;

/** Known keys at a path of the schema, to suggest a fix for a typo. */
function knownKeys(path: ReadonlyArray<PropertyKey>): string[] {
  let schema: unknown = RolloutSpecSchema;
  for (const key of path) {
    const def = unwrap(schema)?.def;
    if (typeof key === 'number') {
      schema = def?.element;
    } else if (def?.shape) {
      schema = def.shape[String(key)];
    } else return [];
  }
  const shape = unwrap(schema)?.def?.shape;
  return shape ? Object.keys(shape) : [];
}

function unwrap(schema: unknown): Walked {
  let s = schema as Walked;
  for (let i = 0; i < 10 && s?.def; i++) {
    const next = s.def.innerType ?? (s.def.type === 'pipe' ? s.def.in : undefined);
    if (!next) break;
    s = next as Walked;
  }
  return s;
}

/** Turns zod issues into our issues, one line each, unknown keys of the spec with a suggestion. */
export function toSpecIssues(error: core.$ZodError): SpecIssue[] {
  return toIssues(error, knownKeys);
}

/** Validates a parsed document (from YAML, JSON or an event) into a spec with defaults applied. */
export function parseSpec(document: unknown, source?: string): RolloutSpec {
  if (document === null || typeof document !== 'object' || Array.isArray(document)) {
    throw new SpecValidationError([{ path: '', message: 'must be a mapping (an object at the top level)' }], source);
  }
  const result = RolloutSpecSchema.safeParse(document, { reportInput: true });
  if (!result.success) throw new SpecValidationError(toSpecIssues(result.error), source);
  return result.data;
}
