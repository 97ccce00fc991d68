/**
 * A glob matcher in linear space and O(pattern × text) time: `*` matches any run of characters
 * (including none), `?` exactly one, everything else itself. No extglob, braces or classes, so no
 * pattern can make it backtrack exponentially (picomatch's extglob compiles `+(a|aa)` style
 * patterns to regular expressions that do). Used for ECR tag filters and ownership bindings.
 */

/** Longest pattern or text we match: ECR tags are at most 128 characters, ARNs at most 2048. */
export const MAX_GLOB_INPUT = 2048;

export interface GlobWork {
  /** Character comparisons made so far: at most (pattern + 1) × (text + 1) per match. */
  steps: number;
}

/**
 * True when `text` matches `pattern`. Greedy with one remembered star: on a mismatch it resumes
 * from the last `*`, one character further, so each (star, text position) pair is tried once.
 */
export function globMatch(pattern: string, text: string, work: GlobWork = { steps: 0 }): boolean {
  if (pattern.length > MAX_GLOB_INPUT || text.length > MAX_GLOB_INPUT) return false;
  let p = 0;
  let t = 0;
  let star = -1;
  let resume = 0;
  while (t < text.length) {
    work.steps++;
    const c = pattern[p];
    if (c === '*') {
      star = p++;
      resume = t;
    } else if (c !== undefined && (c === '?' || c === text[t])) {
      p++;
      t++;
    } else if (star >= 0) {
      p = star + 1;
      t = ++resume;
    } else {
      return false;
    }
  }
  while (pattern[p] === '*') p++;
  return p === pattern.length;
}
