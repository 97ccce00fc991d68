import * as z from '../shared/zod-mini';
import type { CheckResult, JudgeCounters, VerdictKind } from '../analysis/judge';
import type { RouterSnapshot, RouteVersions } from '../routers/port';
import type { RolloutSpec } from '../spec';
import type { CanaryDeployment, DeploymentRef, WorkloadStatus } from '../workloads/port';

/** What the state machine does next; the `Route` Choice state reads it. */
export type NextAction = 'bake' | 'approvePromotion' | 'promote' | 'rollback';

/**
 * The rollout's state as it travels through the execution (`$.rollout`). Progress lives here,
 * not in a database: every Task is a function of its input, so a retried Task is harmless.
 */
export interface RolloutState {
  id: string;
  specName: string;
  executionArn: string;
  revision?: string;
  startedAt: string;
  spec: RolloutSpec;
  weights: number[];
  bakeSeconds: number;
  recheckSeconds: number;
  approvalTimeoutSeconds: number;
  onApprovalTimeout: 'rollback' | 'approve';
  snapshot: RouterSnapshot;
  /** Route versions our last write produced; anything else found later is another writer. */
  versions: RouteVersions;
  /** Index of the live step, -1 before the first shift. */
  step: number;
  weight: number;
  /** When the live step's weight was written: the start of the window its checks judge. */
  stepStartedAt?: string;
  counters: JudgeCounters;
  action: NextAction;
  /** Seconds the Bake state waits (bake, or re-check interval). */
  waitSeconds: number;
  reason?: string;
  lastVerdict?: { step: number; verdict: VerdictKind; summary: string; checks: CheckResult[] };
  outcome?: 'promoted' | 'rolled back' | 'rollback failed' | 'promotion failed';
  /** The image to deploy (execution input `image`); required with `target.ecs`. */
  image?: string;
  /** Deploy and promote phases of a spec with a workload (`target.ecs`); absent otherwise. */
  workload?: WorkloadProgress;
}

/**
 * Where the workload phases stand. The `CanaryReady?` and `PrimaryReady?` Choices read
 * `status.phase`; the deadline is fixed when a deployment starts, so every check is a pure
 * function of the state and one DescribeServices (a retried check is harmless).
 */
export interface WorkloadProgress {
  /** The canary's task definition and deployment (DeployCanary). */
  canary: CanaryDeployment;
  /** The primary's task definition and deployment, once PromotePrimary started it. */
  primary?: DeploymentRef;
  /** ISO time by which the deployment being watched must be steady (now + target.ecs.readyTimeout when it started). */
  deadline: string;
  /** The last look at the deployment being watched. */
  status: WorkloadStatus;
}

/** `{Error, Cause}` as a Catch puts it in the state. */
export const CaughtErrorSchema = z.looseObject({ Error: z.string(), Cause: z.optional(z.string()) });
export type CaughtError = z.infer<typeof CaughtErrorSchema>;

/**
 * The rollout as handlers receive it: checked for the fields they rely on, the rest trusted as ours.
 * zod/mini (see src/shared/zod-mini.ts): the functions after Prepare never load the classic API.
 */
export const RolloutStateSchema = z.looseObject({
  id: z.string().check(z.minLength(1)),
  specName: z.string().check(z.minLength(1)),
  executionArn: z.string(),
  spec: z.looseObject({ name: z.string() }),
  weights: z.array(z.number().check(z.int())).check(z.minLength(1)),
  snapshot: z.looseObject({ routes: z.array(z.looseObject({ key: z.string() })) }),
  versions: z.record(z.string(), z.string()),
  step: z.number().check(z.int(), z.gte(-1)),
  weight: z.number(),
  counters: z.object({ failedChecks: z.number(), waitedForData: z.number() }),
}) as unknown as z.ZodMiniType<RolloutState>;

/** The whole execution state: each Lambda gets it all and returns its part. */
export const ExecutionStateSchema = z.looseObject({
  rollout: RolloutStateSchema,
  // Loose on purpose: anyone with states:SendTaskSuccess can put anything here, and a malformed
  // value must not make Rollback unable to parse its input. Step reads only what it recognises.
  bake: z.nullish(z.union([CaughtErrorSchema, z.looseObject({ skip: z.optional(z.enum(['steps', 'analysis'])), by: z.optional(z.string()) }), z.unknown()])),
  approval: z.optional(z.unknown()),
  error: z.optional(CaughtErrorSchema),
});
export type ExecutionState = z.infer<typeof ExecutionStateSchema>;

/** Execution input, from a trigger, `canaryctl start` or the local runner. */
export const StartInputSchema = z.strictObject({
  spec: z.record(z.string(), z.unknown(), { error: 'must be the rollout spec (an object)' }),
  revision: z.optional(z.string().check(z.maxLength(256))),
  image: z.optional(z.string().check(z.maxLength(1024))),
  requestedBy: z.optional(z.string().check(z.maxLength(256))),
  source: z.optional(z.string().check(z.maxLength(256))),
  /** Wait for the route lock instead of failing (triggers with onNewRevision supersede or queue). */
  waitForLock: z.optional(z.boolean()),
});
export type StartInput = z.infer<typeof StartInputSchema>;

export const PrepareInputSchema = z.object({
  input: z.unknown(),
  executionArn: z.string().check(z.minLength(1)),
  executionName: z.string().check(z.minLength(1)),
  startTime: z.optional(z.string()),
});
export type PrepareInput = z.infer<typeof PrepareInputSchema>;
