import '../src/rollouts/traffic-ports';
import { ExecutionStateSchema } from '../src/rollouts/state';
import { deployCanary } from '../src/rollouts/workload';
import { lambda } from '../src/shared/lambda';

/** DeployCanary: registers the canary task definition for the image and points the canary service at it. */
export const handler = lambda('deploy-canary', ExecutionStateSchema, (state, deps) => deployCanary(state, deps));
