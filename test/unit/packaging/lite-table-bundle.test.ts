import { build } from 'esbuild';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDynalite, type LocalDynamo } from '../../../src/local/dynamo';
import { ROOT, serverlessEsbuildOptions } from '../../support/serverless-esbuild';

/**
 * The functions' DynamoDB table as it is packaged: bundled with serverless.yml's esbuild options
 * and run by a fresh `node` in a Lambda-like environment (region and role credentials in the
 * environment, nothing passed in code) against a real DynamoDB engine, named by
 * AWS_ENDPOINT_URL_DYNAMODB. If the bundle lost anything the table needs, this fails.
 */
describe('the packaged lite table', () => {
  const dir = mkdtempSync(join(tmpdir(), 'canary-lite-table-'));
  const file = join(dir, 'table.js');
  let dynamo: LocalDynamo;
  let inputs: string[];

  beforeAll(async () => {
    dynamo = await startDynalite();
    await dynamo.createTable('packaged');
    const out = await build({
      ...serverlessEsbuildOptions(),
      stdin: {
        contents: `
          import { DynamoStore } from './src/rollouts/dynamo-store';
          import { liteDocumentTable } from './src/shared/document-table-lite';
          const store = new DynamoStore('packaged', liteDocumentTable());
          const holder = { rolloutId: 'r1', executionArn: 'arn:aws:states:us-east-1:123456789012:execution:rollout:r1', specName: 'user-service' };
          (async () => {
            await store.acquireLocks(['route-a'], holder, async () => true);
            const refused = await store.acquireLocks(['route-a'], { ...holder, rolloutId: 'r2' }, async () => true).then(() => 'taken', (e) => e.name);
            await store.appendEvent('r1', { at: '2026-11-29T00:00:00.000Z', kind: 'shifted', weight: 10, message: 'shifted to 10 %' });
            const events = await store.listEvents('r1');
            const lock = await store.getLock('route-a');
            process.stdout.write(JSON.stringify({ refused, holder: lock && lock.rolloutId, events: events.length }));
          })().catch((e) => { process.stderr.write(String(e && e.stack || e)); process.exit(1); });
        `,
        resolveDir: ROOT,
        loader: 'ts',
      },
      outfile: file,
      metafile: true,
    });
    inputs = Object.keys(out.metafile.inputs);
  }, 60_000);
  afterAll(async () => {
    await dynamo?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('bundles the signer and the marshalling, and no AWS SDK client', () => {
    expect(inputs.some((i) => /node_modules\/aws4\//.test(i))).toBe(true);
    expect(inputs.some((i) => /node_modules\/@aws-sdk\/util-dynamodb\//.test(i))).toBe(true);
    expect(inputs.filter((i) => /@aws-sdk\/(client|lib)-/.test(i))).toEqual([]);
  });

  it('takes a lock, refuses a second holder by its condition, and pages events, in a fresh node', async () => {
        const result = await new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
      // Async: the engine answers from this process, so this process must not block on the child.
      const child = spawn(process.execPath, [file], {
        env: {
          PATH: process.env.PATH ?? '',
          AWS_REGION: 'us-east-1',
          AWS_ACCESS_KEY_ID: 'ASIALAMBDAROLE000000',
          AWS_SECRET_ACCESS_KEY: 'role-secret',
          AWS_SESSION_TOKEN: 'role-session',
          AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
        },
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      child.on('close', (status) => resolve({ status, stdout, stderr }));
    });

    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ refused: 'RouteLockedError', holder: 'r1', events: 1 });
  });
});
