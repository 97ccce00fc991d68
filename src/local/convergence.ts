import type { RouterSnapshot, RouteVersions, TrafficRouter, VerifyResult, VerifyTarget } from '../routers/port';
import type { RequestRecord } from './mesh/stats';

/** One weight write as the local runner saw it: when the router was called and when the call returned (the control plane accepted it). */
export interface WriteRecord {
  op: 'set' | 'promote' | 'restore';
  /** The canary share the write asks for: the step's weight, 100 on promote, 0 on restore. */
  weight: number;
  startedAt: number;
  /** Undefined when the call failed. */
  acceptedAt?: number;
}

/** Data-plane convergence is judged over this many consecutive requests after the write. */
export const CONVERGENCE_WINDOW = 20;
/** ...and reached when their canary share is within this many points of the weight. */
export const CONVERGENCE_TOLERANCE = 5;

/**
 * Records every weight write of the routers the runner hands out, whatever their kind, so that the
 * control-plane time (write call accepted) can be set beside the data-plane time (traffic follows).
 */
export class WriteLog {
  readonly writes: WriteRecord[] = [];

  /** The same router, its writes timed. Reads (snapshot, verify) pass through untouched. */
  wrap(router: TrafficRouter): TrafficRouter {
    const timed = <T>(op: WriteRecord['op'], weight: number, call: () => Promise<T>): Promise<T> => {
      const record: WriteRecord = { op, weight, startedAt: Date.now() };
      this.writes.push(record);
      return call().then((value) => {
        record.acceptedAt = Date.now();
        return value;
      });
    };
    return {
      kind: router.kind,
      snapshot: () => router.snapshot(),
      setCanaryWeight: (s: RouterSnapshot, weight: number, e: RouteVersions) => timed('set', weight, () => router.setCanaryWeight(s, weight, e)),
      promote: (s: RouterSnapshot, e: RouteVersions) => timed('promote', 100, () => router.promote(s, e)),
      restore: (s: RouterSnapshot, e: RouteVersions, o?: { force?: boolean }) => timed('restore', 0, () => router.restore(s, e, o)),
      verify: (s: RouterSnapshot, target: VerifyTarget): Promise<VerifyResult> => router.verify(s, target),
    };
  }

  /** The first accepted write of `op` (and `weight`) accepted in [from, to): a retried step's later calls change nothing. */
  find(op: WriteRecord['op'], from: number, to = Number.POSITIVE_INFINITY, weight?: number): WriteRecord | undefined {
    return this.writes.find((w) => w.op === op && (weight === undefined || w.weight === weight) && w.acceptedAt !== undefined && w.acceptedAt >= from && w.acceptedAt < to);
  }
}

/**
 * Milliseconds from `acceptedAt` to the first moment the data plane follows the write: the last
 * CONVERGENCE_WINDOW requests that reached the mesh after it carry a canary share within
 * `tolerance` points of `weight`. Undefined when that never happened in the records given.
 */
export function dataPlaneConvergenceMs(records: RequestRecord[], canary: string, weight: number, acceptedAt: number, tolerance = CONVERGENCE_TOLERANCE): number | undefined {
  const after = records.filter((r) => r.at >= acceptedAt).sort((a, b) => a.at - b.at);
  let canaryInWindow = 0;
  for (let i = 0; i < after.length; i++) {
    if (after[i]!.target === canary) canaryInWindow++;
    if (i >= CONVERGENCE_WINDOW && after[i - CONVERGENCE_WINDOW]!.target === canary) canaryInWindow--;
    if (i + 1 < CONVERGENCE_WINDOW) continue;
    if (Math.abs((100 * canaryInWindow) / CONVERGENCE_WINDOW - weight) <= tolerance) return after[i]!.at - acceptedAt;
  }
  return undefined;
}
