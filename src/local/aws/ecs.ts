import {
  ClientException,
  ClusterNotFoundException,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  ECSClient,
  RegisterTaskDefinitionCommand,
  ServiceNotFoundException,
  UpdateServiceCommand,
  type Deployment,
  type RegisterTaskDefinitionRequest,
  type Service,
  type Tag,
  type TaskDefinition,
} from '@aws-sdk/client-ecs';
import { createHash } from 'node:crypto';
import type { RolloutSpec } from '../../spec';

/**
 * The ECS API played locally, for specs with `target.ecs`: a cluster with the primary and canary
 * services, task definitions registered as revisions of their family, and deployments that
 * complete when their tasks run. The canary's "tasks" are the canary version of the sample
 * service: a deployment of the canary service starts it, scaling the service to 0 stops it. The
 * production adapter (src/workloads/ecs) talks to it through `client`, unchanged.
 */

const REGION = 'local';
const ACCOUNT = '000000000000';

/** State machine Wait states that poll ECS (15 s in AWS), shortened for the local world, in ms. */
export const LOCAL_ECS_WAITS: Record<string, number> = { WaitForCanary: 500, WaitForPrimary: 500 };

/** What the canary service's tasks are locally. */
export interface CanaryTasks {
  /** Starts the canary version (the sample service); resolves once it answers. */
  start(image: string): Promise<void>;
  /** Stops it; idempotent. */
  stop(): Promise<void>;
}

/** The image a local ECS rollout deploys unless one is given: a sample image, pinned by digest as Prepare requires. */
export function localSampleImage(specName: string, version = 'canary'): string {
  return `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/${specName}@sha256:${createHash('sha256').update(`${specName}:${version}`).digest('hex')}`;
}

/**
 * The canary service's tasks as the canary sample service: not answering until a deployment
 * starts them, stopped again when the service scales to 0.
 */
export function sampleCanaryTasks(canary: { setRunning(running: boolean): void }): CanaryTasks {
  canary.setRunning(false);
  return {
    start: async () => canary.setRunning(true),
    stop: async () => canary.setRunning(false),
  };
}

type Command = { input: Record<string, unknown>; constructor: { name: string } };

export class LocalEcs {
  /** An ECSClient look-alike whose `send` answers from this local cluster. */
  readonly client: ECSClient;
  private readonly cluster: string;
  private readonly services = new Map<string, Service>();
  private readonly taskDefinitions = new Map<string, { taskDefinition: TaskDefinition; tags?: Tag[] }>();
  private readonly counts: Record<string, number> = {};
  private deployments = 0;
  /** Deployments of the canary service whose tasks are starting. */
  private readonly starting = new Set<Promise<void>>();

  constructor(
    private readonly spec: RolloutSpec,
    private readonly canaryTasks: CanaryTasks,
  ) {
    const ecs = spec.target.ecs;
    const appMesh = spec.router.appMesh;
    if (!ecs || !appMesh || !spec.target.stable) throw new Error(`${spec.name}: the local ECS world needs target.ecs, target.stable and router.appMesh`);
    this.cluster = ecs.cluster;
    // The primary's task definition as the App Mesh guide has it: the app container and an Envoy
    // sidecar, both joined to the mesh as the primary node.
    const node = `mesh/${appMesh.mesh}/virtualNode/${spec.target.stable}`;
    const primary = this.register({
      family: spec.name,
      networkMode: 'awsvpc',
      requiresCompatibilities: ['FARGATE'],
      cpu: '256',
      memory: '512',
      containerDefinitions: [
        {
          name: ecs.container,
          image: localSampleImage(spec.name, 'stable'),
          essential: true,
          portMappings: [{ containerPort: 8080, hostPort: 8080, protocol: 'tcp' }],
          environment: [{ name: 'APPMESH_VIRTUAL_NODE_NAME', value: node }],
          dependsOn: [{ containerName: 'envoy', condition: 'HEALTHY' }],
        },
        {
          name: 'envoy',
          image: '840364872350.dkr.ecr.us-east-1.amazonaws.com/aws-appmesh-envoy:v1.29.6.0-prod',
          essential: true,
          user: '1337',
          environment: [{ name: 'APPMESH_VIRTUAL_NODE_NAME', value: node }],
        },
      ],
      proxyConfiguration: {
        type: 'APPMESH',
        containerName: 'envoy',
        properties: [
          { name: 'AppPorts', value: '8080' },
          { name: 'ProxyIngressPort', value: '15000' },
          { name: 'ProxyEgressPort', value: '15001' },
          { name: 'IgnoredUID', value: '1337' },
        ],
      },
      tags: [{ key: 'app', value: spec.name }],
    });
    this.addService(ecs.primaryService, primary, 2);
    // The canary service exists with no tasks until a rollout deploys it.
    this.addService(ecs.canaryService, primary, 0);
    this.client = this.facade();
  }

  /** API calls answered so far, per operation. */
  calls(): Record<string, number> {
    return { ...this.counts };
  }

  /** A copy of a service as DescribeServices shows it. */
  service(name: string): Service | undefined {
    const s = this.services.get(name);
    return s && structuredClone(s);
  }

  /** Waits for tasks still starting, then stops the canary's. */
  async close(): Promise<void> {
    await Promise.allSettled([...this.starting]);
    await this.canaryTasks.stop();
  }

  private facade(): ECSClient {
    const client = {
      send: async (command: Command): Promise<unknown> => {
        const name = command.constructor.name.replace(/Command$/, '');
        this.counts[name] = (this.counts[name] ?? 0) + 1;
        const input = command.input;
        if (command instanceof DescribeServicesCommand) return this.describeServices(input);
        if (command instanceof DescribeTaskDefinitionCommand) return this.describeTaskDefinition(input);
        if (command instanceof RegisterTaskDefinitionCommand) {
          const { taskDefinition, tags } = this.register(input as unknown as RegisterTaskDefinitionRequest);
          return { taskDefinition: structuredClone(taskDefinition), ...(tags ? { tags: structuredClone(tags) } : {}) };
        }
        if (command instanceof UpdateServiceCommand) return this.updateService(input);
        throw new ClientException({ message: `local ECS: ${name} is not emulated`, $metadata: { httpStatusCode: 400 } });
      },
      destroy(): void {},
    };
    return client as unknown as ECSClient;
  }

  private checkCluster(cluster: unknown): void {
    const name = typeof cluster === 'string' ? cluster.replace(/^arn:.*:cluster\//, '') : 'default';
    if (name !== this.cluster) throw new ClusterNotFoundException({ message: 'Cluster not found.', $metadata: { httpStatusCode: 400 } });
  }

  private describeServices(input: Record<string, unknown>) {
    this.checkCluster(input.cluster);
    const asked = (input.services as string[] | undefined) ?? [];
    const found = asked.map((n) => this.services.get(n.replace(/^arn:.*:service\/[^/]+\//, ''))).filter((s): s is Service => s !== undefined);
    const failures = asked.filter((n) => !this.services.has(n.replace(/^arn:.*:service\/[^/]+\//, ''))).map((n) => ({ arn: this.serviceArn(n), reason: 'MISSING' }));
    return { services: structuredClone(found), failures };
  }

  private describeTaskDefinition(input: Record<string, unknown>) {
    const found = this.taskDefinitions.get(this.resolve(String(input.taskDefinition)));
    if (!found) throw new ClientException({ message: `Unable to describe task definition ${String(input.taskDefinition)}.`, $metadata: { httpStatusCode: 400 } });
    const withTags = (input.include as string[] | undefined)?.includes('TAGS');
    return structuredClone({ taskDefinition: found.taskDefinition, ...(withTags ? { tags: found.tags ?? [] } : {}) });
  }

  private register(input: RegisterTaskDefinitionRequest): { taskDefinition: TaskDefinition; tags?: Tag[] } {
    if (!input.family || !input.containerDefinitions?.length) {
      throw new ClientException({ message: 'Task definition needs a family and container definitions.', $metadata: { httpStatusCode: 400 } });
    }
    const revision = 1 + Math.max(0, ...[...this.taskDefinitions.values()].filter((t) => t.taskDefinition.family === input.family).map((t) => t.taskDefinition.revision ?? 0));
    const { tags, ...definition } = structuredClone(input);
    const taskDefinition: TaskDefinition = {
      ...definition,
      taskDefinitionArn: `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/${input.family}:${revision}`,
      revision,
      status: 'ACTIVE',
      compatibilities: ['EC2', 'FARGATE'],
      registeredAt: new Date(),
      registeredBy: `arn:aws:sts::${ACCOUNT}:assumed-role/canary-controller/local`,
    };
    const entry = { taskDefinition, ...(tags ? { tags } : {}) };
    this.taskDefinitions.set(taskDefinition.taskDefinitionArn!, entry);
    return entry;
  }

  private updateService(input: Record<string, unknown>) {
    this.checkCluster(input.cluster);
    const name = String(input.service).replace(/^arn:.*:service\/[^/]+\//, '');
    const service = this.services.get(name);
    if (!service) throw new ServiceNotFoundException({ message: 'Service not found.', $metadata: { httpStatusCode: 400 } });
    if (typeof input.desiredCount === 'number') service.desiredCount = input.desiredCount;
    const taskDefinition = typeof input.taskDefinition === 'string' ? this.resolve(input.taskDefinition) : undefined;
    if (taskDefinition !== undefined && !this.taskDefinitions.has(taskDefinition)) {
      throw new ClientException({ message: `TaskDefinition not found: ${String(input.taskDefinition)}`, $metadata: { httpStatusCode: 400 } });
    }
    if (taskDefinition !== undefined && taskDefinition !== service.taskDefinition) this.deploy(service, taskDefinition);
    else this.scale(service);
    return { service: structuredClone(service) };
  }

  /** A new PRIMARY deployment, IN_PROGRESS until its tasks run; the previous one drains. */
  private deploy(service: Service, taskDefinition: string): void {
    const deployment = this.deployment(taskDefinition, service.desiredCount ?? 0, 0, 'IN_PROGRESS');
    for (const d of service.deployments ?? []) if (d.status === 'PRIMARY') d.status = 'ACTIVE';
    service.deployments = [deployment, ...(service.deployments ?? [])];
    service.taskDefinition = taskDefinition;
    this.event(service, `(service ${service.serviceName}) has started ${deployment.desiredCount} tasks: (deployment ${deployment.id}).`);
    const isCanary = service.serviceName === this.spec.target.ecs!.canaryService;
    const image = this.taskDefinitions.get(taskDefinition)!.taskDefinition.containerDefinitions!.find((c) => c.name === this.spec.target.ecs!.container)?.image ?? '';
    // The primary's tasks are the stable sample service, already running; the canary's start now.
    const started = isCanary && (deployment.desiredCount ?? 0) > 0 ? this.canaryTasks.start(image) : Promise.resolve();
    const done = started.then(
      () => this.complete(service, deployment),
      (error: Error) => {
        deployment.rolloutState = 'FAILED';
        deployment.rolloutStateReason = `tasks failed to start: ${error.message}`;
        deployment.failedTasks = deployment.desiredCount;
      },
    );
    this.starting.add(done);
    void done.finally(() => this.starting.delete(done));
  }

  private complete(service: Service, deployment: Deployment): void {
    if (deployment.status !== 'PRIMARY') return; // replaced meanwhile
    deployment.rolloutState = 'COMPLETED';
    deployment.rolloutStateReason = 'ECS deployment ecs-svc completed.';
    deployment.runningCount = deployment.desiredCount;
    deployment.pendingCount = 0;
    deployment.updatedAt = new Date();
    service.deployments = [deployment];
    service.runningCount = deployment.desiredCount;
    service.pendingCount = 0;
    this.event(service, `(service ${service.serviceName}) has reached a steady state.`);
  }

  /** A desired count change without a new task definition: the PRIMARY deployment follows it. */
  private scale(service: Service): void {
    const primary = service.deployments!.find((d) => d.status === 'PRIMARY')!;
    primary.desiredCount = service.desiredCount;
    primary.runningCount = service.desiredCount;
    service.runningCount = service.desiredCount;
    if (service.serviceName === this.spec.target.ecs!.canaryService && service.desiredCount === 0) {
      const stopped = this.canaryTasks.stop();
      this.starting.add(stopped);
      void stopped.finally(() => this.starting.delete(stopped));
    }
    this.event(service, `(service ${service.serviceName}) has ${service.desiredCount} desired tasks.`);
  }

  private addService(name: string, taskDefinition: { taskDefinition: TaskDefinition }, desired: number): void {
    const arn = taskDefinition.taskDefinition.taskDefinitionArn!;
    const deployment = this.deployment(arn, desired, desired, 'COMPLETED');
    this.services.set(name, {
      serviceName: name,
      serviceArn: this.serviceArn(name),
      clusterArn: `arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/${this.cluster}`,
      status: 'ACTIVE',
      launchType: 'FARGATE',
      schedulingStrategy: 'REPLICA',
      taskDefinition: arn,
      desiredCount: desired,
      runningCount: desired,
      pendingCount: 0,
      deploymentConfiguration: { deploymentCircuitBreaker: { enable: true, rollback: true }, maximumPercent: 200, minimumHealthyPercent: 100 },
      deployments: [deployment],
      events: [],
      createdAt: new Date(),
    });
  }

  private deployment(taskDefinition: string, desired: number, running: number, rolloutState: Deployment['rolloutState']): Deployment {
    const now = new Date();
    return {
      id: `ecs-svc/${String(++this.deployments).padStart(19, '0')}`,
      status: 'PRIMARY',
      taskDefinition,
      desiredCount: desired,
      runningCount: running,
      pendingCount: desired - running,
      failedTasks: 0,
      launchType: 'FARGATE',
      rolloutState,
      rolloutStateReason: rolloutState === 'COMPLETED' ? 'ECS deployment ecs-svc completed.' : 'ECS deployment ecs-svc in progress.',
      createdAt: now,
      updatedAt: now,
    };
  }

  /** Events are newest first, as ECS lists them. */
  private event(service: Service, message: string): void {
    service.events = [{ id: `${Date.now()}-${service.events!.length}`, createdAt: new Date(), message }, ...service.events!].slice(0, 100);
  }

  private resolve(taskDefinition: string): string {
    if (taskDefinition.startsWith('arn:')) return taskDefinition;
    const [family, revision] = taskDefinition.split(':');
    const rev = revision ? Number(revision) : Math.max(0, ...[...this.taskDefinitions.values()].filter((t) => t.taskDefinition.family === family).map((t) => t.taskDefinition.revision ?? 0));
    return `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/${family}:${rev}`;
  }

  private serviceArn(name: string): string {
    return `arn:aws:ecs:${REGION}:${ACCOUNT}:service/${this.cluster}/${name}`;
  }
}
