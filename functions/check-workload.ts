import '../src/rollouts/traffic-ports';
import * as z from '../src/shared/zod-mini';
import { ExecutionStateSchema } from '../src/rollouts/state';
import { checkWorkload } from '../src/rollouts/workload';
import { lambda } from '../src/shared/lambda';

const InputSchema = z.object({ side: z.enum(['canary', 'primary']), state: ExecutionStateSchema });

/** CheckCanary / CheckPrimary: one look at the deployment; the `*Ready?` Choice reads `rollout.workload.status.phase`. */
export const handler = lambda('check-workload', InputSchema, (input, deps) => checkWorkload(input.state, input.side, deps));
