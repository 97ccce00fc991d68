import '../src/rollouts/traffic-ports';
import * as z from '../src/shared/zod-mini';
import { releaseFailedStart, releaseRollout } from '../src/rollouts/release';
import { ExecutionStateSchema } from '../src/rollouts/state';
import { lambda } from '../src/shared/lambda';

const InputSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('finished'), state: ExecutionStateSchema }),
  z.object({ kind: z.literal('failed-start'), executionName: z.string().check(z.minLength(1)), state: z.looseObject({ spec: z.optional(z.unknown()) }) }),
]);

/** Gives the route locks back at the end of a rollout, or after a start that failed; the ASL retries it until done. */
export const handler = lambda('release', InputSchema, async (input, deps): Promise<{ released: string[] }> =>
  input.kind === 'finished' ? releaseRollout(input.state, deps) : releaseFailedStart(input.state, input.executionName, deps),
);
