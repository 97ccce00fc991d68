import '../src/rollouts/traffic-ports';
import { rollback } from '../src/rollouts/finish';
import { ExecutionStateSchema } from '../src/rollouts/state';
import { lambda } from '../src/shared/lambda';

export const handler = lambda('rollback', ExecutionStateSchema, (state, deps) => rollback(state, deps));
