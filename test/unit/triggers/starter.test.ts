import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  ExecutionDoesNotExist,
  GetExecutionHistoryCommand,
  SendTaskFailureCommand,
  SFNClient,
  StartExecutionCommand,
  TaskDoesNotExist,
} from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { executionArnFor, executionName } from '../../../src/triggers/names';
import { bakingHistory, harness, runningRecord, spec, STATE_MACHINE_ARN } from './support';

const sfn = mockClient(SFNClient);
const NEW_DIGEST = 'sha256:2222222222222222222222222222222222222222222222222222222222222222';
const OLD_DIGEST = 'sha256:1111111111111111111111111111111111111111111111111111111111111111';

function notFound() {
  return new ExecutionDoesNotExist({ message: 'Execution Does Not Exist', $metadata: {} });
}

const commandNames = () => sfn.calls().map((c) => (c.args[0] as object).constructor.name);

beforeEach(() => {
  sfn.reset();
});

describe('executionName', () => {
  it('is the spec name and 16 hex of the revision hash, within the Step Functions limits', () => {
    const name = executionName('a'.repeat(63), NEW_DIGEST);
    expect(name).toMatch(/^a{40}-[0-9a-f]{16}$/);
    expect(name.length).toBeLessThanOrEqual(80);
    expect(executionName('user-service', NEW_DIGEST)).toBe(executionName('user-service', NEW_DIGEST));
    expect(executionName('user-service', NEW_DIGEST)).not.toBe(executionName('user-service', OLD_DIGEST));
  });
});

describe('RolloutStarter', () => {
  const user = spec('user-service.yaml');
  const newName = executionName('user-service', NEW_DIGEST);
  const newArn = executionArnFor(STATE_MACHINE_ARN, newName);
  const old = runningRecord(user, 'user-service-old', OLD_DIGEST);

  describe('with nothing running', () => {
    it('starts the rollout with the idempotent name, the revision, the pinned image and waitForLock', async () => {
      const h = harness();
      sfn.on(DescribeExecutionCommand).rejects(notFound());
      sfn.on(StartExecutionCommand).resolves({ executionArn: newArn, startDate: new Date() });

      const out = await h.starter.start({ spec: user, revision: NEW_DIGEST, image: 'registry/user-service@' + NEW_DIGEST, source: 'ecr:user-service:v1.3.0' });

      expect(out).toMatchObject({ kind: 'started', executionName: newName, executionArn: newArn, waitForLock: true, aborted: [], waitsFor: [] });
      expect(commandNames()).toEqual(['DescribeExecutionCommand', 'StartExecutionCommand']);
      const start = sfn.commandCalls(StartExecutionCommand)[0]!.args[0].input;
      expect(start.stateMachineArn).toBe(STATE_MACHINE_ARN);
      expect(start.name).toBe(newName);
      expect(JSON.parse(start.input!)).toEqual({
        spec: JSON.parse(JSON.stringify(user)),
        revision: NEW_DIGEST,
        image: 'registry/user-service@' + NEW_DIGEST,
        source: 'ecr:user-service:v1.3.0',
        waitForLock: true,
      });
    });
  });

  describe('duplicates', () => {
    it('starts nothing when the execution of this revision already exists', async () => {
      const h = harness();
      sfn.on(DescribeExecutionCommand, { executionArn: newArn }).resolves({ status: 'RUNNING', executionArn: newArn });

      const out = await h.starter.start({ spec: user, revision: NEW_DIGEST, source: 'ecr:user-service:v1.3.0' });

      expect(out).toEqual({ kind: 'alreadyStarted', specName: 'user-service', revision: NEW_DIGEST, executionName: newName });
      expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
      expect(sfn.commandCalls(SendTaskFailureCommand)).toHaveLength(0);
    });

    it('counts ExecutionAlreadyExists from a concurrent delivery as already started, not as an error, and aborts nothing', async () => {
      const h = harness();
      await h.store.putRollout(old);
      sfn.on(DescribeExecutionCommand, { executionArn: newArn }).rejects(notFound());
      sfn.on(DescribeExecutionCommand, { executionArn: old.executionArn }).resolves({ status: 'RUNNING' });
      sfn.on(StartExecutionCommand).rejects(new ExecutionAlreadyExists({ message: 'Execution Already Exists', $metadata: {} }));

      const out = await h.starter.start({ spec: user, revision: NEW_DIGEST, source: 'ecr:user-service:v1.3.0' });

      expect(out.kind).toBe('alreadyStarted');
      expect(sfn.commandCalls(SendTaskFailureCommand)).toHaveLength(0);
    });
  });

  describe('onNewRevision: supersede', () => {
    it('starts the new revision with waitForLock, then fails the running bake with Canary.Aborted', async () => {
      const h = harness();
      await h.store.putRollout(old);
      sfn.on(DescribeExecutionCommand, { executionArn: newArn }).rejects(notFound());
      sfn.on(DescribeExecutionCommand, { executionArn: old.executionArn }).resolves({ status: 'RUNNING' });
      sfn.on(StartExecutionCommand).resolves({ executionArn: newArn, startDate: new Date() });
      sfn.on(GetExecutionHistoryCommand).resolves(bakingHistory('bake-token-of-old'));
      sfn.on(SendTaskFailureCommand).resolves({});

      const out = await h.starter.start({ spec: user, revision: NEW_DIGEST, source: 'ecr:user-service:v1.3.0' });

      expect(out).toMatchObject({ kind: 'started', waitForLock: true, aborted: ['user-service-old'], waitsFor: [] });
      expect(commandNames()).toEqual([
        'DescribeExecutionCommand',
        'DescribeExecutionCommand',
        'StartExecutionCommand',
        'GetExecutionHistoryCommand',
        'SendTaskFailureCommand',
      ]);
      expect(JSON.parse(sfn.commandCalls(StartExecutionCommand)[0]!.args[0].input.input!).waitForLock).toBe(true);
      expect(sfn.commandCalls(GetExecutionHistoryCommand)[0]!.args[0].input.executionArn).toBe(old.executionArn);
      expect(sfn.commandCalls(SendTaskFailureCommand)[0]!.args[0].input).toEqual({
        taskToken: 'bake-token-of-old',
        error: 'Canary.Aborted',
        cause: `superseded by revision ${NEW_DIGEST} (rollout ${newName})`,
      });
    });

    it('aborts a rollout waiting at an approval gate through the gate token of its record', async () => {
      const h = harness();
      await h.store.putRollout({ ...old, status: 'waiting', gate: { gate: 'beforePromotion', token: 'gate-token', requestedAt: 'x', expiresAt: 'y' } });
      sfn.on(DescribeExecutionCommand, { executionArn: newArn }).rejects(notFound());
      sfn.on(DescribeExecutionCommand, { executionArn: old.executionArn }).resolves({ status: 'RUNNING' });
      sfn.on(StartExecutionCommand).resolves({ executionArn: newArn });
      sfn.on(SendTaskFailureCommand).resolves({});

      await h.starter.start({ spec: user, revision: NEW_DIGEST, source: 'ecr:user-service:v1.3.0' });

      expect(sfn.commandCalls(GetExecutionHistoryCommand)).toHaveLength(0);
      expect(sfn.commandCalls(SendTaskFailureCommand)[0]!.args[0].input).toMatchObject({ taskToken: 'gate-token', error: 'Canary.Aborted' });
    });

    it('lets the new rollout wait when the running one is between two waits and no token is found', async () => {
      const h = harness();
      await h.store.putRollout(old);
      sfn.on(DescribeExecutionCommand, { executionArn: newArn }).rejects(notFound());
      sfn.on(DescribeExecutionCommand, { executionArn: old.executionArn }).resolves({ status: 'RUNNING' });
      sfn.on(StartExecutionCommand).resolves({ executionArn: newArn });
      sfn.on(GetExecutionHistoryCommand).resolves({ events: [{ id: 9, timestamp: new Date(), type: 'TaskStateExited' }] });

      const out = await h.starter.start({ spec: user, revision: NEW_DIGEST, source: 'ecr:user-service:v1.3.0' });

      expect(out).toMatchObject({ kind: 'started', waitForLock: true, aborted: [], waitsFor: ['user-service-old'] });
      expect(sfn.commandCalls(GetExecutionHistoryCommand)).toHaveLength(3);
      expect(sfn.commandCalls(SendTaskFailureCommand)).toHaveLength(0);
      expect(h.log.lines.at(-1)!.message).toMatch(/not waiting at a bake or gate/);
    });

    it('tries again when the token went stale between reading and failing it', async () => {
      const h = harness();
      await h.store.putRollout(old);
      sfn.on(DescribeExecutionCommand, { executionArn: newArn }).rejects(notFound());
      sfn.on(DescribeExecutionCommand, { executionArn: old.executionArn }).resolves({ status: 'RUNNING' });
      sfn.on(StartExecutionCommand).resolves({ executionArn: newArn });
      sfn.on(GetExecutionHistoryCommand).resolvesOnce(bakingHistory('stale')).resolves(bakingHistory('fresh'));
      sfn.on(SendTaskFailureCommand, { taskToken: 'stale' }).rejects(new TaskDoesNotExist({ message: 'gone', $metadata: {} }));
      sfn.on(SendTaskFailureCommand, { taskToken: 'fresh' }).resolves({});

      const out = await h.starter.start({ spec: user, revision: NEW_DIGEST, source: 'ecr:user-service:v1.3.0' });

      expect(out).toMatchObject({ aborted: ['user-service-old'] });
      expect(sfn.commandCalls(SendTaskFailureCommand).map((c) => c.args[0].input.taskToken)).toEqual(['stale', 'fresh']);
    });

    it('ignores records of rollouts whose execution already ended', async () => {
      const h = harness();
      await h.store.putRollout(old);
      sfn.on(DescribeExecutionCommand, { executionArn: newArn }).rejects(notFound());
      sfn.on(DescribeExecutionCommand, { executionArn: old.executionArn }).resolves({ status: 'FAILED' });
      sfn.on(StartExecutionCommand).resolves({ executionArn: newArn });

      const out = await h.starter.start({ spec: user, revision: NEW_DIGEST, source: 'ecr:user-service:v1.3.0' });

      expect(out).toMatchObject({ aborted: [], waitsFor: [] });
      expect(sfn.commandCalls(SendTaskFailureCommand)).toHaveLength(0);
    });
  });

  describe('onNewRevision: queue', () => {
    it('starts the new revision with waitForLock and aborts nothing', async () => {
      const h = harness();
      const queued = { ...user, strategy: { ...user.strategy, onNewRevision: 'queue' as const } };
      await h.store.putRollout(old);
      sfn.on(DescribeExecutionCommand, { executionArn: newArn }).rejects(notFound());
      sfn.on(DescribeExecutionCommand, { executionArn: old.executionArn }).resolves({ status: 'RUNNING' });
      sfn.on(StartExecutionCommand).resolves({ executionArn: newArn });

      const out = await h.starter.start({ spec: queued, revision: NEW_DIGEST, source: 'ecr:user-service:v1.3.0' });

      expect(out).toMatchObject({ kind: 'started', waitForLock: true, aborted: [], waitsFor: ['user-service-old'] });
      expect(commandNames()).toEqual(['DescribeExecutionCommand', 'DescribeExecutionCommand', 'StartExecutionCommand']);
      expect(JSON.parse(sfn.commandCalls(StartExecutionCommand)[0]!.args[0].input.input!).waitForLock).toBe(true);
    });
  });

  describe('onNewRevision: reject', () => {
    const rejecting = { ...user, strategy: { ...user.strategy, onNewRevision: 'reject' as const } };

    it('starts nothing while another revision runs, and says so in one line and one notification', async () => {
      const h = harness();
      await h.store.putRollout(old);
      sfn.on(DescribeExecutionCommand, { executionArn: newArn }).rejects(notFound());
      sfn.on(DescribeExecutionCommand, { executionArn: old.executionArn }).resolves({ status: 'RUNNING' });

      const out = await h.starter.start({ spec: rejecting, revision: NEW_DIGEST, source: 'ecr:user-service:v1.3.0' });

      expect(out).toMatchObject({ kind: 'rejected', executionName: newName });
      expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
      expect(sfn.commandCalls(SendTaskFailureCommand)).toHaveLength(0);
      expect(h.log.lines).toHaveLength(1);
      expect(h.log.lines[0]!.message).toMatch(/user-service: revision sha256:2+ rejected: onNewRevision is reject and rollout user-service-old/);
      expect(h.notifier.events).toEqual([expect.objectContaining({ type: 'failed-to-start', specName: 'user-service', revision: NEW_DIGEST })]);
    });

    it('starts without waitForLock when nothing runs (a held lock then fails the start loudly)', async () => {
      const h = harness();
      sfn.on(DescribeExecutionCommand).rejects(notFound());
      sfn.on(StartExecutionCommand).resolves({ executionArn: newArn });

      const out = await h.starter.start({ spec: rejecting, revision: NEW_DIGEST, source: 'ecr:user-service:v1.3.0' });

      expect(out).toMatchObject({ kind: 'started', waitForLock: false });
      expect(JSON.parse(sfn.commandCalls(StartExecutionCommand)[0]!.args[0].input.input!)).not.toHaveProperty('waitForLock');
    });
  });
});
