/**
 * Pure helpers of the benchmark: summaries of repeated measurements, targets, break-even and
 * Markdown tables. No I/O, so test/unit/bench/report.test.ts pins their behaviour.
 */

/** Median, spread and count of repeated measurements. */
export interface Summary {
  n: number;
  median: number;
  min: number;
  max: number;
}

/** Median of the values (mean of the two middle ones for an even count); NaN when empty. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Median and min–max of repeated measurements. */
export function summarize(values: readonly number[]): Summary {
  if (values.length === 0) return { n: 0, median: Number.NaN, min: Number.NaN, max: Number.NaN };
  return { n: values.length, median: median(values), min: Math.min(...values), max: Math.max(...values) };
}

/** `median (min–max)` with a unit, e.g. `1.2 s (1.1–1.4)`; a single value shows no spread. */
export function formatSummary(s: Summary, unit: string, digits = 0): string {
  if (s.n === 0 || Number.isNaN(s.median)) return 'n/a';
  const f = (v: number) => v.toFixed(digits);
  const u = unit ? ` ${unit}` : '';
  if (s.n === 1 || s.min === s.max) return `${f(s.median)}${u}`;
  return `${f(s.median)}${u} (${f(s.min)}–${f(s.max)})`;
}

/** `PASS` when the measured value is at most the target, else `over (+x)`. */
export function versusTarget(measured: number, target: number): string {
  if (Number.isNaN(measured)) return 'n/a';
  if (measured <= target) return 'PASS';
  const over = measured - target;
  return `over (+${Number.isInteger(over) ? over : over.toFixed(1)})`;
}

/**
 * Rollouts per month at which an always-on controller and a pay-per-rollout one cost the same:
 * above it the always-on one is cheaper. Infinity when a rollout costs nothing.
 */
export function breakEvenRolloutsPerMonth(alwaysOnMonthlyUsd: number, usdPerRollout: number): number {
  if (alwaysOnMonthlyUsd < 0 || usdPerRollout < 0) throw new RangeError('costs must not be negative');
  if (usdPerRollout === 0) return Number.POSITIVE_INFINITY;
  return alwaysOnMonthlyUsd / usdPerRollout;
}

/** A Markdown table; cells are escaped for `|` and newlines, columns padded for a readable source. */
export function markdownTable(headers: readonly string[], rows: ReadonlyArray<ReadonlyArray<string | number>>): string {
  const cell = (v: string | number) => String(v).replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
  const body = rows.map((r) => headers.map((_, i) => cell(r[i] ?? '')));
  const head = headers.map(cell);
  const widths = head.map((h, i) => Math.max(3, h.length, ...body.map((r) => r[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(head), `| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`, ...body.map(line)].join('\n');
}

/** Adds count maps key by key, e.g. API calls of several invocations. */
export function addCounts(into: Record<string, number>, more: Readonly<Record<string, number>>): Record<string, number> {
  for (const [k, v] of Object.entries(more)) into[k] = (into[k] ?? 0) + v;
  return into;
}

/** `after - before`, key by key, keeping only keys that moved. */
export function diffCounts(before: Readonly<Record<string, number>>, after: Readonly<Record<string, number>>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(after)) {
    const d = v - (before[k] ?? 0);
    if (d !== 0) out[k] = d;
  }
  return out;
}

/** The least-squares slope and intercept of y over x, with R², to show whether cost grows linearly. */
export function linearFit(xs: readonly number[], ys: readonly number[]): { slope: number; intercept: number; r2: number } {
  if (xs.length !== ys.length || xs.length < 2) throw new RangeError('need at least two (x, y) points of equal count');
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (xs[i]! - mx) * (ys[i]! - my);
    sxx += (xs[i]! - mx) ** 2;
    syy += (ys[i]! - my) ** 2;
  }
  if (sxx === 0) throw new RangeError('x values must not all be equal');
  const slope = sxy / sxx;
  const r2 = syy === 0 ? 1 : (sxy * sxy) / (sxx * syy);
  return { slope, intercept: my - slope * mx, r2 };
}

/** Parses `memorySize: N` of the provider (or the first one found) from serverless.yml text. */
export function memorySizeFromServerlessYml(text: string): number | undefined {
  const m = /^\s*memorySize:\s*(\d+)\s*$/m.exec(text);
  return m ? Number(m[1]) : undefined;
}
