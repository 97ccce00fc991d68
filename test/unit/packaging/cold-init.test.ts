import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, serverlessEsbuildOptions } from '../../support/serverless-esbuild';

/**
 * What a packaged function loads at cold start (issue 10, Performance). Timing is the benchmark's
 * job (`npm run bench -- --only bundles`); this checks the causes: which SDK packages a bundle
 * requires at import, and that none carries the classic zod API (~200 KB, most of a module init).
 */
describe('packaged functions at cold start', () => {
  const functions = readdirSync(join(ROOT, 'functions'))
    .filter((f) => f.endsWith('.ts'))
    .map((f) => f.replace(/\.ts$/, ''));
  const dir = mkdtempSync(join(tmpdir(), 'canary-cold-init-'));
  const bundles = new Map<string, { file: string; inputs: string[] }>();

  beforeAll(async () => {
    const options = serverlessEsbuildOptions();
    for (const fn of functions) {
      const file = join(dir, `${fn}.js`);
      const out = await build({ ...options, entryPoints: [join(ROOT, 'functions', `${fn}.ts`)], outfile: file, metafile: true });
      bundles.set(fn, { file, inputs: Object.keys(out.metafile.inputs) });
    }
  }, 120_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** The @aws-sdk packages a fresh `node` requires while loading the bundle (the runtime provides them). */
  function sdkLoadedAtImport(file: string): string[] {
    const probe = `const M = require('module'); const load = M._load; const seen = new Set();
      M._load = function (request, ...rest) { if (request.startsWith('@aws-sdk/')) seen.add(request); return load.call(this, request, ...rest); };
      require(${JSON.stringify(file)}); process.stdout.write(JSON.stringify([...seen].sort()));`;
    const r = spawnSync(process.execPath, ['-e', probe], {
      encoding: 'utf8',
      env: { ...process.env, NODE_PATH: join(ROOT, 'node_modules'), NODE_OPTIONS: '', AWS_REGION: 'us-east-1', TABLE_NAME: 'cold-init-table', TOPIC_ARN: 'arn:aws:sns:us-east-1:000000000000:cold-init', EVENT_BUS_NAME: 'cold-init-bus', POWERTOOLS_LOG_LEVEL: 'SILENT' },
    });
    if (r.status !== 0) throw new Error(`require(${file}) failed: ${r.stderr}`);
    return JSON.parse(r.stdout) as string[];
  }

  it('load no AWS SDK package at import: the table through the lite client, every client on first use', () => {
    // The SDK's DynamoDB client alone was ~110 ms of each function's ~140 ms init (bench §3); every
    // function reads the table, so it goes through the lite table (src/shared/document-table-lite.ts). Routers, workloads, alarms, metrics,
    // notifications, secrets and StartExecution load on first use: a deployment never loads the
    // clients of routers it does not use, and a function never those it does not call.
    const loaded = Object.fromEntries(functions.map((fn) => [fn, sdkLoadedAtImport(bundles.get(fn)!.file)]));

    const expected = Object.fromEntries(functions.map((fn) => [fn, []]));
    expect(loaded).toEqual(expected);
  });

  it('carry no classic zod API, not even those that parse rollout specs', () => {
    // The spec schema is written with zod/mini too, so Prepare, Release and the git triggers, which
    // validate whole specs, carry the same tree-shaken zod core as every other function.
    const zodInputs = (fn: string) => bundles.get(fn)!.inputs.filter((i) => /node_modules\/zod\//.test(i));
    const classic = (fn: string) => zodInputs(fn).some((i) => /node_modules\/zod\/v4\/classic\//.test(i));

    const carrying = functions.filter(classic);

    expect(carrying).toEqual([]);
    // The check reads real inputs: the functions that parse specs do bundle zod (mini and its core).
    for (const fn of ['prepare', 'release', 'trigger-github', 'trigger-codecommit']) {
      expect(zodInputs(fn)).toEqual(expect.arrayContaining([expect.stringMatching(/node_modules\/zod\/v4\/mini\//)]));
    }
  });
});
