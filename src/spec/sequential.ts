import * as z from '../shared/zod-mini';

/**
 * The fields a comparison (`analysis.compare[]`) takes to be judged by the sequential test
 * (src/analysis/sequential.ts) instead of a threshold: `test: sequential`, `alpha`, `margin`.
 * `points` is the comparison's own schema of percentage points, so margin reads like maxIncrease.
 */
export function sequentialShape<P extends z.ZodMiniType<number, unknown>>(points: P) {
  return {
    /** `threshold` (default): the limits below, once per judgement. `sequential`: an anytime-valid test over the whole rollout. */
    test: z.optional(z.enum(['threshold', 'sequential'], { error: 'must be threshold or sequential' })),
    /** Sequential: the share of healthy canaries rolled back by mistake, however often the judge looks. Default 0.05. */
    alpha: z.optional(z.number({ error: 'must be a number' }).check(z.gt(0, { error: 'must be above 0' }), z.lte(0.2, { error: 'must be at most 0.2' }))),
    /**
     * Sequential: the largest increase of the canary's rate over stable's that still counts as
     * "not worse", which ends a `{ min, max }` bake early; in points like maxIncrease (`0.5%`, or
     * the fraction 0.005, so a parsed spec reads back the same). Default: maxIncrease; neither:
     * bakes run to max.
     */
    margin: z.optional(points),
  };
}

/** Sequential fields only with `test: sequential`, and no ratio limit it would silently ignore. */
export function refineSequential(entry: { test?: string; alpha?: number; margin?: number; maxRatio?: number }, ctx: z.core.$RefinementCtx): void {
  if (entry.test !== 'sequential') {
    if (entry.alpha !== undefined) ctx.addIssue({ code: 'custom', path: ['alpha'], message: 'applies only to test: sequential' });
    if (entry.margin !== undefined) ctx.addIssue({ code: 'custom', path: ['margin'], message: 'applies only to test: sequential' });
    return;
  }
  if (entry.margin === 0) ctx.addIssue({ code: 'custom', path: ['margin'], message: 'must be above 0%' });
  if (entry.maxRatio !== undefined) {
    ctx.addIssue({ code: 'custom', path: ['maxRatio'], message: 'does not apply to test: sequential (use margin, in percentage points)' });
  }
}
