import {
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  ECSClient,
  RegisterTaskDefinitionCommand,
  ServiceNotFoundException,
  UpdateServiceCommand,
  type DescribeTaskDefinitionResponse,
  type Deployment,
  type RegisterTaskDefinitionRequest,
  type Service,
  type Tag,
  type TaskDefinition,
  type UpdateServiceRequest,
} from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';

/** How the next deployment of a service goes: steady after `polls` DescribeServices, or FAILED after them. */
export type DeploymentPlan = { polls: number; fail?: string } | 'never';

const REGION = 'us-east-1';
const ACCOUNT = '123456789012';

/**
 * A stateful ECS behind aws-sdk-client-mock, for the calls EcsWorkload makes: services with
 * deployments that complete (or fail) after a number of DescribeServices polls, task definitions
 * that RegisterTaskDefinition adds as new revisions of their family. Calls are recorded in order.
 */
export class FakeEcs {
  readonly mock = mockClient(ECSClient);
  readonly client = new ECSClient({ region: REGION });
  readonly services = new Map<string, Service>();
  readonly taskDefinitions = new Map<string, { taskDefinition: TaskDefinition; tags?: Tag[] }>();
  readonly registered: RegisterTaskDefinitionRequest[] = [];
  readonly updates: UpdateServiceRequest[] = [];
  readonly calls: string[] = [];
  /** The plan of the next deployment per service (default: steady after 2 polls). */
  readonly plans = new Map<string, DeploymentPlan>();
  private readonly progress = new Map<string, { deploymentId: string; polls: number; plan: DeploymentPlan }>();
  private readonly failures: Record<string, Error[]> = {};
  private deployments = 0;

  constructor(readonly cluster = 'prod') {
    this.mock.on(DescribeServicesCommand).callsFake((input: { services?: string[] }) => {
      this.record('DescribeServices');
      for (const name of input.services ?? []) this.advance(name);
      const found = (input.services ?? []).map((n) => this.services.get(n)).filter((s): s is Service => s !== undefined);
      const failures = (input.services ?? []).filter((n) => !this.services.has(n)).map((n) => ({ arn: this.serviceArn(n), reason: 'MISSING' }));
      return { services: structuredClone(found), failures };
    });
    this.mock.on(DescribeTaskDefinitionCommand).callsFake((input: { taskDefinition: string }) => {
      this.record('DescribeTaskDefinition');
      const found = this.taskDefinitions.get(this.resolve(input.taskDefinition));
      if (!found) throw clientError(`Unable to describe task definition ${input.taskDefinition}.`);
      return structuredClone({ taskDefinition: found.taskDefinition, ...(found.tags ? { tags: found.tags } : {}) });
    });
    this.mock.on(RegisterTaskDefinitionCommand).callsFake((input: RegisterTaskDefinitionRequest) => {
      this.record('RegisterTaskDefinition');
      this.registered.push(structuredClone(input));
      const revision = 1 + Math.max(0, ...[...this.taskDefinitions.values()].filter((t) => t.taskDefinition.family === input.family).map((t) => t.taskDefinition.revision ?? 0));
      const { tags, ...definition } = structuredClone(input);
      const taskDefinition: TaskDefinition = { ...definition, taskDefinitionArn: this.taskDefinitionArn(input.family!, revision), revision, status: 'ACTIVE' };
      this.taskDefinitions.set(taskDefinition.taskDefinitionArn!, { taskDefinition, ...(tags ? { tags } : {}) });
      return { taskDefinition: structuredClone(taskDefinition), ...(tags ? { tags } : {}) };
    });
    this.mock.on(UpdateServiceCommand).callsFake((input: UpdateServiceRequest) => {
      this.record('UpdateService');
      const service = this.services.get(input.service!);
      if (!service) throw new ServiceNotFoundException({ message: 'Service not found.', $metadata: { httpStatusCode: 400 } });
      this.updates.push(structuredClone(input));
      if (input.desiredCount !== undefined) service.desiredCount = input.desiredCount;
      if (input.taskDefinition !== undefined && input.taskDefinition !== service.taskDefinition) {
        this.startDeployment(service, this.resolve(input.taskDefinition));
      } else {
        const primary = service.deployments!.find((d) => d.status === 'PRIMARY')!;
        primary.desiredCount = service.desiredCount;
        primary.runningCount = service.desiredCount;
        service.runningCount = service.desiredCount;
      }
      return { service: structuredClone(service) };
    });
  }

  /** A steady service running `taskDefinition` with `desired` tasks. */
  addService(name: string, taskDefinition: string, desired: number): this {
    const id = `ecs-svc/${++this.deployments}`;
    this.services.set(name, {
      serviceName: name,
      serviceArn: this.serviceArn(name),
      clusterArn: `arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/${this.cluster}`,
      status: 'ACTIVE',
      taskDefinition,
      desiredCount: desired,
      runningCount: desired,
      pendingCount: 0,
      deployments: [deployment(id, taskDefinition, desired, desired, 'COMPLETED')],
      events: [],
    });
    return this;
  }

  addTaskDefinition(described: DescribeTaskDefinitionResponse): this {
    const td = described.taskDefinition!;
    this.taskDefinitions.set(td.taskDefinitionArn!, { taskDefinition: structuredClone(td), ...(described.tags ? { tags: structuredClone(described.tags) } : {}) });
    return this;
  }

  /** Plans how the next deployment of `service` ends. */
  plan(service: string, plan: DeploymentPlan): this {
    this.plans.set(service, plan);
    return this;
  }

  /** Queues errors thrown by the next calls of a command (before it changes anything). */
  failNext(command: 'DescribeServices' | 'DescribeTaskDefinition' | 'RegisterTaskDefinition' | 'UpdateService', ...errors: Error[]): void {
    (this.failures[command] ??= []).push(...errors);
  }

  service(name: string): Service {
    return structuredClone(this.services.get(name)!);
  }

  taskDefinition(arn: string): TaskDefinition {
    return structuredClone(this.taskDefinitions.get(arn)!.taskDefinition);
  }

  restore(): void {
    this.mock.restore();
  }

  private startDeployment(service: Service, taskDefinition: string): void {
    const id = `ecs-svc/${++this.deployments}`;
    for (const d of service.deployments!) if (d.status === 'PRIMARY') d.status = 'ACTIVE';
    service.deployments!.unshift(deployment(id, taskDefinition, service.desiredCount!, 0, 'IN_PROGRESS'));
    service.taskDefinition = taskDefinition;
    const plan = this.plans.get(service.serviceName!) ?? { polls: 2 };
    this.plans.delete(service.serviceName!);
    this.progress.set(service.serviceName!, { deploymentId: id, polls: 0, plan });
  }

  /** One DescribeServices poll: the deployment moves on by its plan. */
  private advance(name: string): void {
    const service = this.services.get(name);
    const progress = this.progress.get(name);
    if (!service || !progress || progress.plan === 'never') return;
    progress.polls++;
    if (progress.polls < progress.plan.polls) return;
    const ours = service.deployments!.find((d) => d.id === progress.deploymentId)!;
    this.progress.delete(name);
    if (progress.plan.fail !== undefined) {
      // The circuit breaker trips: the deployment is FAILED, the service rolls back to the previous one.
      ours.rolloutState = 'FAILED';
      ours.rolloutStateReason = progress.plan.fail;
      ours.failedTasks = ours.desiredCount;
      return;
    }
    ours.rolloutState = 'COMPLETED';
    ours.runningCount = ours.desiredCount;
    service.runningCount = ours.desiredCount;
    service.deployments = [ours];
  }

  private resolve(taskDefinition: string): string {
    if (taskDefinition.startsWith('arn:')) return taskDefinition;
    const [family, revision] = taskDefinition.split(':');
    return this.taskDefinitionArn(family!, Number(revision));
  }

  private record(command: string): void {
    this.calls.push(command);
    const next = this.failures[command]?.shift();
    if (next) throw next;
  }

  private serviceArn(name: string): string {
    return `arn:aws:ecs:${REGION}:${ACCOUNT}:service/${this.cluster}/${name}`;
  }

  private taskDefinitionArn(family: string, revision: number): string {
    return `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/${family}:${revision}`;
  }
}

function deployment(id: string, taskDefinition: string, desired: number, running: number, rolloutState: Deployment['rolloutState']): Deployment {
  return { id, status: 'PRIMARY', taskDefinition, desiredCount: desired, runningCount: running, pendingCount: desired - running, failedTasks: 0, rolloutState, createdAt: new Date() };
}

function clientError(message: string): Error {
  const e = new Error(message);
  e.name = 'ClientException';
  (e as { $metadata?: unknown }).$metadata = { httpStatusCode: 400 };
  return e;
}

/** ECS throttling, as the SDK raises it. */
export function ecsThrottled(): Error {
  const e = new Error('Rate exceeded');
  e.name = 'ThrottlingException';
  (e as { $metadata?: unknown }).$metadata = { httpStatusCode: 400 };
  return e;
}
