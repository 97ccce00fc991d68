import type { Notifier } from '../../src/approvals/notifier';
import type { ExecutionControl } from '../../src/rollouts/executions';
import type { RolloutStore } from '../../src/rollouts/store';

/**
 * Counting wrappers around the ports the handlers use, so a local run tells how many AWS API
 * calls the same run would make in AWS. Keys are `Service.Operation`.
 */
export type ApiCounts = Record<string, number>;

function bump(counts: ApiCounts, key: string, by = 1): void {
  if (by > 0) counts[key] = (counts[key] ?? 0) + by;
}

/**
 * The DynamoDB calls src/rollouts/dynamo-store.ts makes for each RolloutStore method on the
 * uncontended path (a lock held by someone else costs a GetItem and maybe a second PutItem more).
 */
export function dynamoCallsOf(method: string, args: unknown[]): Array<[string, number]> {
  const many = (i: number) => (Array.isArray(args[i]) ? (args[i] as unknown[]).length : 1);
  switch (method) {
    case 'acquireLocks':
      return [['DynamoDB.PutItem', many(0)]];
    case 'releaseLocks':
    case 'clearLock':
      return [['DynamoDB.DeleteItem', method === 'clearLock' ? 1 : many(0)]];
    case 'flagLocks':
      return [['DynamoDB.UpdateItem', many(0)]];
    case 'getLock':
    case 'getRollout':
      return [['DynamoDB.GetItem', 1]];
    case 'putRollout':
    case 'appendEvent':
      return [['DynamoDB.PutItem', 1]];
    case 'updateRollout':
      return [['DynamoDB.UpdateItem', 1]];
    case 'listRollouts':
    case 'listEvents':
    case 'watchersOf':
    case 'lookers':
      return [['DynamoDB.Query', 1]];
    case 'watchLooks':
      return [['DynamoDB.PutItem', 1]];
    case 'unwatchLooks':
      return [['DynamoDB.DeleteItem', 1]];
    case 'watchAlarms':
      return [['DynamoDB.PutItem', many(2)]];
    case 'unwatchAlarms':
      return [['DynamoDB.DeleteItem', many(1)]];
    default:
      return [];
  }
}

/** A RolloutStore that counts the DynamoDB calls the DynamoDB store would make. */
export function countingStore<T extends RolloutStore>(store: T, counts: ApiCounts): T {
  return new Proxy(store, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function' || typeof prop !== 'string') return value;
      return (...args: unknown[]) => {
        for (const [key, n] of dynamoCallsOf(prop, args)) bump(counts, key, n);
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}

/** A Notifier that counts what the default AWS notifier sends per event: one SNS Publish and one EventBridge PutEvents. */
export function countingNotifier(inner: Notifier, counts: ApiCounts): Notifier {
  return {
    async notify(event) {
      bump(counts, 'SNS.Publish');
      bump(counts, 'EventBridge.PutEvents');
      await inner.notify(event);
    },
  };
}

/** ExecutionControl that counts the Step Functions API calls SfnExecutions makes for each method. */
export function countingExecutions(inner: ExecutionControl, counts: ApiCounts): ExecutionControl {
  return {
    isRunning: (arn) => (bump(counts, 'StepFunctions.DescribeExecution'), inner.isRunning(arn)),
    sendTaskSuccess: (token, output) => (bump(counts, 'StepFunctions.SendTaskSuccess'), inner.sendTaskSuccess(token, output)),
    sendTaskFailure: (token, error, cause) => (bump(counts, 'StepFunctions.SendTaskFailure'), inner.sendTaskFailure(token, error, cause)),
    // One page of 50 events, newest first, always reaches the bake's TaskScheduled.
    findBakeToken: (arn) => (bump(counts, 'StepFunctions.GetExecutionHistory'), inner.findBakeToken(arn)),
    findBake: (arn) => (bump(counts, 'StepFunctions.GetExecutionHistory'), inner.findBake(arn)),
  };
}
