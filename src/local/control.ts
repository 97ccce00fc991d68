import { randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { decide } from '../approvals/gates';
import type { Deps } from '../rollouts/deps';

/** Where a running local rollout says how to reach it, for `canaryctl approve|reject --local`. */
export const CONTROL_FILE = join(process.cwd(), '.canary-local', 'runner.json');

export interface ControlServer {
  url: string;
  close(): Promise<void>;
}

/** Header carrying the per-run secret from the control file: a web page cannot read the file or set the header cross-site. */
export const CONTROL_TOKEN_HEADER = 'x-canary-control-token';

function sameSecret(given: string | string[] | undefined, expected: string): boolean {
  if (typeof given !== 'string' || given.length !== expected.length) return false;
  return timingSafeEqual(Buffer.from(given), Buffer.from(expected));
}

/**
 * A loopback endpoint through which another terminal answers the local rollout's approval
 * gates: `POST /decide {decision, reason, by}` calls the same `decide()` as the AWS path.
 * Loopback is not enough: any web page the user opens can POST to 127.0.0.1. A request must
 * carry the run's secret (written to the control file, readable by this user only) in a header,
 * as JSON; a browser cannot add either cross-site without a CORS preflight, which is never answered.
 */
export async function startControlServer(opts: { rolloutId: string; deps: Deps; file?: string }): Promise<ControlServer> {
  const file = opts.file ?? CONTROL_FILE;
  const token = randomBytes(24).toString('hex');
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => {
      body += chunk.toString('utf8');
      if (body.length > 16_384) req.destroy();
    });
    req.on('end', () => {
      void (async () => {
        const reply = (status: number, payload: unknown) => {
          res.writeHead(status, { 'content-type': 'application/json' });
          res.end(JSON.stringify(payload));
        };
        if (req.method !== 'POST' || req.url !== '/decide') return reply(404, { error: 'POST /decide' });
        if (!sameSecret(req.headers[CONTROL_TOKEN_HEADER], token) || !String(req.headers['content-type'] ?? '').startsWith('application/json')) {
          return reply(403, { error: `POST /decide needs the ${CONTROL_TOKEN_HEADER} header from the control file, as application/json` });
        }
        try {
          const input = JSON.parse(body || '{}') as { decision?: string; reason?: string; by?: string; rolloutId?: string };
          if (input.decision !== 'approve' && input.decision !== 'reject') return reply(400, { error: 'decision must be approve or reject' });
          if (input.rolloutId && input.rolloutId !== opts.rolloutId) return reply(404, { error: `rollout ${input.rolloutId} is not the local one (${opts.rolloutId})` });
          const result = await decide({ rolloutId: opts.rolloutId, decision: input.decision, reason: input.reason, by: input.by ?? 'canaryctl --local' }, opts.deps);
          reply(200, result);
        } catch (error) {
          reply(409, { error: (error as Error).message });
        }
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, JSON.stringify({ url, rolloutId: opts.rolloutId, pid: process.pid, token }, null, 2), { mode: 0o600 });
  const detach = removeOnAnyExit(file);
  return {
    url,
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      detach();
      removeIfOurs(file);
    },
  };
}

const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/**
 * A control file left behind makes the next `canaryctl approve --local` talk to a dead port, so
 * it goes on every way out: process.exit, an uncaught error, Ctrl-C, kill. Returns the undo.
 */
function removeOnAnyExit(file: string): () => void {
  const onExit = () => removeIfOurs(file);
  const onSignal = (signal: NodeJS.Signals) => {
    detach();
    removeIfOurs(file);
    // Our listener replaced the default action; with it gone, the signal ends the process as before.
    process.kill(process.pid, signal);
  };
  const detach = () => {
    process.removeListener('exit', onExit);
    for (const s of SIGNALS) process.removeListener(s, onSignal);
  };
  process.once('exit', onExit);
  for (const s of SIGNALS) process.once(s, onSignal);
  return detach;
}

/** Removes the control file unless another runner in this directory has written its own since. */
function removeIfOurs(file: string): void {
  try {
    const owner = (JSON.parse(readFileSync(file, 'utf8')) as { pid?: number }).pid;
    if (owner !== undefined && owner !== process.pid) return;
  } catch {
    // Missing or unreadable: nothing of ours to keep.
  }
  rmSync(file, { force: true });
}

function isAlive(pid: number | undefined): boolean {
  if (!pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The client side, for `canaryctl approve|reject --local`: finds the running local rollout from
 * its control file and asks it to decide. Throws with the runner's own message on refusal.
 */
export async function decideLocally(
  input: { rolloutId?: string; decision: 'approve' | 'reject'; reason?: string; by?: string },
  file: string = CONTROL_FILE,
): Promise<{ rolloutId: string; gate: string; decision: string }> {
  const { readFile } = require('node:fs/promises') as typeof import('node:fs/promises');
  const notRunning = `no local rollout is running in this directory (no live runner behind ${file}): start one with npm run demo or canaryctl run --local`;
  let control: { url: string; rolloutId: string; pid?: number; token?: string };
  try {
    control = JSON.parse(await readFile(file, 'utf8')) as { url: string; rolloutId: string; pid?: number; token?: string };
  } catch {
    throw new Error(notRunning);
  }
  // A runner killed with SIGKILL cannot clean up after itself: its file names a process that is gone.
  if (!isAlive(control.pid)) {
    rmSync(file, { force: true });
    throw new Error(notRunning);
  }
  const { request } = require('undici') as typeof import('undici');
  const res = await request(`${control.url}/decide`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', [CONTROL_TOKEN_HEADER]: control.token ?? '' },
    body: JSON.stringify({ ...input, rolloutId: input.rolloutId && input.rolloutId !== 'local' ? input.rolloutId : control.rolloutId }),
    headersTimeout: 5000,
    bodyTimeout: 5000,
  }).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ECONNREFUSED') throw new Error(notRunning);
    throw error;
  });
  const body = (await res.body.json()) as { error?: string; rolloutId: string; gate: string; decision: string };
  if (res.statusCode !== 200) throw Object.assign(new Error(body.error ?? `local runner answered ${res.statusCode}`), { statusCode: res.statusCode });
  return body;
}
