/**
 * Renders a RolloutReport as one self-contained HTML document.
 *
 * No external resources: CSS is inline, the timeline is an SVG generated here (visible without JS),
 * and a small inline script only adds a hover crosshair/tooltip. All report text is escaped.
 */
import { renderSequentialSection } from './sequential';
import { renderStepChecks } from './checks';
import type { ReportEvent, ReportEventKind, ReportSample, ReportStep, RolloutReport, VersionStats } from './types';
import { redactDeep } from '../../shared/redact';

/** Upper bound on points per plotted series; longer runs are bucketed down to this. */
export const MAX_POINTS = 600;

// ---------------------------------------------------------------------------------------------
// Escaping and formatting
// ---------------------------------------------------------------------------------------------

export function escapeHtml(value: unknown): string {
  return String(value)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** JSON safe to embed inside a <script> element. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

function num(value: unknown, fallback = 0): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : fallback;
}

function round(value: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

const intFmt = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
function fmtInt(value: number): string {
  return intFmt.format(num(value));
}

function fmtPct(fraction: number, digits = 1): string {
  const p = num(fraction) * 100;
  if (p !== 0 && Math.abs(p) < 10 ** -digits) return `${p < 0 ? '-' : ''}<${10 ** -digits}%`;
  return `${round(p, digits)}%`;
}

function fmtMs(ms: number): string {
  const v = num(ms);
  if (v >= 10_000) return `${round(v / 1000, 1)} s`;
  if (v < 10 && !Number.isInteger(v)) return `${round(v, 1)} ms`;
  return `${Math.round(v)} ms`;
}

/** Human duration, e.g. "4m 12s", "850 ms", "1h 02m". */
export function fmtDuration(ms: number): string {
  const v = Math.max(0, num(ms));
  if (v < 1000) return `${Math.round(v)} ms`;
  const totalS = Math.round(v / 1000);
  const h = Math.floor(totalS / 3600);
  const m = Math.floor((totalS % 3600) / 60);
  const s = totalS % 60;
  if (h > 0) return `${h}h ${String(m).padStart(2, '0')}m`;
  if (m > 0) return `${m}m ${String(s).padStart(2, '0')}s`;
  return `${s}s`;
}

/** Clock-style offset since start: "0:05", "12:30", "1:02:03". */
function fmtClock(ms: number, withTenths = false): string {
  const v = Math.max(0, num(ms));
  const totalS = Math.floor(v / 1000);
  const h = Math.floor(totalS / 3600);
  const m = Math.floor((totalS % 3600) / 60);
  const s = totalS % 60;
  const tenths = withTenths ? `.${Math.floor((v % 1000) / 100)}` : '';
  const ss = `${String(s).padStart(2, '0')}${tenths}`;
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

// ---------------------------------------------------------------------------------------------
// Data preparation
// ---------------------------------------------------------------------------------------------

function cleanStats(s: VersionStats | undefined): VersionStats {
  return {
    rps: Math.max(0, num(s?.rps)),
    errorRate: Math.min(1, Math.max(0, num(s?.errorRate))),
    p99: Math.max(0, num(s?.p99)),
    requests: Math.max(0, num(s?.requests)),
  };
}

function sortedSamples(samples: readonly ReportSample[]): ReportSample[] {
  return samples
    .filter((s) => s && Number.isFinite(s.t))
    .map((s) => ({
      t: s.t,
      canaryWeight: Math.min(100, Math.max(0, num(s.canaryWeight))),
      stable: cleanStats(s.stable),
      canary: cleanStats(s.canary),
    }))
    .sort((a, b) => a.t - b.t);
}

function mergeStats(list: VersionStats[]): VersionStats {
  const requests = list.reduce((a, s) => a + s.requests, 0);
  const errorRate =
    requests > 0
      ? list.reduce((a, s) => a + s.errorRate * s.requests, 0) / requests
      : list.reduce((a, s) => a + s.errorRate, 0) / Math.max(1, list.length);
  return {
    rps: list.reduce((a, s) => a + s.rps, 0) / Math.max(1, list.length),
    errorRate,
    // p99 is a tail figure: keep the worst one of the bucket so spikes survive downsampling.
    p99: list.reduce((a, s) => Math.max(a, s.p99), 0),
    requests,
  };
}

/**
 * Buckets samples down to at most `max` points: mean time and rps, request-weighted error rate,
 * worst p99, summed requests, and the bucket's last canary weight.
 */
export function downsample(samples: readonly ReportSample[], max = MAX_POINTS): ReportSample[] {
  const n = samples.length;
  if (n <= max) return samples.slice();
  const out: ReportSample[] = [];
  for (let b = 0; b < max; b++) {
    const bucket = samples.slice(Math.floor((b * n) / max), Math.floor(((b + 1) * n) / max));
    const last = bucket[bucket.length - 1];
    if (!last) continue;
    out.push({
      t: bucket.reduce((a, s) => a + s.t, 0) / bucket.length,
      canaryWeight: last.canaryWeight,
      stable: mergeStats(bucket.map((s) => s.stable)),
      canary: mergeStats(bucket.map((s) => s.canary)),
    });
  }
  return out;
}

/** Share of traffic the canary actually served in a sample, percent, or undefined when idle. */
function measuredShare(s: ReportSample): number | undefined {
  const total = s.stable.rps + s.canary.rps;
  if (total > 0) return (s.canary.rps / total) * 100;
  const req = s.stable.requests + s.canary.requests;
  if (req > 0) return (s.canary.requests / req) * 100;
  return undefined;
}

/** "Nice" axis maximum and tick step covering `value`. */
function niceScale(value: number, ticks = 4): { max: number; step: number } {
  const v = value > 0 ? value : 1;
  const raw = v / ticks;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const norm = raw / mag;
  const stepNorm = norm <= 1 ? 1 : norm <= 2 ? 2 : norm <= 2.5 ? 2.5 : norm <= 5 ? 5 : 10;
  const step = stepNorm * mag;
  return { max: Math.ceil(v / step - 1e-9) * step, step };
}

function timeTickStep(spanMs: number): number {
  const candidates = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400].map((s) => s * 1000);
  for (const c of candidates) if (spanMs / c <= 10) return c;
  return Math.ceil(spanMs / 10 / 3_600_000) * 3_600_000;
}

// ---------------------------------------------------------------------------------------------
// Chart
// ---------------------------------------------------------------------------------------------

const COLORS = {
  weight: '#1864ab',
  share: '#f59f00',
  canary: '#e8590c',
  stable: '#868e96',
  grid: '#e9ecef',
  axis: '#adb5bd',
  text: '#495057',
};

interface MarkerStyle {
  color: string;
  width: number;
  dash: string;
  name: string;
}

function markerStyle(e: ReportEvent): MarkerStyle {
  const kind: ReportEventKind = e.kind;
  switch (kind) {
    case 'shift':
      return { color: '#1c7ed6', width: 1, dash: '4 3', name: 'shift' };
    case 'verdict':
      if (e.ok === true) return { color: '#2f9e44', width: 1.5, dash: '', name: 'verdict healthy' };
      if (e.ok === false) return { color: '#e03131', width: 2, dash: '', name: 'verdict failed' };
      return { color: '#e67700', width: 1.5, dash: '2 2', name: 'verdict inconclusive' };
    case 'approval':
      return { color: '#7048e8', width: 1.5, dash: '6 3', name: 'approval' };
    case 'rollback':
      return { color: '#c92a2a', width: 2.5, dash: '', name: 'rollback' };
    case 'promote':
      return { color: '#2b8a3e', width: 2.5, dash: '', name: 'promote' };
    case 'start':
      return { color: '#495057', width: 1, dash: '', name: 'start' };
    case 'info':
    default:
      return { color: '#adb5bd', width: 1, dash: '1 3', name: 'info' };
  }
}

function verdictClass(e: ReportEvent): string {
  if (e.kind !== 'verdict') return '';
  return e.ok === true ? ' verdict-healthy' : e.ok === false ? ' verdict-failed' : ' verdict-inconclusive';
}

const W = 1100;
const M_LEFT = 70;
const M_RIGHT = 28;
const LANE_H = 16;
/** Label rows above the chart: as many as the labels need, up to this many (the rest keep their line and tooltip). */
const MAX_LANES = 10;
/** Label text is drawn at exactly this many px per character (SVG textLength), so it always fits its pill. */
const LABEL_CHAR_W = 6.4;
/** A window with fewer requests than this has no meaningful rate or p99: the line breaks there. */
export const MIN_RATE_REQUESTS = 5;
const PLOT_W = W - M_LEFT - M_RIGHT;

interface Panel {
  id: string;
  title: string;
  top: number;
  height: number;
  max: number;
  step: number;
  fmt: (v: number) => string;
}

function pointsAttr(points: Array<[number, number]>): string {
  return points.map(([x, y]) => `${round(x, 1)},${round(y, 1)}`).join(' ');
}

/** Path with gaps: consecutive defined points are joined, undefined values break the line. */
function gappedPath(xs: number[], ys: Array<number | undefined>): { d: string; count: number } {
  let d = '';
  let count = 0;
  let pen = false;
  ys.forEach((y, i) => {
    const x = xs[i];
    if (y === undefined || x === undefined) {
      pen = false;
      return;
    }
    d += `${pen ? 'L' : 'M'}${round(x, 1)},${round(y, 1)}`;
    pen = true;
    count++;
  });
  return { d, count };
}

/**
 * A rate needs requests: a window where a version got (almost) none is a gap, not a number
 * (after a rollback the canary gets no traffic, so its lines must stop, not drift).
 */
function hasRate(v: VersionStats): boolean {
  return (v.requests > 0 ? v.requests : v.rps) >= MIN_RATE_REQUESTS;
}

function renderChart(
  report: RolloutReport,
  samples: ReportSample[],
  spanMs: number,
): { svg: string; key: string; data: unknown } {
  const ds = downsample(samples, MAX_POINTS);
  const events = [...report.events].filter((e) => e && Number.isFinite(e.t)).sort((a, b) => a.t - b.t);
  const hasTraffic = samples.some((s) => s.stable.requests + s.canary.requests + s.stable.rps + s.canary.rps > 0);

  const x = (t: number): number => M_LEFT + (Math.min(Math.max(t, 0), spanMs) / spanMs) * PLOT_W;

  // Event label lanes: greedy placement left to right, a new row whenever no row has room, so
  // no two labels overlap and none is cut short.
  const labelTop = 6;
  const laneEnds: number[] = [];
  const placed = events.map((e) => {
    const text = e.label || e.kind;
    const textWidth = text.length * LABEL_CHAR_W;
    const width = textWidth + 18;
    const px = x(e.t);
    let start = Math.max(2, px - 4);
    if (start + width > W - 2) start = Math.max(2, W - 2 - width);
    let lane = laneEnds.findIndex((end) => end + 4 <= start);
    if (lane < 0 && laneEnds.length < MAX_LANES) lane = laneEnds.push(-Infinity) - 1;
    if (lane >= 0) laneEnds[lane] = start + width;
    return { e, text, textWidth, px, start, width, lane };
  });
  const lanes = Math.max(1, laneEnds.length);

  // Scales from the windows that are drawn: one failed request out of two must not stretch the axis.
  const drawn = ds.flatMap((s) => [s.canary, s.stable]).filter((v) => hasRate(v));
  const errMax = Math.max(0, ...drawn.map((v) => v.errorRate));
  const p99Max = Math.max(0, ...drawn.map((v) => v.p99));
  const errScale = errMax * 1.15 >= 0.8 ? { max: 1, step: 0.25 } : niceScale(Math.max(0.05, errMax * 1.15), 4);
  const p99Scale = niceScale(Math.max(10, p99Max * 1.15), 4);

  const firstTop = labelTop + lanes * LANE_H + 30;
  const panels: Panel[] = [];
  let cursor = firstTop;
  const addPanel = (p: Omit<Panel, 'top'>, gapAfter = 40): void => {
    panels.push({ ...p, top: cursor });
    cursor += p.height + gapAfter;
  };
  addPanel({ id: 'weight', title: 'Canary traffic (%)', height: 170, max: 100, step: 25, fmt: (v) => `${v}%` });
  addPanel({ id: 'errors', title: `Error rate (blank: fewer than ${MIN_RATE_REQUESTS} requests)`, height: 120, max: errScale.max, step: errScale.step, fmt: (v) => fmtPct(v, 2) });
  addPanel({ id: 'latency', title: 'p99 latency', height: 120, max: p99Scale.max, step: p99Scale.step, fmt: (v) => fmtMs(v) }, 0);
  const plotBottom = cursor;
  const H = plotBottom + 34;
  const [pWeight, pErr, pLat] = panels as [Panel, Panel, Panel];
  const y = (p: Panel, v: number): number => p.top + p.height - (Math.min(Math.max(v, 0), p.max) / p.max) * p.height;

  const parts: string[] = [];
  const tickStep = timeTickStep(spanMs);

  // Outcome shading after rollback / promote.
  for (const e of events) {
    if (e.kind !== 'rollback' && e.kind !== 'promote') continue;
    const x0 = x(e.t);
    const fill = e.kind === 'rollback' ? '#fff5f5' : '#ebfbee';
    for (const p of panels) {
      parts.push(`<rect class="phase phase-${escapeHtml(e.kind)}" x="${round(x0, 1)}" y="${p.top}" width="${round(Math.max(0, M_LEFT + PLOT_W - x0), 1)}" height="${p.height}" fill="${fill}"/>`);
    }
    break;
  }

  // Panels: grid, axes, titles, legends.
  const legends: Record<string, Array<{ label: string; color: string; dash?: string; width?: number; opacity?: number }>> = {
    weight: [
      { label: 'configured weight', color: COLORS.weight, width: 2.5 },
      { label: 'measured canary share', color: COLORS.share, dash: '2 3', width: 2 },
    ],
    errors: [
      { label: 'canary', color: COLORS.canary, width: 2 },
      { label: 'stable', color: COLORS.stable, width: 1.5, opacity: 0.7 },
    ],
    latency: [
      { label: 'canary', color: COLORS.canary, width: 2 },
      { label: 'stable', color: COLORS.stable, width: 1.5, opacity: 0.7 },
    ],
  };
  const panelLabels: string[] = [];
  for (const p of panels) {
    const g: string[] = [];
    const labels: string[] = [];
    labels.push(`<text class="panel-title" x="${M_LEFT}" y="${p.top - 10}">${escapeHtml(p.title)}</text>`);
    let lx = M_LEFT + PLOT_W;
    for (const item of [...(legends[p.id] ?? [])].reverse()) {
      const tw = item.label.length * 6.2;
      lx -= tw;
      labels.push(`<text class="legend" x="${round(lx, 1)}" y="${p.top - 10}">${escapeHtml(item.label)}</text>`);
      lx -= 26;
      labels.push(
        `<line x1="${round(lx, 1)}" x2="${round(lx + 20, 1)}" y1="${p.top - 14}" y2="${p.top - 14}" stroke="${item.color}" stroke-width="${item.width ?? 2}"${item.dash ? ` stroke-dasharray="${item.dash}"` : ''}${item.opacity ? ` stroke-opacity="${item.opacity}"` : ''}/>`,
      );
      lx -= 16;
    }
    for (let v = 0; v <= p.max + p.step * 1e-6; v += p.step) {
      const yy = round(y(p, v), 1);
      g.push(`<line class="grid" x1="${M_LEFT}" x2="${M_LEFT + PLOT_W}" y1="${yy}" y2="${yy}"/>`);
      g.push(`<text class="tick" x="${M_LEFT - 8}" y="${yy + 4}" text-anchor="end">${escapeHtml(p.fmt(round(v, 6)))}</text>`);
    }
    for (let t = 0; t <= spanMs + 1e-6; t += tickStep) {
      const xx = round(x(t), 1);
      g.push(`<line class="grid" x1="${xx}" x2="${xx}" y1="${p.top}" y2="${p.top + p.height}"/>`);
    }
    g.push(`<rect class="frame" x="${M_LEFT}" y="${p.top}" width="${PLOT_W}" height="${p.height}"/>`);
    parts.push(
      `<g class="panel panel-${p.id}" data-top="${p.top}" data-height="${p.height}" data-max="${p.max}">${g.join('')}</g>`,
    );
    panelLabels.push(`<g class="panel-labels">${labels.join('')}</g>`);
  }

  // Time axis.
  const axis: string[] = [];
  for (let t = 0; t <= spanMs + 1e-6; t += tickStep) {
    axis.push(`<text class="tick" x="${round(x(t), 1)}" y="${plotBottom + 16}" text-anchor="middle">${fmtClock(t)}</text>`);
  }
  axis.push(`<text class="tick axis-label" x="${M_LEFT + PLOT_W}" y="${plotBottom + 30}" text-anchor="end">time since start (m:ss)</text>`);
  parts.push(`<g class="x-axis">${axis.join('')}</g>`);

  // Event markers (drawn under the data): a line across all panels and a label in the lane band above.
  const markers = placed.map(({ e, text, textWidth, px, start, width, lane }) => {
    const st = markerStyle(e);
    const full = `${fmtClock(e.t, true)} ${st.name}: ${e.label}${e.detail ? ` — ${e.detail}` : ''}`;
    const line = (y1: number) =>
      `<line x1="${round(px, 1)}" x2="${round(px, 1)}" y1="${y1}" y2="${plotBottom}" stroke="${st.color}" stroke-width="${st.width}" stroke-opacity="0.8"${st.dash ? ` stroke-dasharray="${st.dash}"` : ''}/>`;
    const head = `<g class="marker marker-${escapeHtml(e.kind)}${verdictClass(e)}" data-kind="${escapeHtml(e.kind)}" data-t="${escapeHtml(e.t)}"><title>${escapeHtml(full)}</title>`;
    // More labels than rows: this one keeps its line and tooltip, and is listed in the event log.
    if (lane < 0) return `${head}${line(firstTop)}</g>`;
    const ly = labelTop + lane * LANE_H;
    return (
      head +
      line(ly + LANE_H - 2) +
      `<rect class="marker-pill" data-lane="${lane}" x="${round(start, 1)}" y="${ly}" width="${round(width, 1)}" height="${LANE_H - 2}" rx="3" fill="#fff" stroke="${st.color}"/>` +
      `<circle cx="${round(start + 6, 1)}" cy="${ly + (LANE_H - 2) / 2}" r="3" fill="${st.color}"/>` +
      `<text class="marker-label" x="${round(start + 12, 1)}" y="${ly + LANE_H - 5}" fill="${st.color}" textLength="${round(textWidth, 1)}" lengthAdjust="spacingAndGlyphs">${escapeHtml(text)}</text>` +
      `</g>`
    );
  });
  parts.push(`<g class="markers">${markers.join('')}</g>`);

  // Series.
  if (hasTraffic && ds.length > 0) {
    const xs = ds.map((s) => x(s.t));

    // Configured weight: a step line built from the full-resolution run-lengths when they fit.
    const runs: Array<{ t: number; w: number }> = [];
    for (const s of samples) {
      const last = runs[runs.length - 1];
      if (!last || last.w !== s.canaryWeight) runs.push({ t: s.t, w: s.canaryWeight });
    }
    const lastT = samples[samples.length - 1]?.t ?? 0;
    let weightPts: Array<[number, number]> = [];
    if (runs.length * 2 <= MAX_POINTS) {
      runs.forEach((r, i) => {
        const prev = runs[i - 1];
        if (prev) weightPts.push([x(r.t), y(pWeight, prev.w)]);
        weightPts.push([x(r.t), y(pWeight, r.w)]);
      });
      const tail = runs[runs.length - 1];
      if (tail && x(lastT) > x(tail.t)) weightPts.push([x(lastT), y(pWeight, tail.w)]);
    } else {
      weightPts = ds.map((s) => [x(s.t), y(pWeight, s.canaryWeight)]);
    }

    const share = gappedPath(
      xs,
      ds.map((s) => {
        const v = measuredShare(s);
        return v === undefined ? undefined : y(pWeight, v);
      }),
    );
    const active = hasRate;
    const errStable = gappedPath(xs, ds.map((s) => (active(s.stable) ? y(pErr, s.stable.errorRate) : undefined)));
    const errCanary = gappedPath(xs, ds.map((s) => (active(s.canary) ? y(pErr, s.canary.errorRate) : undefined)));
    const latStable = gappedPath(xs, ds.map((s) => (active(s.stable) ? y(pLat, s.stable.p99) : undefined)));
    const latCanary = gappedPath(xs, ds.map((s) => (active(s.canary) ? y(pLat, s.canary.p99) : undefined)));

    const series = (cls: string, d: string, count: number, color: string, width: number, extra = ''): string =>
      d ? `<path class="series ${cls}" data-points="${count}" d="${d}" fill="none" stroke="${color}" stroke-width="${width}" stroke-linejoin="round"${extra}/>` : '';

    parts.push(
      `<g class="series-group" clip-path="url(#plot-clip)">`,
      series('series-share', share.d, share.count, COLORS.share, 2, ' stroke-dasharray="2 3"'),
      `<polyline class="series series-weight" data-points="${weightPts.length}" points="${pointsAttr(weightPts)}" fill="none" stroke="${COLORS.weight}" stroke-width="2.5" stroke-linejoin="miter"/>`,
      series('series-error-stable', errStable.d, errStable.count, COLORS.stable, 1.5, ' stroke-opacity="0.7"'),
      series('series-error-canary', errCanary.d, errCanary.count, COLORS.canary, 2),
      series('series-p99-stable', latStable.d, latStable.count, COLORS.stable, 1.5, ' stroke-opacity="0.7"'),
      series('series-p99-canary', latCanary.d, latCanary.count, COLORS.canary, 2),
      `</g>`,
    );

    // Weight value labels at each change (only when there are few enough to stay readable).
    if (runs.length <= 24) {
      let lastLabelX = -Infinity;
      for (const r of runs) {
        const px = x(r.t);
        if (px - lastLabelX < 34) continue;
        lastLabelX = px;
        const py = y(pWeight, r.w);
        parts.push(`<text class="weight-label" x="${round(px + 4, 1)}" y="${round(py < pWeight.top + 14 ? py + 13 : py - 5, 1)}">${r.w}%</text>`);
      }
    }
  } else {
    for (const p of panels) {
      parts.push(
        `<text class="no-traffic" x="${M_LEFT + PLOT_W / 2}" y="${p.top + p.height / 2 + 5}" text-anchor="middle">no traffic recorded</text>`,
      );
    }
  }

  parts.push(...panelLabels);

  // Hover crosshair (moved by the inline script).
  parts.push(
    `<line id="crosshair" x1="0" x2="0" y1="${firstTop}" y2="${plotBottom}" stroke="#212529" stroke-width="1" stroke-opacity="0.35" visibility="hidden"/>`,
  );

  const weights = [...new Set(samples.map((s) => s.canaryWeight))];
  const aria =
    `Rollout timeline for ${report.specName}: ${report.outcome}. ` +
    (hasTraffic
      ? `${fmtDuration(spanMs)} of traffic, canary weight ${weights.join('% → ')}%, ${events.length} events.`
      : `no traffic recorded, ${events.length} events.`) +
    ` Panels: canary traffic share, error rate, p99 latency.`;

  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="${escapeHtml(aria)}" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" preserveAspectRatio="xMinYMin meet" data-span="${spanMs}" data-left="${M_LEFT}" data-plot-width="${PLOT_W}">` +
    `<title>${escapeHtml(aria)}</title>` +
    `<defs><clipPath id="plot-clip"><rect x="${M_LEFT}" y="${firstTop - 2}" width="${PLOT_W}" height="${plotBottom - firstTop + 4}"/></clipPath></defs>` +
    parts.join('') +
    `</svg>`;

  const data = ds.map((s) => [
    Math.round(s.t),
    s.canaryWeight,
    (() => {
      const v = measuredShare(s);
      return v === undefined ? null : round(v, 1);
    })(),
    round(s.canary.errorRate, 5),
    round(s.stable.errorRate, 5),
    round(s.canary.p99, 1),
    round(s.stable.p99, 1),
    round(s.canary.rps, 1),
    round(s.stable.rps, 1),
  ]);
  // Key for the marker kinds present in this report.
  const seen = new Map<string, MarkerStyle>();
  for (const e of events) {
    const st = markerStyle(e);
    if (!seen.has(st.name)) seen.set(st.name, st);
  }
  const key = [...seen.values()]
    .map(
      (st) =>
        `<span class="key-item"><svg width="18" height="12" aria-hidden="true"><line x1="9" x2="9" y1="0" y2="12" stroke="${st.color}" stroke-width="${Math.max(1.5, st.width)}"${st.dash ? ` stroke-dasharray="${st.dash}"` : ''}/></svg>${escapeHtml(st.name)}</span>`,
    )
    .join('');
  return { svg, key: key ? `<div class="marker-key">${key}</div>` : '', data: hasTraffic ? data : [] };
}

// ---------------------------------------------------------------------------------------------
// Document
// ---------------------------------------------------------------------------------------------

const OUTCOME_CLASS: Record<RolloutReport['outcome'], string> = {
  promoted: 'good',
  'rolled back': 'bad',
  failed: 'bad',
  aborted: 'warn',
};

function verdictBadge(v: ReportStep['verdict']): string {
  if (!v) return '<span class="badge muted">—</span>';
  const cls = v === 'healthy' ? 'good' : v === 'failed' ? 'bad' : 'warn';
  return `<span class="badge ${cls}">${escapeHtml(v)}</span>`;
}

function renderSteps(steps: ReportStep[]): string {
  if (steps.length === 0) return '<p class="empty">No steps were run.</p>';
  const rows = [...steps]
    .sort((a, b) => a.index - b.index)
    .map((s) => {
      const share = s.measuredCanaryShare;
      const diff = share !== undefined && Number.isFinite(share) ? share - s.weight : undefined;
      const shareCell =
        share !== undefined && Number.isFinite(share)
          ? `${round(share, 1)}%${diff !== undefined && Math.abs(diff) >= 5 ? ` <span class="off">(${diff > 0 ? '+' : ''}${round(diff, 1)} pts)</span>` : ''}`
          : '—';
      return (
        `<tr class="step step-${escapeHtml(s.verdict ?? 'none')}"><td class="num">${escapeHtml(num(s.index) + 1)}</td>` +
        `<td class="num">${escapeHtml(round(num(s.weight), 2))}%</td><td>${verdictBadge(s.verdict)}</td>` +
        `<td class="num">${shareCell}</td><td class="num">${s.requests !== undefined ? fmtInt(s.requests) : '—'}</td>` +
        `<td class="num">${convergenceCell(s)}</td>` +
        `<td>${escapeHtml(s.summary ?? '')}</td></tr>`
      );
    });
  return (
    `<table class="steps"><thead><tr><th>#</th><th>Weight</th><th>Verdict</th><th>Measured share</th><th>Requests</th><th title="control plane: write call accepted / data plane: measured share within ±5 points">Write accepted / traffic follows</th><th>Summary</th></tr></thead>` +
    `<tbody>${rows.join('')}</tbody></table>`
  );
}

/** Control-plane and data-plane time of a step's weight write, in ms. */
function convergenceCell(s: ReportStep): string {
  if (s.controlPlaneMs === undefined) return '—';
  return `${escapeHtml(Math.round(s.controlPlaneMs))} ms / ${s.dataPlaneMs === undefined ? 'not within ±5 pts' : `${escapeHtml(Math.round(s.dataPlaneMs))} ms`}`;
}

function renderEventLog(events: ReportEvent[]): string {
  if (events.length === 0) return '<p class="empty">No events were recorded.</p>';
  const rows = [...events]
    .sort((a, b) => a.t - b.t)
    .map((e) => {
      const st = markerStyle(e);
      return (
        `<tr class="event event-${escapeHtml(e.kind)}${verdictClass(e)}"><td class="num mono">${fmtClock(e.t, true)}</td>` +
        `<td><span class="kind" style="border-color:${st.color};color:${st.color}">${escapeHtml(st.name)}</span></td>` +
        `<td class="num">${e.step !== undefined ? escapeHtml(num(e.step) + 1) : ''}</td>` +
        `<td>${escapeHtml(e.label)}${e.detail ? `<div class="detail">${escapeHtml(e.detail)}</div>` : ''}</td></tr>`
      );
    });
  return `<table class="events"><thead><tr><th>Time</th><th>Kind</th><th>Step</th><th>Event</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function renderSettings(settings: Record<string, string | number | boolean>): string {
  const entries = Object.entries(settings ?? {});
  if (entries.length === 0) return '';
  const items = entries.map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd>${escapeHtml(v)}</dd>`).join('');
  return `<section><h2>Settings</h2><dl class="settings">${items}</dl></section>`;
}

const CSS = `
*{box-sizing:border-box}
body{margin:0;background:#f8f9fa;color:#212529;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
main{max-width:1180px;margin:0 auto;padding:24px 28px 48px}
header{display:flex;flex-wrap:wrap;align-items:center;gap:12px 20px;margin-bottom:16px}
header h1{font-size:22px;margin:0;font-weight:650}
.sub{color:#868e96;font-size:13px;width:100%;margin-top:-6px}
.outcome{display:inline-flex;align-items:center;gap:8px;padding:6px 14px;border-radius:999px;font-weight:700;font-size:15px;letter-spacing:.02em;text-transform:uppercase}
.outcome.good{background:#d3f9d8;color:#1b5e20;border:1px solid #8ce99a}
.outcome.bad{background:#ffe3e3;color:#a61e1e;border:1px solid #ffa8a8}
.outcome.warn{background:#fff3bf;color:#8a5a00;border:1px solid #ffe066}
.outcome-text{font-size:15px;color:#343a40;flex:1 1 300px}
.figures{display:grid;grid-template-columns:repeat(auto-fit,minmax(150px,1fr));gap:10px;margin:0 0 18px}
.fig{background:#fff;border:1px solid #e9ecef;border-radius:8px;padding:10px 14px}
.fig .k{font-size:11px;text-transform:uppercase;letter-spacing:.06em;color:#868e96}
.fig .v{font-size:20px;font-weight:650;margin-top:2px;font-variant-numeric:tabular-nums}
.fig .n{font-size:12px;color:#868e96}
.fig .v.alert{color:#c92a2a}
section{background:#fff;border:1px solid #e9ecef;border-radius:8px;padding:14px 18px;margin-bottom:18px}
h2{font-size:15px;margin:0 0 10px;font-weight:650}
#timeline{overflow-x:auto;position:relative}
.marker-key{display:flex;flex-wrap:wrap;gap:4px 16px;margin:6px 0 0 62px;font-size:12px;color:#495057}
.key-item{display:inline-flex;align-items:center;gap:2px}
#timeline svg{display:block;width:100%;height:auto;max-width:1100px;font-family:inherit}
.panel-title{font-size:13px;font-weight:650;fill:#343a40}
.panel-title,.legend,.weight-label{paint-order:stroke;stroke:#fff;stroke-width:4px;stroke-linejoin:round}
.legend{font-size:11px;fill:#495057}
.tick{font-size:11px;fill:#868e96;font-variant-numeric:tabular-nums}
.axis-label{font-style:italic}
.grid{stroke:#f1f3f5;stroke-width:1}
.frame{fill:none;stroke:#ced4da;stroke-width:1}
.marker-label{font-size:10.5px;font-weight:600}
.weight-label{font-size:11px;font-weight:700;fill:#1864ab}
.no-traffic{font-size:14px;fill:#adb5bd;font-style:italic}
.marker:hover line{stroke-width:3}
#tip{position:absolute;pointer-events:none;background:rgba(33,37,41,.92);color:#fff;font-size:12px;line-height:1.4;padding:6px 9px;border-radius:6px;white-space:nowrap;display:none;font-variant-numeric:tabular-nums}
table{width:100%;border-collapse:collapse;font-size:13px}
th{text-align:left;font-weight:600;color:#868e96;font-size:11px;text-transform:uppercase;letter-spacing:.05em;border-bottom:1px solid #dee2e6;padding:6px 8px}
td{border-bottom:1px solid #f1f3f5;padding:6px 8px;vertical-align:top}
td.num{font-variant-numeric:tabular-nums;white-space:nowrap}
.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12px}
.badge{display:inline-block;padding:1px 8px;border-radius:999px;font-size:12px;font-weight:600}
.badge.good{background:#d3f9d8;color:#1b5e20}.badge.bad{background:#ffe3e3;color:#a61e1e}.badge.warn{background:#fff3bf;color:#8a5a00}.badge.muted{color:#adb5bd}
.kind{display:inline-block;border:1px solid;border-radius:4px;padding:0 6px;font-size:11px;font-weight:600;white-space:nowrap}
.detail{color:#868e96;font-size:12px}
.off{color:#e67700;font-size:12px}
.empty{color:#868e96;font-style:italic;margin:0}
.settings{display:grid;grid-template-columns:max-content 1fr;gap:4px 16px;margin:0;font-size:13px}
.settings dt{color:#868e96}.settings dd{margin:0;font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12px;word-break:break-all}
.cols{display:grid;grid-template-columns:minmax(0,1fr);gap:0}
footer{color:#adb5bd;font-size:12px;text-align:center}
`;

/** Hover tooltip: nearest sample to the pointer. Only progressive enhancement; the SVG stands alone. */
const SCRIPT = `
(function(){
var box=document.getElementById('timeline');var svg=box&&box.querySelector('svg');var tip=document.getElementById('tip');var ch=document.getElementById('crosshair');
var el=document.getElementById('timeline-data');if(!svg||!tip||!ch||!el)return;var d=JSON.parse(el.textContent||'[]');if(!d.length)return;
var span=+svg.getAttribute('data-span'),left=+svg.getAttribute('data-left'),pw=+svg.getAttribute('data-plot-width');
function pct(v){return v==null?'–':(Math.round(v*10000)/100)+'%'}
function clock(ms){var s=Math.floor(ms/1000);return Math.floor(s/60)+':'+('0'+s%60).slice(-2)}
svg.addEventListener('mousemove',function(ev){var pt=svg.createSVGPoint();pt.x=ev.clientX;pt.y=ev.clientY;var m=svg.getScreenCTM();if(!m)return;var p=pt.matrixTransform(m.inverse());
if(p.x<left||p.x>left+pw){tip.style.display='none';ch.setAttribute('visibility','hidden');return}
var t=(p.x-left)/pw*span,lo=0,hi=d.length-1;while(hi-lo>1){var mid=(lo+hi)>>1;if(d[mid][0]<t)lo=mid;else hi=mid}
var r=Math.abs(d[lo][0]-t)<=Math.abs(d[hi][0]-t)?d[lo]:d[hi];var x=left+r[0]/span*pw;ch.setAttribute('x1',x);ch.setAttribute('x2',x);ch.setAttribute('visibility','visible');
tip.innerHTML='<b>'+clock(r[0])+'</b><br>weight '+r[1]+'%'+(r[2]==null?'':' · measured '+r[2]+'%')+'<br>errors canary '+pct(r[3])+' · stable '+pct(r[4])+'<br>p99 canary '+r[5]+' ms · stable '+r[6]+' ms<br>rps canary '+r[7]+' · stable '+r[8];
tip.style.display='block';var b=box.getBoundingClientRect();var tx=ev.clientX-b.left+box.scrollLeft+14;if(tx+tip.offsetWidth>box.clientWidth+box.scrollLeft)tx-=tip.offsetWidth+28;tip.style.left=tx+'px';tip.style.top=(ev.clientY-b.top+12)+'px'});
svg.addEventListener('mouseleave',function(){tip.style.display='none';ch.setAttribute('visibility','hidden')});
})();
`;

export function renderReport(input: RolloutReport): string {
  // A report is shared (attached to tickets, published by CI): no secret the run read goes into it.
  const report = redactDeep(input);
  const samples = sortedSamples(report.samples ?? []);
  const events = (report.events ?? []).filter((e) => e && Number.isFinite(e.t));
  const started = Date.parse(report.startedAt);
  const ended = Date.parse(report.endedAt);
  const wallMs = Number.isFinite(started) && Number.isFinite(ended) && ended >= started ? ended - started : undefined;
  const lastDataT = Math.max(0, ...samples.map((s) => s.t), ...events.map((e) => e.t));
  const spanMs = Math.max(1000, lastDataT);
  const durationMs = wallMs ?? lastDataT;

  const { svg, key, data } = renderChart({ ...report, events }, samples, spanMs);
  const outcomeCls = Object.hasOwn(OUTCOME_CLASS, report.outcome) ? OUTCOME_CLASS[report.outcome] : 'warn';
  const totals = report.totals ?? { requests: 0, byVersion: {}, non2xx: 0, injectedFaults: 0 };
  const steps = report.steps ?? [];

  const figures: string[] = [];
  const fig = (k: string, v: string, n = '', alert = false): void => {
    figures.push(`<div class="fig"><div class="k">${escapeHtml(k)}</div><div class="v${alert ? ' alert' : ''}">${v}</div>${n ? `<div class="n">${n}</div>` : ''}</div>`);
  };
  fig('Duration', escapeHtml(fmtDuration(durationMs)), escapeHtml(`${fmtClock(0)} → ${fmtClock(durationMs)}`));
  fig('Requests', escapeHtml(fmtInt(totals.requests)), samples.length ? escapeHtml(`${samples.length} samples`) : 'no traffic recorded');
  const total = Math.max(0, num(totals.requests));
  for (const [version, count] of Object.entries(totals.byVersion ?? {})) {
    fig(`Served by ${version}`, escapeHtml(fmtInt(count)), total > 0 ? escapeHtml(`${fmtPct(num(count) / total)} of requests`) : '');
  }
  const non2xx = num(totals.non2xx);
  const injected = num(totals.injectedFaults);
  const unexplained = non2xx - injected;
  fig(
    'Non-2xx / injected',
    `${escapeHtml(fmtInt(non2xx))} <span style="color:#adb5bd;font-weight:400">/</span> ${escapeHtml(fmtInt(injected))}`,
    escapeHtml(unexplained > 0 ? `${fmtInt(unexplained)} not explained by injected faults` : 'all non-2xx were injected faults'),
    unexplained > 0,
  );
  const judged = steps.filter((s) => s.verdict);
  if (steps.length) {
    const healthy = judged.filter((s) => s.verdict === 'healthy').length;
    fig('Steps', escapeHtml(`${healthy}/${steps.length}`), 'judged healthy', judged.some((s) => s.verdict === 'failed'));
  }

  const when = (ms: number, raw: string): string =>
    Number.isFinite(ms) ? new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC') : raw;

  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(`${report.title} — ${report.outcome}`)}</title>
<style>${CSS}</style>
</head>
<body data-outcome="${escapeHtml(report.outcome)}">
<main>
<header>
<h1>${escapeHtml(report.title)}</h1>
<span class="outcome ${outcomeCls}" id="outcome">${escapeHtml(report.outcome)}</span>
<span class="outcome-text">${escapeHtml(report.outcomeText)}</span>
<div class="sub">spec <b>${escapeHtml(report.specName)}</b> · started ${escapeHtml(when(started, report.startedAt))} · ended ${escapeHtml(when(ended, report.endedAt))}</div>
</header>
<div class="figures">${figures.join('')}</div>
<section>
<h2>Timeline</h2>
<div id="timeline">${svg}<div id="tip" role="tooltip"></div></div>
${key}
</section>
<section><h2>Steps</h2>${renderSteps(steps)}</section>
${renderSequentialSection(report.sequential, escapeHtml)}
${renderStepChecks(steps)}
<section><h2>Event log</h2>${renderEventLog(events)}</section>
${renderSettings(report.settings)}
<footer>canary-controller local rollout report</footer>
</main>
<script type="application/json" id="timeline-data">${scriptJson(data)}</script>
<script>${SCRIPT}</script>
</body>
</html>
`;
}
