import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Options of a sample service. */
export interface SampleServiceOptions {
  /** Reported in the body and in `x-served-by`, so clients can tell versions apart. */
  version: string;
  /** Share of requests (0..1) answered with an injected 500. */
  errorRate?: number;
  /** Delay added to every response except /health. */
  latencyMs?: number;
  /** 0 (default): any free port. */
  port?: number;
  /** Seed of the fault schedule, so runs are reproducible. */
  seed?: number;
  /** Interface to listen on; loopback by default. */
  host?: string;
  /** false: no tasks run yet (a local ECS service before its deploy); connections are dropped until setRunning(true). */
  running?: boolean;
}

/** Faults that can be changed while the service runs. */
export interface SampleFaults {
  errorRate?: number;
  latencyMs?: number;
}

/** A running sample service. */
export interface SampleService {
  url: string;
  port: number;
  stop(): Promise<void>;
  setFaults(faults: SampleFaults): void;
  /** Starts or stops answering, as tasks starting or stopping would; the port stays reserved. */
  setRunning(running: boolean): void;
}

/** mulberry32: a tiny seeded PRNG returning floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Decides which requests fail, by stratified sampling: requests are cut into consecutive
 * blocks of about 1/rate requests, and exactly one request in each block (at a seeded random
 * position) gets the minority outcome. Independent coin flips would cluster errors and miss the
 * rate by several points over a few hundred requests; this hits the rate to within one request
 * over any run, looks random within a block, and is reproducible from the seed.
 */
export class FaultSchedule {
  private readonly random: () => number;
  private readonly invert: boolean;
  private readonly period: number;
  private index = 0;
  private block = 0;
  private nextHit = -1;

  constructor(
    readonly rate: number,
    seed: number,
  ) {
    if (!(rate >= 0 && rate <= 1)) throw new RangeError(`errorRate must be within 0..1, got ${rate}`);
    this.random = mulberry32(seed);
    // Schedule the rarer outcome, so blocks are at least two requests long and never overlap.
    this.invert = rate > 0.5;
    const minority = this.invert ? 1 - rate : rate;
    this.period = minority === 0 ? Number.POSITIVE_INFINITY : 1 / minority;
    this.plan();
  }

  /** Whether the next request fails. */
  next(): boolean {
    const hit = this.index === this.nextHit;
    this.index += 1;
    if (hit) {
      this.block += 1;
      this.plan();
    }
    return hit !== this.invert;
  }

  private plan(): void {
    if (!Number.isFinite(this.period)) return;
    const start = Math.ceil(this.block * this.period);
    const end = Math.ceil((this.block + 1) * this.period);
    this.nextHit = start + Math.floor(this.random() * (end - start));
  }
}

/**
 * Starts an HTTP service that answers any path with `200 { version, path }` and
 * `x-served-by: <version>`, except for the injected faults: a share of 500s marked
 * `x-injected-fault: error`, and added latency. `/health` always answers 200 at once.
 */
export async function startSampleService(opts: SampleServiceOptions): Promise<SampleService> {
  const seed = opts.seed ?? 1;
  let schedule = new FaultSchedule(opts.errorRate ?? 0, seed);
  let latencyMs = checkLatency(opts.latencyMs ?? 0);
  let running = opts.running ?? true;
  const server = createServer((req, res) => {
    if (!running) return void req.socket.destroy();
    req.resume();
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (path === '/health') return reply(res, 200, { version: opts.version, status: 'ok' }, { 'x-served-by': opts.version });
    // Decide at arrival, so the outcome follows arrival order and not response timing.
    const fail = schedule.next();
    const respond = () => answer(res, opts.version, path, fail);
    if (latencyMs > 0) setTimeout(respond, latencyMs);
    else respond();
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${opts.host ?? '127.0.0.1'}:${port}`,
    port,
    stop: () => close(server),
    setFaults(faults) {
      if (faults.errorRate !== undefined) schedule = new FaultSchedule(faults.errorRate, seed);
      if (faults.latencyMs !== undefined) latencyMs = checkLatency(faults.latencyMs);
    },
    setRunning(value) {
      running = value;
      // Stopping tasks drain: requests in flight finish, idle keep-alive connections close.
      if (!running) server.closeIdleConnections();
    },
  };
}

function answer(res: ServerResponse, version: string, path: string, fail: boolean): void {
  if (fail) reply(res, 500, { version, path, error: 'injected fault' }, { 'x-served-by': version, 'x-injected-fault': 'error' });
  else reply(res, 200, { version, path }, { 'x-served-by': version });
}

function reply(res: ServerResponse, status: number, body: unknown, headers: Record<string, string>): void {
  if (res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

function checkLatency(ms: number): number {
  if (!(ms >= 0 && Number.isFinite(ms))) throw new RangeError(`latencyMs must be a finite number >= 0, got ${ms}`);
  return ms;
}

function close(server: Server): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  // Keep-alive connections (the mesh's pools) would hold close() open indefinitely.
  server.closeAllConnections();
  return closed;
}
