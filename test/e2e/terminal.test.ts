import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { constants, tmpdir } from 'node:os';
import { join } from 'node:path';
import { decideLocally } from '../../src/local/control';
import { CANARYCTL, have, ROOT, runProcess, TmuxTerminal, TSX } from '../support/processes';

/**
 * What a person sees and types: the demo on a real (tmux) terminal, and the ways a run can end
 * without leaving the control file that `canaryctl approve --local` reads.
 */
const DEMO = join(ROOT, 'src', 'local', 'demo.ts');
const freshDir = () => mkdtempSync(join(tmpdir(), 'canary-terminal-'));
const controlFile = (cwd: string) => join(cwd, '.canary-local', 'runner.json');

describe('the demo on a terminal (prompt mode)', () => {
  const skip = !have('tmux');
  if (skip && process.env.CI) throw new Error('tmux is not installed: run scripts/install-chromium.sh (it installs tmux too)');

  (skip ? it.skip : it)('keeps the approval question on the screen across redraws, says what Enter does, and promotes on "y"', async () => {
    // Prepare
    const cwd = freshDir();
    const term = new TmuxTerminal(`${TSX} ${DEMO} --bake 1s --rps 50 --no-report`, { cwd });
    try {
      // Act: wait for the question, then let the live view's 4-per-second redraw run many times.
      const question = /Approve promoting demo\? y = promote, Enter = reject and roll back \[y\/N\]/;
      await term.waitFor((s) => s.some((l) => question.test(l)));
      await new Promise((r) => setTimeout(r, 2000));
      const later = term.screen();
      term.keys('y', 'Enter');
      const end = await term.waitFor((s) => s.some((l) => l.startsWith('[exit ')));

      // Assess: the question is still there, on the last line written (nothing drew below it).
      const written = later.filter((l) => l !== '');
      expect(written.at(-1)).toMatch(question);
      expect(end.join('\n')).toMatch(/PROMOTED: demo-canary now takes all traffic/);
      expect(end).toContain('[exit 0]');
      expect(existsSync(controlFile(cwd))).toBe(false);
    } finally {
      term.close();
    }
  });
});

describe('--approve prompt without a terminal on stdin', () => {
  it.each([
    ['canaryctl run --local', CANARYCTL, ['run', '--local', join(ROOT, 'examples', 'demo.yaml'), '--approve', 'prompt']],
    ['npm run demo', TSX, [DEMO, '--approve', 'prompt']],
  ])('%s refuses at start with one line naming the modes that work, and leaves no control file', async (_name, command, args) => {
    const cwd = freshDir();

    const r = await runProcess(command, args, { cwd });

    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/--approve prompt needs a terminal on stdin.*use --approve auto, reject or wait/);
    expect(r.stdout).toBe('');
    expect(existsSync(join(cwd, '.canary-local'))).toBe(false);
  });
});

describe('the control file', () => {
  const script = (ending: string) => `
    const { startControlServer } = require(${JSON.stringify(join(ROOT, 'src', 'local', 'control.ts'))});
    startControlServer({ rolloutId: 'r-1', deps: {} }).then(() => {
      process.stdout.write('ready\\n');
      ${ending}
    });`;

  it.each([
    ['process.exit()', 'process.exit(3);', null],
    ['an uncaught error', "setTimeout(() => { throw new Error('boom'); }, 10);", null],
    ['SIGINT (Ctrl-C)', "setInterval(() => undefined, 1000); process.kill(process.pid, 'SIGINT');", 'SIGINT' as const],
    ['SIGTERM', "setInterval(() => undefined, 1000); process.kill(process.pid, 'SIGTERM');", 'SIGTERM' as const],
  ] as Array<[string, string, NodeJS.Signals | null]>)('is removed when the runner ends by %s', async (_how, ending, signal) => {
    const cwd = freshDir();

    const r = await runProcess(TSX, ['-e', script(ending)], { cwd });

    expect(r.stdout).toBe('ready\n');
    // The signal still ends the process as it would have (tsx relays it: its own exit code is 128 + n).
    if (signal) expect(r.signal === signal || r.code === 128 + constants.signals[signal]).toBe(true);
    else expect(r.code).not.toBe(0);
    expect(existsSync(controlFile(cwd))).toBe(false);
  });

  it('left by a killed runner makes approve --local say that no rollout runs, and is cleared', async () => {
    // Prepare: a control file whose process is gone (as after kill -9).
    const cwd = freshDir();
    const dead = await runProcess(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { cwd });
    const file = controlFile(cwd);
    require('node:fs').mkdirSync(join(cwd, '.canary-local'));
    writeFileSync(file, JSON.stringify({ url: 'http://127.0.0.1:9', rolloutId: 'r-1', pid: Number(dead.stdout) }));

    // Act / Assess
    await expect(decideLocally({ decision: 'approve' }, file)).rejects.toThrow(/no local rollout is running in this directory/);
    expect(existsSync(file)).toBe(false);
  });
});
