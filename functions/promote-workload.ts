import '../src/rollouts/traffic-ports';
import * as z from '../src/shared/zod-mini';
import { ExecutionStateSchema } from '../src/rollouts/state';
import { finishPromotion, promotePrimary, promotionFailed } from '../src/rollouts/workload';
import { lambda } from '../src/shared/lambda';

const InputSchema = z.object({ phase: z.enum(['primary', 'finish', 'failed']), state: ExecutionStateSchema });

/**
 * The promotion of a workload: PromotePrimary (phase `primary`), FinishPromotion (`finish`:
 * routes back to the primary node, canary to zero) and ReportPromotionFailed (`failed`: locks flagged, urgent notice).
 */
export const handler = lambda('promote-workload', InputSchema, async (input, deps): Promise<unknown> => {
  switch (input.phase) {
    case 'primary':
      return promotePrimary(input.state, deps);
    case 'finish':
      return finishPromotion(input.state, deps);
    case 'failed':
      return promotionFailed(input.state, deps);
  }
});
