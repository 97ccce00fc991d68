import { LatticeRouter } from '../../../src/routers/vpc-lattice';
import { ConcurrentModificationError } from '../../../src/shared/errors';
import { FakeVpcLattice, LATTICE } from '../../support/fake-vpc-lattice';

const { service, listener, apiRule, stable, canary } = LATTICE;

let lattice: FakeVpcLattice;
beforeEach(() => {
  lattice = new FakeVpcLattice().seedUserService();
});
afterEach(() => lattice.restore());

const router = () => new LatticeRouter({ service, listener }, { canary, stable }, lattice.client);

/** Found by the fault suite (test/fault, seed 20261129): the lost-Step known case run on VPC Lattice. */
describe('LatticeRouter, a step retried after its answer was lost', () => {
  it('takes a rule whose weights match but whose match another writer edited for drift, not for its own write', async () => {
    // Prepare: step 1 written and recorded, step 2 written but its answer lost, then an operator edits the API rule's match.
    const snap = await router().snapshot();
    const v1 = await router().setCanaryWeight(snap, 10, {});
    await router().setCanaryWeight(snap, 25, v1);
    const edited = lattice.content(apiRule).match!;
    if ('httpMatch' in edited && edited.httpMatch) edited.httpMatch.method = 'POST';
    lattice.rules.get(apiRule)!.match = edited;

    // Act: the Step is retried with the versions it last recorded.
    const retried = router().setCanaryWeight(snap, 25, v1);

    // Assess: another writer's change stops the rollout; the operator's match is kept.
    await expect(retried).rejects.toThrow(ConcurrentModificationError);
    expect(lattice.content(apiRule).match).toEqual(edited);
  });

  it('still recognises its own write when only the weights moved', async () => {
    const snap = await router().snapshot();
    const v1 = await router().setCanaryWeight(snap, 10, {});
    const v2 = await router().setCanaryWeight(snap, 25, v1);
    const writes = lattice.writes.length;

    const again = await router().setCanaryWeight(snap, 25, v1);

    expect(lattice.writes.length).toBe(writes);
    expect(again).toEqual(v2);
  });
});
