import '../shared/polyfills';
import { randomUUID } from 'node:crypto';
import { StateMachine } from 'aws-local-stepfunctions';
import { TaskNotWaitingError, type BakeInProgress, type ExecutionControl } from '../rollouts/executions';
import { functionNameOf, loadDefinition, LOCAL_ACCOUNT, LOCAL_REGION } from './asl';
import { HANDLERS, localContext, type LambdaHandler } from './handlers';

/** An error the local engine raises with the exact name Step Functions would use. */
class NamedError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

/**
 * aws-local-stepfunctions 3.0 evaluates TimeoutSecondsPath against the Task's Parameters instead
 * of the state input as Step Functions does, so the paths of our callback Tasks would not resolve.
 * The engine enforces those timeouts itself (waitForToken) from the same values, which the ASL
 * also passes in the payload (`Detail.seconds`, `Payload.rollout.approvalTimeoutSeconds`), and the
 * library gets a ceiling it never reaches.
 */
function withEmulatedCallbackTimeouts(definition: Record<string, unknown>): Record<string, unknown> {
  // JSON, not structuredClone: under jest the latter makes objects of another realm, which the library's plain-object checks reject.
  const copy = JSON.parse(JSON.stringify(definition)) as Record<string, unknown>;
  for (const state of Object.values((copy.States ?? {}) as Record<string, Record<string, unknown>>)) {
    if (state.Type === 'Task' && typeof state.TimeoutSecondsPath === 'string' && String(state.Resource).endsWith('.waitForTaskToken')) {
      delete state.TimeoutSecondsPath;
      // setTimeout holds at most 2^31-1 ms (24.8 days); a larger value would fire at once.
      state.TimeoutSeconds = 2_000_000;
    }
  }
  return copy;
}

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'ABORTED';

export interface ExecutionOutcome {
  status: ExecutionStatus;
  output?: unknown;
  error?: string;
  cause?: string;
}

/** One entry of a local execution's history: what Step Functions would show in the console. */
export interface HistoryEntry {
  at: number;
  type: 'StateEntered' | 'StateExited' | 'StateFailed' | 'StateRetried' | 'StateCaught' | 'ExecutionSucceeded' | 'ExecutionFailed';
  state?: string;
  detail?: string;
}

export interface LocalExecution {
  executionArn: string;
  name: string;
  history: HistoryEntry[];
  result: Promise<ExecutionOutcome>;
  status: ExecutionStatus;
}

interface PendingTask {
  token: string;
  executionArn: string;
  state: 'bake' | 'approval';
  /** A bake's step and weight (its event detail), to match the state it was entered with. */
  bake?: { step: unknown; weight: unknown };
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  timer?: NodeJS.Timeout;
}

export interface LocalEngineOptions {
  /** Multiplies every callback wait (bakes): 0.05 turns a 60 s bake into 3 s. Approval timeouts too. */
  timeScale?: number;
  /** Pause between Retry attempts, in ms (the ASL's backoff would take hours for Rollback). */
  retryIntervalMs?: number;
  /**
   * Wait state durations in ms by state name, e.g. `{ WaitForCanary: 5 }` (default: none, every
   * Wait runs for its real duration). The ASL's poll intervals stay production values.
   */
  waitTimeOverrides?: Record<string, number>;
  /** Replace handlers by name, e.g. to inject a Lambda service error. */
  handlers?: Partial<Record<string, LambdaHandler>>;
  /**
   * Called when a bake starts waiting for its token (after the token can be found), e.g. for a
   * test to end it as an alarm interrupt, the lookout or `canaryctl abort` would. A promise
   * returned holds the bake's timeout until it settles (a test that must not race the timeout).
   */
  onBake?: (bake: { executionArn: string; token: string; step: unknown; weight: unknown }) => Promise<unknown> | void;
  definition?: Record<string, unknown>;
}

/**
 * Runs statemachines/rollout.asl.json with aws-local-stepfunctions and the real handlers.
 * Lambda Tasks call the handlers in-process; callback Tasks (approvals, bakes) wait for a token
 * that `sendTaskSuccess`/`sendTaskFailure` settle, as Step Functions does. It is also the
 * ExecutionControl port of the local deps.
 */
export class LocalEngine implements ExecutionControl {
  readonly executions = new Map<string, LocalExecution>();
  /** Lambda invocations per function name, across executions. */
  readonly invocations: Record<string, number> = {};
  private readonly pending = new Map<string, PendingTask>();
  /** The input the Bake state was last entered with, per execution (Step Functions' TaskStateEntered). */
  private readonly bakeInputs = new Map<string, unknown>();
  private readonly aborts = new Map<string, () => void>();
  private readonly machine: StateMachine;
  private readonly handlers: Record<string, LambdaHandler>;
  private readonly definition: Record<string, unknown>;

  constructor(private readonly options: LocalEngineOptions = {}) {
    this.definition = options.definition ?? loadDefinition();
    this.machine = new StateMachine(withEmulatedCallbackTimeouts(this.definition) as never, { validationOptions: { checkArn: true, checkPaths: true } });
    this.handlers = { ...HANDLERS, ...(options.handlers as Record<string, LambdaHandler>) };
  }

  /** Starts an execution; like StartExecution, a name already used is refused. */
  start(input: unknown, name: string = randomUUID()): LocalExecution {
    const executionArn = `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:execution:rollout:${name}`;
    if (this.executions.has(executionArn)) throw new NamedError('ExecutionAlreadyExists', `execution ${name} already exists`);
    const states = (this.definition.States ?? {}) as Record<string, { Type: string; Resource?: string }>;
    const overrides: Record<string, (input: unknown) => Promise<unknown>> = {};
    const retryIntervalOverrides: Record<string, number> = {};
    for (const [stateName, state] of Object.entries(states)) {
      if (state.Type !== 'Task' || !state.Resource) continue;
      overrides[stateName] = (taskInput) => this.runTask(executionArn, stateName, state.Resource!, taskInput);
      retryIntervalOverrides[stateName] = this.options.retryIntervalMs ?? 10;
    }
    const context = {
      Execution: { Id: executionArn, Name: name, StartTime: new Date().toISOString() },
      // Step Functions makes a fresh token each time a callback Task starts; a getter does the same here.
      Task: {
        get Token(): string {
          return `${name}:${randomUUID()}`;
        },
      },
    };
    const run = this.machine.run(input as never, {
      overrides: { taskResourceLocalHandlers: overrides as never, retryIntervalOverrides, waitTimeOverrides: { ...this.options.waitTimeOverrides } },
      context: context as never,
    });
    this.aborts.set(executionArn, run.abort);
    const history: HistoryEntry[] = [];
    const execution: LocalExecution = { executionArn, name, history, status: 'RUNNING', result: Promise.resolve({ status: 'RUNNING' }) };
    void this.follow(run.eventLogs as AsyncGenerator<Record<string, unknown>>, history, executionArn);
    execution.result = run.result.then(
      (output: unknown) => {
        execution.status = 'SUCCEEDED';
        return { status: 'SUCCEEDED' as const, output };
      },
      (error: { name?: string; message?: string; cause?: { name?: string; message?: string; cause?: string } }) => {
        if (execution.status === 'ABORTED') return { status: 'ABORTED' as const, error: 'States.Aborted', cause: 'stopped by LocalEngine.close()' };
        execution.status = 'FAILED';
        const inner = (error.cause ?? error) as { name?: string; message?: string; cause?: unknown };
        return { status: 'FAILED' as const, error: inner.name, cause: typeof inner.cause === 'string' ? inner.cause : inner.message };
      },
    );
    void execution.result.finally(() => {
      this.aborts.delete(executionArn);
      this.dropPending(executionArn);
      this.bakeInputs.delete(executionArn);
    });
    this.executions.set(executionArn, execution);
    return execution;
  }

  private async follow(events: AsyncGenerator<Record<string, unknown>>, history: HistoryEntry[], executionArn: string): Promise<void> {
    try {
      for await (const e of events) {
        const type = String(e.type);
        const state = (e.state as { name?: string } | undefined)?.name;
        if (type === 'StateEntered' && state === 'Bake') this.bakeInputs.set(executionArn, (e.state as { input?: unknown }).input);
        const map: Record<string, HistoryEntry['type']> = {
          StateEntered: 'StateEntered',
          StateExited: 'StateExited',
          StateFailed: 'StateFailed',
          StateRetried: 'StateRetried',
          StateCaught: 'StateCaught',
          ExecutionSucceeded: 'ExecutionSucceeded',
          ExecutionFailed: 'ExecutionFailed',
        };
        if (map[type]) history.push({ at: Number(e.timestamp ?? Date.now()), type: map[type]!, state });
      }
    } catch {
      // The event log ends with the execution; nothing to do.
    }
  }

  private async runTask(executionArn: string, stateName: string, resource: string, input: unknown): Promise<unknown> {
    const fnName = functionNameOf(resource);
    if (fnName) return this.invoke(fnName, input);
    if (resource === 'arn:aws:states:::lambda:invoke.waitForTaskToken') {
      const params = input as { FunctionName: string; Payload: { token: string; rollout?: { approvalTimeoutSeconds?: number } } };
      const name = functionNameOf(params.FunctionName) ?? params.FunctionName;
      const waiting = this.waitForToken(executionArn, params.Payload.token, 'approval', (params.Payload.rollout?.approvalTimeoutSeconds ?? 0) * 1000);
      await this.invoke(name, params.Payload);
      return waiting;
    }
    if (resource === 'arn:aws:states:::events:putEvents.waitForTaskToken') {
      const detail = (input as { Entries: Array<{ Detail: { taskToken: string; seconds: number; step: unknown; weight: unknown } }> }).Entries[0]!.Detail;
      return this.waitForToken(executionArn, detail.taskToken, 'bake', detail.seconds * 1000, { step: detail.step, weight: detail.weight });
    }
    throw new NamedError('States.Runtime', `local engine: no emulation for resource ${resource} in state ${stateName}`);
  }

  private async invoke(fnName: string, payload: unknown): Promise<unknown> {
    const handler = this.handlers[fnName];
    if (!handler) throw new NamedError('Lambda.ResourceNotFoundException', `function ${fnName} not found`);
    this.invocations[fnName] = (this.invocations[fnName] ?? 0) + 1;
    // A Lambda's input and output cross a JSON boundary; do the same so no object identity leaks.
    const result = await handler(JSON.parse(JSON.stringify(payload ?? null)), localContext(fnName));
    return result === undefined ? null : JSON.parse(JSON.stringify(result));
  }

  private waitForToken(executionArn: string, token: string, state: PendingTask['state'], timeoutMs: number, bake?: PendingTask['bake']): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const task: PendingTask = { token, executionArn, state, bake, resolve, reject };
      const scaled = timeoutMs * (this.options.timeScale ?? 1);
      const arm = () => {
        // Not once the task has ended (answered, or dropped with its execution) while held.
        if (scaled <= 0 || this.pending.get(token) !== task) return;
        task.timer = setTimeout(() => {
          this.pending.delete(token);
          reject(new NamedError('States.Timeout', `${state} timed out`));
        }, scaled);
      };
      this.pending.set(token, task);
      const hold = state === 'bake' ? this.options.onBake?.({ executionArn, token, step: bake?.step, weight: bake?.weight }) : undefined;
      if (hold) void hold.then(arm, arm);
      else arm();
    });
  }

  private dropPending(executionArn: string): void {
    for (const [token, task] of this.pending) {
      if (task.executionArn === executionArn) {
        clearTimeout(task.timer);
        this.pending.delete(token);
        // Settled, so the library clears its own timer for the Task (the 2,000,000 s ceiling above),
        // which would otherwise keep the process alive after close().
        task.reject(new NamedError('States.Aborted', `${task.state} dropped: the execution was stopped`));
      }
    }
  }

  private take(token: string): PendingTask {
    const task = this.pending.get(token);
    if (!task) throw new TaskNotWaitingError(`task token ${token.slice(0, 24)}… is not waiting (TaskTimedOut or TaskDoesNotExist)`);
    clearTimeout(task.timer);
    this.pending.delete(token);
    return task;
  }

  async isRunning(executionArn: string): Promise<boolean> {
    return this.executions.get(executionArn)?.status === 'RUNNING';
  }

  async sendTaskSuccess(token: string, output: unknown): Promise<void> {
    this.take(token).resolve(JSON.parse(JSON.stringify(output ?? {})));
  }

  async sendTaskFailure(token: string, error: string, cause: string): Promise<void> {
    this.take(token).reject(new NamedError(error, cause));
  }

  async findBakeToken(executionArn: string): Promise<string | undefined> {
    for (const task of this.pending.values()) if (task.executionArn === executionArn && task.state === 'bake') return task.token;
    return undefined;
  }

  async findBake(executionArn: string): Promise<BakeInProgress | undefined> {
    for (const task of this.pending.values()) {
      if (task.executionArn !== executionArn || task.state !== 'bake') continue;
      const input = this.bakeInputs.get(executionArn) as { rollout?: { step?: unknown; weight?: unknown } } | undefined;
      // The history follower may not have seen this bake's entry yet: no state, as if not baking.
      if (input?.rollout?.step !== task.bake?.step || input?.rollout?.weight !== task.bake?.weight) return undefined;
      return { token: task.token, state: input };
    }
    return undefined;
  }

  /**
   * Stops every running execution (as StopExecution would) and clears every callback timer, so a
   * test that fails halfway leaves nothing that keeps the process alive.
   */
  close(): void {
    for (const [arn, abort] of this.aborts) {
      const execution = this.executions.get(arn);
      if (execution?.status === 'RUNNING') execution.status = 'ABORTED';
      abort();
      this.dropPending(arn);
    }
    this.aborts.clear();
  }

  /** State transitions of an execution (states entered), as Step Functions bills them. */
  transitions(executionArn: string): number {
    return this.executions.get(executionArn)?.history.filter((h) => h.type === 'StateEntered').length ?? 0;
  }
}
