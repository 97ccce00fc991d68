import '../src/rollouts/traffic-ports';
import * as z from '../src/shared/zod-mini';
import { lookIntoBakes } from '../src/rollouts/look';
import { lambda } from '../src/shared/lambda';

/**
 * EventBridge's `Scheduled Event` of the lookout's rule (rate(1 minute)). The local runner runs
 * it more often and says so in `tickSeconds`.
 */
const ScheduledEventSchema = z.looseObject({ 'detail-type': z.literal('Scheduled Event'), tickSeconds: z.optional(z.number().check(z.positive(), z.maximum(3600))) });

/** Seconds between two runs of the lookout in AWS: the schedule's rate. */
const TICK_SECONDS = 60;

/** The lookout: looks into the bakes of rollouts with sequential comparisons and ends them early when the evidence decides. */
export const handler = lambda('look', ScheduledEventSchema, (event, deps, context) =>
  lookIntoBakes(deps, { tickSeconds: event.tickSeconds ?? TICK_SECONDS, remainingMs: () => context.getRemainingTimeInMillis() }),
);
