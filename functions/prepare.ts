import '../src/rollouts/traffic-ports';
import { prepare } from '../src/rollouts/prepare';
import { PrepareInputSchema } from '../src/rollouts/state';
import { lambda } from '../src/shared/lambda';

export const handler = lambda('prepare', PrepareInputSchema, (input, deps) => prepare(input, deps));
