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
}

/** Thrown when a token no longer waits (decided, timed out, execution ended). */
export class TaskNotWaitingError extends Error {
  override name = 'TaskNotWaitingError';
}
