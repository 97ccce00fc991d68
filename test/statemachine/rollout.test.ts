import { GateNotWaitingError, decide } from '../../src/approvals/gates';
import { handler as alarmInterrupt } from '../../functions/alarm-interrupt';
import { localContext } from '../../src/local/handlers';
import { CANARY, Harness, STABLE, USER_ROUTE, specInput } from './harness';
import { serverError, throttled } from '../support/fake-aws';
import { estimateRolloutCost } from '../../src/plan/cost';
import { planRollout } from '../../src/plan';
import { parseSpec } from '../../src/spec';

const ROUTE_KEY = 'appmesh:my-mesh/user-router/user-route';
let h: Harness;

beforeEach(() => {
  h = new Harness();
});
afterEach(() => h.close());

describe('rollout state machine (real ASL, real handlers)', () => {
  describe('a healthy rollout', () => {
    it('goes 10 → 25 → 50 → 100, promotes, and keeps every other field of the route', async () => {
      const execution = h.start();
      const outcome = await execution.result;

      expect(outcome.status).toBe('SUCCEEDED');
      expect(h.mesh.weightsWritten('user-route', CANARY)).toEqual([10, 25, 50, 100, 100]);
      const final = h.mesh.spec('user-route');
      expect(final.httpRoute!.action!.weightedTargets).toEqual([{ virtualNode: CANARY, weight: 100 }]);
      expect({ ...final, httpRoute: { ...final.httpRoute, action: undefined } }).toEqual({ ...USER_ROUTE, httpRoute: { ...USER_ROUTE.httpRoute, action: undefined } });
      expect(await h.store.getLock(ROUTE_KEY)).toBeUndefined();
      expect((await h.store.getRollout(execution.name))?.status).toBe('promoted');
      expect(h.notifier.events.map((e) => e.type)).toEqual(['started', 'step-passed', 'step-passed', 'step-passed', 'step-passed', 'promoted']);
    });

    it('costs three state transitions and one Lambda invocation per traffic step', async () => {
      const execution = h.start();
      await execution.result;

      const entered = h.statesEntered(execution);
      const loop = entered.filter((s) => ['Step', 'Route', 'Bake'].includes(s));
      // 4 traffic steps of Step → Route → Bake, then the final Step → Route that judges step 4.
      expect(loop).toEqual([...Array(4).fill(['Step', 'Route', 'Bake']).flat(), 'Step', 'Route']);
      expect(entered).toEqual(['Prepare', 'ApprovalBeforeStart?', ...loop, 'Promote', 'ReleaseAfterPromotion', 'Promoted']);
      expect(h.engine.invocations.step).toBe(5);
    });
  });

  describe('cost model', () => {
    it.each([
      ['no gates', {}],
      ['both gates', { approval: { beforeStart: true, beforePromotion: true, timeout: '1h' } }],
    ])('predicts the transitions and invocations a promoted rollout really takes (%s)', async (_case, overrides) => {
      const raw = specInput(overrides);
      const execution = h.start(raw);
      const answered = (async () => {
        for (;;) {
          const record = await h.store.getRollout(execution.name);
          if (record?.gate) await decide({ rolloutId: execution.name, decision: 'approve' }, h.deps);
          if (execution.status !== 'RUNNING') return;
          await new Promise((r) => setTimeout(r, 5));
        }
      })();
      expect((await execution.result).status).toBe('SUCCEEDED');
      await answered;

      const spec = parseSpec(raw);
      const estimate = estimateRolloutCost(planRollout(spec), spec);
      const gates = Number(spec.approval.beforeStart) + Number(spec.approval.beforePromotion);
      expect(estimate.counts.stateTransitions).toBe(h.engine.transitions(execution.executionArn));
      // Locally gates are answered in-process; in AWS the approval endpoint's Lambda answers each.
      const invoked = Object.values(h.engine.invocations).reduce((a, b) => a + b, 0);
      expect(estimate.counts.lambdaInvocations).toBe(invoked + gates);
      expect(estimate.counts.describeAlarmsCalls).toBe(h.alarms.describeCalls);
    });
  });

  describe('judgement', () => {
    it('rolls back to the exact snapshot when an alarm fires at step 2', async () => {
      h.mesh.onUpdate = (_route, spec) => {
        if (spec.httpRoute?.action?.weightedTargets?.some((t) => t.virtualNode === CANARY && t.weight === 25)) h.alarms.set('user-service-5xx', 'ALARM', 'Threshold Crossed: 5xx > 1%');
      };
      const execution = h.start();
      const outcome = await execution.result;

      expect(outcome).toMatchObject({ status: 'FAILED', error: 'Canary.RolledBack' });
      expect(outcome.cause).toContain('step 2 (25%)');
      expect(outcome.cause).toContain('user-service-5xx in ALARM');
      expect(JSON.stringify(h.mesh.spec('user-route'))).toBe(JSON.stringify(USER_ROUTE));
      expect(h.mesh.weightsWritten('user-route', CANARY)).toEqual([10, 25, 0]);
      expect(await h.store.getLock(ROUTE_KEY)).toBeUndefined();
      const rolledBack = h.notifier.events.find((e) => e.type === 'rolled-back')!;
      expect(rolledBack).toMatchObject({ step: 1, weight: 25 });
      expect(rolledBack.checks).toEqual([expect.objectContaining({ name: 'user-service-5xx', state: 'ALARM' })]);
    });

    it('tolerates failed checks below the threshold by judging again at the same weight', async () => {
      let flaps = 0;
      h.mesh.onUpdate = (_r, spec) => {
        if (spec.httpRoute?.action?.weightedTargets?.some((t) => t.virtualNode === CANARY && t.weight === 10)) h.alarms.set('user-service-p99', 'ALARM');
      };
      // The alarm clears right after the judgement that saw it in ALARM: one flap, whatever the machine's speed.
      h.alarms.onDescribe = () => {
        if (h.alarms.states.get('user-service-p99')?.state === 'ALARM') {
          h.alarms.set('user-service-p99', 'OK');
          flaps++;
        }
      };
      const execution = h.start(specInput({ strategy: { steps: [10, 100], bake: '60s', threshold: 2 }, analysis: { alarms: ['user-service-p99'], recheckInterval: '60s' } }));
      const outcome = await execution.result;

      expect(flaps).toBe(1);
      expect(outcome.status).toBe('SUCCEEDED');
      const verdicts = (await h.store.listEvents(execution.name)).filter((e) => e.kind === 'verdict').map((e) => `${e.step}:${e.verdict}`);
      expect(verdicts[0]).toBe('0:inconclusive');
      expect(verdicts).toContain('0:healthy');
    });

    it('waits for data, then passes when the alarm gets data (onInsufficientData: wait)', async () => {
      h.alarms.set('user-service-p99', 'INSUFFICIENT_DATA');
      // Prepare's existence check is call 1; the judgements at 50 % are calls 2, 3, ...: data arrives after two re-checks.
      h.alarms.onDescribe = (call) => {
        if (call === 3) h.alarms.set('user-service-p99', 'OK');
      };
      const execution = h.start(specInput({ strategy: { steps: [50, 100], bake: '60s' }, analysis: { alarms: ['user-service-p99'], onInsufficientData: 'wait', insufficientDataLimit: 5, recheckInterval: '60s' } }));
      const outcome = await execution.result;

      expect(outcome.status).toBe('SUCCEEDED');
      expect(h.mesh.weightsWritten('user-route', CANARY).slice(0, 2)).toEqual([50, 100]);
      const verdicts = (await h.store.listEvents(execution.name)).filter((e) => e.kind === 'verdict').map((e) => `${e.step}:${e.verdict}`);
      expect(verdicts.slice(0, 3)).toEqual(['0:inconclusive', '0:inconclusive', '0:healthy']);
    });

    it('waits for data, then fails once the re-check limit is spent', async () => {
      h.alarms.set('user-service-p99', 'INSUFFICIENT_DATA');
      const execution = h.start(specInput({ strategy: { steps: [50, 100], bake: '60s' }, analysis: { alarms: ['user-service-p99'], onInsufficientData: 'wait', insufficientDataLimit: 2, recheckInterval: '60s' } }));
      const outcome = await execution.result;

      expect(outcome).toMatchObject({ status: 'FAILED', error: 'Canary.RolledBack' });
      expect(outcome.cause).toContain('still has insufficient data after 2 re-checks');
      const verdicts = (await h.store.listEvents(execution.name)).filter((e) => e.kind === 'verdict').map((e) => e.verdict);
      expect(verdicts).toEqual(['inconclusive', 'inconclusive', 'failed']);
      expect(JSON.stringify(h.mesh.spec('user-route'))).toBe(JSON.stringify(USER_ROUTE));
    });

    it('passes on missing data at once with onInsufficientData: pass, and rolls back with fail', async () => {
      h.alarms.set('user-service-p99', 'INSUFFICIENT_DATA');
      const passing = await h.start(specInput({ strategy: { steps: [100], bake: '60s' }, analysis: { alarms: ['user-service-p99'], onInsufficientData: 'pass' } })).result;
      expect(passing.status).toBe('SUCCEEDED');

      h.mesh.addRoute('user-route', USER_ROUTE);
      const failing = await h.start(specInput({ strategy: { steps: [100], bake: '60s' }, analysis: { alarms: ['user-service-p99'], onInsufficientData: 'fail' } })).result;
      expect(failing).toMatchObject({ status: 'FAILED', error: 'Canary.RolledBack' });
      expect(failing.cause).toContain('onInsufficientData: fail');
    });
  });

  describe('interruptible bake', () => {
    it('rolls back when an alarm enters ALARM mid-bake, without waiting for the bake to end', async () => {
      // A one-hour bake at real speed: only the interruption can end this test in time.
      const slow = new Harness({ timeScale: 1 });
      try {
        const execution = slow.start(specInput({ strategy: { steps: [10, 100], bake: '1h' } }));
        await slow.until(async () => (await slow.engine.findBakeToken(execution.executionArn)) !== undefined, 'first bake');
        slow.alarms.set('user-service-5xx', 'ALARM', 'Threshold Crossed');
        const interrupted = await alarmInterrupt(
          { 'detail-type': 'CloudWatch Alarm State Change', source: 'aws.cloudwatch', account: '000000000000', region: 'us-east-1', detail: { alarmName: 'user-service-5xx', state: { value: 'ALARM', reason: 'Threshold Crossed' } } },
          localContext('alarmInterrupt'),
        );
        const outcome = await execution.result;

        expect(interrupted).toEqual({ interrupted: [execution.name], skipped: [] });
        expect(outcome).toMatchObject({ status: 'FAILED', error: 'Canary.RolledBack' });
        expect(outcome.cause).toContain('step 1 (10%)');
        expect(JSON.stringify(slow.mesh.spec('user-route'))).toBe(JSON.stringify(USER_ROUTE));
        expect(execution.history.some((e) => e.type === 'StateCaught' && e.state === 'Bake')).toBe(true);
      } finally {
        slow.close();
      }
    });
  });

  describe('approval gates', () => {
    // A one-hour gate (18 s at this clock) is answered by the test; the 60 s gate (0.3 s) is left to time out.
    const gated = (onTimeout: 'rollback' | 'approve' = 'rollback', timeout = '1h') =>
      specInput({ strategy: { steps: [50, 100], bake: '60s' }, approval: { beforePromotion: true, timeout, onTimeout } });

    it('promotes after approval, recording who approved', async () => {
      const slow = new Harness({ timeScale: 0.005 });
      try {
        const execution = slow.start(gated());
        await slow.until(async () => (await slow.store.getRollout(execution.name))?.gate !== undefined, 'gate waiting');
        await decide({ rolloutId: execution.name, decision: 'approve', by: 'alice', reason: 'metrics look good' }, slow.deps);
        const outcome = await execution.result;

        expect(outcome.status).toBe('SUCCEEDED');
        const events = await slow.store.listEvents(execution.name);
        expect(events.find((e) => e.kind === 'approval-decided')?.message).toBe('beforePromotion: approved by alice: metrics look good');
      } finally {
        slow.close();
      }
    });

    it('rolls back when the approval is rejected', async () => {
      const execution = h.start(gated());
      await h.until(async () => (await h.store.getRollout(execution.name))?.gate !== undefined, 'gate waiting');
      await decide({ rolloutId: execution.name, decision: 'reject', by: 'bob', reason: 'p99 creeping up' }, h.deps);
      const outcome = await execution.result;

      expect(outcome).toMatchObject({ status: 'FAILED', error: 'Canary.RolledBack' });
      expect(outcome.cause).toBe('approval rejected: p99 creeping up (by bob)');
      expect(JSON.stringify(h.mesh.spec('user-route'))).toBe(JSON.stringify(USER_ROUTE));
    });

    it('refuses to decide a gate that is not waiting, and changes nothing', async () => {
      const execution = h.start(gated());
      await h.until(async () => (await h.store.getRollout(execution.name))?.gate !== undefined, 'gate waiting');
      await decide({ rolloutId: execution.name, decision: 'approve', by: 'alice' }, h.deps);

      await expect(decide({ rolloutId: execution.name, decision: 'reject', by: 'mallory' }, h.deps)).rejects.toBeInstanceOf(GateNotWaitingError);
      expect((await execution.result).status).toBe('SUCCEEDED');
    });

    it('follows onTimeout: rollback when nobody answers', async () => {
      const outcome = await h.start(gated('rollback', '60s')).result;
      expect(outcome).toMatchObject({ status: 'FAILED', error: 'Canary.RolledBack', cause: 'approval timed out (approval.onTimeout: rollback)' });
      expect(JSON.stringify(h.mesh.spec('user-route'))).toBe(JSON.stringify(USER_ROUTE));
    });

    it('follows onTimeout: approve when nobody answers', async () => {
      const outcome = await h.start(gated('approve', '60s')).result;
      expect(outcome.status).toBe('SUCCEEDED');
      expect(h.mesh.spec('user-route').httpRoute!.action!.weightedTargets).toEqual([{ virtualNode: CANARY, weight: 100 }]);
    });

    it('names the alarm, not the old gate timeout, when a rollout that continued on timeout rolls back later', async () => {
      h.mesh.onUpdate = (_r, spec) => {
        if (spec.httpRoute?.action?.weightedTargets?.some((t) => t.virtualNode === CANARY && t.weight === 50)) h.alarms.set('user-service-5xx', 'ALARM');
      };
      const outcome = await h.start(specInput({ strategy: { steps: [50, 100], bake: '60s' }, approval: { beforeStart: true, timeout: '60s', onTimeout: 'approve' } })).result;

      expect(outcome).toMatchObject({ status: 'FAILED', error: 'Canary.RolledBack' });
      expect(outcome.cause).toContain('user-service-5xx in ALARM');
    });

    it('asks before the first shift with beforeStart, and a rejection shifts nothing', async () => {
      const execution = h.start(specInput({ approval: { beforeStart: true, timeout: '1h' } }));
      await h.until(async () => (await h.store.getRollout(execution.name))?.gate?.gate === 'beforeStart', 'start gate waiting');
      await decide({ rolloutId: execution.name, decision: 'reject', reason: 'not today' }, h.deps);
      const outcome = await execution.result;

      expect(outcome).toMatchObject({ status: 'FAILED', error: 'Canary.RolledBack' });
      expect(h.mesh.updates).toEqual([]);
    });
  });

  describe('faults', () => {
    it('retries a throttled UpdateRoute and still completes', async () => {
      h.mesh.failNext('UpdateRoute', throttled(), throttled());
      const execution = h.start();
      const outcome = await execution.result;

      expect(outcome.status).toBe('SUCCEEDED');
      expect(execution.history.filter((e) => e.type === 'StateRetried' && e.state === 'Step')).toHaveLength(2);
      expect(h.mesh.weightsWritten('user-route', CANARY)).toEqual([10, 25, 50, 100, 100]);
    });

    it('ends restored when the rollback UpdateRoute fails twice', async () => {
      h.mesh.onUpdate = (_r, spec) => {
        if (spec.httpRoute?.action?.weightedTargets?.some((t) => t.virtualNode === CANARY && t.weight === 10)) {
          h.alarms.set('user-service-5xx', 'ALARM');
          h.mesh.onUpdate = () => undefined;
          // The next two writes are the rollback's.
          h.mesh.failNext('UpdateRoute', serverError(), throttled());
        }
      };
      const execution = h.start();
      const outcome = await execution.result;

      expect(outcome).toMatchObject({ status: 'FAILED', error: 'Canary.RolledBack' });
      expect(execution.history.filter((e) => e.type === 'StateRetried' && e.state === 'Rollback')).toHaveLength(2);
      expect(JSON.stringify(h.mesh.spec('user-route'))).toBe(JSON.stringify(USER_ROUTE));
      expect(await h.store.getLock(ROUTE_KEY)).toBeUndefined();
    });

    it('stops loudly instead of overwriting a route another writer changed', async () => {
      const foreign = { httpRoute: { match: { prefix: '/' }, action: { weightedTargets: [{ virtualNode: STABLE, weight: 70 }, { virtualNode: CANARY, weight: 30 }] } } };
      h.mesh.onUpdate = (route, spec) => {
        if (spec.httpRoute?.action?.weightedTargets?.some((t) => t.virtualNode === CANARY && t.weight === 10)) {
          h.mesh.onUpdate = () => undefined;
          setImmediate(() => h.mesh.externalWrite(route, foreign));
        }
      };
      const execution = h.start();
      const outcome = await execution.result;

      expect(outcome).toMatchObject({ status: 'FAILED', error: 'Canary.RollbackFailed' });
      expect(outcome.cause).toContain('user-route');
      expect(h.mesh.spec('user-route')).toEqual(foreign);
      expect((await h.store.getLock(ROUTE_KEY))?.needsAttention).toContain('ConcurrentModificationError');
      expect(h.notifier.events.at(-1)).toMatchObject({ type: 'rollback-failed', urgent: true });
    });
  });

  describe('writes whose answer is lost', () => {
    const at = (w: number) => (spec: { httpRoute?: { action?: { weightedTargets?: Array<{ virtualNode?: string; weight?: number }> } } }) =>
      spec.httpRoute?.action?.weightedTargets?.some((t) => t.virtualNode === CANARY && t.weight === w);

    it('retries a Step whose UpdateRoute was applied but answered with an error, without writing twice', async () => {
      h.mesh.onUpdate = (_r, spec) => {
        if (at(25)(spec)) {
          h.mesh.onUpdate = () => undefined;
          throw serverError(); // applied, then the answer is lost
        }
      };
      const outcome = await h.start().result;

      expect(outcome.status).toBe('SUCCEEDED');
      expect(h.mesh.weightsWritten('user-route', CANARY)).toEqual([10, 25, 50, 100, 100]);
    });

    it('rolls back to the snapshot when the rollout never learnt the version of its own last write', async () => {
      h.mesh.onUpdate = (_r, spec) => {
        if (at(25)(spec)) {
          h.mesh.onUpdate = () => undefined;
          const e = new Error('invalid request');
          e.name = 'BadRequestException';
          throw e; // applied, then a non-retryable answer: Step is caught into Rollback with the old versions
        }
      };
      const outcome = await h.start().result;

      expect(outcome).toMatchObject({ status: 'FAILED', error: 'Canary.RolledBack' });
      expect(JSON.stringify(h.mesh.spec('user-route'))).toBe(JSON.stringify(USER_ROUTE));
      expect(await h.store.getLock(ROUTE_KEY)).toBeUndefined();
    });

    it('keeps going when the history write after a shift fails', async () => {
      const append = h.store.appendEvent.bind(h.store);
      let failed = 0;
      h.store.appendEvent = async (id, event) => {
        if (event.kind === 'shifted' && event.weight === 25 && failed++ === 0) throw new Error('DynamoDB unavailable');
        return append(id, event);
      };
      const outcome = await h.start().result;

      expect(failed).toBeGreaterThan(0);
      expect(outcome.status).toBe('SUCCEEDED');
      expect(h.mesh.weightsWritten('user-route', CANARY)).toEqual([10, 25, 50, 100, 100]);
    });

    it('treats a malformed answer to a bake as the end of the bake, never as a reason to lose the rollout', async () => {
      const execution = h.start(specInput({ strategy: { steps: [50, 100], bake: '1h' } }));
      await h.until(async () => (await h.engine.findBakeToken(execution.executionArn)) !== undefined, 'first bake');
      await h.engine.sendTaskSuccess((await h.engine.findBakeToken(execution.executionArn))!, { skip: 'everything', by: 42 });
      await h.until(async () => (await h.engine.findBakeToken(execution.executionArn)) !== undefined, 'second bake');
      await h.engine.sendTaskSuccess((await h.engine.findBakeToken(execution.executionArn))!, 'done');
      const outcome = await execution.result;

      expect(outcome.status).toBe('SUCCEEDED');
      expect(h.mesh.weightsWritten('user-route', CANARY)).toEqual([50, 100, 100]);
    });
  });

  describe('Prepare', () => {
    it('fails on a route that could not take the canary (10 targets already) before any write', async () => {
      const mirrors = Array.from({ length: 9 }, (_, i) => ({ virtualNode: `mirror-${i}`, weight: i === 0 ? 19 : 9 }));
      h.mesh.addRoute('wide-route', { httpRoute: { match: { prefix: '/wide' }, action: { weightedTargets: [{ virtualNode: STABLE, weight: 0 }, ...mirrors] } } });
      const outcome = await h.start(specInput({ router: { appMesh: { mesh: 'my-mesh', virtualRouter: 'user-router', routes: ['user-route', 'wide-route'] } } })).result;

      expect(outcome).toMatchObject({ status: 'FAILED', error: 'UnsupportedError' });
      expect(outcome.cause).toContain('at most 10');
      expect(h.mesh.updates).toEqual([]);
    });

    it('gives the locks back when Prepare fails after taking them', async () => {
      h.store.putRollout = async () => {
        throw new Error('table is gone');
      };
      const outcome = await h.start().result;

      expect(outcome).toMatchObject({ status: 'FAILED' });
      expect(await h.store.getLock(ROUTE_KEY)).toBeUndefined();
      expect(await h.store.watchersOf('user-service-5xx')).toEqual([]);
    });

    it.each([
      ['an invalid spec', specInput({ strategy: { steps: [10, 25, 20, 100] } }), 'SpecValidationError', 'strategy.steps[2]: must be greater than 25'],
      ['an unknown route', specInput({ router: { appMesh: { mesh: 'my-mesh', virtualRouter: 'user-router', routes: ['nope'] } } }), 'ResourceNotFoundError', 'nope'],
      ['an unknown canary node', specInput({ target: { canary: 'user-service-v9' } }), 'ResourceNotFoundError', 'user-service-v9'],
      ['a missing alarm', specInput({ analysis: { alarms: ['user-service-5xx', 'does-not-exist'] } }), 'ConfigurationError', 'alarm "does-not-exist" not found'],
    ])('fails on %s, names it, and writes no route', async (_what, spec, error, message) => {
      const outcome = await h.start(spec).result;

      expect(outcome).toMatchObject({ status: 'FAILED', error });
      expect(outcome.cause).toContain(message);
      expect(h.mesh.updates).toEqual([]);
      expect(h.notifier.events.at(-1)).toMatchObject({ type: 'failed-to-start' });
      expect(await h.store.getLock(ROUTE_KEY)).toBeUndefined();
    });

    it('refuses a second rollout on a locked route, naming the holder', async () => {
      const first = h.start(specInput({ approval: { beforeStart: true, timeout: '1h' } }));
      await h.until(async () => (await h.store.getRollout(first.name))?.gate !== undefined, 'first holds the lock');
      const second = await h.start(specInput({ name: 'user-service-hotfix' })).result;

      expect(second).toMatchObject({ status: 'FAILED', error: 'RouteLockedError' });
      expect(second.cause).toContain(`route ${ROUTE_KEY} is locked by running rollout ${first.name}`);
      expect(h.mesh.updates).toEqual([]);
      await decide({ rolloutId: first.name, decision: 'reject' }, h.deps);
      await first.result;
    });

    it('takes over the lock of a rollout that is no longer running', async () => {
      await h.store.acquireLocks([ROUTE_KEY], { rolloutId: 'crashed', executionArn: 'arn:aws:states:us-east-1:000000000000:execution:rollout:crashed', specName: 'user-service' }, async () => true);
      const outcome = await h.start().result;
      expect(outcome.status).toBe('SUCCEEDED');
    });
  });
});
