import '../src/rollouts/traffic-ports';
import * as z from '../src/shared/zod-mini';
import { LOOKOUT_SECONDS } from '../src/plan/cost';
import { lookIntoBakes } from '../src/rollouts/look';
import { lambda } from '../src/shared/lambda';

/**
 * EventBridge's `Scheduled Event` of the lookout's rule (rate(1 minute)). The local runner runs
 * it more often and says so in `tickSeconds`.
 */
const ScheduledEventSchema = z.looseObject({ 'detail-type': z.literal('Scheduled Event'), tickSeconds: z.optional(z.number().check(z.positive(), z.maximum(3600))) });

/** The lookout: looks into the bakes of rollouts with sequential comparisons and ends them early when the evidence decides. */
export const handler = lambda('look', ScheduledEventSchema, (event, deps, context) =>
  lookIntoBakes(deps, { tickSeconds: event.tickSeconds ?? LOOKOUT_SECONDS, remainingMs: () => context.getRemainingTimeInMillis() }),
);
