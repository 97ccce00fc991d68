import type { Context } from 'aws-lambda';
import { FanOutNotifier, type LifecycleEvent, type Notifier } from '../../src/approvals/notifier';
import { HANDLERS } from '../../src/local/handlers';
import { serverError } from '../support/fake-aws';
import { CANARY, Harness, STABLE, USER_ROUTE, specInput } from './harness';

const ROUTE_KEY = 'appmesh:my-mesh/user-router/user-route';
const spec = () => specInput({ strategy: { steps: [50, 100], bake: '60s' } });

/** What Step Functions reports when a Lambda's process dies (out of memory, timeout, crash). */
function crash(): Error {
  const e = new Error('RequestId: x Error: Runtime exited with error: signal: killed');
  e.name = 'Runtime.ExitError';
  return e;
}

/** The real handler runs (its writes happen), then the Lambda dies before answering, `times` times. */
function crashAfter(name: string, times = 1) {
  let left = times;
  return async (event: unknown, context: Context): Promise<unknown> => {
    const out = await HANDLERS[name]!(event, context);
    if (left-- > 0) throw crash();
    return out;
  };
}

/** Fails its first `failures` calls, then passes them to `fn`. */
function flaky<A extends unknown[], R>(failures: number, fn: (...args: A) => Promise<R>): (...args: A) => Promise<R> {
  let left = failures;
  return async (...args: A) => {
    if (left-- > 0) throw serverError();
    return fn(...args);
  };
}

/** A channel that refuses its first `failures` deliveries of urgent events. */
class FlakyChannel implements Notifier {
  readonly delivered: LifecycleEvent[] = [];
  constructor(private failures: number) {}
  async notify(event: LifecycleEvent): Promise<void> {
    if (event.urgent && this.failures-- > 0) throw new Error('SNS: InternalError');
    this.delivered.push(event);
  }
}

let h: Harness;
afterEach(() => h.close());

describe('rollout reliability (real ASL, real handlers)', () => {
  describe('locks', () => {
    it('gives the locks back when Prepare crashes right after taking them', async () => {
      h = new Harness({ handlers: { prepare: crashAfter('prepare') } });
      const execution = h.start(spec());
      const outcome = await execution.result;

      expect(outcome).toMatchObject({ status: 'FAILED', error: 'Runtime.ExitError' });
      expect(h.statesEntered(execution)).toEqual(['Prepare', 'ReleaseAfterFailedStart', 'ReportFailedToStart', 'FailedToStart']);
      expect(await h.store.getLock(ROUTE_KEY)).toBeUndefined();
      expect(h.mesh.updates).toEqual([]);
    });

    it('retries the final release until it is done', async () => {
      h = new Harness();
      h.store.releaseLocks = flaky(3, h.store.releaseLocks.bind(h.store));
      const execution = h.start(spec());
      const outcome = await execution.result;

      expect(outcome.status).toBe('SUCCEEDED');
      expect(execution.history.filter((e) => e.type === 'StateRetried' && e.state === 'ReleaseAfterPromotion')).toHaveLength(3);
      expect(await h.store.getLock(ROUTE_KEY)).toBeUndefined();
    });

    it('does not roll back a promotion whose Lambda crashed after the route write: the retry writes nothing and ends promoted', async () => {
      h = new Harness({ handlers: { promote: crashAfter('promote') } });
      const execution = h.start(spec());
      const outcome = await execution.result;

      expect(outcome.status).toBe('SUCCEEDED');
      expect(h.statesEntered(execution)).not.toContain('Rollback');
      expect(h.mesh.weightsWritten('user-route', CANARY)).toEqual([50, 100, 100]);
      expect(h.mesh.spec('user-route').httpRoute!.action!.weightedTargets).toEqual([{ virtualNode: CANARY, weight: 100 }]);
      expect(await h.store.getLock(ROUTE_KEY)).toBeUndefined();
    });
  });

  describe('the loud end under a second fault', () => {
    it('flags the lock and delivers the alert even when flagging and every channel fail at first', async () => {
      h = new Harness();
      const channel = new FlakyChannel(2);
      h.deps.notifier = new FanOutNotifier([channel]);
      h.store.flagLocks = flaky(1, h.store.flagLocks.bind(h.store));
      // Another writer moves the route at 50 %: the rollback must not overwrite it.
      const foreign = { httpRoute: { match: { prefix: '/' }, action: { weightedTargets: [{ virtualNode: STABLE, weight: 70 }, { virtualNode: CANARY, weight: 30 }] } } };
      h.mesh.onUpdate = (route) => {
        h.mesh.onUpdate = () => undefined;
        setImmediate(() => h.mesh.externalWrite(route, foreign));
      };
      h.alarms.set('user-service-5xx', 'ALARM');
      const execution = h.start(spec());
      const outcome = await execution.result;

      expect(outcome).toMatchObject({ status: 'FAILED', error: 'Canary.RollbackFailed' });
      expect(execution.history.filter((e) => e.type === 'StateRetried' && e.state === 'RollbackFailed')).toHaveLength(3);
      expect((await h.store.getLock(ROUTE_KEY))?.needsAttention).toContain('ConcurrentModificationError');
      expect(channel.delivered.filter((e) => e.type === 'rollback-failed')).toHaveLength(1);
      expect((await h.store.getRollout(execution.name))?.alertDeliveredAt).toEqual(expect.any(String));
      expect(h.mesh.spec('user-route')).toEqual(foreign);
    });
  });

  describe('a route that is not clean', () => {
    const split = { ...USER_ROUTE, httpRoute: { ...USER_ROUTE.httpRoute!, action: { weightedTargets: [{ virtualNode: STABLE, weight: 75 }, { virtualNode: CANARY, weight: 25 }] } } };

    it('refuses to take a split left by an earlier rollout that did not end cleanly, naming it, and alerts', async () => {
      h = new Harness();
      // An earlier rollout of the spec ended without closing (its loud end never ran) and left 75/25.
      await h.store.putRollout({
        rolloutId: 'earlier-rollout',
        specName: 'user-service',
        executionArn: 'arn:aws:states:us-east-1:000000000000:execution:rollout:earlier-rollout',
        status: 'running',
        routes: [ROUTE_KEY],
        weights: [25, 100],
        step: 0,
        canaryWeight: 25,
        startedAt: '2026-01-01T00:00:00.000Z',
        updatedAt: '2026-01-01T00:00:00.000Z',
        spec: specInput(),
      });
      h.mesh.externalWrite('user-route', split);
      const execution = h.start(spec());
      const outcome = await execution.result;

      expect(outcome).toMatchObject({ status: 'FAILED', error: 'RouteNotCleanError' });
      expect(outcome.cause).toContain('earlier-rollout');
      expect(h.mesh.updates).toEqual([]);
      expect(h.mesh.spec('user-route')).toEqual(split);
      expect(await h.store.getLock(ROUTE_KEY)).toBeUndefined();
      expect(h.notifier.events).toEqual([expect.objectContaining({ type: 'failed-to-start', urgent: true, reason: expect.stringContaining('earlier-rollout') })]);
    });

    it('refuses a route whose traffic is already split toward its canary, even with no history', async () => {
      h = new Harness();
      h.mesh.externalWrite('user-route', split);
      const outcome = await h.start(spec()).result;

      expect(outcome).toMatchObject({ status: 'FAILED', error: 'RouteNotCleanError' });
      expect(h.mesh.updates).toEqual([]);
    });

    it('starts on a route an earlier rollout promoted even when that rollout never recorded its end', async () => {
      h = new Harness();
      await h.store.putRollout({
        rolloutId: 'promoted-unrecorded',
        specName: 'user-service',
        executionArn: 'arn:aws:states:us-east-1:000000000000:execution:rollout:promoted-unrecorded',
        status: 'running',
        routes: [ROUTE_KEY],
        weights: [100],
        step: 0,
        canaryWeight: 100,
        startedAt: '2026-01-01T00:00:00.000Z',
        updatedAt: '2026-01-01T00:00:00.000Z',
        spec: specInput({ target: { canary: STABLE } }),
      });
      const outcome = await h.start(spec()).result;

      expect(outcome.status).toBe('SUCCEEDED');
    });
  });
});
