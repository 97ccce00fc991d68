import type { z } from 'zod';
import { RolloutSpecSchema, type RolloutSpec } from './schema';
import { SpecValidationError, type SpecIssue } from './errors';

/** `['strategy', 'steps', 2]` → `strategy.steps[2]`. */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  return path.reduce<string>((out, key) => {
    if (typeof key === 'number') return `${out}[${key}]`;
    return out ? `${out}.${String(key)}` : String(key);
  }, '');
}

function closest(word: string, candidates: string[]): string | undefined {
  let best: { key: string; d: number } | undefined;
  for (const c of candidates) {
    const w = word.toLowerCase().replace(/[-_]/g, '');
    const k = c.toLowerCase();
    const d = w.startsWith(k) || k.startsWith(w) ? 1 : editDistance(w, k);
    if (d <= Math.max(2, Math.floor(c.length / 3)) && (!best || d < best.d)) best = { key: c, d };
  }
  return best?.key;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length]!;
}

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

/** Keys renamed when the spec became router-neutral: an old spec fails with the new name, never silently. */
const RENAMED: Record<string, string> = {
  'target.virtualNode': 'target.canary',
  'target.stableVirtualNode': 'target.stable',
};

/** Turns zod issues into our issues, one line each, unknown keys with a suggestion. */
export function toSpecIssues(error: z.ZodError): SpecIssue[] {
  const issues: SpecIssue[] = [];
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      const known = knownKeys(issue.path);
      for (const key of issue.keys) {
        const renamed = RENAMED[formatPath([...issue.path, key])];
        if (renamed) {
          issues.push({ path: formatPath([...issue.path, key]), message: `was renamed: use ${renamed} (same value)` });
          continue;
        }
        const hint = closest(key, known);
        issues.push({
          path: formatPath([...issue.path, key]),
          message: `unknown key${hint ? ` (did you mean "${hint}"?)` : ''}`,
        });
      }
      continue;
    }
    if (issue.code === 'invalid_union' && issue.errors.length > 0) {
      // A field of several shapes (a duration or { min, max }): report the reasons of the shape the
      // input has, instead of zod's "Invalid input".
      const byShape = issue.errors.find((branch) => !branch.some((i) => (i.code === 'invalid_type' || i.code === 'invalid_union') && i.path.length === 0)) ?? issue.errors[0]!;
      const nested = byShape.map((i) => ({ ...i, path: [...issue.path, ...i.path] }));
      issues.push(...toSpecIssues({ issues: nested } as unknown as z.ZodError));
      continue;
    }
    // zod 4 reports `input` only when asked (parseSpec asks); otherwise its default message tells.
    const missing = 'input' in issue ? issue.input === undefined : / received undefined$/.test(issue.message);
    if (issue.code === 'invalid_type' && missing) {
      issues.push({ path: formatPath(issue.path), message: 'is required' });
      continue;
    }
    if (issue.code === 'invalid_value' && 'values' in issue) {
      issues.push({
        path: formatPath(issue.path),
        message: `must be one of ${(issue.values as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`,
      });
      continue;
    }
    issues.push({ path: formatPath(issue.path), message: issue.message });
  }
  return issues;
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
