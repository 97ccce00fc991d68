import { buildSync } from 'esbuild';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, serverlessEsbuildOptions } from '../../support/serverless-esbuild';

/**
 * Lambda reports `error.name` as the error type the ASL's Retry/Catch match. The bundles are
 * minified, so this checks that serverless.yml's esbuild options keep class names intact.
 */
describe('packaged error names', () => {
  const root = ROOT;
  const esbuild = serverlessEsbuildOptions();

  it('survive the bundling serverless.yml configures', () => {
    const dir = mkdtempSync(join(tmpdir(), 'canary-names-'));
    const entry = join(dir, 'entry.ts');
    writeFileSync(
      entry,
      `import * as e from ${JSON.stringify(join(root, 'src', 'shared', 'errors'))};
       export const names = [e.TransientError, e.ConfigurationError, e.ResourceNotFoundError, e.RouteLockedError, e.ConcurrentModificationError, e.SupersededError, e.UnsupportedError].map((C) => new C('x').name);`,
    );
    const out = join(dir, 'out.js');
    buildSync({ entryPoints: [entry], bundle: true, platform: 'node', format: 'cjs', target: esbuild.target, minify: esbuild.minify, keepNames: esbuild.keepNames, outfile: out, logLevel: 'silent' });

    const { names } = require(out) as { names: string[] };
    expect(names).toEqual(['TransientError', 'ConfigurationError', 'ResourceNotFoundError', 'RouteLockedError', 'ConcurrentModificationError', 'SupersededError', 'UnsupportedError']);
  });
});
