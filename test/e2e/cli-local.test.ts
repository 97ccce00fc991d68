import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CANARYCTL, ROOT, runProcess } from '../support/processes';

/** `canaryctl run --local` as a new user runs it: a real process, stdout a pipe. */
const run = (...args: string[]) =>
  runProcess(CANARYCTL, ['run', '--local', ...args, '--bake', '1s', '--rps', '50', '--approve', 'auto', '--no-report'], {
    cwd: mkdtempSync(join(tmpdir(), 'canary-cli-local-')),
    // As on a fresh shell: the test setup's SILENT must not hide what a user would see.
    env: { POWERTOOLS_LOG_LEVEL: undefined },
  });
const jsonLines = (text: string) => text.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { level: string; message: string });

describe('canaryctl run --local', () => {
  it('prints status lines only, as the demo does, and the Lambda logs only with --verbose', async () => {
    // Act
    const quiet = await run(join(ROOT, 'examples', 'demo.yaml'));
    const verbose = await run(join(ROOT, 'examples', 'demo.yaml'), '--verbose');

    // Assess: same run, same status lines; the structured handler logs only with --verbose.
    for (const r of [quiet, verbose]) {
      expect(r.stdout).toContain('canary-controller local run: demo');
      expect(r.stdout).toMatch(/^(PROMOTED|ROLLED BACK): /m);
    }
    expect(jsonLines(quiet.stdout + quiet.stderr)).toEqual([]);
    expect(jsonLines(verbose.stdout).map((l) => l.message)).toContain('prepare done');
  });
});
