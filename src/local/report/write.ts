import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { renderReport } from './render';
import type { RolloutReport } from './types';

/** Renders the report and writes it to `path` (creating directories). Returns the absolute path. */
export async function writeReport(path: string, report: RolloutReport): Promise<string> {
  const abs = resolve(path);
  await mkdir(dirname(abs), { recursive: true });
  await writeFile(abs, renderReport(report), 'utf8');
  return abs;
}
