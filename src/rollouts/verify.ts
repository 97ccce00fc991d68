import { CanaryError } from '../shared/errors';
import type { RouterSnapshot, Target, TrafficRouter, VerifyTarget } from '../routers/port';
import { sameTargets } from '../routers/weights';

/**
 * The router accepted a weight write, but reading the routes back keeps showing other weights.
 * Not retried by the Step task (a rewrite would not explain the mismatch): the state machine's
 * Catch sends the rollout to Rollback, which restores the snapshot, so traffic is never left split
 * in a state nobody asked for.
 */
export class WeightNotAppliedError extends CanaryError {}

/** Pauses between read-backs: control planes such as ALB and VPC Lattice read eventually consistent right after a write. */
export const VERIFY_DELAYS_MS = [250, 1000] as const;

/** How a shift was confirmed: by reading it back (`reads` reads), or not at all because the router cannot tell. */
export type ShiftVerification = { verified: true; reads: number } | { verified: false; reason: string };

/**
 * Reads every route back after a write and compares it with what it should have produced: a step's
 * `weight`, the promotion (`'promoted'`) or the rollback's restore (`'restored'`). A mismatch is read again after each delay (a fresh write may not be visible yet);
 * still wrong after the last one, the step fails loudly with WeightNotAppliedError naming the
 * routes and both target lists. Runs inside the Step invocation: no extra state or Lambda call.
 */
export async function verifyShift(
  router: TrafficRouter,
  snapshot: RouterSnapshot,
  weight: VerifyTarget,
  delaysMs: readonly number[] = VERIFY_DELAYS_MS,
  sleep: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
): Promise<ShiftVerification> {
  for (let read = 1; ; read++) {
    const result = await router.verify(snapshot, weight);
    if (!result.supported) return { verified: false, reason: result.reason };
    if (result.ok) return { verified: true, reads: read };
    const delay = delaysMs[read - 1];
    if (delay === undefined) {
      const wrong = result.routes.filter((r) => !sameTargets(r.expected, r.actual));
      throw new WeightNotAppliedError(
        `${describeTarget(weight)} was accepted by the ${router.kind} router but not found on ${wrong.length} route(s) after ${read} reads: ${wrong
          .map((r) => `${r.key} has ${show(r.actual)}, expected ${show(r.expected)}`)
          .join('; ')}`,
      );
    }
    await sleep(delay);
  }
}

/** A short note for the shift's history entry. */
export function describeVerification(v: ShiftVerification): string {
  return v.verified ? `read back as written${v.reads > 1 ? ` after ${v.reads} reads` : ''}` : `not verified: ${v.reason}`;
}

function describeTarget(target: VerifyTarget): string {
  return target === 'promoted' ? 'the promotion' : target === 'restored' ? 'the restore of the snapshot' : `canary weight ${target}%`;
}

function show(targets: Target[]): string {
  return targets.map((t) => `${t.name}=${t.weight}`).join(', ') || 'no targets';
}
