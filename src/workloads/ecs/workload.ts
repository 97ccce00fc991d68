import {
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  ECSClient,
  RegisterTaskDefinitionCommand,
  UpdateServiceCommand,
  type DescribeServicesResponse,
  type DescribeTaskDefinitionResponse,
  type RegisterTaskDefinitionRequest,
  type Service,
} from '@aws-sdk/client-ecs';
import type * as z from '../../shared/zod-mini';
import type { EcsTargetSchema } from '../../spec/schema';
import { CanaryError, ConfigurationError, ResourceNotFoundError } from '../../shared/errors';
import type { CanaryDeployment, DeploymentRef, Workload, WorkloadStatus } from '../port';
import { classifyEcsError, type EcsCallContext } from './errors';
import { deploymentStatus } from './status';
import { cloneTaskDefinition } from './task-definition';

/** A validated `target.ecs` (defaults applied, readyTimeout in seconds). */
export type EcsTarget = z.output<typeof EcsTargetSchema>;

export interface EcsWorkloadOptions {
  mesh: string;
  /** The virtual node the canary service's tasks join. */
  canaryNode: string;
  /** The virtual node the primary service's tasks join; its task definition must name it. */
  primaryNode: string;
  /**
   * Account owning a shared mesh. Not needed to move a node: APPMESH_RESOURCE_ARN keeps whatever
   * account its value already names. Accepted so callers pass the router's mesh settings as they are.
   */
  meshOwner?: string;
}

/** ARNs or names may be used for services in the spec; ECS answers with names and ARNs. */
function matches(requested: string, service: { serviceName?: string; serviceArn?: string; arn?: string }): boolean {
  const arn = service.serviceArn ?? service.arn;
  if (requested.startsWith('arn:')) return arn === requested;
  return service.serviceName === requested || (arn !== undefined && arn.endsWith(`/${requested}`));
}

/**
 * The ECS workload: a primary and a canary ECS service, each paired with what the router shifts
 * between (a fixed App Mesh virtual node, or an ALB / VPC Lattice target group the service is
 * registered in). The canary gets the primary's task definition with the new image (and, with
 * App Mesh, the canary node); promotion rolls the primary onto that task definition.
 */
export class EcsWorkload implements Workload {
  readonly kind = 'ecs';

  /**
   * `mesh` pairs each service with an App Mesh virtual node; without it (services behind ALB or
   * VPC Lattice target groups, which route by registration, not by a task's identity) the task
   * definitions are cloned with only the image changed.
   */
  constructor(
    private readonly target: EcsTarget,
    private readonly mesh: EcsWorkloadOptions | undefined,
    private readonly client: ECSClient = new ECSClient({}),
  ) {
    if (target.primaryService === target.canaryService) {
      throw new ConfigurationError(`target.ecs: primaryService and canaryService must differ (both are "${target.primaryService}")`);
    }
    if (mesh !== undefined && mesh.primaryNode === mesh.canaryNode) {
      throw new ConfigurationError(`the primary and canary virtual nodes must differ (both are "${mesh.primaryNode}")`);
    }
  }

  /** Read-only: both services exist and are active, and the primary's task definition clones (container and mesh node found). */
  async validate(input: { image: string }): Promise<void> {
    const { cluster, primaryService } = this.target;
    const [primary] = await this.describeServices([primaryService, this.target.canaryService]);
    if (primary.taskDefinition === undefined) {
      throw new ConfigurationError(`ECS service "${primaryService}" in cluster "${cluster}" has no task definition`);
    }
    const described = await this.describeTaskDefinition(primary.taskDefinition);
    this.clone(described, input.image, 'canary');
  }

  /**
   * Registers the primary's task definition with the new image and the canary node, and points
   * the canary service at it. Returns the new task definition, the canary's desired count and
   * the canary service's new PRIMARY deployment, for canaryStatus.
   */
  async deployCanary(input: { image: string }): Promise<CanaryDeployment> {
    const { cluster, primaryService, canaryService } = this.target;
    const [primary] = await this.describeServices([primaryService, canaryService]);
    const primaryTaskDefinition = primary.taskDefinition;
    if (primaryTaskDefinition === undefined) {
      throw new ConfigurationError(`ECS service "${primaryService}" in cluster "${cluster}" has no task definition`);
    }

    const described = await this.describeTaskDefinition(primaryTaskDefinition);
    const registration = this.clone(described, input.image, 'canary');
    const taskDefinitionArn = await this.registerTaskDefinition(registration, cluster);

    // At least one task: a canary with no task could never be judged.
    const desiredCount = this.target.canaryDesiredCount ?? Math.max(1, primary.desiredCount ?? 0);
    const updated = await this.updateService(canaryService, { taskDefinition: taskDefinitionArn, desiredCount, forceNewDeployment: false });
    const deploymentId = primaryDeploymentOf(updated, taskDefinitionArn);
    return { taskDefinitionArn, desiredCount, ...(deploymentId !== undefined ? { deploymentId } : {}) };
  }

  async canaryStatus(ref: DeploymentRef): Promise<WorkloadStatus> {
    const [service] = await this.describeServices([this.target.canaryService]);
    return deploymentStatus(service, ref);
  }

  /**
   * Registers the canary's task definition with the node moved back to the primary node, and
   * points the primary service at it. Running the canary's own task definition in the primary
   * service would make its Envoys join the mesh as the canary node, and the next rollout would
   * clone a primary that claims to be the canary. Same image, same settings: exactly what was judged.
   */
  async promotePrimary(ref: { taskDefinitionArn: string }): Promise<{ taskDefinitionArn: string; deploymentId?: string }> {
    const { cluster, primaryService, container } = this.target;
    const described = await this.describeTaskDefinition(ref.taskDefinitionArn);
    const image = described.taskDefinition?.containerDefinitions?.find((c) => c.name === container)?.image;
    if (image === undefined) {
      throw new ConfigurationError(`canary task definition ${ref.taskDefinitionArn} has no container "${container}" with an image`);
    }
    const registration = this.clone(described, image, 'primary');
    const taskDefinitionArn = await this.registerTaskDefinition(registration, cluster);
    const updated = await this.updateService(primaryService, { taskDefinition: taskDefinitionArn });
    const deploymentId = primaryDeploymentOf(updated, taskDefinitionArn);
    return { taskDefinitionArn, ...(deploymentId !== undefined ? { deploymentId } : {}) };
  }

  async primaryStatus(ref: DeploymentRef): Promise<WorkloadStatus> {
    const [service] = await this.describeServices([this.target.primaryService]);
    return deploymentStatus(service, ref);
  }

  /** A canary service that no longer exists has no tasks either: cleanup and rollback must not fail on it. */
  async scaleCanaryToZero(): Promise<void> {
    try {
      await this.updateService(this.target.canaryService, { desiredCount: 0 });
    } catch (error) {
      if (error instanceof ResourceNotFoundError && isMissingService(error.cause)) return;
      throw error;
    }
  }

  /** The task definition for `to`'s service: the new image and, with App Mesh, that service's node. */
  private clone(described: DescribeTaskDefinitionResponse, image: string, to: 'canary' | 'primary'): RegisterTaskDefinitionRequest {
    const { container } = this.target;
    if (this.mesh === undefined) return cloneTaskDefinition(described, image, undefined, { container });
    const [fromNode, toNode] = to === 'canary' ? [this.mesh.primaryNode, this.mesh.canaryNode] : [this.mesh.canaryNode, this.mesh.primaryNode];
    return cloneTaskDefinition(described, image, toNode, { container, mesh: this.mesh.mesh, fromNode });
  }

  /** DescribeServices for up to 10 services; each must exist and be ACTIVE. Returns them in the order asked. */
  private async describeServices<const T extends readonly string[]>(names: T): Promise<{ [K in keyof T]: Service }> {
    const { cluster } = this.target;
    const response: DescribeServicesResponse = await this.call(
      { action: 'DescribeServices', cluster, ...(names.length === 1 ? { service: names[0] } : {}) },
      () => this.client.send(new DescribeServicesCommand({ cluster, services: [...names] })),
    );
    return names.map((name) => {
      const service = (response.services ?? []).find((s) => matches(name, s));
      if (service === undefined) {
        const failure = (response.failures ?? []).find((f) => matches(name, f));
        throw new ResourceNotFoundError(
          `ECS service "${name}" not found in cluster "${cluster}"` + (failure?.reason ? ` (${failure.reason})` : ''),
        );
      }
      if (service.status !== undefined && service.status !== 'ACTIVE') {
        throw new ResourceNotFoundError(`ECS service "${name}" in cluster "${cluster}" is ${service.status}, not ACTIVE`);
      }
      return service;
    }) as { [K in keyof T]: Service };
  }

  private async describeTaskDefinition(taskDefinition: string): Promise<DescribeTaskDefinitionResponse> {
    return this.call({ action: 'DescribeTaskDefinition', cluster: this.target.cluster, taskDefinition }, () =>
      this.client.send(new DescribeTaskDefinitionCommand({ taskDefinition, include: ['TAGS'] })),
    );
  }

  /** Returns the new revision's ARN. */
  private async registerTaskDefinition(registration: RegisterTaskDefinitionRequest, cluster: string): Promise<string> {
    const family = registration.family ?? '(no family)';
    const registered = await this.call({ action: 'RegisterTaskDefinition', cluster, taskDefinition: family }, () =>
      this.client.send(new RegisterTaskDefinitionCommand(registration)),
    );
    const arn = registered.taskDefinition?.taskDefinitionArn;
    if (arn === undefined) throw new CanaryError(`RegisterTaskDefinition for family "${family}" returned no taskDefinitionArn`);
    return arn;
  }

  private async updateService(
    service: string,
    changes: { taskDefinition?: string; desiredCount?: number; forceNewDeployment?: boolean },
  ): Promise<Service | undefined> {
    const { cluster } = this.target;
    const response = await this.call({ action: 'UpdateService', cluster, service }, () =>
      this.client.send(new UpdateServiceCommand({ cluster, service, ...changes })),
    );
    return response.service;
  }

  private async call<T>(ctx: EcsCallContext, send: () => Promise<T>): Promise<T> {
    try {
      return await send();
    } catch (error) {
      throw classifyEcsError(error, ctx);
    }
  }
}

/** The id of the service's PRIMARY deployment, if it is the one running `taskDefinitionArn`. */
function primaryDeploymentOf(service: Service | undefined, taskDefinitionArn: string): string | undefined {
  const primary = service?.deployments?.find((d) => d.status === 'PRIMARY');
  return primary?.taskDefinition === taskDefinitionArn ? primary.id : undefined;
}

function isMissingService(cause: unknown): boolean {
  // No cluster means no canary tasks either: nothing to scale down.
  return cause instanceof Error && ['ServiceNotFoundException', 'ServiceNotActiveException', 'ClusterNotFoundException'].includes(cause.name);
}
