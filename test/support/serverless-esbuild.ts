import type { BuildOptions, Plugin } from 'esbuild';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDocument } from 'yaml';

export const ROOT = join(__dirname, '..', '..');

interface ServerlessEsbuild {
  bundle?: boolean;
  minify?: boolean;
  keepNames?: boolean;
  target: string;
  platform?: BuildOptions['platform'];
  format?: BuildOptions['format'];
  exclude?: string[];
  mainFields?: string[];
  plugins?: string;
}

/** serverless.yml's CloudFormation tags, read as plain values: only custom.esbuild matters here. */
const CFN_TAGS = [
  { tag: '!Ref', resolve: (v: string) => v },
  { tag: '!Sub', resolve: (v: string) => v },
  { tag: '!GetAtt', resolve: (v: string) => v },
  { tag: '!If', collection: 'seq', resolve: (v: unknown) => v },
  { tag: '!Equals', collection: 'seq', resolve: (v: unknown) => v },
  { tag: '!Sub', collection: 'seq', resolve: (v: unknown) => v },
];

/** `custom.esbuild` of serverless.yml as esbuild options: the bundles tests build are the ones `npm run package` ships. */
export function serverlessEsbuildOptions(): BuildOptions {
  const doc = parseDocument(readFileSync(join(ROOT, 'serverless.yml'), 'utf8'), { customTags: CFN_TAGS as never, logLevel: 'silent' });
  const e = (doc.toJS({ maxAliasCount: -1 }) as { custom: { esbuild: ServerlessEsbuild } }).custom.esbuild;
  return {
    bundle: e.bundle ?? true,
    minify: e.minify,
    keepNames: e.keepNames,
    target: e.target,
    platform: e.platform ?? 'node',
    format: e.format ?? 'cjs',
    external: e.exclude ?? [],
    mainFields: e.mainFields,
    plugins: e.plugins ? (require(join(ROOT, e.plugins)) as Plugin[]) : [],
    absWorkingDir: ROOT,
    logLevel: 'silent',
  };
}
