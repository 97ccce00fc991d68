import {
  classifyAwsError,
  ConfigurationError,
  ResourceNotFoundError,
  TransientError,
  CanaryError,
} from '../../shared/errors';

/** What an ECS call was doing, so an error can name the action and the resource. */
export interface EcsCallContext {
  /** ECS API action, e.g. `UpdateService`. */
  action: string;
  cluster: string;
  service?: string;
  taskDefinition?: string;
}

const TRANSIENT = new Set(['ThrottlingException', 'ServerException']);

/** Rejected input: the request can never succeed as written. */
const REJECTED = new Set([
  'ClientException',
  'InvalidParameterException',
  'PlatformTaskDefinitionIncompatibilityException',
  'PlatformUnknownException',
  'UnsupportedFeatureException',
]);

/**
 * ECS answers some rate limits with a ClientException instead of ThrottlingException, notably
 * "Too many concurrent attempts to create a new revision of the specified family" from
 * RegisterTaskDefinition. Those are worth retrying.
 */
const THROTTLED_CLIENT_MESSAGE = /too many concurrent|rate exceeded|throttl/i;

function describeTarget(ctx: EcsCallContext): string {
  if (ctx.service !== undefined) return `service "${ctx.service}" in cluster "${ctx.cluster}"`;
  if (ctx.taskDefinition !== undefined) return `task definition "${ctx.taskDefinition}"`;
  return `cluster "${ctx.cluster}"`;
}

/**
 * Turns an ECS SDK error into one of our errors naming the action and resource, keeping the SDK
 * error as `cause`. Errors it does not know go through the shared classifier (transient or unchanged).
 */
export function classifyEcsError(error: unknown, ctx: EcsCallContext): unknown {
  if (error instanceof CanaryError || !(error instanceof Error)) return error;
  const { name, message } = error;
  const doing = `ecs:${ctx.action} on ${describeTarget(ctx)}`;

  if (TRANSIENT.has(name) || (name === 'ClientException' && THROTTLED_CLIENT_MESSAGE.test(message))) {
    return new TransientError(`${doing}: ${name}: ${message}`, { cause: error });
  }
  if (name === 'ServiceNotFoundException') {
    return new ResourceNotFoundError(
      `ECS service "${ctx.service ?? '(unknown)'}" not found in cluster "${ctx.cluster}" (ecs:${ctx.action})`,
      { cause: error },
    );
  }
  if (name === 'ServiceNotActiveException') {
    return new ResourceNotFoundError(
      `ECS service "${ctx.service ?? '(unknown)'}" in cluster "${ctx.cluster}" is not active (deleted?) (ecs:${ctx.action})`,
      { cause: error },
    );
  }
  if (name === 'ClusterNotFoundException') {
    return new ResourceNotFoundError(`ECS cluster "${ctx.cluster}" not found (ecs:${ctx.action})`, { cause: error });
  }
  if (name === 'AccessDeniedException') {
    return new ConfigurationError(`not allowed to call ecs:${ctx.action} on ${describeTarget(ctx)}: ${message}`, {
      cause: error,
    });
  }
  if (REJECTED.has(name)) {
    return new ConfigurationError(`${doing} was rejected: ${name}: ${message}`, { cause: error });
  }
  return classifyAwsError(error, doing);
}
