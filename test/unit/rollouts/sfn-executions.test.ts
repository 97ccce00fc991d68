import {
  DescribeExecutionCommand,
  ExecutionDoesNotExist,
  GetExecutionHistoryCommand,
  InvalidToken,
  SendTaskFailureCommand,
  SendTaskSuccessCommand,
  SFNClient,
  SFNServiceException,
  TaskDoesNotExist,
  TaskTimedOut,
  type HistoryEvent,
} from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { TaskNotWaitingError } from '../../../src/rollouts/executions';
import { SfnExecutions } from '../../../src/rollouts/sfn-executions';
import { TransientError } from '../../../src/shared/errors';

const sfn = mockClient(SFNClient);

const EXECUTION = 'arn:aws:states:us-east-1:123456789012:execution:canary-rollout:user-service-abc123';
const TOKEN = 'AQCEAAAAKgAAAAMAAAAAAAAAAeR2bake-token';
const T0 = new Date('2025-03-01T12:00:00.000Z');

let nextId = 100;
function event(type: string, details: Partial<HistoryEvent> = {}): HistoryEvent {
  nextId -= 1;
  return { id: nextId, previousEventId: nextId - 1, timestamp: T0, type: type as HistoryEvent['type'], ...details };
}

/** The TaskScheduled event of the Bake state: EventBridge PutEvents with the task token in the detail. */
function bakeScheduled(detail: unknown = { taskToken: TOKEN, rolloutId: 'user-service-abc123', bakeSeconds: 300 }): HistoryEvent {
  return event('TaskScheduled', {
    taskScheduledEventDetails: {
      resourceType: 'events',
      resource: 'putEvents.waitForTaskToken',
      region: 'us-east-1',
      parameters: JSON.stringify({
        Entries: [{ Source: 'canary-controller', DetailType: 'Canary Bake Started', EventBusName: 'default', Detail: detail }],
      }),
      timeoutInSeconds: 400,
    },
  });
}

/** The newest-first history of an execution that is baking now, after shifting to 10%. */
function bakingHistory(detail?: unknown): HistoryEvent[] {
  nextId = 100;
  return [
    event('TaskSubmitted', { taskSubmittedEventDetails: { resourceType: 'events', resource: 'putEvents.waitForTaskToken', output: '{"Entries":[{"EventId":"e-1"}],"FailedEntryCount":0}' } }),
    event('TaskStarted', { taskStartedEventDetails: { resourceType: 'events', resource: 'putEvents.waitForTaskToken' } }),
    detail === undefined ? bakeScheduled() : bakeScheduled(detail),
    event('TaskStateEntered', { stateEnteredEventDetails: { name: 'Bake', input: '{}' } }),
    event('TaskStateExited', { stateExitedEventDetails: { name: 'Shift', output: '{}' } }),
    event('TaskSucceeded', { taskSucceededEventDetails: { resourceType: 'lambda', resource: 'invoke', output: '{}' } }),
    event('TaskScheduled', { taskScheduledEventDetails: { resourceType: 'lambda', resource: 'invoke', region: 'us-east-1', parameters: '{"FunctionName":"shift"}' } }),
    event('TaskStateEntered', { stateEnteredEventDetails: { name: 'Shift', input: '{}' } }),
  ];
}

function notWaiting(ErrorClass: typeof TaskTimedOut | typeof TaskDoesNotExist | typeof InvalidToken): Error {
  return new ErrorClass({ message: 'Task Timed Out', $metadata: { httpStatusCode: 400 } });
}

beforeEach(() => {
  sfn.reset();
});

describe('SfnExecutions', () => {
  describe('isRunning', () => {
    it.each<[string, boolean]>([
      ['RUNNING', true],
      ['SUCCEEDED', false],
      ['FAILED', false],
      ['ABORTED', false],
      ['TIMED_OUT', false],
    ])('says %s is running: %p', async (status, expected) => {
      // Prepare
      sfn.on(DescribeExecutionCommand, { executionArn: EXECUTION }).resolves({ status: status as 'RUNNING', executionArn: EXECUTION });

      // Act
      const running = await new SfnExecutions(new SFNClient({})).isRunning(EXECUTION);

      // Assess
      expect(running).toBe(expected);
    });

    it('says an execution that does not exist is not running', async () => {
      // Prepare
      sfn.on(DescribeExecutionCommand).rejects(new ExecutionDoesNotExist({ message: 'Execution Does Not Exist', $metadata: {} }));

      // Act
      const running = await new SfnExecutions(new SFNClient({})).isRunning(EXECUTION);

      // Assess
      expect(running).toBe(false);
    });

    it('turns throttling into a TransientError rather than guessing', async () => {
      // Prepare
      sfn.on(DescribeExecutionCommand).rejects(new SFNServiceException({ name: 'ThrottlingException', $fault: 'client', $metadata: { httpStatusCode: 400 }, message: 'Rate exceeded' }));

      // Act
      const act = new SfnExecutions(new SFNClient({})).isRunning(EXECUTION);

      // Assess
      await expect(act).rejects.toBeInstanceOf(TransientError);
      await expect(act).rejects.toThrow(`DescribeExecution ${EXECUTION}`);
    });
  });

  describe('findBakeToken', () => {
    it('finds the token in the parameters of the bake that runs now', async () => {
      // Prepare
      sfn.on(GetExecutionHistoryCommand).resolves({ events: bakingHistory() });

      // Act
      const token = await new SfnExecutions(new SFNClient({})).findBakeToken(EXECUTION);

      // Assess
      expect(token).toBe(TOKEN);
      expect(sfn.commandCalls(GetExecutionHistoryCommand).map((c) => c.args[0].input)).toEqual([
        { executionArn: EXECUTION, reverseOrder: true, maxResults: 50, includeExecutionData: true },
      ]);
    });

    it('reads a Detail written as a JSON string', async () => {
      // Prepare
      sfn.on(GetExecutionHistoryCommand).resolves({ events: bakingHistory(JSON.stringify({ taskToken: TOKEN })) });

      // Act
      const token = await new SfnExecutions(new SFNClient({})).findBakeToken(EXECUTION);

      // Assess
      expect(token).toBe(TOKEN);
    });

    it('finds nothing once the bake has exited', async () => {
      // Prepare
      nextId = 200;
      const history = [
        event('TaskScheduled', { taskScheduledEventDetails: { resourceType: 'lambda', resource: 'invoke', region: 'us-east-1', parameters: '{"FunctionName":"judge"}' } }),
        event('TaskStateEntered', { stateEnteredEventDetails: { name: 'Judge', input: '{}' } }),
        event('TaskStateExited', { stateExitedEventDetails: { name: 'Bake', output: '{}' } }),
        ...bakingHistory(),
      ];
      sfn.on(GetExecutionHistoryCommand).resolves({ events: history });

      // Act
      const token = await new SfnExecutions(new SFNClient({})).findBakeToken(EXECUTION);

      // Assess
      expect(token).toBeUndefined();
    });

    it.each(['ExecutionSucceeded', 'ExecutionFailed'])('finds nothing after %s', async (type) => {
      // Prepare
      sfn.on(GetExecutionHistoryCommand).resolves({ events: [event(type), ...bakingHistory()] });

      // Act
      const token = await new SfnExecutions(new SFNClient({})).findBakeToken(EXECUTION);

      // Assess
      expect(token).toBeUndefined();
    });

    it('follows nextToken to an older page', async () => {
      // Prepare
      const history = bakingHistory();
      sfn
        .on(GetExecutionHistoryCommand, { nextToken: undefined })
        .resolves({ events: history.slice(0, 2), nextToken: 'older' })
        .on(GetExecutionHistoryCommand, { nextToken: 'older' })
        .resolves({ events: history.slice(2) });

      // Act
      const token = await new SfnExecutions(new SFNClient({})).findBakeToken(EXECUTION);

      // Assess
      expect(token).toBe(TOKEN);
      expect(sfn.commandCalls(GetExecutionHistoryCommand).map((c) => c.args[0].input.nextToken)).toEqual([undefined, 'older']);
    });

    it('gives up after four pages', async () => {
      // Prepare
      sfn.on(GetExecutionHistoryCommand).resolves({ events: [event('TaskStarted')], nextToken: 'more' });

      // Act
      const token = await new SfnExecutions(new SFNClient({})).findBakeToken(EXECUTION);

      // Assess
      expect(token).toBeUndefined();
      expect(sfn.commandCalls(GetExecutionHistoryCommand)).toHaveLength(4);
    });
  });

  describe('findBake', () => {
    const STATE = { rollout: { id: 'user-service-abc123', step: 0, weight: 10 } };

    /** The baking history with the Bake's TaskStateEntered carrying `input`. */
    function withBakeInput(input: string | undefined, truncated = false): HistoryEvent[] {
      return bakingHistory().map((e) =>
        e.type === 'TaskStateEntered' && e.stateEnteredEventDetails?.name === 'Bake'
          ? { ...e, stateEnteredEventDetails: { name: 'Bake', input, inputDetails: { truncated } } }
          : e,
      );
    }

    it('returns the token and the input the Bake state was entered with', async () => {
      // Prepare
      sfn.on(GetExecutionHistoryCommand).resolves({ events: withBakeInput(JSON.stringify(STATE)) });

      // Act
      const bake = await new SfnExecutions(new SFNClient({})).findBake(EXECUTION);

      // Assess
      expect(bake).toEqual({ token: TOKEN, state: STATE });
    });

    it('reads past a retried PutEvents to the state entry, across pages', async () => {
      // Prepare: newest first, the second attempt's TaskScheduled, the first attempt's failure and
      // TaskScheduled, then (on an older page) the TaskStateEntered.
      nextId = 300;
      const retried = [
        bakeScheduled(),
        event('TaskFailed', { taskFailedEventDetails: { resourceType: 'events', resource: 'putEvents.waitForTaskToken', error: 'EventBridge.ThrottlingException' } }),
        bakeScheduled({ taskToken: 'first-attempt-token' }),
      ];
      const entered = event('TaskStateEntered', { stateEnteredEventDetails: { name: 'Bake', input: JSON.stringify(STATE) } });
      sfn
        .on(GetExecutionHistoryCommand, { nextToken: undefined })
        .resolves({ events: retried, nextToken: 'older' })
        .on(GetExecutionHistoryCommand, { nextToken: 'older' })
        .resolves({ events: [entered] });

      // Act
      const bake = await new SfnExecutions(new SFNClient({})).findBake(EXECUTION);

      // Assess: the newest attempt's token, which is the one that waits.
      expect(bake).toEqual({ token: TOKEN, state: STATE });
    });

    it.each([
      ['no input', undefined, false],
      ['a truncated input', '{"rollout":', true],
    ])('finds nothing to judge when the entry has %s', async (_what, input, truncated) => {
      // Prepare
      sfn.on(GetExecutionHistoryCommand).resolves({ events: withBakeInput(input, truncated) });

      // Act
      const bake = await new SfnExecutions(new SFNClient({})).findBake(EXECUTION);

      // Assess
      expect(bake).toBeUndefined();
    });

    it.each(['ExecutionAborted', 'ExecutionTimedOut', 'TaskTimedOut', 'TaskFailed', 'TaskSucceeded'])('finds nothing after %s: the bake no longer waits', async (type) => {
      // Prepare
      nextId = 500;
      sfn.on(GetExecutionHistoryCommand).resolves({ events: [event(type), ...withBakeInput(JSON.stringify(STATE))] });

      // Act
      const executions = new SfnExecutions(new SFNClient({}));

      // Assess
      expect(await executions.findBake(EXECUTION)).toBeUndefined();
      expect(await executions.findBakeToken(EXECUTION)).toBeUndefined();
    });

    it('finds nothing once the bake has exited', async () => {
      // Prepare
      nextId = 400;
      sfn.on(GetExecutionHistoryCommand).resolves({ events: [event('TaskStateExited', { stateExitedEventDetails: { name: 'Bake', output: '{}' } }), ...withBakeInput(JSON.stringify(STATE))] });

      // Act
      const bake = await new SfnExecutions(new SFNClient({})).findBake(EXECUTION);

      // Assess
      expect(bake).toBeUndefined();
    });
  });

  describe('sendTaskSuccess and sendTaskFailure', () => {
    it('sends the output as JSON', async () => {
      // Prepare
      sfn.on(SendTaskSuccessCommand).resolves({});

      // Act
      await new SfnExecutions(new SFNClient({})).sendTaskSuccess(TOKEN, { approved: true });

      // Assess
      expect(sfn.commandCalls(SendTaskSuccessCommand)[0]!.args[0].input).toEqual({ taskToken: TOKEN, output: '{"approved":true}' });
    });

    it('sends the error and a cause cut to the 32768 characters Step Functions accepts', async () => {
      // Prepare
      sfn.on(SendTaskFailureCommand).resolves({});

      // Act
      await new SfnExecutions(new SFNClient({})).sendTaskFailure(TOKEN, 'Canary.BakeInterrupted', 'x'.repeat(40000));

      // Assess
      const input = sfn.commandCalls(SendTaskFailureCommand)[0]!.args[0].input;
      expect(input.error).toBe('Canary.BakeInterrupted');
      expect(input.cause).toHaveLength(32768);
    });

    it.each([
      ['TaskTimedOut', TaskTimedOut],
      ['TaskDoesNotExist', TaskDoesNotExist],
      ['InvalidToken', InvalidToken],
    ] as const)('throws TaskNotWaitingError when Step Functions answers %s', async (name, ErrorClass) => {
      // Prepare
      sfn.on(SendTaskFailureCommand).rejects(notWaiting(ErrorClass));

      // Act
      const act = new SfnExecutions(new SFNClient({})).sendTaskFailure(TOKEN, 'Canary.Rejected', 'rejected by alice');

      // Assess
      await expect(act).rejects.toBeInstanceOf(TaskNotWaitingError);
      await expect(act).rejects.toThrow(`SendTaskFailure: the task no longer waits (${name})`);
    });

    it('throws TaskNotWaitingError when a success comes too late', async () => {
      // Prepare
      sfn.on(SendTaskSuccessCommand).rejects(notWaiting(TaskTimedOut));

      // Act
      const act = new SfnExecutions(new SFNClient({})).sendTaskSuccess(TOKEN, {});

      // Assess
      await expect(act).rejects.toBeInstanceOf(TaskNotWaitingError);
    });
  });
});
