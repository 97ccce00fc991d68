import type { SequentialSeries } from '../analysis/sequential-check';

const BARS = '▁▂▃▄▅▆▇█';

/**
 * `canaryctl status` lines for one sequential comparison: the evidence against its boundary,
 * the bound on canary − stable against the margin, and the evidence over time as a sparkline
 * scaled so that the top is the rollback boundary.
 */
export function sequentialStatusLines(s: SequentialSeries, width = 40): string[] {
  const evidence = Math.exp(s.logE);
  const threshold = Math.exp(s.boundary);
  const share = Math.max(0, Math.min(1, s.logE / s.boundary));
  const filled = Math.round(share * 20);
  const bar = `[${'#'.repeat(filled)}${'.'.repeat(20 - filled)}]`;
  const lines = [
    `  ${s.name} (sequential, α ${s.alpha}): ${s.decision}`,
    `    evidence of a regression ${fmt(evidence)} of ${fmt(threshold)} (rollback at 1/α) ${bar}`,
  ];
  if (s.margin !== undefined) {
    lines.push(`    canary − stable ≤ ${s.upperDifference === null ? '∞' : pts(s.upperDifference)} (always valid, 1 − α); not worse below ${pts(s.margin)}`);
  }
  if (s.trajectory.length > 1) {
    const points = s.trajectory.slice(-width);
    const spark = points.map(([, logE]) => BARS[Math.max(0, Math.min(BARS.length - 1, Math.floor((Math.max(0, logE) / s.boundary) * (BARS.length - 1))))]).join('');
    const from = points[0]![0];
    const to = points.at(-1)![0];
    lines.push(`    log evidence over time ${spark} (${minutes(from)}–${minutes(to)} after the start; top = boundary)`);
  }
  return lines;
}

function fmt(n: number): string {
  return n >= 1000 ? n.toExponential(1) : String(Number(n.toPrecision(3)));
}

function pts(fraction: number): string {
  return `${Number((fraction * 100).toPrecision(3))} pts`;
}

function minutes(seconds: number): string {
  return seconds < 120 ? `${seconds}s` : `${Math.round(seconds / 60)}m`;
}
