import type { ReportStep } from './types';

/**
 * The report's "Checks per step" section: for every judgement of every step, a table of the
 * checks with the canary's and stable's numbers, the limit and the result, so each verdict in
 * the report shows the evidence it was decided on.
 */
export function renderStepChecks(steps: ReportStep[]): string {
  const judged = [...steps].sort((a, b) => a.index - b.index).filter((s) => s.judgements?.length);
  if (judged.length === 0) return '';
  const tables = judged.flatMap((s) =>
    s.judgements!.map((j, i) => {
      const rows = j.checks.map(
        (c) =>
          `<tr class="check check-${esc(result(c.state))}"><td>${esc(c.name)}</td><td>${esc(c.kind)}</td>` +
          `<td class="num">${esc(c.evidence?.canary ?? '—')}</td><td class="num">${esc(c.evidence?.stable ?? '—')}</td>` +
          `<td>${esc(c.evidence?.limit ?? '—')}</td><td>${badge(c.state)}</td><td>${esc(c.reason ?? '')}</td></tr>`,
      );
      const title = `Step ${s.index + 1} (${s.weight}%) · judgement ${i + 1} of ${s.judgements!.length}: ${j.verdict}`;
      return (
        `<h3>${esc(title)}</h3>` +
        (rows.length
          ? `<table class="checks" data-step="${esc(s.index)}"><thead><tr><th>Check</th><th>Kind</th><th>Canary</th><th>Stable</th><th>Limit</th><th>Result</th><th>Why</th></tr></thead><tbody>${rows.join('')}</tbody></table>`
          : '<p class="empty">No checks configured: the step passed on its bake alone.</p>')
      );
    }),
  );
  return `<section id="checks"><h2>Checks per step</h2>${tables.join('')}</section>`;
}

function result(state: string): string {
  return state === 'OK' ? 'Successful' : state === 'ALARM' ? 'Failed' : 'Inconclusive';
}

function badge(state: string): string {
  const cls = state === 'OK' ? 'good' : state === 'ALARM' ? 'bad' : 'warn';
  return `<span class="badge ${cls}">${esc(result(state))}</span>`;
}

function esc(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}
