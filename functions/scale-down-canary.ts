import '../src/rollouts/traffic-ports';
import { ExecutionStateSchema } from '../src/rollouts/state';
import { scaleDownCanary } from '../src/rollouts/workload';
import { lambda } from '../src/shared/lambda';

/** ScaleDownCanary: after Rollback restored the routes, the canary service to zero tasks, then the rollout is closed. */
export const handler = lambda('scale-down-canary', ExecutionStateSchema, (state, deps) => scaleDownCanary(state, deps));
