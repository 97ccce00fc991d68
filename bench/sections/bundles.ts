import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { serverlessEsbuildOptions } from '../../test/support/serverless-esbuild';
import { summarize, type Summary } from '../lib/stats';

export const ROOT = join(__dirname, '..', '..');
const SERVERLESS_DIR = join(ROOT, '.serverless');

export interface BundleFigure {
  fn: string;
  zipBytes: number;
  /** The handler file inside the zip, unzipped. */
  entry: string;
  jsBytes: number;
  /** Module init: require() of the bundled handler in a fresh `node`, ms. */
  initMs: Summary;
  initRuns: number[];
  /** The AWS SDK clients the module init required (e.g. `dynamodb`); the others load on first use. */
  sdkAtInit: string[];
  /** 1-minute load average before and after this function's samples (the machine may be shared). */
  loadAverage: [number, number];
  error?: string;
}

/** `npm run package` as a child process (offline: dummy credentials, no telemetry). */
export function packageFunctions(): { ok: boolean; ms: number; output: string } {
  const t0 = Date.now();
  const r = spawnSync(process.execPath, [join(ROOT, 'scripts', 'package.js')], { cwd: ROOT, encoding: 'utf8', timeout: 300_000 });
  return { ok: r.status === 0, ms: Date.now() - t0, output: `${r.stdout ?? ''}${r.stderr ?? ''}`.trim() };
}

/** The packaged functions: .serverless/<fn>.zip. */
export function packagedZips(): string[] {
  if (!existsSync(SERVERLESS_DIR)) return [];
  return readdirSync(SERVERLESS_DIR)
    .filter((f) => f.endsWith('.zip'))
    .sort();
}

/** When the newest zip in .serverless/ was written. */
export function zipsWrittenAt(): string {
  const times = packagedZips().map((z) => statSync(join(SERVERLESS_DIR, z)).mtimeMs);
  return times.length ? new Date(Math.max(...times)).toISOString() : 'never';
}

/**
 * Size and cold module init of one packaged function. The handler file is extracted from the
 * zip and required by fresh `node` processes; the SDK clients are external in the bundle (the Lambda
 * runtime provides them), so NODE_PATH resolves it from the project's node_modules.
 */
export function measureBundle(zip: string, repetitions: number): BundleFigure {
  const fn = zip.replace(/\.zip$/, '');
  const zipPath = join(SERVERLESS_DIR, zip);
  const zipBytes = statSync(zipPath).size;
  const entries = execFileSync('unzip', ['-Z1', zipPath], { encoding: 'utf8' })
    .split('\n')
    .filter((e) => e.endsWith('.js'));
  const entry = entries[0];
  if (!entry) return { fn, zipBytes, entry: '', jsBytes: 0, initMs: summarize([]), initRuns: [], sdkAtInit: [], loadAverage: [loadavg()[0]!, loadavg()[0]!], error: 'no .js file in the zip' };
  const code = execFileSync('unzip', ['-p', zipPath, entry], { maxBuffer: 64 * 1024 * 1024 });
  const dir = mkdtempSync(join(tmpdir(), `canary-bench-${fn}-`));
  try {
    const file = join(dir, entry);
    mkdirSync(join(file, '..'), { recursive: true });
    writeFileSync(file, code);
    // Records which SDK clients the init requires (a pass-through hook, negligible next to a require).
    const probe =
      `const M = require('module'); const load = M._load; const sdk = new Set();` +
      `M._load = function (r, ...a) { if (r.startsWith('@aws-sdk/client-')) sdk.add(r.slice(16)); return load.call(this, r, ...a); };` +
      `const t0 = process.hrtime.bigint(); require(${JSON.stringify(file)}); const ms = Number(process.hrtime.bigint() - t0) / 1e6;` +
      `process.stdout.write(JSON.stringify({ ms, sdk: [...sdk].sort() }));`;
    const env = {
      ...process.env,
      NODE_PATH: join(ROOT, 'node_modules'),
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'AKIABENCHONLY0000000',
      AWS_SECRET_ACCESS_KEY: 'bench-only',
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      POWERTOOLS_LOG_LEVEL: 'SILENT',
      TABLE_NAME: 'bench-table',
      TOPIC_ARN: 'arn:aws:sns:us-east-1:000000000000:bench',
      EVENT_BUS_NAME: 'bench-bus',
      NODE_OPTIONS: '',
    };
    const runs: number[] = [];
    let sdkAtInit: string[] = [];
    let error: string | undefined;
    const loadBefore = loadavg()[0]!;
    for (let i = 0; i < repetitions; i++) {
      const r = spawnSync(process.execPath, ['-e', probe], { cwd: dir, env, encoding: 'utf8', timeout: 30_000 });
      const out = r.status === 0 ? (JSON.parse(r.stdout) as { ms: number; sdk: string[] }) : undefined;
      if (!out || !Number.isFinite(out.ms)) {
        error = (r.stderr || r.stdout || `exit ${r.status}`).split('\n').find((l) => l.trim()) ?? 'failed';
        break;
      }
      runs.push(out.ms);
      sdkAtInit = out.sdk;
    }
    return { fn, zipBytes, entry, jsBytes: code.length, initMs: summarize(runs), initRuns: runs, sdkAtInit, loadAverage: [loadBefore, loadavg()[0]!], error };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * What one handler's bundle is made of: serverless.yml's own esbuild options (read from it, as
 * the packaging tests do), bytes in the output grouped by package.
 */
export async function bundleComposition(handlerPath: string): Promise<Array<{ source: string; bytes: number }>> {
  const esbuild = (await import('esbuild')) as typeof import('esbuild');
  const out = await esbuild.build({ ...serverlessEsbuildOptions(), entryPoints: [join(ROOT, handlerPath)], metafile: true, write: false });
  const bySource = new Map<string, number>();
  for (const output of Object.values(out.metafile.outputs)) {
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input);
      const source = m ? m[1]! : input.startsWith('src/') || input.startsWith('functions/') ? `(project) ${input.split('/').slice(0, 2).join('/')}` : input;
      bySource.set(source, (bySource.get(source) ?? 0) + bytesInOutput);
    }
  }
  return [...bySource.entries()].map(([source, bytes]) => ({ source, bytes })).sort((a, b) => b.bytes - a.bytes);
}
