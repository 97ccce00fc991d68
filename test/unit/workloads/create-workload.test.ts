import { ECSClient } from '@aws-sdk/client-ecs';
import { parseSpec } from '../../../src/spec';
import { ConfigurationError } from '../../../src/shared/errors';
import { createWorkload } from '../../../src/workloads';
import { CANARY_SERVICE, CLUSTER, NEW_IMAGE, OLD_CANARY_TASK_DEFINITION, PRIMARY_SERVICE, PRIMARY_TASK_DEFINITION, describeUserServiceTaskDefinition } from '../../fixtures/ecs';
import { FakeEcs } from '../../support/fake-ecs';

const ecs = { cluster: CLUSTER, primaryService: PRIMARY_SERVICE, canaryService: CANARY_SERVICE, container: 'user-service' };

/** The user service's task definition as a team behind an ALB has it: no App Mesh variable anywhere. */
function withoutMesh() {
  const described = describeUserServiceTaskDefinition();
  for (const c of described.taskDefinition!.containerDefinitions!) c.environment = (c.environment ?? []).filter((e) => !e.name!.startsWith('APPMESH_'));
  delete described.taskDefinition!.proxyConfiguration;
  return described;
}

let fake: FakeEcs;
beforeEach(() => {
  fake = new FakeEcs(CLUSTER).addTaskDefinition(withoutMesh()).addService(PRIMARY_SERVICE, PRIMARY_TASK_DEFINITION, 4).addService(CANARY_SERVICE, OLD_CANARY_TASK_DEFINITION, 0);
});
afterEach(() => fake.restore());
const TG = (name: string) => `arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/${name}/73e2d6bc24d8a067`;
const LISTENER = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2';

function spec(router: Record<string, unknown>, target: Record<string, unknown>) {
  return parseSpec({ name: 'user-service', router, target: { ...target, ecs }, strategy: { steps: [50, 100] } }, 'test');
}

describe('createWorkload', () => {
  it('deploys services behind ALB target groups whose task definitions name no App Mesh node', async () => {
    // Prepare
    const workload = createWorkload(spec({ alb: { listenerArn: LISTENER } }, { canary: TG('canary'), stable: TG('primary') }), { ecs: fake.client });

    // Act
    await workload.validate({ image: NEW_IMAGE });
    await workload.deployCanary({ image: NEW_IMAGE });

    // Assess
    expect(fake.registered[0]!.containerDefinitions!.map((c) => c.environment)).toEqual(withoutMesh().taskDefinition!.containerDefinitions!.map((c) => c.environment));
    expect(fake.registered[0]!.containerDefinitions![0]!.image).toBe(NEW_IMAGE);
  });

  it('keeps requiring the App Mesh node in the task definition under router.appMesh', async () => {
    // Prepare
    const workload = createWorkload(spec({ appMesh: { mesh: 'my-mesh', virtualRouter: 'user-router' } }, { canary: 'user-canary', stable: 'user-primary' }), { ecs: fake.client });

    // Act
    const validation = workload.validate({ image: NEW_IMAGE });

    // Assess
    await expect(validation).rejects.toThrow(/sets neither APPMESH_VIRTUAL_NODE_NAME nor APPMESH_RESOURCE_ARN/);
  });

  it('refuses ECS services behind a Lambda alias, naming the routers that can split between two services', () => {
    // Act
    const build = () => createWorkload(spec({ lambda: { function: 'user-service', alias: 'live' } }, { canary: '2', stable: '1' }), { ecs: new ECSClient({}) });

    // Assess
    expect(build).toThrow(ConfigurationError);
    expect(build).toThrow(/router\.alb, router\.vpcLattice or router\.appMesh/);
  });
});
