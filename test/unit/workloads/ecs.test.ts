import {
  AccessDeniedException,
  ClientException,
  ClusterNotFoundException,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  ECSClient,
  ECSServiceException,
  RegisterTaskDefinitionCommand,
  ServerException,
  ServiceNotFoundException,
  UpdateServiceCommand,
  type RegisterTaskDefinitionRequest,
} from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { ConfigurationError, ResourceNotFoundError, TransientError } from '../../../src/shared/errors';
import { EcsWorkload, cloneTaskDefinition, iamResourcesFor, type EcsTarget } from '../../../src/workloads/ecs';
import {
  ACCOUNT,
  CANARY_NODE,
  CANARY_SERVICE,
  CANARY_TASK_DEFINITION,
  CLUSTER,
  MESH,
  NEW_IMAGE,
  OLD_CANARY_TASK_DEFINITION,
  PRIMARY_NODE,
  PRIMARY_SERVICE,
  PRIMARY_TASK_DEFINITION,
  PROMOTED_TASK_DEFINITION,
  REGION,
  canaryCircuitBreakerTripped,
  canaryDeploymentCompleted,
  canaryDeploymentInProgress,
  canaryRolledBackAndCleanedUp,
  canaryServiceIdle,
  canaryServiceJustUpdated,
  deployment,
  describeCanaryTaskDefinition,
  describeUserServiceTaskDefinition,
  expectedCanaryRegisterInput,
  primaryServiceSteady,
  service,
} from '../../fixtures/ecs';

const ecs = mockClient(ECSClient);

const target: EcsTarget = {
  cluster: CLUSTER,
  primaryService: PRIMARY_SERVICE,
  canaryService: CANARY_SERVICE,
  container: 'user-service',
  readyTimeout: 900,
};
const meshOptions = { mesh: MESH, primaryNode: PRIMARY_NODE, canaryNode: CANARY_NODE };
const cloneOptions = { container: 'user-service', mesh: MESH, fromNode: PRIMARY_NODE };

function workload(overrides: Partial<EcsTarget> = {}): EcsWorkload {
  return new EcsWorkload({ ...target, ...overrides }, meshOptions, new ECSClient({}));
}

/** The name of every command sent, in order (Argo-style: assert the exact command sequence). */
function sentCommands(): string[] {
  return ecs.calls().map((call) => (call.args[0] as { constructor: { name: string } }).constructor.name);
}

function registeredInput(): RegisterTaskDefinitionRequest {
  const call = ecs.commandCalls(RegisterTaskDefinitionCommand)[0];
  if (call === undefined) throw new Error('RegisterTaskDefinition was not sent');
  return call.args[0].input;
}

/**
 * Every path at which two JSON-like values differ: `a.b[1].c`. A value missing on one side counts
 * as a difference at its path. Dates compare by time.
 */
function diffPaths(a: unknown, b: unknown, path = ''): string[] {
  if (a instanceof Date || b instanceof Date) {
    return a instanceof Date && b instanceof Date && a.getTime() === b.getTime() ? [] : [path];
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    const length = Math.max(a.length, b.length);
    return Array.from({ length }, (_, i) => diffPaths(a[i], b[i], `${path}[${i}]`)).flat();
  }
  if (isObject(a) && isObject(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    return keys.flatMap((k) => diffPaths(a[k], b[k], path ? `${path}.${k}` : k));
  }
  return Object.is(a, b) ? [] : [path];
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function awsError(name: string, message: string): ECSServiceException {
  return new ECSServiceException({ name, $fault: 'client', message, $metadata: {} });
}

/** Prepare: the services and task definitions of an ordinary rollout, before deployCanary. */
function givenAnOrdinaryRollout(): void {
  ecs.on(DescribeServicesCommand).resolves({ services: [primaryServiceSteady(), canaryServiceIdle()], failures: [] });
  ecs.on(DescribeTaskDefinitionCommand, { taskDefinition: PRIMARY_TASK_DEFINITION }).resolves(describeUserServiceTaskDefinition());
  ecs.on(DescribeTaskDefinitionCommand, { taskDefinition: CANARY_TASK_DEFINITION }).resolves(describeCanaryTaskDefinition());
  ecs.on(RegisterTaskDefinitionCommand).resolves({
    taskDefinition: { taskDefinitionArn: CANARY_TASK_DEFINITION, family: 'user-service-task', revision: 43 },
  });
  ecs.on(UpdateServiceCommand, { service: CANARY_SERVICE }).callsFake((input: { desiredCount?: number }) => ({
    service: canaryServiceJustUpdated(input.desiredCount ?? 0),
  }));
}

beforeEach(() => {
  ecs.reset();
});

describe('EcsWorkload', () => {
  describe('cloneTaskDefinition', () => {
    it('builds the RegisterTaskDefinition input that differs from the primary only in the image and the node name', () => {
      const input = cloneTaskDefinition(describeUserServiceTaskDefinition(), NEW_IMAGE, CANARY_NODE, cloneOptions);

      expect(input).toEqual(expectedCanaryRegisterInput());
    });

    it('changes exactly the read-only fields (dropped), the image and the two node names, and no other path', () => {
      const described = describeUserServiceTaskDefinition();

      const input = cloneTaskDefinition(described, NEW_IMAGE, CANARY_NODE, cloneOptions);

      const original = { ...described.taskDefinition, tags: described.tags };
      expect(diffPaths(original, input)).toEqual([
        'compatibilities',
        'containerDefinitions[0].environment[0].value',
        'containerDefinitions[0].image',
        'containerDefinitions[1].environment[0].value',
        'registeredAt',
        'registeredBy',
        'requiresAttributes',
        'revision',
        'status',
        'taskDefinitionArn',
      ]);
      expect(input.containerDefinitions?.[0]?.image).toBe(NEW_IMAGE);
      expect(input.containerDefinitions?.[0]?.environment?.[0]).toEqual({
        name: 'APPMESH_VIRTUAL_NODE_NAME',
        value: 'mesh/my-mesh/virtualNode/user-canary',
      });
      expect(input.containerDefinitions?.[1]?.environment?.[0]).toEqual({
        name: 'APPMESH_VIRTUAL_NODE_NAME',
        value: 'mesh/my-mesh/virtualNode/user-canary',
      });
    });

    it('keeps secrets, roles, proxyConfiguration, health checks, dependsOn and the Envoy image as they were', () => {
      const described = describeUserServiceTaskDefinition();
      const source = described.taskDefinition!;

      const input = cloneTaskDefinition(described, NEW_IMAGE, CANARY_NODE, cloneOptions);

      expect(input.taskRoleArn).toBe('arn:aws:iam::123456789012:role/ecsTaskRole');
      expect(input.executionRoleArn).toBe('arn:aws:iam::123456789012:role/ecsTaskExecutionRole');
      expect(input.proxyConfiguration).toEqual(source.proxyConfiguration);
      expect(input.proxyConfiguration?.type).toBe('APPMESH');
      const [app, envoy] = input.containerDefinitions ?? [];
      expect(app?.secrets).toEqual(source.containerDefinitions?.[0]?.secrets);
      expect(app?.secrets).toHaveLength(2);
      expect(app?.healthCheck).toEqual(source.containerDefinitions?.[0]?.healthCheck);
      expect(app?.dependsOn).toEqual([{ containerName: 'envoy', condition: 'HEALTHY' }]);
      expect(envoy?.healthCheck).toEqual(source.containerDefinitions?.[1]?.healthCheck);
      expect(envoy?.image).toBe('840364872350.dkr.ecr.us-east-1.amazonaws.com/aws-appmesh-envoy:v1.29.6.0-prod');
      expect(envoy?.user).toBe('1337');
      expect(input.tags).toEqual(described.tags);
    });

    it('drops every read-only field of the DescribeTaskDefinition output', () => {
      const input = cloneTaskDefinition(describeUserServiceTaskDefinition(), NEW_IMAGE, CANARY_NODE, cloneOptions);

      for (const field of ['taskDefinitionArn', 'revision', 'status', 'requiresAttributes', 'compatibilities', 'registeredAt', 'registeredBy', 'deregisteredAt', 'deleteRequestedAt']) {
        expect(input).not.toHaveProperty(field);
      }
    });

    it('leaves the described task definition untouched', () => {
      const described = describeUserServiceTaskDefinition();

      cloneTaskDefinition(described, NEW_IMAGE, CANARY_NODE, cloneOptions);

      expect(described).toEqual(describeUserServiceTaskDefinition());
    });

    it('names an unknown container and lists the containers that exist', () => {
      const clone = () =>
        cloneTaskDefinition(describeUserServiceTaskDefinition(), NEW_IMAGE, CANARY_NODE, { ...cloneOptions, container: 'app' });

      expect(clone).toThrow(ConfigurationError);
      expect(clone).toThrow(/container "app" not found in task definition .*user-service-task:42; it has: "user-service", "envoy"/);
    });

    it('refuses a task definition that sets APPMESH_VIRTUAL_NODE_NAME nowhere: the canary would not join the mesh as the canary node', () => {
      const described = describeUserServiceTaskDefinition();
      for (const c of described.taskDefinition!.containerDefinitions!) {
        c.environment = c.environment?.filter((e) => e.name !== 'APPMESH_VIRTUAL_NODE_NAME');
      }

      expect(() => cloneTaskDefinition(described, NEW_IMAGE, CANARY_NODE, cloneOptions)).toThrow(
        /sets neither APPMESH_VIRTUAL_NODE_NAME nor APPMESH_RESOURCE_ARN.*virtual node "user-canary"/,
      );
    });

    it('refuses a primary whose tasks claim another virtual node than the primary node', () => {
      const described = describeUserServiceTaskDefinition();
      described.taskDefinition!.containerDefinitions![1]!.environment![0]!.value = 'mesh/my-mesh/virtualNode/user-service-v1';

      expect(() => cloneTaskDefinition(described, NEW_IMAGE, CANARY_NODE, cloneOptions)).toThrow(
        /container "envoy" .* sets APPMESH_VIRTUAL_NODE_NAME=mesh\/my-mesh\/virtualNode\/user-service-v1, expected mesh\/my-mesh\/virtualNode\/user-primary/,
      );
    });

    it('refuses an App Mesh proxy container that does not know its node', () => {
      const described = describeUserServiceTaskDefinition();
      const envoy = described.taskDefinition!.containerDefinitions![1]!;
      envoy.environment = envoy.environment!.filter((e) => e.name !== 'APPMESH_VIRTUAL_NODE_NAME');

      expect(() => cloneTaskDefinition(described, NEW_IMAGE, CANARY_NODE, cloneOptions)).toThrow(
        /proxy container "envoy" .* sets no APPMESH_VIRTUAL_NODE_NAME or APPMESH_RESOURCE_ARN/,
      );
    });

    it('moves the node in APPMESH_RESOURCE_ARN too, keeping its ARN prefix', () => {
      const described = describeUserServiceTaskDefinition();
      const envoy = described.taskDefinition!.containerDefinitions![1]!;
      envoy.environment![0] = {
        name: 'APPMESH_RESOURCE_ARN',
        value: 'arn:aws:appmesh:us-east-1:123456789012:mesh/my-mesh/virtualNode/user-primary',
      };

      const input = cloneTaskDefinition(described, NEW_IMAGE, CANARY_NODE, cloneOptions);

      expect(input.containerDefinitions?.[1]?.environment?.[0]).toEqual({
        name: 'APPMESH_RESOURCE_ARN',
        value: 'arn:aws:appmesh:us-east-1:123456789012:mesh/my-mesh/virtualNode/user-canary',
      });
    });

    it('refuses an image that is not pinned by digest', () => {
      expect(() =>
        cloneTaskDefinition(describeUserServiceTaskDefinition(), 'user-service:latest', CANARY_NODE, cloneOptions),
      ).toThrow(/image "user-service:latest" is not pinned by digest/);
    });

    it('drops tags reserved by AWS, which RegisterTaskDefinition rejects, and sends no tags when none are left', () => {
      const described = describeUserServiceTaskDefinition();
      described.tags = [{ key: 'aws:cloudformation:stack-name', value: 'user-service' }];

      const input = cloneTaskDefinition(described, NEW_IMAGE, CANARY_NODE, cloneOptions);

      expect(input).not.toHaveProperty('tags');
    });
  });

  describe('deployCanary', () => {
    it('describes both services, clones the primary task definition and points the canary service at the new revision', async () => {
      givenAnOrdinaryRollout();

      const result = await workload().deployCanary({ image: NEW_IMAGE });

      expect(sentCommands()).toEqual([
        'DescribeServicesCommand',
        'DescribeTaskDefinitionCommand',
        'RegisterTaskDefinitionCommand',
        'UpdateServiceCommand',
      ]);
      expect(ecs.commandCalls(DescribeServicesCommand)[0]?.args[0].input).toEqual({
        cluster: CLUSTER,
        services: [PRIMARY_SERVICE, CANARY_SERVICE],
      });
      expect(ecs.commandCalls(DescribeTaskDefinitionCommand)[0]?.args[0].input).toEqual({
        taskDefinition: PRIMARY_TASK_DEFINITION,
        include: ['TAGS'],
      });
      expect(registeredInput()).toEqual(expectedCanaryRegisterInput());
      expect(ecs.commandCalls(UpdateServiceCommand)[0]?.args[0].input).toEqual({
        cluster: CLUSTER,
        service: CANARY_SERVICE,
        taskDefinition: CANARY_TASK_DEFINITION,
        desiredCount: 4,
        forceNewDeployment: false,
      });
      expect(result).toEqual({ taskDefinitionArn: CANARY_TASK_DEFINITION, desiredCount: 4, deploymentId: 'ecs-svc/0000000000000000043' });
      expect(JSON.parse(JSON.stringify(result))).toEqual(result);
    });

    it("gives the canary the primary's desired count", async () => {
      givenAnOrdinaryRollout();
      ecs.on(DescribeServicesCommand).resolves({
        services: [service(PRIMARY_SERVICE, { ...primaryServiceSteady(), desiredCount: 7 }), canaryServiceIdle()],
      });

      const result = await workload().deployCanary({ image: NEW_IMAGE });

      expect(ecs.commandCalls(UpdateServiceCommand)[0]?.args[0].input.desiredCount).toBe(7);
      expect(result.desiredCount).toBe(7);
    });

    it('gives the canary target.ecs.canaryDesiredCount when it is set', async () => {
      givenAnOrdinaryRollout();

      const result = await workload({ canaryDesiredCount: 1 }).deployCanary({ image: NEW_IMAGE });

      expect(ecs.commandCalls(UpdateServiceCommand)[0]?.args[0].input.desiredCount).toBe(1);
      expect(result.desiredCount).toBe(1);
    });

    it('gives the canary one task when the primary is scaled to zero', async () => {
      givenAnOrdinaryRollout();
      ecs.on(DescribeServicesCommand).resolves({
        services: [service(PRIMARY_SERVICE, { ...primaryServiceSteady(), desiredCount: 0 }), canaryServiceIdle()],
      });

      const result = await workload().deployCanary({ image: NEW_IMAGE });

      expect(result.desiredCount).toBe(1);
    });

    it('names the missing service and its cluster, and registers nothing', async () => {
      givenAnOrdinaryRollout();
      ecs.on(DescribeServicesCommand).resolves({
        services: [primaryServiceSteady()],
        failures: [{ arn: `arn:aws:ecs:${REGION}:${ACCOUNT}:service/${CLUSTER}/${CANARY_SERVICE}`, reason: 'MISSING' }],
      });

      const deploy = workload().deployCanary({ image: NEW_IMAGE });

      await expect(deploy).rejects.toThrow(ResourceNotFoundError);
      await expect(deploy).rejects.toThrow('ECS service "user-canary" not found in cluster "prod" (MISSING)');
      expect(sentCommands()).toEqual(['DescribeServicesCommand']);
    });

    it('refuses an INACTIVE (deleted) service', async () => {
      givenAnOrdinaryRollout();
      ecs.on(DescribeServicesCommand).resolves({
        services: [primaryServiceSteady(), service(CANARY_SERVICE, { ...canaryServiceIdle(), status: 'INACTIVE' })],
      });

      await expect(workload().deployCanary({ image: NEW_IMAGE })).rejects.toThrow(
        new ResourceNotFoundError('ECS service "user-canary" in cluster "prod" is INACTIVE, not ACTIVE'),
      );
    });

    it('names the cluster when it does not exist', async () => {
      ecs.on(DescribeServicesCommand).rejects(new ClusterNotFoundException({ message: 'Cluster not found.', $metadata: {} }));

      const error = await workload().deployCanary({ image: NEW_IMAGE }).catch((e: unknown) => e);

      expect(error).toBeInstanceOf(ResourceNotFoundError);
      expect((error as Error).message).toBe('ECS cluster "prod" not found (ecs:DescribeServices)');
    });

    it('names service and cluster when UpdateService says ServiceNotFoundException', async () => {
      givenAnOrdinaryRollout();
      const cause = new ServiceNotFoundException({ message: 'Service not found.', $metadata: {} });
      ecs.on(UpdateServiceCommand).rejects(cause);

      const error = await workload().deployCanary({ image: NEW_IMAGE }).catch((e: unknown) => e);

      expect(error).toBeInstanceOf(ResourceNotFoundError);
      expect((error as Error).message).toBe('ECS service "user-canary" not found in cluster "prod" (ecs:UpdateService)');
      expect((error as Error).cause).toBe(cause);
    });

    it('turns throttling into TransientError and keeps the cause', async () => {
      givenAnOrdinaryRollout();
      const cause = awsError('ThrottlingException', 'Rate exceeded');
      ecs.on(RegisterTaskDefinitionCommand).rejects(cause);

      const error = await workload().deployCanary({ image: NEW_IMAGE }).catch((e: unknown) => e);

      expect(error).toBeInstanceOf(TransientError);
      expect((error as Error).name).toBe('TransientError');
      expect((error as Error).message).toMatch(/ecs:RegisterTaskDefinition .*ThrottlingException: Rate exceeded/);
      expect((error as Error).cause).toBe(cause);
    });

    it('retries ServerException and the "too many concurrent attempts" ClientException of RegisterTaskDefinition', async () => {
      givenAnOrdinaryRollout();
      ecs
        .on(RegisterTaskDefinitionCommand)
        .rejectsOnce(new ServerException({ message: 'Service unavailable', $metadata: {} }))
        .rejectsOnce(
          new ClientException({
            message: 'Too many concurrent attempts to create a new revision of the specified family.',
            $metadata: {},
          }),
        );

      await expect(workload().deployCanary({ image: NEW_IMAGE })).rejects.toThrow(TransientError);
      await expect(workload().deployCanary({ image: NEW_IMAGE })).rejects.toThrow(TransientError);
    });

    it('turns a rejected request into ConfigurationError carrying the ECS message', async () => {
      givenAnOrdinaryRollout();
      ecs.on(RegisterTaskDefinitionCommand).rejects(
        new ClientException({ message: 'Invalid setting for container envoy: user', $metadata: {} }),
      );

      const error = await workload().deployCanary({ image: NEW_IMAGE }).catch((e: unknown) => e);

      expect(error).toBeInstanceOf(ConfigurationError);
      expect(error).not.toBeInstanceOf(ResourceNotFoundError);
      expect((error as Error).message).toMatch(/ClientException: Invalid setting for container envoy: user/);
    });

    it('names the action it was not allowed to call', async () => {
      givenAnOrdinaryRollout();
      ecs.on(RegisterTaskDefinitionCommand).rejects(
        new AccessDeniedException({ message: 'User is not authorized to perform ecs:RegisterTaskDefinition', $metadata: {} }),
      );

      await expect(workload().deployCanary({ image: NEW_IMAGE })).rejects.toThrow(
        /^not allowed to call ecs:RegisterTaskDefinition on task definition "user-service-task"/,
      );
    });

    it('registers nothing and updates nothing when the container is unknown', async () => {
      givenAnOrdinaryRollout();

      await expect(workload({ container: 'app' }).deployCanary({ image: NEW_IMAGE })).rejects.toThrow(
        /container "app" not found .* it has: "user-service", "envoy"/,
      );
      expect(sentCommands()).toEqual(['DescribeServicesCommand', 'DescribeTaskDefinitionCommand']);
    });
  });

  describe('canaryStatus', () => {
    const ref = { taskDefinitionArn: CANARY_TASK_DEFINITION, deploymentId: 'ecs-svc/0000000000000000043' };

    it('is steady when ECS reports the deployment COMPLETED', async () => {
      ecs.on(DescribeServicesCommand).resolves({ services: [canaryDeploymentCompleted()] });

      const status = await workload().canaryStatus(ref);

      expect(status).toEqual({
        phase: 'steady',
        reason: `service user-canary: 4/4 tasks running ${CANARY_TASK_DEFINITION}`,
        running: 4,
        desired: 4,
        taskDefinition: CANARY_TASK_DEFINITION,
      });
      expect(ecs.commandCalls(DescribeServicesCommand)[0]?.args[0].input).toEqual({ cluster: CLUSTER, services: [CANARY_SERVICE] });
    });

    it('is steady when all desired tasks run and it is the only deployment, even before ECS says COMPLETED', async () => {
      const svc = canaryDeploymentCompleted();
      svc.deployments![0]!.rolloutState = 'IN_PROGRESS';
      ecs.on(DescribeServicesCommand).resolves({ services: [svc] });

      expect((await workload().canaryStatus(ref)).phase).toBe('steady');
    });

    it('is progressing while tasks start, with the counts and the latest placement failure since the deployment began', async () => {
      ecs.on(DescribeServicesCommand).resolves({ services: [canaryDeploymentInProgress()] });

      const status = await workload().canaryStatus(ref);

      expect(status.phase).toBe('progressing');
      expect(status.running).toBe(1);
      expect(status.desired).toBe(4);
      expect(status.reason).toBe(
        'deployment ecs-svc/0000000000000000043 of service user-canary: 1/4 tasks running, 2 pending; ' +
          'latest event: (service user-canary) was unable to place a task because no container instance met all of its requirements.',
      );
    });

    it('is progressing while the previous deployment still drains', async () => {
      ecs.on(DescribeServicesCommand).resolves({ services: [canaryServiceJustUpdated(4)] });

      const status = await workload().canaryStatus(ref);

      expect(status).toMatchObject({ phase: 'progressing', running: 0, desired: 4 });
      expect(status.reason).toContain('1 older deployment(s) draining');
    });

    it('fails with the circuit breaker reason when the deployment FAILED', async () => {
      ecs.on(DescribeServicesCommand).resolves({ services: [canaryCircuitBreakerTripped()] });

      const status = await workload().canaryStatus(ref);

      expect(status).toEqual({
        phase: 'failed',
        reason:
          'deployment ecs-svc/0000000000000000043 of service user-canary failed: ECS deployment circuit breaker: tasks failed to start.',
        running: 0,
        desired: 4,
        taskDefinition: OLD_CANARY_TASK_DEFINITION,
      });
    });

    it('fails when the deployment is gone (rolled back and cleaned up)', async () => {
      ecs.on(DescribeServicesCommand).resolves({ services: [canaryRolledBackAndCleanedUp()] });

      const status = await workload().canaryStatus(ref);

      expect(status.phase).toBe('failed');
      expect(status.reason).toMatch(/service user-canary has no deployment of .*:43; it runs .*:41/);
      expect(status.taskDefinition).toBe(OLD_CANARY_TASK_DEFINITION);
    });

    it('fails when another deployment replaced ours', async () => {
      const svc = canaryDeploymentCompleted();
      svc.deployments = [
        deployment({ id: 'ecs-svc/9', taskDefinition: `${OLD_CANARY_TASK_DEFINITION.replace(':41', ':50')}`, rolloutState: 'IN_PROGRESS' }),
        deployment({ id: 'ecs-svc/0000000000000000043', taskDefinition: CANARY_TASK_DEFINITION, status: 'ACTIVE' }),
      ];
      ecs.on(DescribeServicesCommand).resolves({ services: [svc] });

      const status = await workload().canaryStatus(ref);

      expect(status.phase).toBe('failed');
      expect(status.reason).toMatch(/was replaced by deployment ecs-svc\/9/);
    });

    it('names service and cluster when the canary service is missing', async () => {
      ecs.on(DescribeServicesCommand).resolves({
        services: [],
        failures: [{ arn: `arn:aws:ecs:${REGION}:${ACCOUNT}:service/${CLUSTER}/${CANARY_SERVICE}`, reason: 'MISSING' }],
      });

      await expect(workload().canaryStatus(ref)).rejects.toThrow(
        new ResourceNotFoundError('ECS service "user-canary" not found in cluster "prod" (MISSING)'),
      );
    });
  });

  describe('promotePrimary', () => {
    it("registers the canary's task definition back on the primary node and points the primary service at it", async () => {
      givenAnOrdinaryRollout();
      ecs.on(RegisterTaskDefinitionCommand).resolves({ taskDefinition: { taskDefinitionArn: PROMOTED_TASK_DEFINITION } });
      ecs.on(UpdateServiceCommand, { service: PRIMARY_SERVICE }).resolves({
        service: service(PRIMARY_SERVICE, {
          taskDefinition: PROMOTED_TASK_DEFINITION,
          deployments: [
            deployment({ id: 'ecs-svc/0000000000000000045', taskDefinition: PROMOTED_TASK_DEFINITION, rolloutState: 'IN_PROGRESS', runningCount: 0 }),
            deployment({ id: 'ecs-svc/0000000000000000042', taskDefinition: PRIMARY_TASK_DEFINITION, status: 'ACTIVE' }),
          ],
        }),
      });

      const result = await workload().promotePrimary({ taskDefinitionArn: CANARY_TASK_DEFINITION });

      expect(sentCommands()).toEqual(['DescribeTaskDefinitionCommand', 'RegisterTaskDefinitionCommand', 'UpdateServiceCommand']);
      expect(ecs.commandCalls(DescribeTaskDefinitionCommand)[0]?.args[0].input).toEqual({
        taskDefinition: CANARY_TASK_DEFINITION,
        include: ['TAGS'],
      });
      // The primary gets exactly what the primary had, with the canary's image: the node is the primary's again.
      expect(registeredInput()).toEqual(
        cloneTaskDefinition(describeUserServiceTaskDefinition(), NEW_IMAGE, PRIMARY_NODE, cloneOptions),
      );
      expect(ecs.commandCalls(UpdateServiceCommand)[0]?.args[0].input).toEqual({
        cluster: CLUSTER,
        service: PRIMARY_SERVICE,
        taskDefinition: PROMOTED_TASK_DEFINITION,
      });
      expect(result).toEqual({ taskDefinitionArn: PROMOTED_TASK_DEFINITION, deploymentId: 'ecs-svc/0000000000000000045' });
    });
  });

  describe('primaryStatus', () => {
    it('reads the primary service and is steady once the promoted deployment COMPLETED', async () => {
      ecs.on(DescribeServicesCommand).resolves({
        services: [
          service(PRIMARY_SERVICE, {
            taskDefinition: PROMOTED_TASK_DEFINITION,
            deployments: [deployment({ id: 'ecs-svc/0000000000000000045', taskDefinition: PROMOTED_TASK_DEFINITION })],
          }),
        ],
      });

      const status = await workload().primaryStatus({ taskDefinitionArn: PROMOTED_TASK_DEFINITION, deploymentId: 'ecs-svc/0000000000000000045' });

      expect(status).toMatchObject({ phase: 'steady', running: 4, desired: 4 });
      expect(ecs.commandCalls(DescribeServicesCommand)[0]?.args[0].input).toEqual({ cluster: CLUSTER, services: [PRIMARY_SERVICE] });
    });
  });

  describe('scaleCanaryToZero', () => {
    it('sends desiredCount 0 for the canary service and nothing else', async () => {
      ecs.on(UpdateServiceCommand).resolves({ service: canaryServiceIdle() });

      await workload().scaleCanaryToZero();

      expect(sentCommands()).toEqual(['UpdateServiceCommand']);
      expect(ecs.commandCalls(UpdateServiceCommand)[0]?.args[0].input).toEqual({
        cluster: CLUSTER,
        service: CANARY_SERVICE,
        desiredCount: 0,
      });
    });

    it('can be called again: the second call sends the same absolute request', async () => {
      ecs.on(UpdateServiceCommand).resolves({ service: canaryServiceIdle() });

      await workload().scaleCanaryToZero();
      await workload().scaleCanaryToZero();

      const inputs = ecs.commandCalls(UpdateServiceCommand).map((c) => c.args[0].input);
      expect(inputs).toEqual([inputs[0], inputs[0]]);
    });

    it('treats a canary service that no longer exists as scaled to zero', async () => {
      ecs.on(UpdateServiceCommand).rejects(new ServiceNotFoundException({ message: 'Service not found.', $metadata: {} }));

      await expect(workload().scaleCanaryToZero()).resolves.toBeUndefined();
    });

    it('turns throttling into TransientError', async () => {
      ecs.on(UpdateServiceCommand).rejects(awsError('ThrottlingException', 'Rate exceeded'));

      await expect(workload().scaleCanaryToZero()).rejects.toThrow(TransientError);
    });
  });

  describe('constructor', () => {
    it('refuses the same service as primary and canary', () => {
      expect(() => new EcsWorkload({ ...target, canaryService: PRIMARY_SERVICE }, meshOptions, new ECSClient({}))).toThrow(
        /primaryService and canaryService must differ/,
      );
    });
  });
});

describe('iamResourcesFor', () => {
  it('scopes to the cluster and the two services (long ARN format)', () => {
    expect(iamResourcesFor(target, REGION, ACCOUNT)).toEqual({
      clusterArn: 'arn:aws:ecs:us-east-1:123456789012:cluster/prod',
      serviceArns: [
        'arn:aws:ecs:us-east-1:123456789012:service/prod/user-primary',
        'arn:aws:ecs:us-east-1:123456789012:service/prod/user-canary',
      ],
    });
  });

  it('uses the partition of the region and accepts a cluster ARN', () => {
    const resources = iamResourcesFor(
      { ...target, cluster: 'arn:aws-cn:ecs:cn-north-1:123456789012:cluster/prod' },
      'cn-north-1',
      ACCOUNT,
    );

    expect(resources.clusterArn).toBe('arn:aws-cn:ecs:cn-north-1:123456789012:cluster/prod');
    expect(resources.serviceArns[0]).toBe('arn:aws-cn:ecs:cn-north-1:123456789012:service/prod/user-primary');
  });
});
