import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GetAliasCommand, UpdateAliasCommand } from '@aws-sdk/client-lambda';
import { localLambdaRouting } from '../../../src/local/aws/lambda';
import { createRouter } from '../../../src/routers';
import { parseSpecText } from '../../../src/spec/load';

const spec = parseSpecText(readFileSync(join(__dirname, '../../../examples/demo-lambda.yaml'), 'utf8'), 'examples/demo-lambda.yaml');
const UPSTREAMS = { stable: 'http://127.0.0.1:1', canary: 'http://127.0.0.1:2' };

function forwards(routing: ReturnType<typeof localLambdaRouting>): Array<{ virtualNode: string; weight: number }> {
  return routing.mesh.describeRoute('demo-fn:live').spec.httpRoute!.action.weightedTargets as Array<{ virtualNode: string; weight: number }>;
}

describe('local Lambda facade', () => {
  it('starts with every invocation of the alias on the stable version', () => {
    const routing = localLambdaRouting(spec, UPSTREAMS);
    expect(routing).toMatchObject({ kind: 'lambda', stable: '1', canary: '2', paths: ['/'] });
    expect(forwards(routing)).toEqual([{ virtualNode: '1', weight: 1_000_000 }]);
    expect(routing.canaryWeight()).toBe(0);
  });

  it("applies every alias write of the production router to the mesh, the fractional weight scaled exactly", async () => {
    const routing = localLambdaRouting(spec, UPSTREAMS);
    const router = createRouter(spec, routing.clients);
    const snapshot = await router.snapshot();
    let versions = await router.setCanaryWeight(snapshot, 25, { [snapshot.routes[0]!.key]: snapshot.routes[0]!.version });
    expect(forwards(routing)).toEqual([{ virtualNode: '1', weight: 750_000 }, { virtualNode: '2', weight: 250_000 }]);
    expect(routing.canaryWeight()).toBe(25);
    versions = await router.promote(snapshot, versions);
    expect(forwards(routing)).toEqual([{ virtualNode: '2', weight: 1_000_000 }]);
    await router.restore(snapshot, versions);
    expect(forwards(routing)).toEqual([{ virtualNode: '1', weight: 1_000_000 }]);
    expect(routing.calls()).toMatchObject({ UpdateAlias: 3 });
  });

  it("answers as Lambda does: a stale RevisionId is PreconditionFailedException, an unknown version ResourceNotFoundException", async () => {
    const routing = localLambdaRouting(spec, UPSTREAMS);
    const client = routing.clients.lambda!;
    const alias = await client.send(new GetAliasCommand({ FunctionName: 'demo-fn', Name: 'live' }));
    await client.send(new UpdateAliasCommand({ FunctionName: 'demo-fn', Name: 'live', Description: 'x', RevisionId: alias.RevisionId }));
    await expect(client.send(new UpdateAliasCommand({ FunctionName: 'demo-fn', Name: 'live', Description: 'y', RevisionId: alias.RevisionId }))).rejects.toMatchObject({
      name: 'PreconditionFailedException',
    });
    await expect(client.send(new UpdateAliasCommand({ FunctionName: 'demo-fn', Name: 'live', FunctionVersion: '7' }))).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
    expect(forwards(routing)).toEqual([{ virtualNode: '1', weight: 1_000_000 }]);
  });
});
