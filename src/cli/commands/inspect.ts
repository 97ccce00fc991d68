import { sequentialSeries } from '../../analysis/sequential-check';
import { sequentialStatusLines } from '../sequential';
import type { RolloutEvent, RolloutRecord } from '../../rollouts/records';
import { printJson, write, type CliContext } from '../context';
import { CliError, ExitCode } from '../errors';
import { ago, colourStatus, elapsed, paint, table } from '../format';

/** A record as scripts see it: no spec body, no task token (a token is a capability). */
export function summarize(r: RolloutRecord) {
  return {
    rolloutId: r.rolloutId,
    specName: r.specName,
    status: r.status,
    revision: r.revision ?? null,
    /** Zero-based index of the live step; -1 before the first shift. */
    step: r.step,
    steps: r.weights.length,
    canaryWeight: r.canaryWeight,
    weights: r.weights,
    routes: r.routes,
    startedAt: r.startedAt,
    updatedAt: r.updatedAt,
    endedAt: r.endedAt ?? null,
    outcome: r.outcome ?? null,
    gate: r.gate ? { gate: r.gate.gate, requestedAt: r.gate.requestedAt, expiresAt: r.gate.expiresAt } : null,
    executionArn: r.executionArn,
  };
}

const ACTIVE = new Set(['running', 'waiting']);

function stepText(r: RolloutRecord): string {
  return r.step >= 0 ? `${r.step + 1}/${r.weights.length}` : `-/${r.weights.length}`;
}

function rolloutRows(ctx: CliContext, records: RolloutRecord[]): string {
  const p = paint(ctx.isTTY);
  const now = ctx.now();
  return table(
    ['ROLLOUT', 'SPEC', 'STATUS', 'STEP', 'WEIGHT', 'REVISION', 'STARTED', 'DURATION'],
    records.map((r) => [
      r.rolloutId,
      r.specName,
      colourStatus(p, r.status),
      stepText(r),
      `${r.canaryWeight}%`,
      (r.revision ?? '-').slice(0, 12),
      ago(r.startedAt, now),
      elapsed(r.startedAt, r.endedAt, now),
    ]),
    p,
  );
}

export interface ListOptions {
  json?: boolean;
  limit?: number;
  spec?: string;
  /** Only running and waiting rollouts. */
  active?: boolean;
}

/** `canaryctl list`: running rollouts first, then the most recent ones. */
export async function listCommand(ctx: CliContext, opts: ListOptions = {}): Promise<number> {
  const limit = opts.limit ?? 20;
  const records = await ctx.store.listRollouts({ specName: opts.spec, limit: opts.active ? Math.max(limit, 100) : limit });
  const active = records.filter((r) => ACTIVE.has(r.status));
  const shown = (opts.active ? active : [...active, ...records.filter((r) => !ACTIVE.has(r.status))]).slice(0, limit);
  if (opts.json) {
    printJson(ctx, { rollouts: shown.map(summarize) });
    return ExitCode.ok;
  }
  if (shown.length === 0) {
    write(ctx.out, opts.active ? 'No running rollouts.' : 'No rollouts yet.');
    return ExitCode.ok;
  }
  write(ctx.out, rolloutRows(ctx, shown));
  return ExitCode.ok;
}

/** `canaryctl history <spec>`: every recent rollout of one spec, newest first. */
export async function historyCommand(ctx: CliContext, specName: string, opts: { json?: boolean; limit?: number } = {}): Promise<number> {
  const records = await ctx.store.listRollouts({ specName, limit: opts.limit ?? 20 });
  if (records.length === 0) throw new CliError(`no rollouts of spec ${specName} found`, ExitCode.notFound);
  if (opts.json) {
    printJson(ctx, { specName, rollouts: records.map(summarize) });
    return ExitCode.ok;
  }
  const p = paint(ctx.isTTY);
  const now = ctx.now();
  write(
    ctx.out,
    table(
      ['ROLLOUT', 'STATUS', 'STEP', 'REVISION', 'STARTED', 'DURATION', 'OUTCOME'],
      records.map((r) => [
        r.rolloutId,
        colourStatus(p, r.status),
        stepText(r),
        (r.revision ?? '-').slice(0, 12),
        ago(r.startedAt, now),
        elapsed(r.startedAt, r.endedAt, now),
        truncate(r.outcome ?? (r.gate ? `waiting at ${r.gate.gate}` : ''), 80),
      ]),
      p,
    ),
  );
  return ExitCode.ok;
}

/** The rollout's record, or exit code 3. */
export async function requireRollout(ctx: CliContext, rolloutId: string): Promise<RolloutRecord> {
  const record = await ctx.store.getRollout(rolloutId);
  if (!record) throw new CliError(`rollout ${rolloutId} not found`, ExitCode.notFound);
  return record;
}

/** `canaryctl status <rollout>`: where it is, what the last judgement saw, what it waits for. */
export async function statusCommand(ctx: CliContext, rolloutId: string, opts: { json?: boolean; events?: number } = {}): Promise<number> {
  const record = await requireRollout(ctx, rolloutId);
  const events = (await ctx.store.listEvents(rolloutId)).sort((a, b) => a.at.localeCompare(b.at));
  const verdict = [...events].reverse().find((e) => e.kind === 'verdict');
  const lastVerdict = verdict
    ? {
        at: verdict.at,
        step: verdict.step ?? null,
        weight: verdict.weight ?? null,
        verdict: verdict.verdict ?? null,
        summary: verdict.message,
        checks: (verdict.checks ?? []).map((c) => ({ name: c.name, kind: c.kind, state: c.state, reason: c.reason ?? null, evidence: c.evidence ?? null })),
      }
    : null;
  const recent = events.slice(-(opts.events ?? 10));
  if (opts.json) {
    printJson(ctx, { rollout: summarize(record), lastVerdict, sequential: sequentialSeries(events), events: recent });
    return ExitCode.ok;
  }

  const p = paint(ctx.isTTY);
  const now = ctx.now();
  const lines: string[] = [];
  const field = (name: string, value: string) => lines.push(`${p.dim(`${name}:`.padEnd(12))}${value}`);
  field('Rollout', p.bold(record.rolloutId));
  field('Spec', record.specName);
  field('Status', colourStatus(p, record.status));
  if (record.revision) field('Revision', record.revision);
  field('Started', `${record.startedAt} (${ago(record.startedAt, now)})`);
  if (record.endedAt) field('Ended', `${record.endedAt} (after ${elapsed(record.startedAt, record.endedAt, now)})`);
  field('Step', record.step >= 0 ? `${record.step + 1} of ${record.weights.length}` : `not shifted yet (${record.weights.length} steps)`);
  field('Weight', `canary ${record.canaryWeight}%, stable ${100 - record.canaryWeight}%`);
  field('Schedule', record.weights.map((w, i) => (i === record.step ? p.bold(`[${w}%]`) : `${w}%`)).join(' → '));
  field('Routes', record.routes.join(', ') || '-');
  if (record.outcome) field('Outcome', record.outcome);
  if (record.gate) {
    field('Waiting', `${p.yellow(record.gate.gate)} approval since ${record.gate.requestedAt}, expires ${record.gate.expiresAt}`);
    lines.push(`${' '.repeat(12)}canaryctl approve ${record.rolloutId}   |   canaryctl reject ${record.rolloutId} --reason "..."`);
  }
  if (lastVerdict) {
    lines.push('');
    const where = lastVerdict.step !== null ? ` at step ${lastVerdict.step + 1}${lastVerdict.weight !== null ? ` (${lastVerdict.weight}%)` : ''}` : '';
    lines.push(`${p.bold('Last verdict')}${where}: ${colourStatus(p, lastVerdict.verdict ?? '?')} (${lastVerdict.at})`);
    lines.push(`  ${lastVerdict.summary}`);
    if (lastVerdict.checks.length > 0) {
      lines.push(
        table(
          ['  CHECK', 'STATE', 'CANARY', 'STABLE', 'LIMIT', 'REASON'],
          lastVerdict.checks.map((c) => [`  ${c.name}`, colourStatus(p, c.state), c.evidence?.canary ?? '-', c.evidence?.stable ?? '-', c.evidence?.limit ?? '-', truncate(c.reason ?? '', 100)]),
          p,
        ),
      );
    }
  }
  const sequential = sequentialSeries(events);
  if (sequential.length > 0) {
    lines.push('', p.bold('Sequential tests'));
    for (const s of sequential) lines.push(...sequentialStatusLines(s));
  }
  if (recent.length > 0) {
    lines.push('', p.bold('Recent events'));
    for (const e of recent) lines.push(`  ${p.dim(e.at)}  ${e.kind.padEnd(18)} ${eventText(e)}`);
  }
  write(ctx.out, lines.join('\n'));
  return ExitCode.ok;
}

function eventText(e: RolloutEvent): string {
  const where = e.step !== undefined && e.step >= 0 ? `[step ${e.step + 1}${e.weight !== undefined ? `, ${e.weight}%` : ''}] ` : '';
  return `${where}${e.message}`;
}

function truncate(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}
