import {
  CanaryError,
  ConcurrentModificationError,
  ConfigurationError,
  ResourceNotFoundError,
  classifyAwsError,
} from '../../shared/errors';

/** What an App Mesh call was doing, so that a mapped error can name the resource. */
export interface AppMeshCallContext {
  /** The App Mesh API action, e.g. `DescribeRoute`. */
  action: string;
  /** The resource, e.g. `route "user-route"`. */
  resource: string;
  /** Where the resource lives, e.g. `on virtual router "user-router" in mesh "my-mesh"`. */
  scope: string;
}

/**
 * Turns an App Mesh SDK exception into one of our errors, naming the resource and keeping the
 * SDK error as `cause`. What we do not recognise is left to `classifyAwsError`, which wraps
 * throttling and 5xx faults and returns anything else unchanged (to be rethrown as is).
 */
export function mapAppMeshError(error: unknown, ctx: AppMeshCallContext): unknown {
  if (error instanceof CanaryError || !(error instanceof Error)) return error;
  const where = `${ctx.resource} ${ctx.scope}`;
  switch (error.name) {
    case 'NotFoundException':
      return new ResourceNotFoundError(`${ctx.resource} not found ${ctx.scope}`, { cause: error });
    case 'BadRequestException':
      return new ConfigurationError(`App Mesh rejected ${ctx.action} for ${where}: ${error.message}`, { cause: error });
    case 'ConflictException':
      return new ConcurrentModificationError(
        `${where} was changed by another writer during ${ctx.action} (ConflictException: ${error.message})`,
        { cause: error },
      );
    case 'ForbiddenException':
      return new ConfigurationError(
        `not allowed to call appmesh:${ctx.action} on ${where}; grant that IAM permission (App Mesh said: ${error.message})`,
        { cause: error },
      );
    // App Mesh uses this for account quotas (number of routes, nodes...), not throttling, so
    // retrying cannot help; the shared classifier would otherwise treat it as transient.
    case 'LimitExceededException':
      return new ConfigurationError(`App Mesh quota exceeded during ${ctx.action} for ${where}: ${error.message}`, { cause: error });
    default:
      return classifyAwsError(error, `appmesh:${ctx.action} ${where}`);
  }
}
