import { UnsupportedError } from '../shared/errors';
import type { Target } from './port';

/**
 * Pure weight arithmetic shared by every router.
 *
 * Decision: targets that are neither stable nor canary keep their weight untouched. The step
 * weight applies to the share that stable and canary hold together ("the pool"), so a route
 * with `stable 90, mirror 10` at step 50 becomes `stable 45, canary 45, mirror 10`.
 */
export function canaryTargets(current: Target[], stable: string, canary: string, weight: number, opts: { total?: number; maxTargets?: number } = {}): Target[] {
  const total = opts.total ?? 100;
  if (!Number.isInteger(weight) || weight < 0 || weight > 100) throw new RangeError(`weight must be an integer 0-100, got ${weight}`);
  const others = current.filter((t) => t.name !== stable && t.name !== canary);
  const pool = total - others.reduce((sum, t) => sum + t.weight, 0);
  const canaryWeight = Math.round((pool * weight) / 100);
  const stableWeight = pool - canaryWeight;
  const result: Target[] = [];
  let placedCanary = false;
  for (const t of current) {
    if (t.name === stable) result.push({ name: stable, weight: stableWeight });
    else if (t.name === canary) {
      result.push({ name: canary, weight: canaryWeight });
      placedCanary = true;
    } else result.push({ ...t });
  }
  if (!current.some((t) => t.name === stable)) result.unshift({ name: stable, weight: stableWeight });
  if (!placedCanary) result.push({ name: canary, weight: canaryWeight });
  checkTargets(result, total, opts.maxTargets ?? 10);
  return result;
}

/** The promoted target list: canary takes the pool, the stable target is removed. */
export function promotedTargets(current: Target[], stable: string, canary: string, opts: { total?: number; maxTargets?: number } = {}): Target[] {
  return canaryTargets(current, stable, canary, 100, opts).filter((t) => t.name !== stable);
}

function checkTargets(targets: Target[], total: number, maxTargets: number): void {
  if (targets.length > maxTargets) {
    throw new UnsupportedError(
      `the route would need ${targets.length} weighted targets (${targets.map((t) => t.name).join(', ')}); at most ${maxTargets} are allowed`,
    );
  }
  const sum = targets.reduce((s, t) => s + t.weight, 0);
  if (sum !== total) throw new Error(`internal: weights sum to ${sum}, not ${total}`);
}

/** The canary's weight on a route as a share (0-100) of the stable + canary pool. */
export function canaryShare(targets: Target[], stable: string, canary: string): number {
  const s = targets.find((t) => t.name === stable)?.weight ?? 0;
  const c = targets.find((t) => t.name === canary)?.weight ?? 0;
  return s + c === 0 ? 0 : Math.round((100 * c) / (s + c));
}

/** The stable node of a route when the spec does not name one: the target with the largest weight. */
export function guessStable(targets: Target[], canary: string): string | undefined {
  return [...targets].filter((t) => t.name !== canary).sort((a, b) => b.weight - a.weight)[0]?.name;
}

/**
 * Same targets (name and weight) regardless of order: App Mesh, ALB and VPC Lattice do not promise
 * to answer them in the order written.
 */
export function sameTargets(a: Target[], b: Target[]): boolean {
  const key = (ts: Target[]) => JSON.stringify([...ts].sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0)).map((t) => [t.name, t.weight]));
  return key(a) === key(b);
}
