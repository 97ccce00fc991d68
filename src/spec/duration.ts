const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };
const DURATION = /^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/;

/** Pattern of a duration string, for the JSON Schema: `30s`, `5m`, `24h`, `1h30m`, `2d`. */
export const DURATION_PATTERN = '^(?:\\d+d)?(?:\\d+h)?(?:\\d+m)?(?:\\d+s)?$';

/**
 * Parses `30s`, `5m`, `24h`, `1h30m`, `2d` (or a bare number of seconds) into whole seconds.
 * Returns undefined when the text is not a duration.
 */
export function parseDuration(text: string | number): number | undefined {
  if (typeof text === 'number') return Number.isInteger(text) && text >= 0 ? text : undefined;
  const trimmed = text.trim();
  if (trimmed === '') return undefined;
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  const match = DURATION.exec(trimmed);
  if (!match) return undefined;
  const [, d, h, m, s] = match;
  return (
    Number(d ?? 0) * UNIT_SECONDS.d! +
    Number(h ?? 0) * UNIT_SECONDS.h! +
    Number(m ?? 0) * UNIT_SECONDS.m! +
    Number(s ?? 0)
  );
}

/** Formats seconds the way a person writes them: 90 → `1m30s`, 86400 → `24h`. */
export function formatDuration(totalSeconds: number): string {
  if (totalSeconds === 0) return '0s';
  let rest = Math.round(totalSeconds);
  const parts: string[] = [];
  for (const [unit, size] of [
    ['h', 3600],
    ['m', 60],
    ['s', 1],
  ] as const) {
    const n = Math.floor(rest / size);
    if (n > 0) parts.push(`${n}${unit}`);
    rest -= n * size;
  }
  return parts.join('');
}
