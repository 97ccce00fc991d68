import {
  DescribeExecutionCommand,
  SendTaskFailureCommand,
  SendTaskSuccessCommand,
  StartExecutionCommand,
  GetExecutionHistoryCommand,
  TaskTimedOut,
} from '@aws-sdk/client-sfn';
import { main } from '../../../src/cli/main';
import { bakingHistory, harness, record, SPEC, STATE_MACHINE, verdictEvent } from './support';

type H = ReturnType<typeof harness>;
let h: H;

beforeEach(() => {
  h = harness();
});
afterEach(() => h.sfnMock.restore());

const run = (...args: string[]) => main(args, h.io);
const json = () => JSON.parse(h.out.text) as Record<string, any>;
const sent = (command: Parameters<H['sfnMock']['commandCalls']>[0]) => h.sfnMock.commandCalls(command);

const gate = { gate: 'beforePromotion' as const, token: 'gate-token-1', requestedAt: '2025-06-01T11:55:00.000Z', expiresAt: '2025-06-02T11:55:00.000Z' };

describe('canaryctl list', () => {
  it('shows running rollouts first, then recent ones, as a table', async () => {
    await h.store.putRollout(record({ rolloutId: 'user-service-old', status: 'promoted', startedAt: '2025-05-01T00:00:00.000Z', endedAt: '2025-05-01T00:20:00.000Z', step: 2, canaryWeight: 100 }));
    await h.store.putRollout(record({ rolloutId: 'user-service-new', status: 'rolled back', startedAt: '2025-06-01T10:00:00.000Z' }));
    await h.store.putRollout(record({ rolloutId: 'user-service-live', status: 'running', startedAt: '2025-05-31T00:00:00.000Z' }));

    expect(await run('list')).toBe(0);

    const lines = h.out.text.trim().split('\n');
    expect(lines[0]).toMatch(/^ROLLOUT\s+SPEC\s+STATUS\s+STEP\s+WEIGHT/);
    expect(lines.slice(1).map((l) => l.split(/\s+/)[0])).toEqual(['user-service-live', 'user-service-new', 'user-service-old']);
    expect(h.out.text).not.toContain('\u001b[');
  });

  it('prints records without the spec or task token with --json', async () => {
    await h.store.putRollout(record({ status: 'waiting', gate }));

    expect(await run('list', '--json')).toBe(0);

    const [r] = json().rollouts;
    expect(r).toMatchObject({ rolloutId: 'user-service-aaaa1111', specName: 'user-service', status: 'waiting', step: 1, steps: 3, canaryWeight: 50, revision: 'abc123' });
    expect(r.gate).toEqual({ gate: 'beforePromotion', requestedAt: gate.requestedAt, expiresAt: gate.expiresAt });
    expect(h.out.text).not.toContain('gate-token-1');
    expect(r.spec).toBeUndefined();
  });
});

describe('canaryctl status', () => {
  it('exits 3 with one line on stderr for an unknown rollout', async () => {
    expect(await run('status', 'nope')).toBe(3);
    expect(h.err.text).toBe('canaryctl: rollout nope not found\n');
    expect(h.out.text).toBe('');
  });

  it('shows the step, weights, last verdict with alarm names and states, and the waiting gate', async () => {
    await h.store.putRollout(record({ status: 'waiting', gate, step: 2, canaryWeight: 100 }));
    await h.store.appendEvent('user-service-aaaa1111', verdictEvent({ at: '2025-06-01T11:54:00.000Z', step: 2, weight: 100, verdict: 'healthy', message: 'all checks healthy' }));

    expect(await run('status', 'user-service-aaaa1111')).toBe(0);

    expect(h.out.text).toContain('Step:       3 of 3');
    expect(h.out.text).toContain('canary 100%, stable 0%');
    expect(h.out.text).toMatch(/user-p99\s+INSUFFICIENT_DATA\s+-\s+-\s+-\s+no datapoints/);
    expect(h.out.text).toContain('beforePromotion approval since');
    expect(h.out.text).toContain('canaryctl approve user-service-aaaa1111');
  });

  it('prints each sequential comparison against its boundary and margin, with its evidence over time', async () => {
    // Prepare: a check judged by the sequential test, evidence 5 of 20: log 1.61 of 3.00, the bar 11 of 20 (log scale).
    await h.store.putRollout(record());
    const sequential = {
      decision: 'continue' as const,
      alpha: 0.05,
      margin: 0.005,
      logE: Math.log(5),
      boundary: Math.log(20),
      upperDifference: 0.0123,
      trajectory: [[60, 0], [120, 0.8], [180, Math.log(5)]].map(([t, l]) => [t, l, null] as [number, number, null]),
    };
    const check = { name: 'errorRate', kind: 'compare' as const, state: 'OK' as const, reason: 'sequential', evidence: { sequential } };
    await h.store.appendEvent('user-service-aaaa1111', verdictEvent({ verdict: 'healthy', checks: [check], message: 'all 1 checks OK' }));

    // Act
    expect(await run('status', 'user-service-aaaa1111')).toBe(0);

    // Assess
    expect(h.out.text).toContain('errorRate (sequential, α 0.05): continue');
    expect(h.out.text).toContain('evidence of a regression 5 of 20 (rollback at 1/α) [###########.........]');
    expect(h.out.text).toContain('canary − stable ≤ 1.23 pts (always valid, 1 − α); not worse below 0.5 pts');
    expect(h.out.text).toMatch(/log evidence over time ▁▂▄ \(60s–3m after the start; top = boundary\)/);
    expect(await run('status', 'user-service-aaaa1111', '--json')).toBe(0);
    expect(JSON.parse(h.out.text.slice(h.out.text.indexOf('{'))).sequential[0]).toMatchObject({ name: 'errorRate', decision: 'continue', boundary: Math.log(20) });
  });

  it('shows each comparison with the canary, stable and limit it was judged on', async () => {
    await h.store.putRollout(record({ step: 1, canaryWeight: 25 }));
    const errorRate = {
      name: 'errorRate',
      kind: 'compare' as const,
      state: 'ALARM' as const,
      reason: 'canary errors 2.00% vs stable 0.10%, limit ≤ stable + 1 pts',
      evidence: { canary: '2.00% (20/1000)', stable: '0.10% (9/9000)', limit: '≤ stable + 1 pts' },
    };
    await h.store.appendEvent('user-service-aaaa1111', verdictEvent({ step: 1, weight: 25, verdict: 'failed', checks: [errorRate], message: 'errorRate failed' }));

    expect(await run('status', 'user-service-aaaa1111')).toBe(0);

    expect(h.out.text).toMatch(/errorRate\s+ALARM\s+2\.00% \(20\/1000\)\s+0\.10% \(9\/9000\)\s+≤ stable \+ 1 pts\s+canary errors 2\.00%/);
  });

  it('prints rollout, lastVerdict and events with --json', async () => {
    await h.store.putRollout(record());
    await h.store.appendEvent('user-service-aaaa1111', verdictEvent({ verdict: 'failed', checks: [{ name: 'user-5xx', kind: 'metric', state: 'ALARM', reason: 'Threshold crossed' }], message: 'user-5xx in ALARM' }));

    expect(await run('status', 'user-service-aaaa1111', '--json')).toBe(0);

    const out = json();
    expect(out.rollout).toMatchObject({ rolloutId: 'user-service-aaaa1111', status: 'running', step: 1, weights: [10, 50, 100] });
    expect(out.lastVerdict).toMatchObject({ verdict: 'failed', step: 0, checks: [{ name: 'user-5xx', state: 'ALARM', reason: 'Threshold crossed' }] });
    expect(out.events).toHaveLength(1);
  });
});

describe('canaryctl history', () => {
  it('lists the rollouts of one spec and exits 3 for an unknown spec', async () => {
    await h.store.putRollout(record({ status: 'rolled back', outcome: 'rolled back: step 2 (50%): user-5xx in ALARM' }));
    await h.store.putRollout(record({ rolloutId: 'orders-1', specName: 'orders' }));

    expect(await run('history', 'user-service', '--json')).toBe(0);
    expect(json().rollouts.map((r: { rolloutId: string }) => r.rolloutId)).toEqual(['user-service-aaaa1111']);

    expect(await run('history', 'payments')).toBe(3);
    expect(h.err.text).toContain('no rollouts of spec payments found');
  });
});

describe('canaryctl approve / reject', () => {
  it('says so, exits 4 and sends nothing when no gate is waiting', async () => {
    await h.store.putRollout(record({ status: 'running' }));

    expect(await run('approve', 'user-service-aaaa1111')).toBe(4);

    expect(h.err.text).toMatch(/^canaryctl: rollout user-service-aaaa1111 is not waiting for approval \(status: running\)\n$/);
    expect(sent(SendTaskSuccessCommand)).toHaveLength(0);
    expect(sent(SendTaskFailureCommand)).toHaveLength(0);
    expect((await h.store.getRollout('user-service-aaaa1111'))!.status).toBe('running');
  });

  it('approves the waiting gate with its token and records who and why', async () => {
    await h.store.putRollout(record({ status: 'waiting', gate }));
    h.sfnMock.on(SendTaskSuccessCommand).resolves({});

    expect(await run('approve', 'user-service-aaaa1111', '--reason', 'dashboards fine')).toBe(0);

    const [call] = sent(SendTaskSuccessCommand);
    expect(call!.args[0].input.taskToken).toBe('gate-token-1');
    expect(JSON.parse(call!.args[0].input.output!)).toEqual({ decision: 'approve', by: 'alice', reason: 'dashboards fine' });
    expect((await h.store.getRollout('user-service-aaaa1111'))!.gate).toBeUndefined();
    const events = await h.store.listEvents('user-service-aaaa1111');
    expect(events.at(-1)!.message).toBe('beforePromotion: approved by alice: dashboards fine');
  });

  it('rejects with Canary.Rejected, which rolls back', async () => {
    await h.store.putRollout(record({ status: 'waiting', gate }));
    h.sfnMock.on(SendTaskFailureCommand).resolves({});

    expect(await run('reject', 'user-service-aaaa1111', '--reason', 'wrong build', '--json')).toBe(0);

    const [call] = sent(SendTaskFailureCommand);
    expect(call!.args[0].input).toMatchObject({ taskToken: 'gate-token-1', error: 'Canary.Rejected', cause: 'wrong build (by alice)' });
    expect(json()).toMatchObject({ rolloutId: 'user-service-aaaa1111', gate: 'beforePromotion', decision: 'reject', by: 'alice' });
  });

  it('exits 4 when the gate timed out in Step Functions meanwhile', async () => {
    await h.store.putRollout(record({ status: 'waiting', gate }));
    h.sfnMock.on(SendTaskSuccessCommand).rejects(new TaskTimedOut({ message: 'timed out', $metadata: {} }));

    expect(await run('approve', 'user-service-aaaa1111')).toBe(4);
    expect(h.err.text).toContain('already decided or expired');
  });
});

describe('canaryctl abort', () => {
  it('sends Canary.Aborted to the bake token while baking', async () => {
    await h.store.putRollout(record());
    h.sfnMock.on(GetExecutionHistoryCommand).resolves(bakingHistory('bake-token-7'));
    h.sfnMock.on(SendTaskFailureCommand).resolves({});

    expect(await run('abort', 'user-service-aaaa1111', '--reason', 'p99 looks bad')).toBe(0);

    const calls = sent(SendTaskFailureCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.args[0].input).toEqual({ taskToken: 'bake-token-7', error: 'Canary.Aborted', cause: 'p99 looks bad (by alice)' });
    expect(h.out.text).toContain('rolls back now');
  });

  it('sends Canary.Aborted to the approval gate token while waiting at a gate', async () => {
    await h.store.putRollout(record({ status: 'waiting', gate }));
    h.sfnMock.on(SendTaskFailureCommand).resolves({});

    expect(await run('abort', 'user-service-aaaa1111', '--json')).toBe(0);

    expect(sent(SendTaskFailureCommand)[0]!.args[0].input).toMatchObject({ taskToken: 'gate-token-1', error: 'Canary.Aborted' });
    expect(json()).toMatchObject({ aborted: true, interrupted: 'beforePromotion approval' });
  });

  it('polls while a task runs, then exits 4 saying nothing could be interrupted', async () => {
    await h.store.putRollout(record());
    h.sfnMock.on(DescribeExecutionCommand).resolves({ status: 'RUNNING' });

    expect(await run('abort', 'user-service-aaaa1111')).toBe(4);

    expect(h.err.text).toContain('a task (shift, judgement or rollback) is running');
    expect(sent(GetExecutionHistoryCommand).length).toBeGreaterThan(1);
    expect(sent(SendTaskFailureCommand)).toHaveLength(0);
  });

  it('exits 4 for a rollout that already ended', async () => {
    await h.store.putRollout(record({ status: 'promoted' }));
    expect(await run('abort', 'user-service-aaaa1111')).toBe(4);
    expect(h.err.text).toContain('already ended (promoted)');
  });
});

describe('canaryctl promote', () => {
  it('ends the bake with skip: steps, recorded with who', async () => {
    await h.store.putRollout(record());
    h.sfnMock.on(GetExecutionHistoryCommand).resolves(bakingHistory('bake-token-2'));
    h.sfnMock.on(SendTaskSuccessCommand).resolves({});

    expect(await run('promote', 'user-service-aaaa1111')).toBe(0);

    const input = sent(SendTaskSuccessCommand)[0]!.args[0].input;
    expect(input.taskToken).toBe('bake-token-2');
    expect(JSON.parse(input.output!)).toEqual({ skip: 'steps', by: 'alice' });
  });

  it('skips the analysis too with --full', async () => {
    await h.store.putRollout(record());
    h.sfnMock.on(GetExecutionHistoryCommand).resolves(bakingHistory());
    h.sfnMock.on(SendTaskSuccessCommand).resolves({});

    expect(await run('promote', 'user-service-aaaa1111', '--full', '--json')).toBe(0);

    expect(JSON.parse(sent(SendTaskSuccessCommand)[0]!.args[0].input.output!)).toEqual({ skip: 'analysis', by: 'alice' });
    expect(json()).toMatchObject({ promoted: true, via: 'bake', skip: 'analysis' });
  });

  it('approves the beforePromotion gate when waiting there', async () => {
    await h.store.putRollout(record({ status: 'waiting', gate }));
    h.sfnMock.on(SendTaskSuccessCommand).resolves({});

    expect(await run('promote', 'user-service-aaaa1111')).toBe(0);

    expect(sent(SendTaskSuccessCommand)[0]!.args[0].input.taskToken).toBe('gate-token-1');
  });

  it('exits 4 and sends nothing when it cannot skip now', async () => {
    await h.store.putRollout(record());

    expect(await run('promote', 'user-service-aaaa1111')).toBe(4);

    expect(h.err.text).toContain('cannot skip ahead');
    expect(sent(SendTaskSuccessCommand)).toHaveLength(0);
  });
});

describe('canaryctl retry', () => {
  it('starts the newest failed rollout again with the same spec, revision and image', async () => {
    await h.store.putRollout(record({ rolloutId: 'user-service-old', status: 'promoted', startedAt: '2025-05-01T00:00:00.000Z', revision: 'old' }));
    await h.store.putRollout(record({ status: 'rolled back' }));
    h.sfnMock
      .on(DescribeExecutionCommand)
      .resolves({ input: JSON.stringify({ spec: SPEC, revision: 'abc123', image: 'repo/user:v2', source: 'ecr', waitForLock: true }) });
    h.sfnMock.on(StartExecutionCommand).resolves({ executionArn: `${STATE_MACHINE}:x` });

    expect(await run('retry', 'user-service', '--json')).toBe(0);

    const input = sent(StartExecutionCommand)[0]!.args[0].input;
    expect(input.stateMachineArn).toBe(STATE_MACHINE);
    expect(input.name).toBe('user-service-aaaa1111-retry-1');
    expect(JSON.parse(input.input!)).toEqual({
      spec: SPEC,
      revision: 'abc123',
      image: 'repo/user:v2',
      requestedBy: 'alice',
      source: 'canaryctl retry of user-service-aaaa1111',
    });
    expect(json()).toMatchObject({ rolloutId: 'user-service-aaaa1111-retry-1', retryOf: 'user-service-aaaa1111' });
  });

  it('numbers the next retry of a retry', async () => {
    await h.store.putRollout(record({ status: 'rolled back', startedAt: '2025-06-01T09:00:00.000Z' }));
    await h.store.putRollout(record({ rolloutId: 'user-service-aaaa1111-retry-1', status: 'failed' }));
    h.sfnMock.on(DescribeExecutionCommand).rejects(Object.assign(new Error('gone'), { name: 'ExecutionDoesNotExist' }));
    h.sfnMock.on(StartExecutionCommand).resolves({ executionArn: 'arn' });

    expect(await run('retry', 'user-service')).toBe(0);

    const input = sent(StartExecutionCommand)[0]!.args[0].input;
    expect(input.name).toBe('user-service-aaaa1111-retry-2');
    expect(JSON.parse(input.input!)).toMatchObject({ spec: SPEC, revision: 'abc123' });
  });

  it('exits 3 when no rollout of the spec failed, 4 when one is still running', async () => {
    await h.store.putRollout(record({ status: 'promoted' }));
    expect(await run('retry', 'user-service')).toBe(3);
    await h.store.putRollout(record({ rolloutId: 'user-service-live', status: 'running', startedAt: '2025-06-01T11:59:00.000Z' }));
    expect(await run('retry', 'user-service')).toBe(4);
    expect(sent(StartExecutionCommand)).toHaveLength(0);
  });

  it('refuses to retry a failure older than a promotion (it would deploy older code)', async () => {
    await h.store.putRollout(record({ status: 'rolled back', startedAt: '2025-06-01T09:00:00.000Z' }));
    await h.store.putRollout(record({ rolloutId: 'user-service-newer', status: 'promoted', startedAt: '2025-06-01T10:00:00.000Z' }));
    expect(await run('retry', 'user-service')).toBe(4);
    expect(sent(StartExecutionCommand)).toHaveLength(0);
  });
});

describe('canaryctl start', () => {
  it('starts from a spec file with --node and --image under a <spec>-<hash> name', async () => {
    h.sfnMock.on(StartExecutionCommand).resolves({ executionArn: `${STATE_MACHINE}:x` });

    expect(await run('start', '--file', 'examples/user-service.yaml', '--node', 'user-service-v3', '--image', 'repo/user:v3', '--json')).toBe(0);

    const input = sent(StartExecutionCommand)[0]!.args[0].input;
    expect(input.name).toMatch(/^user-service-[0-9a-f]{8}$/);
    const body = JSON.parse(input.input!);
    expect(body.spec.target.canary).toBe('user-service-v3');
    expect(body.image).toBe('repo/user:v3');
    expect(body.requestedBy).toBe('alice');
    expect(json().rolloutId).toBe(input.name);
  });

  it('starts from the spec recorded with the newest rollout of that name', async () => {
    await h.store.putRollout(record({ status: 'promoted' }));
    h.sfnMock.on(StartExecutionCommand).resolves({ executionArn: 'arn' });

    expect(await run('start', 'user-service')).toBe(0);

    expect(JSON.parse(sent(StartExecutionCommand)[0]!.args[0].input.input!)).toMatchObject({ spec: SPEC, revision: 'abc123' });
  });

  it('exits 3 for a spec it has never seen', async () => {
    expect(await run('start', 'payments')).toBe(3);
    expect(sent(StartExecutionCommand)).toHaveLength(0);
  });
});

describe('canaryctl unlock', () => {
  const holder = { rolloutId: 'user-service-aaaa1111', executionArn: 'arn:exec', specName: 'user-service' };

  it('refuses without --yes (exit 2) and clears a flagged lock with it', async () => {
    await h.store.acquireLocks(['my-mesh/user-router/user-route'], holder, async () => false);
    await h.store.flagLocks(['my-mesh/user-router/user-route'], holder.rolloutId, 'rollback failed');

    expect(await run('unlock', 'my-mesh/user-router/user-route')).toBe(2);
    expect(await h.store.getLock('my-mesh/user-router/user-route')).toBeDefined();

    expect(await run('unlock', 'my-mesh/user-router/user-route', '--yes')).toBe(0);
    expect(await h.store.getLock('my-mesh/user-router/user-route')).toBeUndefined();
    expect(h.out.text).toContain('flagged: rollback failed');
  });

  it('exits 3 for a route without a lock and 4 for a lock of a running rollout', async () => {
    expect(await run('unlock', 'nope', '--yes')).toBe(3);
    await h.store.acquireLocks(['k'], holder, async () => false);
    h.sfnMock.on(DescribeExecutionCommand).resolves({ status: 'RUNNING' });
    expect(await run('unlock', 'k', '--yes')).toBe(4);
    expect(await h.store.getLock('k')).toBeDefined();
  });
});

describe('errors', () => {
  it('exits 5 on missing credentials or access denied, with one line and no stack', async () => {
    await h.store.putRollout(record());
    h.sfnMock.on(GetExecutionHistoryCommand).rejects(Object.assign(new Error('User is not authorized to perform states:GetExecutionHistory'), { name: 'AccessDeniedException' }));

    expect(await run('promote', 'user-service-aaaa1111')).toBe(5);

    expect(h.err.text.trim().split('\n')).toHaveLength(1);
    expect(h.err.text).toMatch(/^canaryctl: AWS access problem: AccessDeniedException/);
  });

  it('prints the stack with --debug', async () => {
    h.io.context = async () => {
      throw new Error('boom');
    };
    expect(await run('list', '--debug')).toBe(1);
    expect(h.err.text).toContain('canaryctl: boom');
    expect(h.err.text).toContain('at ');
  });

  it('exits 2 on usage errors and 0 for --help', async () => {
    expect(await run('approve')).toBe(2);
    expect(await run('list', '--limit', 'many')).toBe(2);
    expect(await run('--help')).toBe(0);
    expect(h.out.text).toContain('Exit codes:');
  });

  it('guards run --local when the local runner is missing or --local is absent', async () => {
    expect(await run('run', 'spec.yaml')).toBe(2);
  });
});
