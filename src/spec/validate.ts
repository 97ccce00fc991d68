import type { core } from 'zod/mini';
import { RolloutSpecSchema, type RolloutSpec } from './schema';
import { SpecValidationError, type SpecIssue } from './errors';
import { formatPath, toIssues } from './issues';

export { formatPath };

/** Known keys at a path of the schema, to suggest a fix for a typo. */
function knownKeys(path: ReadonlyArray<PropertyKey>): string[] {
  let schema: unknown = RolloutSpecSchema;
  for (const key of path) {
    schema = unwrap(schema);
    const shape = (schema as { shape?: Record<string, unknown> }).shape;
    if (typeof key === 'number') {
      schema = (schema as { element?: unknown }).element;
    } else if (shape) {
      schema = shape[String(key)];
    } else return [];
  }
  const shape = (unwrap(schema) as { shape?: Record<string, unknown> } | undefined)?.shape;
  return shape ? Object.keys(shape) : [];
}

function unwrap(schema: unknown): unknown {
  let s = schema as { def?: { innerType?: unknown; in?: unknown; schema?: unknown; type?: string } } | undefined;
  for (let i = 0; i < 10 && s?.def; i++) {
    const next = s.def.innerType ?? (s.def.type === 'pipe' ? s.def.in : undefined);
    if (!next) break;
    s = next as typeof s;
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
