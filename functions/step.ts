import '../src/rollouts/traffic-ports';
import { ExecutionStateSchema } from '../src/rollouts/state';
import { step } from '../src/rollouts/step';
import { lambda } from '../src/shared/lambda';

export const handler = lambda('step', ExecutionStateSchema, (state, deps) => step(state, deps));
