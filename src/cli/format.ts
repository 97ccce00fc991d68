import { formatDuration } from '../spec';

const ANSI = /\u001b\[[0-9;]*m/g;

export interface Paint {
  bold(s: string): string;
  dim(s: string): string;
  red(s: string): string;
  green(s: string): string;
  yellow(s: string): string;
  cyan(s: string): string;
}

/** ANSI colours when enabled, plain text otherwise. */
export function paint(enabled: boolean): Paint {
  const c = (code: string) => (s: string) => (enabled ? `\u001b[${code}m${s}\u001b[0m` : s);
  return { bold: c('1'), dim: c('2'), red: c('31'), green: c('32'), yellow: c('33'), cyan: c('36') };
}

export function colourStatus(p: Paint, status: string): string {
  switch (status) {
    case 'promoted':
    case 'healthy':
    case 'OK':
      return p.green(status);
    case 'running':
      return p.cyan(status);
    case 'waiting':
    case 'inconclusive':
    case 'INSUFFICIENT_DATA':
      return p.yellow(status);
    case 'rollback failed':
      return p.bold(p.red(status));
    default:
      return ['rolled back', 'failed', 'ALARM'].includes(status) ? p.red(status) : status;
  }
}

/** Left-aligned columns, two spaces apart; widths ignore colour codes. */
export function table(headers: string[], rows: string[][], p?: Paint): string {
  const width = (s: string) => s.replace(ANSI, '').length;
  const widths = headers.map((h, i) => Math.max(width(h), ...rows.map((r) => width(r[i] ?? ''))));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell + ' '.repeat(widths[i]! - width(cell))))
      .join('  ')
      .trimEnd();
  const head = line(headers);
  return [p ? p.bold(head) : head, ...rows.map(line)].join('\n');
}

/** `5m ago`, `2h ago`, `3d ago`. */
export function ago(iso: string | undefined, now: Date): string {
  if (!iso) return '-';
  const seconds = Math.max(0, Math.round((now.getTime() - new Date(iso).getTime()) / 1000));
  if (seconds < 60) return `${seconds}s ago`;
  if (seconds < 86400) return `${formatDuration(seconds - (seconds % 60))} ago`;
  return `${Math.floor(seconds / 86400)}d ago`;
}

/** Elapsed time between two instants (or until now). */
export function elapsed(from: string, to: string | undefined, now: Date): string {
  const seconds = Math.max(0, Math.round(((to ? new Date(to) : now).getTime() - new Date(from).getTime()) / 1000));
  return formatDuration(seconds);
}
