import type { SequentialSeries } from '../../analysis/sequential-check';

const W = 720;
const H = 170;
const PAD = { left: 56, right: 16, top: 14, bottom: 28 };

/**
 * The report's section for sequential comparisons: for each, its log evidence of a regression over
 * time against the rollback boundary log(1/α) and, with a margin, the always-valid bound on
 * canary − stable against the margin. Inline SVG, no script. Empty when there are none.
 * The report's escaper comes in as an argument, so this file and render.ts import in one direction.
 */
export function renderSequentialSection(series: readonly SequentialSeries[] | undefined, escapeHtml: (value: unknown) => string): string {
  if (!series || series.length === 0) return '';
  const charts = series.map((s) => {
    const evidence = chart(escapeHtml, {
      points: s.trajectory.map(([t, logE]) => [t, logE]),
      line: { value: s.boundary, label: `rollback boundary log(1/α) = ${s.boundary.toFixed(2)}`, colour: '#c92a2a' },
      colour: '#1c7ed6',
      yLabel: 'log evidence',
      format: (v) => v.toFixed(1),
      id: `${s.name}-evidence`,
    });
    const bound =
      s.margin === undefined
        ? ''
        : chart(escapeHtml, {
            points: s.trajectory.filter(([, , u]) => u !== null && u < 1).map(([t, , u]) => [t, u! * 100]),
            line: { value: s.margin * 100, label: `margin ${num(s.margin * 100)} pts: not worse below`, colour: '#2b8a3e' },
            colour: '#5f3dc4',
            yLabel: 'canary − stable ≤ (pts)',
            format: (v) => num(v),
            id: `${s.name}-bound`,
          });
    const last = s.upperDifference === null ? '∞' : `${num(s.upperDifference * 100)} pts`;
    return `<div class="sequential" data-comparison="${escapeHtml(s.name)}" data-decision="${escapeHtml(s.decision)}">
<h3>${escapeHtml(s.name)} <small>sequential, α ${escapeHtml(s.alpha)} · last look ${escapeHtml(s.at)}: <b>${escapeHtml(s.decision)}</b> · evidence ${escapeHtml(num(Math.exp(s.logE)))} of ${escapeHtml(num(Math.exp(s.boundary)))}${s.margin === undefined ? '' : ` · canary − stable ≤ ${escapeHtml(last)}`}</small></h3>
${evidence}${bound}</div>`;
  });
  return `<section><h2>Sequential tests</h2><p class="note">A rollback happens when the evidence crosses the boundary: for a healthy canary that happens in at most α of rollouts, however often the judge looks. "Not worse" ends a bake early once the bound on canary − stable is below the margin.</p>${charts.join('\n')}</section>`;
}

function chart(
  escapeHtml: (value: unknown) => string,
  o: {
  points: Array<[number, number]>;
  line: { value: number; label: string; colour: string };
  colour: string;
  yLabel: string;
  format: (v: number) => string;
  id: string;
  },
): string {
  const ts = o.points.map(([t]) => t);
  const vs = o.points.map(([, v]) => v);
  const tMax = Math.max(60, ...ts);
  const yMin = Math.min(0, ...vs);
  const yMax = Math.max(o.line.value * 1.25, ...vs) || 1;
  const x = (t: number) => PAD.left + (t / tMax) * (W - PAD.left - PAD.right);
  const y = (v: number) => PAD.top + (1 - (v - yMin) / (yMax - yMin)) * (H - PAD.top - PAD.bottom);
  const path = o.points.map(([t, v], i) => `${i === 0 ? 'M' : 'L'}${x(t).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
  const ticks = [yMin, (yMin + yMax) / 2, yMax]
    .map((v) => `<text x="${PAD.left - 6}" y="${y(v).toFixed(1)}" text-anchor="end" dominant-baseline="middle" font-size="10" fill="#868e96">${escapeHtml(o.format(v))}</text>`)
    .join('');
  const minutes = (t: number) => `${Math.round(t / 60)}m`;
  const xTicks = [0, tMax / 2, tMax].map((t) => `<text x="${x(t).toFixed(1)}" y="${H - 8}" text-anchor="middle" font-size="10" fill="#868e96">${minutes(t)}</text>`).join('');
  return `<svg class="seq-chart" id="${escapeHtml(o.id)}" viewBox="0 0 ${W} ${H}" width="100%" role="img" aria-label="${escapeHtml(`${o.yLabel} over time against ${o.line.label}`)}">
<rect x="${PAD.left}" y="${PAD.top}" width="${W - PAD.left - PAD.right}" height="${H - PAD.top - PAD.bottom}" fill="#f8f9fa"/>
<line class="boundary" x1="${PAD.left}" x2="${W - PAD.right}" y1="${y(o.line.value).toFixed(1)}" y2="${y(o.line.value).toFixed(1)}" stroke="${o.line.colour}" stroke-dasharray="5 4"/>
<text x="${W - PAD.right - 4}" y="${(y(o.line.value) - 4).toFixed(1)}" text-anchor="end" font-size="11" fill="${o.line.colour}">${escapeHtml(o.line.label)}</text>
${o.points.length ? `<path class="statistic" d="${path}" fill="none" stroke="${o.colour}" stroke-width="2"/>` : ''}
${ticks}${xTicks}
<text x="12" y="${PAD.top + 4}" font-size="10" fill="#495057">${escapeHtml(o.yLabel)}</text>
</svg>`;
}

function num(n: number): string {
  return n >= 1000 ? n.toExponential(1) : String(Number(n.toPrecision(3)));
}
