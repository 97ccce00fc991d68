import '../src/rollouts/traffic-ports';
import { promote } from '../src/rollouts/finish';
import { ExecutionStateSchema } from '../src/rollouts/state';
import { lambda } from '../src/shared/lambda';

export const handler = lambda('promote', ExecutionStateSchema, (state, deps) => promote(state, deps));
