import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GetListenerCommand, UpdateListenerCommand, type VPCLatticeClient } from '@aws-sdk/client-vpc-lattice';
import { localLatticeRouting } from '../../../src/local/aws/vpc-lattice';
import { parseSpecText } from '../../../src/spec/load';

const spec = parseSpecText(readFileSync(join(__dirname, '..', '..', '..', 'examples', 'demo-vpc-lattice.yaml'), 'utf8'), 'examples/demo-vpc-lattice.yaml');

function world() {
  const routing = localLatticeRouting(spec, { stable: 'http://127.0.0.1:1', canary: 'http://127.0.0.1:2' });
  const client = routing.clients.vpcLattice as VPCLatticeClient;
  const ids = { service: spec.router.vpcLattice!.service, listener: spec.router.vpcLattice!.listener };
  return { routing, client, ids };
}

describe('local VPC Lattice facade', () => {
  it('refuses a forward action of several target groups when one has no weight, as VPC Lattice requires it, and keeps the old action', async () => {
    const { routing, client, ids } = world();
    const before = await client.send(new GetListenerCommand({ serviceIdentifier: ids.service, listenerIdentifier: ids.listener }));

    const write = client.send(
      new UpdateListenerCommand({
        serviceIdentifier: ids.service,
        listenerIdentifier: ids.listener,
        defaultAction: { forward: { targetGroups: [{ targetGroupIdentifier: routing.stable, weight: 90 }, { targetGroupIdentifier: routing.canary }] } },
      }),
    );

    await expect(write).rejects.toMatchObject({ name: 'ValidationException', message: expect.stringContaining(`weight of ${routing.canary} is required`) });
    const after = await client.send(new GetListenerCommand({ serviceIdentifier: ids.service, listenerIdentifier: ids.listener }));
    expect(after.defaultAction).toEqual(before.defaultAction);
  });

  it('gives a lone target group written without a weight the whole route, with the canary beside it at weight 0', async () => {
    const { routing, client, ids } = world();

    await client.send(new UpdateListenerCommand({ serviceIdentifier: ids.service, listenerIdentifier: ids.listener, defaultAction: { forward: { targetGroups: [{ targetGroupIdentifier: routing.canary }] } } }));

    expect(routing.canaryWeight()).toBe(100);
  });
});
