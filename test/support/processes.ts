import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';

/** The repository root and the binaries the process tests start. */
export const ROOT = join(__dirname, '..', '..');
export const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');
export const CANARYCTL = join(ROOT, 'bin', 'canaryctl.js');

export interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to its end with stdin a pipe (not a terminal), as CI and scripts do. */
export function runProcess(command: string, args: string[], opts: { cwd: string; env?: NodeJS.ProcessEnv; input?: string }): Promise<Finished> {
  return new Promise((resolve, reject) => {
    // A key given as undefined is removed from the child's environment.
    const env = Object.fromEntries(Object.entries({ ...process.env, ...opts.env }).filter(([, v]) => v !== undefined));
    const child = spawn(command, args, { cwd: opts.cwd, env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
    child.stdin.end(opts.input ?? '');
  });
}

/** True when a program is on the PATH. */
export function have(program: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${program}`]).status === 0;
}

/**
 * A real terminal for a program: a detached tmux session on its own server socket (so nothing
 * else's sessions are touched), read back with capture-pane as a person would see it.
 */
export class TmuxTerminal {
  private readonly socket = `canary-test-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;

  constructor(command: string, opts: { cwd: string; width?: number; height?: number }) {
    this.tmux('new-session', '-d', '-x', String(opts.width ?? 160), '-y', String(opts.height ?? 50), '-c', opts.cwd, `${command}; echo "[exit $?]"; sleep 120`);
  }

  /** The visible screen, one string per row, trailing blanks trimmed. */
  screen(): string[] {
    return this.tmux('capture-pane', '-p').split('\n').map((l) => l.trimEnd());
  }

  /** Types keys as a person would (tmux send-keys names: 'Enter', 'C-c', or literal text). */
  keys(...keys: string[]): void {
    this.tmux('send-keys', ...keys);
  }

  /** Polls the screen until `test` holds, up to `timeoutMs`; returns the screen it saw last. */
  async waitFor(test: (screen: string[]) => boolean, timeoutMs = 60_000): Promise<string[]> {
    const until = Date.now() + timeoutMs;
    let screen = this.screen();
    while (!test(screen)) {
      if (Date.now() > until) throw new Error(`terminal never showed what was expected; last screen:\n${screen.join('\n')}`);
      await new Promise((r) => setTimeout(r, 200));
      screen = this.screen();
    }
    return screen;
  }

  close(): void {
    spawnSync('tmux', ['-L', this.socket, 'kill-server']);
  }

  private tmux(...args: string[]): string {
    const r = spawnSync('tmux', ['-L', this.socket, ...args], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`tmux ${args[0]} failed: ${r.stderr}`);
    return r.stdout;
  }
}
