import { createInterface } from 'node:readline/promises';
import { parseDuration } from '../spec';
import { loadSpecFile } from '../spec/load';
import type { LocalCommandOptions } from './options';
import { runLocal, type ApprovalMode } from './runner';

export type { LocalCommandOptions } from './options';

/** Runs a spec file locally and returns the exit code: 0 promoted, 1 rolled back, 2 failed or bad input. */
export async function runLocalCommand(specPath: string, options: LocalCommandOptions): Promise<number> {
  const out = options.out ?? process.stdout;
  const bakeSeconds = options.bake !== undefined ? parseDuration(options.bake) : undefined;
  if (options.bake !== undefined && (bakeSeconds === undefined || bakeSeconds < 1)) {
    out.write(`--bake: must be a duration of at least 1s, got "${options.bake}"\n`);
    return 2;
  }
  const spec = await loadSpecFile(specPath);
  const interactive = Boolean(process.stdin.isTTY && (out as { isTTY?: boolean }).isTTY);
  const approve: ApprovalMode = options.approve ?? (interactive ? 'prompt' : 'auto');
  const rl = approve === 'prompt' ? createInterface({ input: process.stdin, output: process.stdout }) : undefined;
  try {
    const result = await runLocal({
      spec,
      bakeSeconds,
      rps: options.rps,
      canaryErrors: options.canaryErrors,
      canaryLatencyMs: options.canaryLatency,
      approve,
      ask: rl ? (q) => rl.question(q) : undefined,
      reportPath: options.report === false ? undefined : options.report ?? 'rollout-report.html',
      control: true,
      store: options.store,
      out,
    });
    return result.exitCode;
  } finally {
    rl?.close();
  }
}
