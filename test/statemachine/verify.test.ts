import { createRouter } from '../../src/routers';
import { configureDeps } from '../../src/rollouts/deps';
import { FakeVpcLattice, LATTICE } from '../support/fake-vpc-lattice';
import { CANARY, Harness, STABLE, USER_ROUTE, specInput } from './harness';

/**
 * Issue #10 item 6, for every router: after each weight write the Step reads the routes back. A
 * write not visible yet is read again; one that never shows fails the step loudly into Rollback.
 * Shown with the VPC Lattice fake (eventually consistent reads, dropped writes) and App Mesh.
 */
const { service, listener, apiRule, stable, canary } = LATTICE;
let h: Harness;
let lattice: FakeVpcLattice;

beforeEach(() => {
  h = new Harness();
  lattice = new FakeVpcLattice().seedUserService();
  configureDeps({ ...h.deps, routerFor: (spec) => createRouter(spec, spec.router.vpcLattice ? { vpcLattice: lattice.client } : { appMesh: h.mesh.client }) });
});
afterEach(() => {
  h.close();
  lattice.restore();
});

function latticeSpec(): Record<string, unknown> {
  return { ...specInput(), router: { vpcLattice: { service, listener } }, target: { canary, stable } };
}

describe('weight verification after each shift (real ASL, real handlers)', () => {
  it('reads a write that is not visible at once again, then goes on, in one Step invocation per step', async () => {
    lattice.applyLate('UpdateListener');
    const execution = h.start(latticeSpec());
    const outcome = await execution.result;

    expect(outcome.status).toBe('SUCCEEDED');
    const shifts = (await h.store.listEvents(execution.name)).filter((e) => e.kind === 'shifted').map((e) => e.message);
    expect(shifts[0]).toMatch(/read back as written after 2 reads$/);
    expect(shifts.slice(1).every((m) => m.endsWith('read back as written'))).toBe(true);
    expect(h.engine.invocations.step).toBe(5);
  });

  it('fails the step loudly and restores the snapshot when an accepted write never shows', async () => {
    const before = lattice.content(apiRule);
    // Step 1's write of the API rule (after the default action's) is accepted and dropped.
    lattice.onWrite = (route) => {
      if (route === 'default' && lattice.sharesWritten('default', stable, canary).at(-1) === 10) lattice.ignoreNextWrites('UpdateRule');
    };
    const execution = h.start(latticeSpec());
    const outcome = await execution.result;

    expect(outcome).toMatchObject({ status: 'FAILED', error: 'Canary.RolledBack' });
    expect(outcome.cause).toMatch(/WeightNotAppliedError|canary weight 10% was accepted by the vpc-lattice router but not found on 1 route\(s\) after 3 reads/);
    expect(outcome.cause).toContain(apiRule);
    expect(lattice.content(apiRule)).toEqual(before);
    expect(Object.keys(lattice.weights('default'))).toEqual([stable]);
    expect(h.engine.invocations.step).toBe(1);
  });

  it('does not report a promotion the routes do not show: Promote reads back, fails, and its retry writes the dropped rule again', async () => {
    let dropped = false;
    lattice.onWrite = (route, action) => {
      const groups = 'forward' in action ? action.forward?.targetGroups ?? [] : [];
      // The default action's promotion (stable gone) is applied; the API rule's promotion is accepted and dropped, once.
      if (route === 'default' && !dropped && groups.length > 0 && groups.every((g) => !String(g.targetGroupIdentifier).endsWith(stable))) {
        dropped = true;
        lattice.ignoreNextWrites('UpdateRule');
      }
    };
    const execution = h.start(latticeSpec());
    const outcome = await execution.result;

    expect(outcome.status).toBe('SUCCEEDED');
    expect(dropped).toBe(true);
    expect(h.engine.invocations.promote).toBe(2);
    expect(lattice.weights(apiRule)).not.toHaveProperty(stable);
    expect(lattice.weights(apiRule)[canary]).toBeGreaterThan(0);
    expect((await h.store.listEvents(execution.name)).filter((e) => e.kind === 'promoted')).toHaveLength(1);
  });

  it('does not report a rollback the routes do not show: Rollback reads the snapshot back, fails, and its retry restores for real', async () => {
    const before = { api: lattice.content(apiRule), listener: lattice.content('default') };
    lattice.onWrite = (route) => {
      if (route === 'default' && lattice.sharesWritten('default', stable, canary).at(-1) === 10) {
        lattice.ignoreNextWrites('UpdateRule'); // step 1 fails its read-back: the rollout rolls back
        lattice.ignoreNextWrites('UpdateListener'); // and the restore of the default action is accepted and dropped once
      }
    };
    const execution = h.start(latticeSpec());
    const outcome = await execution.result;

    expect(outcome).toMatchObject({ status: 'FAILED', error: 'Canary.RolledBack' });
    expect(h.engine.invocations.rollback).toBe(2);
    expect(lattice.content(apiRule)).toEqual(before.api);
    expect(Object.keys(lattice.weights('default'))).toEqual([stable]);
  });

  it('works the same for App Mesh: a route whose weights are put back behind our back fails the step', async () => {
    h.mesh.onUpdate = (route, spec) => {
      if (spec.httpRoute?.action?.weightedTargets?.some((t) => t.virtualNode === CANARY && t.weight === 25)) {
        // Another actor undoes the weights but keeps the version (what a lagging control plane would show).
        h.mesh.routes.get(route)!.spec = structuredClone(USER_ROUTE);
        h.mesh.routes.get(route)!.spec!.httpRoute!.action!.weightedTargets = [
          { virtualNode: STABLE, weight: 90 },
          { virtualNode: CANARY, weight: 10 },
        ];
      }
    };
    const outcome = await h.start(specInput()).result;

    expect(outcome).toMatchObject({ status: 'FAILED', error: 'Canary.RolledBack' });
    expect(outcome.cause).toContain('canary weight 25% was accepted by the appmesh router but not found');
    expect(JSON.stringify(h.mesh.spec('user-route'))).toBe(JSON.stringify(USER_ROUTE));
  });
});
