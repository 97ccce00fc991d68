import { EventEmitter } from 'node:events';
import { Pool } from 'undici';

/** Options of a load run. Every run is bounded by `durationMs` and optionally `maxRequests`. */
export interface LoadOptions {
  /** Base URL requests go to (the mesh). */
  url: string;
  /** Requests per second, spread evenly. */
  rps: number;
  /** Paths requested in turn; default `['/']`. */
  paths?: string[];
  headers?: Record<string, string>;
  /** Requests allowed in flight at once; one more is counted as skipped. Default 64. */
  maxInFlight?: number;
  /** Per-request timeout, headers and body together. Default 5000. */
  timeoutMs?: number;
  /** The run stops by itself after this long. Default 60000. */
  durationMs?: number;
  /** The run stops by itself after issuing this many requests (sent + skipped). */
  maxRequests?: number;
  /** How many records (and failures) are kept, newest last. Default 100000. */
  maxRecords?: number;
}

/** One request as the client saw it. */
export interface LoadRecord {
  /** Epoch ms when the request was sent. */
  at: number;
  path: string;
  /** HTTP status; 0 when no response arrived (connect error, timeout). */
  status: number;
  latencyMs: number;
  /** `x-served-by`: which version answered. */
  servedBy?: string;
  /** `x-mesh-target`: which virtual node the mesh chose. */
  meshTarget?: string;
  /** `x-injected-fault`: set when the service failed on purpose. */
  injectedFault?: string;
  /** Transport error message, when there was no response. */
  error?: string;
}

/** A non-2xx response or transport error. `injected` tells a deliberate fault from a real one. */
export interface LoadFailure extends LoadRecord {
  injected: boolean;
}

/** Counts and records of a load run so far. */
export interface LoadSummary {
  startedAt: number;
  elapsedMs: number;
  /** Requests actually sent. */
  sent: number;
  /** Requests that finished, with a response or an error. */
  completed: number;
  /** Requests due while `maxInFlight` were outstanding, therefore not sent. */
  skipped: number;
  inFlight: number;
  byStatus: Record<string, number>;
  byServedBy: Record<string, number>;
  byMeshTarget: Record<string, number>;
  /** How many failures there were in all (the list below may be truncated to `maxRecords`). */
  failed: number;
  failures: LoadFailure[];
  records: LoadRecord[];
}

/** A running load. */
export interface LoadRun {
  /** Stops sending, waits for in-flight requests, closes the connections. */
  stop(): Promise<LoadSummary>;
  /** The summary so far, without stopping. */
  snapshot(): LoadSummary;
  /** Resolves when the run ends, by itself or by stop(). */
  done: Promise<LoadSummary>;
  /** Called with every finished request; returns an unsubscribe function. */
  on(event: 'record', listener: (rec: LoadRecord) => void): () => void;
}

/** Keeps the newest `capacity` items. */
class Ring<T> {
  private items: T[] = [];
  private head = 0;
  constructor(private readonly capacity: number) {}
  push(item: T): void {
    if (this.items.length < this.capacity) this.items.push(item);
    else {
      this.items[this.head] = item;
      this.head = (this.head + 1) % this.capacity;
    }
  }
  toArray(): T[] {
    return [...this.items.slice(this.head), ...this.items.slice(0, this.head)];
  }
}

/**
 * Starts sending GET requests at a steady rate. The schedule is computed from elapsed time
 * (request n is due at n/rps seconds), so timer jitter never accumulates into a lower rate.
 */
export function startLoad(opts: LoadOptions): LoadRun {
  const config = resolveOptions(opts);
  const base = new URL(opts.url);
  const basePath = base.pathname.replace(/\/+$/, '');
  const pool = new Pool(base.origin, { connections: config.maxInFlight, keepAliveTimeout: 30_000 });
  const events = new EventEmitter();
  const tally = newTally(config.maxRecords);
  const pending = new Set<Promise<void>>();
  const startedAt = Date.now();
  const start = performance.now();
  let issued = 0;
  let timer: NodeJS.Timeout | undefined;
  let finishing: Promise<LoadSummary> | undefined;
  let resolveDone!: (summary: LoadSummary) => void;
  const done = new Promise<LoadSummary>((resolve) => (resolveDone = resolve));

  const snapshot = (): LoadSummary => summarize(tally, startedAt, performance.now() - start);

  const send = (path: string) => {
    tally.sent += 1;
    const p = request(pool, basePath + path, path, config).then((rec) => {
      tally.add(rec);
      events.emit('record', rec);
    });
    pending.add(p);
    void p.finally(() => pending.delete(p));
  };

  const tick = () => {
    const elapsed = performance.now() - start;
    if (elapsed >= config.durationMs || issued >= config.maxRequests) return void finish();
    const due = Math.min(config.maxRequests, Math.floor((elapsed * config.rps) / 1000) + 1);
    for (; issued < due; issued += 1) {
      if (pending.size >= config.maxInFlight) tally.skipped += 1;
      else send(config.paths[issued % config.paths.length] ?? '/');
    }
    const nextDue = (issued * 1000) / config.rps;
    timer = setTimeout(tick, Math.max(0, nextDue - (performance.now() - start)));
  };

  const finish = (): Promise<LoadSummary> => {
    finishing ??= (async () => {
      if (timer) clearTimeout(timer);
      while (pending.size > 0) await Promise.allSettled([...pending]);
      await pool.close();
      const summary = snapshot();
      resolveDone(summary);
      return summary;
    })();
    return finishing;
  };

  tick();
  return {
    stop: finish,
    snapshot,
    done,
    on(event, listener) {
      events.on(event, listener);
      return () => events.off(event, listener);
    },
  };
}

type ResolvedOptions = Required<Omit<LoadOptions, 'url' | 'headers'>> & { headers: Record<string, string> };

function resolveOptions(opts: LoadOptions): ResolvedOptions {
  if (!(opts.rps > 0 && Number.isFinite(opts.rps))) throw new RangeError(`rps must be a positive number, got ${opts.rps}`);
  const maxInFlight = opts.maxInFlight ?? 64;
  if (!Number.isInteger(maxInFlight) || maxInFlight < 1) throw new RangeError(`maxInFlight must be a positive integer, got ${maxInFlight}`);
  const paths = opts.paths ?? ['/'];
  if (paths.length === 0 || paths.some((p) => !p.startsWith('/'))) throw new RangeError(`paths must be non-empty and start with /: ${JSON.stringify(paths)}`);
  return {
    rps: opts.rps,
    paths,
    headers: opts.headers ?? {},
    maxInFlight,
    timeoutMs: opts.timeoutMs ?? 5_000,
    durationMs: opts.durationMs ?? 60_000,
    maxRequests: opts.maxRequests ?? Number.POSITIVE_INFINITY,
    maxRecords: opts.maxRecords ?? 100_000,
  };
}

async function request(pool: Pool, fullPath: string, path: string, config: ResolvedOptions): Promise<LoadRecord> {
  const at = Date.now();
  const started = performance.now();
  try {
    const res = await pool.request({ method: 'GET', path: fullPath, headers: config.headers, signal: AbortSignal.timeout(config.timeoutMs) });
    await res.body.dump();
    const rec: LoadRecord = { at, path, status: res.statusCode, latencyMs: performance.now() - started };
    const headers = { servedBy: 'x-served-by', meshTarget: 'x-mesh-target', injectedFault: 'x-injected-fault' } as const;
    for (const [field, name] of Object.entries(headers) as Array<[keyof typeof headers, string]>) {
      const value = first(res.headers[name]);
      if (value !== undefined) rec[field] = value;
    }
    return rec;
  } catch (err) {
    return { at, path, status: 0, latencyMs: performance.now() - started, error: err instanceof Error ? err.message : String(err) };
  }
}

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function newTally(maxRecords: number) {
  const tally = {
    sent: 0,
    completed: 0,
    skipped: 0,
    failed: 0,
    byStatus: {} as Record<string, number>,
    byServedBy: {} as Record<string, number>,
    byMeshTarget: {} as Record<string, number>,
    records: new Ring<LoadRecord>(maxRecords),
    failures: new Ring<LoadFailure>(maxRecords),
    add(rec: LoadRecord): void {
      tally.completed += 1;
      increment(tally.byStatus, String(rec.status));
      if (rec.servedBy !== undefined) increment(tally.byServedBy, rec.servedBy);
      if (rec.meshTarget !== undefined) increment(tally.byMeshTarget, rec.meshTarget);
      tally.records.push(rec);
      if (rec.status < 200 || rec.status >= 300) {
        tally.failed += 1;
        tally.failures.push({ ...rec, injected: rec.injectedFault !== undefined });
      }
    },
  };
  return tally;
}

function summarize(tally: ReturnType<typeof newTally>, startedAt: number, elapsedMs: number): LoadSummary {
  return {
    startedAt,
    elapsedMs,
    sent: tally.sent,
    completed: tally.completed,
    skipped: tally.skipped,
    inFlight: tally.sent - tally.completed,
    byStatus: { ...tally.byStatus },
    byServedBy: { ...tally.byServedBy },
    byMeshTarget: { ...tally.byMeshTarget },
    failed: tally.failed,
    failures: tally.failures.toArray(),
    records: tally.records.toArray(),
  };
}

function increment(counts: Record<string, number>, key: string): void {
  counts[key] = (counts[key] ?? 0) + 1;
}
