import { buildSync } from 'esbuild';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseDocument } from 'yaml';

/**
 * Lambda reports `error.name` as the error type the ASL's Retry/Catch match. The bundles are
 * minified, so this checks that serverless.yml's esbuild options keep class names intact.
 */
describe('packaged error names', () => {
  const root = join(__dirname, '..', '..', '..');
  const doc = parseDocument(readFileSync(join(root, 'serverless.yml'), 'utf8'), { customTags: [{ tag: '!Ref', resolve: (v: string) => v }, { tag: '!Sub', resolve: (v: string) => v }, { tag: '!GetAtt', resolve: (v: string) => v }, { tag: '!If', collection: 'seq', resolve: (v: unknown) => v }, { tag: '!Equals', collection: 'seq', resolve: (v: unknown) => v }, { tag: '!Sub', collection: 'seq', resolve: (v: unknown) => v }] as never, logLevel: 'silent' });
  const esbuild = (doc.toJS({ maxAliasCount: -1 }) as { custom: { esbuild: { minify?: boolean; keepNames?: boolean; target: string } } }).custom.esbuild;

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
