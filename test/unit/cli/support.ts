import { GetExecutionHistoryCommand, SFNClient } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { Writable } from 'node:stream';
import type { CliContext } from '../../../src/cli/context';
import type { MainIo } from '../../../src/cli/main';
import type { RolloutEvent, RolloutRecord } from '../../../src/rollouts/records';
import { SfnExecutions } from '../../../src/rollouts/sfn-executions';
import { MemoryStore } from '../../../src/rollouts/store';

/** A Writable that keeps what was written. */
export class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer | string, _enc: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

export const STATE_MACHINE = 'arn:aws:states:us-east-1:123456789012:stateMachine:canary-controller-rollout-dev';
export const NOW = new Date('2025-06-01T12:00:00.000Z');

export const SPEC = {
  name: 'user-service',
  router: { appMesh: { mesh: 'my-mesh', virtualRouter: 'user-router', routes: ['user-route'] } },
  target: { canary: 'user-service-v2' },
  strategy: { steps: [10, 50, 100], bake: 300, threshold: 1, onNewRevision: 'supersede' },
  analysis: { alarms: ['user-5xx', 'user-p99'], onInsufficientData: 'wait', insufficientDataLimit: 3, recheckInterval: 30 },
  approval: { beforeStart: false, beforePromotion: true, timeout: 86400, onTimeout: 'rollback' },
};

export function record(overrides: Partial<RolloutRecord> = {}): RolloutRecord {
  const id = overrides.rolloutId ?? 'user-service-aaaa1111';
  return {
    rolloutId: id,
    specName: 'user-service',
    executionArn: `arn:aws:states:us-east-1:123456789012:execution:canary-controller-rollout-dev:${id}`,
    revision: 'abc123',
    status: 'running',
    routes: ['my-mesh/user-router/user-route'],
    weights: [10, 50, 100],
    step: 1,
    canaryWeight: 50,
    startedAt: '2025-06-01T11:40:00.000Z',
    updatedAt: '2025-06-01T11:50:00.000Z',
    spec: SPEC,
    ...overrides,
  };
}

export function verdictEvent(overrides: Partial<RolloutEvent> = {}): RolloutEvent {
  return {
    at: '2025-06-01T11:50:00.000Z',
    kind: 'verdict',
    step: 0,
    weight: 10,
    verdict: 'healthy',
    checks: [
      { name: 'user-5xx', kind: 'metric', state: 'OK' },
      { name: 'user-p99', kind: 'metric', state: 'INSUFFICIENT_DATA', reason: 'no datapoints' },
    ],
    message: 'all checks healthy',
    ...overrides,
  };
}

/** The execution history of an execution that is baking now: newest first, as findBakeToken reads it. */
export function bakingHistory(token = 'bake-token-1') {
  return {
    events: [
      {
        id: 12,
        type: 'TaskScheduled' as const,
        timestamp: NOW,
        taskScheduledEventDetails: {
          resourceType: 'events',
          resource: 'putEvents.waitForTaskToken',
          region: 'us-east-1',
          parameters: JSON.stringify({ Entries: [{ Detail: { rolloutId: 'x', taskToken: token } }] }),
        },
      },
    ],
  };
}

/** A context over an in-memory store and a mocked SFN client (real SfnExecutions adapter). */
export function harness() {
  const sfnMock = mockClient(SFNClient);
  sfnMock.on(GetExecutionHistoryCommand).resolves({ events: [{ id: 9, type: 'TaskStateExited', timestamp: NOW }] });
  const sfn = new SFNClient({});
  const store = new MemoryStore();
  const out = new Capture();
  const err = new Capture();
  let clock = NOW.getTime();
  const ctx: CliContext = {
    store,
    sfn,
    executions: new SfnExecutions(sfn),
    out,
    err,
    isTTY: false,
    now: () => new Date(clock),
    stateMachineArn: STATE_MACHINE,
    user: 'alice',
    sleep: async (ms) => {
      clock += ms;
    },
  };
  const io: MainIo = { out, err, isTTY: false, env: {}, context: async () => ctx, now: ctx.now };
  return { ctx, io, store, sfnMock, out, err };
}
