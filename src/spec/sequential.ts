import { z } from 'zod';

/**
 * The fields a comparison (`analysis.compare[]`) takes to be judged by the sequential test
 * (src/analysis/sequential.ts) instead of a threshold: `test: sequential`, `alpha`, `margin`.
 */
export const sequentialShape = {
  /** `threshold` (default): the limits below, once per judgement. `sequential`: an anytime-valid test over the whole rollout. */
  test: z.enum(['threshold', 'sequential'], { error: 'must be threshold or sequential' }).optional(),
  /** Sequential: the share of healthy canaries rolled back by mistake, however often the judge looks. Default 0.05. */
  alpha: z.number({ error: 'must be a number' }).gt(0, { error: 'must be above 0' }).max(0.2, { error: 'must be at most 0.2' }).optional(),
  /**
   * Sequential: the largest increase of the canary's rate over stable's (percentage points) that
   * still counts as "not worse", which ends a `{ min, max }` bake early. Default: maxIncrease;
   * neither: bakes run to max.
   */
  margin: z
    .union([z.string(), z.number()], { error: 'must be percentage points such as 0.5%' })
    .transform((value, ctx) => {
      const m = /^(\d+(?:\.\d+)?)\s*%?$/.exec(typeof value === 'number' ? String(value) : value.trim());
      const n = m ? Number(m[1]) : Number.NaN;
      if (!(n > 0 && n <= 100)) {
        ctx.addIssue({ code: 'custom', message: `must be percentage points above 0% such as 0.5%, got "${value}"` });
        return z.NEVER;
      }
      return n / 100;
    })
    .meta({ type: ['string', 'number'], description: 'Percentage points: 0.5% (or the number 0.5)' })
    .optional(),
};

/** Sequential fields only with `test: sequential`, and no ratio limit it would silently ignore. */
export function refineSequential(entry: { test?: string; alpha?: number; margin?: number; maxRatio?: number }, ctx: z.RefinementCtx): void {
  if (entry.test !== 'sequential') {
    if (entry.alpha !== undefined) ctx.addIssue({ code: 'custom', path: ['alpha'], message: 'applies only to test: sequential' });
    if (entry.margin !== undefined) ctx.addIssue({ code: 'custom', path: ['margin'], message: 'applies only to test: sequential' });
    return;
  }
  if (entry.maxRatio !== undefined) {
    ctx.addIssue({ code: 'custom', path: ['maxRatio'], message: 'does not apply to test: sequential (use margin, in percentage points)' });
  }
}
