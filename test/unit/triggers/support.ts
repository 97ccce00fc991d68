import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SFNClient } from '@aws-sdk/client-sfn';
import { RecordingNotifier } from '../../../src/approvals/notifier';
import { MemoryDesiredStateStore } from '../../../src/gitops/desired-state';
import { contentHash } from '../../../src/gitops/spec-files';
import type { RolloutRecord } from '../../../src/rollouts/records';
import { SfnExecutions } from '../../../src/rollouts/sfn-executions';
import { MemoryStore } from '../../../src/rollouts/store';
import { parseSpecText } from '../../../src/spec/load';
import type { RolloutSpec } from '../../../src/spec';
import { RolloutStarter, type Log } from '../../../src/triggers/starter';

const FIXTURES = join(__dirname, '..', '..', 'fixtures', 'events');

export const STATE_MACHINE_ARN = 'arn:aws:states:us-east-1:123456789012:stateMachine:canary-controller-rollout-test';

/** A real-shaped event from test/fixtures/events, fresh for each call. */
export function fixture(name: string): Record<string, any> {
  return JSON.parse(readFileSync(join(FIXTURES, name), 'utf8')) as Record<string, any>;
}

/** A spec file's text from test/fixtures/events/specs. */
export function specText(name: string): string {
  return readFileSync(join(FIXTURES, 'specs', name), 'utf8');
}

export function spec(name: string): RolloutSpec {
  return parseSpecText(specText(name), `.canary/${name}`);
}

export const fixedNow = () => new Date('2026-03-02T12:00:00.000Z');

/** Collects log lines so tests can assert the one line that says why. */
export function recordingLog(): Log & { lines: Array<{ level: string; message: string }> } {
  const lines: Array<{ level: string; message: string }> = [];
  const log = ((level: string, message: string) => {
    lines.push({ level, message });
  }) as Log & { lines: typeof lines };
  log.lines = lines;
  return log;
}

/** A starter over a real SFNClient (mock it with aws-sdk-client-mock) and in-memory stores. */
export function harness() {
  const sfn = new SFNClient({});
  const store = new MemoryStore();
  const desired = new MemoryDesiredStateStore();
  const notifier = new RecordingNotifier();
  const log = recordingLog();
  const starter = new RolloutStarter({
    sfn,
    stateMachineArn: STATE_MACHINE_ARN,
    store,
    executions: new SfnExecutions(sfn),
    notifier,
    now: fixedNow,
    log,
    sleep: async () => undefined,
  });
  return { sfn, store, desired, notifier, log, starter, now: fixedNow };
}

/** Puts a synced spec in the desired state as if an earlier push had stored it. */
export async function seedDesired(desired: MemoryDesiredStateStore, s: RolloutSpec, text: string, extra: { latestRevision?: string; pushedAt?: string; repository?: string } = {}) {
  await desired.put({
    specName: s.name,
    spec: s,
    repository: extra.repository ?? 'platform-config',
    branch: 'main',
    path: `.canary/${s.name}.yaml`,
    commitId: '0f1e2d3c4b5a69788796a5b4c3d2e1f098765432',
    contentHash: contentHash(text),
    pushedAt: extra.pushedAt ?? '2026-03-01T08:00:00Z',
    syncedAt: '2026-03-01T08:00:01.000Z',
    ...(extra.latestRevision ? { latestRevision: extra.latestRevision } : {}),
  });
}

/** A running rollout record of a spec, as Prepare writes it. */
export function runningRecord(s: RolloutSpec, rolloutId: string, revision: string, extra: Partial<RolloutRecord> = {}): RolloutRecord {
  return {
    rolloutId,
    specName: s.name,
    executionArn: `arn:aws:states:us-east-1:123456789012:execution:canary-controller-rollout-test:${rolloutId}`,
    revision,
    status: 'running',
    routes: ['my-mesh/user-router/user-route'],
    weights: [10, 25, 50, 100],
    step: 1,
    canaryWeight: 25,
    startedAt: '2026-03-02T11:00:00.000Z',
    updatedAt: '2026-03-02T11:30:00.000Z',
    ...extra,
  };
}

/** GetExecutionHistory page of an execution baking now (newest first), with its task token. */
export function bakingHistory(token: string) {
  return {
    events: [
      {
        id: 42,
        timestamp: new Date(),
        type: 'TaskScheduled' as const,
        taskScheduledEventDetails: {
          resource: 'putEvents.waitForTaskToken',
          resourceType: 'events',
          region: 'us-east-1',
          parameters: JSON.stringify({ Entries: [{ Detail: { rolloutId: 'x', taskToken: token } }] }),
        },
      },
    ],
  };
}
