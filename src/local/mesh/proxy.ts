import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { Pool, type Dispatcher } from 'undici';

/** Where a virtual node's traffic goes: one keep-alive pool per node. */
export interface Upstream {
  pool: Pool;
  /** Path of the node's base URL, prepended to every request path ('' for a bare origin). */
  basePath: string;
}

/** What happened to one forwarded request, as the stats record it. */
export interface ForwardOutcome {
  status: number;
  error?: string;
}

/** Status recorded when the client went away first (nginx's convention); not counted as a server error. */
export const CLIENT_CLOSED = 499;

// Hop-by-hop headers describe one connection, not the message; undici also refuses some of them.
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer', 'proxy-authenticate', 'proxy-authorization']);
// The upstream gets its own Host (the original travels as x-forwarded-host); undici refuses `expect`.
const NOT_FORWARDED = new Set([...HOP_BY_HOP, 'host', 'expect']);

/** Opens the pool for one virtual node's base URL. */
export function createUpstream(baseUrl: string): Upstream {
  const url = new URL(baseUrl);
  return {
    pool: new Pool(url.origin, { connections: 128, keepAliveTimeout: 30_000 }),
    basePath: url.pathname.replace(/\/+$/, ''),
  };
}

/**
 * Sends one request to the chosen node and streams the answer back, tagged with
 * `x-mesh-target`. A node that cannot be reached yields a 503 naming it, as Envoy's
 * "upstream connect error" would.
 */
export async function forward(upstream: Upstream, target: string, req: IncomingMessage, res: ServerResponse): Promise<ForwardOutcome> {
  const abort = new AbortController();
  const clientGone = () => {
    if (!res.writableFinished) abort.abort();
  };
  res.once('close', clientGone);
  let response: Dispatcher.ResponseData;
  try {
    response = await upstream.pool.request({
      method: (req.method ?? 'GET') as Dispatcher.HttpMethod,
      path: upstream.basePath + (req.url ?? '/'),
      headers: requestHeaders(req.headers, req.socket.remoteAddress),
      body: hasBody(req) ? req : undefined,
      signal: abort.signal,
    });
  } catch (err) {
    if (abort.signal.aborted) return { status: CLIENT_CLOSED, error: 'client closed the connection' };
    const message = `upstream connect error: virtual node ${target} failed: ${describe(err)}`;
    sendJson(res, 503, { error: 'UpstreamUnavailable', target, message }, { 'x-mesh-target': target });
    return { status: 503, error: message };
  }
  return relay(response, target, res, abort.signal);
}

async function relay(response: Dispatcher.ResponseData, target: string, res: ServerResponse, aborted: AbortSignal): Promise<ForwardOutcome> {
  res.writeHead(response.statusCode, { ...responseHeaders(response.headers), 'x-mesh-target': target });
  try {
    await pipeline(response.body, res);
    return { status: response.statusCode };
  } catch (err) {
    if (aborted.aborted) return { status: CLIENT_CLOSED, error: 'client closed the connection' };
    res.destroy();
    return { status: 502, error: `upstream reset: virtual node ${target}: ${describe(err)}` };
  }
}

/** Writes a small JSON answer, used for the mesh's own responses (404, 503). */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

function requestHeaders(headers: IncomingHttpHeaders, remote: string | undefined): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && !NOT_FORWARDED.has(name)) out[name] = value;
  }
  if (headers.host !== undefined) out['x-forwarded-host'] = headers.host;
  if (remote !== undefined) out['x-forwarded-for'] = headers['x-forwarded-for'] ? `${String(headers['x-forwarded-for'])}, ${remote}` : remote;
  return out;
}

function responseHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && !HOP_BY_HOP.has(name)) out[name] = value;
  }
  return out;
}

function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

function describe(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: string }).code;
    return code ? `${code} ${err.message}` : err.message;
  }
  return String(err);
}
