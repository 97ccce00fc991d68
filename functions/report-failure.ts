import '../src/rollouts/traffic-ports';
import * as z from '../src/shared/zod-mini';
import { prepareFailed, rollbackFailed } from '../src/rollouts/finish';
import { CaughtErrorSchema, ExecutionStateSchema } from '../src/rollouts/state';
import { lambda } from '../src/shared/lambda';

const InputSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('rollback-failed'), state: ExecutionStateSchema }),
  z.object({ kind: z.literal('prepare-failed'), executionName: z.string(), state: z.looseObject({ error: z.optional(CaughtErrorSchema), spec: z.optional(z.looseObject({})) }) }),
]);

/** The loud endings: a rollback that could not restore, or a rollout that could not start. */
export const handler = lambda('report-failure', InputSchema, async (input, deps): Promise<{ reason?: string }> =>
  input.kind === 'rollback-failed' ? rollbackFailed(input.state, deps) : prepareFailed(input.state, input.executionName, deps),
);
