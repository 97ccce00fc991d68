/** A bake the execution waits in now: its task token, and the state the Bake state was entered with (unvalidated JSON). */
export interface BakeInProgress {
  token: string;
  state: unknown;
}

/**
 * Control of running executions, behind a port: Step Functions in AWS, the local runner's
 * callback registry on a laptop.
 */
export interface ExecutionControl {
  isRunning(executionArn: string): Promise<boolean>;
  sendTaskSuccess(token: string, output: unknown): Promise<void>;
  sendTaskFailure(token: string, error: string, cause: string): Promise<void>;
  /** The token of the bake the execution is waiting in right now, if it is baking. */
  findBakeToken(executionArn: string): Promise<string | undefined>;
  /** The bake the execution is waiting in right now with the state it baked with (what the lookout judges), if it is baking. */
  findBake(executionArn: string): Promise<BakeInProgress | undefined>;
}

/** Thrown when a token no longer waits (decided, timed out, execution ended). */
export class TaskNotWaitingError extends Error {
  override name = 'TaskNotWaitingError';
}
