/** One request the mesh proxied. */
export interface RequestRecord {
  /** Epoch ms when the request reached the mesh. */
  at: number;
  route: string;
  /** The virtual node the request was sent to. */
  target: string;
  /** The status the client received; 503 when the mesh could not reach the target. */
  status: number;
  latencyMs: number;
  /** Set when the mesh itself failed the request (connect error, upstream reset). */
  error?: string;
}

/** Aggregates for one target over a time window. */
export interface TargetWindowStats {
  requests: number;
  /** Responses with status >= 500, including the mesh's own 503s. */
  errors: number;
  /** errors / requests; 0 when there were no requests. */
  errorRate: number;
  p50: number;
  p99: number;
  /** requests per second over the window's length. */
  rps: number;
}

/** Counts since the mesh started (not limited by the ring buffer). */
export interface MeshTotals {
  requests: number;
  byTarget: Record<string, number>;
  byStatus: Record<string, number>;
  /** Requests no route matched (answered 404, never proxied). */
  unmatched: number;
}

/**
 * Request records in a bounded ring buffer, so a long-running demo keeps constant memory,
 * plus running totals that never forget. Windows are computed on demand by scanning: the
 * buffer is small enough that a scan costs far less than the rollout's polling interval.
 */
export class MeshStats {
  private readonly buffer: RequestRecord[] = [];
  private head = 0;
  private readonly totals: MeshTotals = { requests: 0, byTarget: {}, byStatus: {}, unmatched: 0 };

  constructor(private readonly capacity = 200_000) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`capacity must be a positive integer, got ${capacity}`);
  }

  /** Adds one proxied request. */
  record(rec: RequestRecord): void {
    if (this.buffer.length < this.capacity) this.buffer.push(rec);
    else {
      this.buffer[this.head] = rec;
      this.head = (this.head + 1) % this.capacity;
    }
    this.totals.requests += 1;
    increment(this.totals.byTarget, rec.target);
    increment(this.totals.byStatus, String(rec.status));
  }

  /** Counts a request that no route matched. */
  recordUnmatched(): void {
    this.totals.unmatched += 1;
    increment(this.totals.byStatus, '404');
  }

  /** Records with `from <= at < to` (to defaults to now), oldest first. */
  since(fromMs: number, toMs = Number.POSITIVE_INFINITY): RequestRecord[] {
    return this.ordered().filter((r) => r.at >= fromMs && r.at < toMs);
  }

  /** Per-target aggregates for requests that arrived in `[fromMs, toMs)`; `toMs` defaults to now. */
  window(fromMs: number, toMs: number = Date.now()): Record<string, TargetWindowStats> {
    const byTarget = new Map<string, RequestRecord[]>();
    for (const rec of this.since(fromMs, toMs)) {
      const list = byTarget.get(rec.target) ?? [];
      list.push(rec);
      byTarget.set(rec.target, list);
    }
    const seconds = Math.max(toMs - fromMs, 1) / 1000;
    const result: Record<string, TargetWindowStats> = {};
    for (const [target, records] of byTarget) result[target] = aggregate(records, seconds);
    return result;
  }

  /** Running totals since the mesh started, copied. */
  total(): MeshTotals {
    return { requests: this.totals.requests, byTarget: { ...this.totals.byTarget }, byStatus: { ...this.totals.byStatus }, unmatched: this.totals.unmatched };
  }

  private ordered(): RequestRecord[] {
    return this.head === 0 ? this.buffer : [...this.buffer.slice(this.head), ...this.buffer.slice(0, this.head)];
  }
}

function aggregate(records: RequestRecord[], seconds: number): TargetWindowStats {
  const latencies = records.map((r) => r.latencyMs).sort((a, b) => a - b);
  const errors = records.filter((r) => r.status >= 500).length;
  return {
    requests: records.length,
    errors,
    errorRate: records.length === 0 ? 0 : errors / records.length,
    p50: percentile(latencies, 0.5),
    p99: percentile(latencies, 0.99),
    rps: records.length / seconds,
  };
}

/** Nearest-rank percentile of an ascending list; 0 for an empty list. */
export function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length)));
  return sorted[rank - 1] ?? 0;
}

function increment(counts: Record<string, number>, key: string): void {
  counts[key] = (counts[key] ?? 0) + 1;
}
