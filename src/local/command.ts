import { createInterface } from 'node:readline/promises';
import { parseDuration } from '../spec';
import { loadSpecFile } from '../spec/load';
import { LocalUsageError, type LocalCommandOptions } from './options';
import { runLocal, type ApprovalMode } from './runner';

export type { LocalCommandOptions } from './options';

/**
 * Runs a spec file locally and returns the exit code: 0 promoted, 1 rolled back, 2 failed.
 * Bad input (flags, spec, `--approve prompt` without a terminal) throws LocalUsageError before
 * anything starts.
 */
export async function runLocalCommand(specPath: string, options: LocalCommandOptions): Promise<number> {
  const out = options.out ?? process.stdout;
  const bakeSeconds = options.bake !== undefined ? parseDuration(options.bake) : undefined;
  if (options.bake !== undefined && (bakeSeconds === undefined || bakeSeconds < 1)) {
    throw new LocalUsageError(`--bake: must be a duration of at least 1s, got "${options.bake}"`);
  }
  const stdinIsTTY = options.stdinIsTTY ?? Boolean(process.stdin.isTTY);
  if (options.approve === 'prompt' && !stdinIsTTY) {
    throw new LocalUsageError('--approve prompt needs a terminal on stdin to ask the question; use --approve auto, reject or wait');
  }
  const spec = await loadSpecFile(specPath);
  const interactive = stdinIsTTY && Boolean((out as { isTTY?: boolean }).isTTY);
  const approve: ApprovalMode = options.approve ?? (interactive ? 'prompt' : 'auto');
  const result = await runLocal({
    spec,
    bakeSeconds,
    rps: options.rps,
    canaryErrors: options.canaryErrors,
    canaryLatencyMs: options.canaryLatency,
    judge: options.judge,
    approve,
    ask: approve === 'prompt' ? askAtTerminal : undefined,
    reportPath: options.report === false ? undefined : options.report ?? 'rollout-report.html',
    control: true,
    image: options.image,
    store: options.store,
    out,
  });
  return result.exitCode;
}

/**
 * One readline per question: a readline left open for the whole run would keep the terminal in
 * raw mode and swallow Ctrl-C. Ctrl-C at the question stops the run like anywhere else.
 */
async function askAtTerminal(question: string): Promise<string> {
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  rl.on('SIGINT', () => {
    rl.close();
    process.kill(process.pid, 'SIGINT');
  });
  try {
    // Ctrl-D closes the input without an answer: that is the default, reject.
    return await new Promise<string>((resolve) => {
      rl.once('close', () => resolve(''));
      rl.question(question).then(resolve, () => resolve(''));
    });
  } finally {
    rl.close();
  }
}
