import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  SendTaskFailureCommand,
  SendTaskSuccessCommand,
  SFNClient,
} from '@aws-sdk/client-sfn';
import { classifyAwsError } from '../shared/errors';
import { TaskNotWaitingError, type BakeInProgress, type ExecutionControl } from './executions';

const GONE = new Set(['TaskTimedOut', 'TaskDoesNotExist', 'InvalidToken']);

/**
 * History events that, newer than a bake's TaskScheduled, say it no longer waits: the state or its
 * task ended (timed out, interrupted, answered), or the whole execution did (stopped from the
 * console, timed out). A retried PutEvents' TaskFailed is older than the retry's TaskScheduled.
 */
const ENDED = new Set(['TaskStateExited', 'TaskSucceeded', 'TaskFailed', 'TaskTimedOut', 'ExecutionSucceeded', 'ExecutionFailed', 'ExecutionAborted', 'ExecutionTimedOut']);

/** Step Functions: tokens are found in the execution history, so no extra storage is needed for bakes. */
export class SfnExecutions implements ExecutionControl {
  constructor(private readonly client: SFNClient = new SFNClient({})) {}

  async isRunning(executionArn: string): Promise<boolean> {
    try {
      const out = await this.client.send(new DescribeExecutionCommand({ executionArn }));
      return out.status === 'RUNNING';
    } catch (error) {
      if ((error as Error).name === 'ExecutionDoesNotExist') return false;
      throw classifyAwsError(error, `DescribeExecution ${executionArn}`);
    }
  }

  async sendTaskSuccess(token: string, output: unknown): Promise<void> {
    await this.send(() => this.client.send(new SendTaskSuccessCommand({ taskToken: token, output: JSON.stringify(output ?? {}) })), 'SendTaskSuccess');
  }

  async sendTaskFailure(token: string, error: string, cause: string): Promise<void> {
    await this.send(
      () => this.client.send(new SendTaskFailureCommand({ taskToken: token, error, cause: cause.slice(0, 32768) })),
      'SendTaskFailure',
    );
  }

  private async send(fn: () => Promise<unknown>, doing: string): Promise<void> {
    try {
      await fn();
    } catch (error) {
      if (GONE.has((error as Error).name)) throw new TaskNotWaitingError(`${doing}: the task no longer waits (${(error as Error).name})`);
      throw classifyAwsError(error, doing);
    }
  }

  /**
   * Walks the history newest first: a bake's TaskScheduled (putEvents.waitForTaskToken) seen
   * before any TaskStateExited means the execution is baking now, and its parameters hold the token.
   */
  async findBakeToken(executionArn: string): Promise<string | undefined> {
    return (await this.walkBake(executionArn, false))?.token;
  }

  /**
   * Like findBakeToken, then reads on to the Bake's TaskStateEntered (just older than its
   * TaskScheduled, also after a retried PutEvents): its input is the state the bake started with.
   */
  async findBake(executionArn: string): Promise<BakeInProgress | undefined> {
    const found = await this.walkBake(executionArn, true);
    return found?.state === undefined ? undefined : { token: found.token, state: found.state };
  }

  private async walkBake(executionArn: string, withState: boolean): Promise<{ token: string; state?: unknown } | undefined> {
    let nextToken: string | undefined;
    let pages = 0;
    let token: string | undefined;
    do {
      const out = await this.client
        // With the state's input (findBake), a page carries every event's data: a smaller page, as the bake's events are among the newest.
        .send(new GetExecutionHistoryCommand({ executionArn, reverseOrder: true, maxResults: withState ? 20 : 50, nextToken, includeExecutionData: true }))
        .catch((error: unknown) => {
          throw classifyAwsError(error, `GetExecutionHistory ${executionArn}`);
        });
      for (const event of out.events ?? []) {
        if (token === undefined) {
          if (ENDED.has(event.type ?? '')) return undefined;
          const scheduled = event.taskScheduledEventDetails;
          if (event.type === 'TaskScheduled' && scheduled?.resource === 'putEvents.waitForTaskToken') {
            const params = JSON.parse(scheduled.parameters ?? '{}') as { Entries?: Array<{ Detail?: { taskToken?: string } | string }> };
            const detail = params.Entries?.[0]?.Detail;
            const parsed = typeof detail === 'string' ? (JSON.parse(detail) as { taskToken?: string }) : detail;
            if (!parsed?.taskToken) return undefined;
            token = parsed.taskToken;
            if (!withState) return { token };
          }
        } else if (event.type === 'TaskStateEntered') {
          const entered = event.stateEnteredEventDetails;
          // Input cut short (CloudWatch-logged histories only) or absent: no state to judge, as if not baking.
          if (!entered?.input || entered.inputDetails?.truncated) return undefined;
          return { token, state: JSON.parse(entered.input) as unknown };
        }
      }
      nextToken = out.nextToken;
    } while (nextToken && ++pages < 4);
    return undefined;
  }
}
