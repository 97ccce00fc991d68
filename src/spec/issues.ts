import type { core } from 'zod/mini';
import type { SpecIssue } from './errors';

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

/** Keys renamed when the spec became router-neutral: an old spec fails with the new name, never silently. */
const RENAMED: Record<string, string> = {
  'target.virtualNode': 'target.canary',
  'target.stableVirtualNode': 'target.stable',
};

/**
 * Turns zod issues into our issues, one line each; with `knownKeys`, an unknown key gets a
 * suggestion. Kept apart from the spec schema so that a handler can report a bad input without
 * building every spec schema at cold start (validate.ts passes the spec's keys).
 */
export function toIssues(error: core.$ZodError, knownKeys: (path: ReadonlyArray<PropertyKey>) => string[] = () => []): SpecIssue[] {
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
      issues.push(...toIssues({ issues: nested } as unknown as core.$ZodError, knownKeys));
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

