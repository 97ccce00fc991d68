import { createRouter } from '../../src/routers';
import { configureDeps } from '../../src/rollouts/deps';
import { FakeVpcLattice, LATTICE, latticeThrottled } from '../support/fake-vpc-lattice';
import { Harness, specInput } from './harness';

const { service, listener, apiRule, legacyRule, stable, canary } = LATTICE;
const ROUTES = ['default', apiRule, legacyRule] as const;
const KEYS = [`vpc-lattice:${service}/${listener}`, `vpc-lattice:${service}/${listener}/${apiRule}`, `vpc-lattice:${service}/${listener}/${legacyRule}`];

let h: Harness;
let lattice: FakeVpcLattice;

beforeEach(() => {
  h = new Harness();
  lattice = new FakeVpcLattice().seedUserService();
  // The same real handlers and ASL; only the router's client is the Lattice fake.
  configureDeps({ ...h.deps, routerFor: (spec) => createRouter(spec, { vpcLattice: lattice.client }) });
});
afterEach(() => {
  h.close();
  lattice.restore();
});

/** The harness' spec with the router and targets replaced (specInput merges objects, and a spec names one router). */
function latticeSpec(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { ...specInput(overrides), router: { vpcLattice: { service, listener } }, target: { canary, stable } };
}
const contents = () => Object.fromEntries(ROUTES.map((r) => [r, lattice.content(r)]));

describe('rollout state machine with the VPC Lattice router (real ASL, real handlers)', () => {
  it('goes 10 → 25 → 50 → 100 on the default action and every stable rule, promotes, and keeps match and priority', async () => {
    const before = contents();
    const outcome = await h.start(latticeSpec()).result;

    expect([outcome.status, outcome.error, outcome.cause]).toEqual(['SUCCEEDED', undefined, undefined]);
    expect(lattice.sharesWritten('default', stable, canary)).toEqual([10, 25, 50, 100, 100]);
    expect(lattice.sharesWritten(apiRule, stable, canary)).toEqual([10, 25, 50, 100, 100]);
    expect(Object.keys(lattice.weights('default'))).toEqual([canary]);
    for (const r of [apiRule, legacyRule]) {
      expect(lattice.content(r).match).toEqual(before[r]!.match);
      expect(lattice.content(r).priority).toEqual(before[r]!.priority);
    }
    for (const key of KEYS) expect(await h.store.getLock(key)).toBeUndefined();
  });

  it('restores every route exactly when an alarm fires at step 2', async () => {
    const before = contents();
    lattice.onWrite = (route) => {
      if (route === 'default' && lattice.weights('default')[canary] && lattice.sharesWritten('default', stable, canary).at(-1) === 25) h.alarms.set('user-service-5xx', 'ALARM', 'Threshold Crossed');
    };
    const execution = h.start(latticeSpec());
    const outcome = await execution.result;

    expect(outcome).toMatchObject({ status: 'FAILED', error: 'Canary.RolledBack' });
    expect(outcome.cause).toContain('step 2 (25%)');
    expect(contents()).toEqual(before);
    expect(lattice.sharesWritten('default', stable, canary)).toEqual([10, 25, 0]);
    for (const key of KEYS) expect(await h.store.getLock(key)).toBeUndefined();
    expect((await h.store.getRollout(execution.name))?.status).toBe('rolled back');
  });

  it('retries a throttled write and still promotes', async () => {
    lattice.failNext('UpdateRule', latticeThrottled(), latticeThrottled());
    const outcome = await h.start(latticeSpec()).result;

    expect(outcome.status).toBe('SUCCEEDED');
    expect(lattice.calls.UpdateRule).toBe(lattice.writes.filter((w) => w.route !== 'default').length + 2);
    expect(lattice.sharesWritten(apiRule, stable, canary)).toEqual([10, 25, 50, 100, 100]);
  });

  it('recognises a write whose answer was lost as its own on the retried step, not as another writer', async () => {
    lattice.loseNextAnswer('UpdateListener');
    const outcome = await h.start(latticeSpec()).result;

    expect(outcome.status).toBe('SUCCEEDED');
    // The lost write took effect once; the retry found it in place and did not write it again.
    expect(lattice.sharesWritten('default', stable, canary)).toEqual([10, 25, 50, 100, 100]);
  });

  it('stops loudly and keeps the lock flagged when another writer moves a rule mid-rollout', async () => {
    lattice.onWrite = (route) => {
      if (route === apiRule && lattice.sharesWritten(apiRule, stable, canary).length === 1) lattice.externalWrite(apiRule, { priority: 42 });
    };
    const execution = h.start(latticeSpec());
    const outcome = await execution.result;

    expect(outcome).toMatchObject({ status: 'FAILED', error: 'Canary.RollbackFailed' });
    expect(outcome.cause).toContain(apiRule);
    // The other writer's change is kept, not overwritten.
    expect(lattice.content(apiRule).priority).toBe(42);
    expect((await h.store.getLock(KEYS[1]!))?.needsAttention).toContain('ConcurrentModificationError');
    expect(h.notifier.events.at(-1)).toMatchObject({ type: 'rollback-failed', urgent: true });
  });
});
