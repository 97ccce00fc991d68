import {
  CanaryError,
  ConcurrentModificationError,
  ConfigurationError,
  ResourceNotFoundError,
  TransientError,
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

/**
 * One error for a restore in which some routes failed. It keeps the class (and so the `name`
 * the state machine matches on) of the first failure, names every failed route in its message,
 * and lists all failures in `errors`: a partial restore must never look like a clean one.
 */
export function partialRestoreError(failures: Array<{ route: string; error: unknown }>, total: number): Error {
  // A route that failed transiently can still be restored: the whole error is retryable then, even
  // if another route is a conflict (the retry restores what it can and fails loudly on the rest).
  const first = failures.find((f) => f.error instanceof TransientError)?.error ?? failures[0]?.error;
  const detail = failures.map((f) => `route "${f.route}": ${f.error instanceof Error ? f.error.message : String(f.error)}`).join('; ');
  const restored = total - failures.length;
  const message = `restore failed for ${failures.length} of ${total} route(s) (${restored} restored): ${detail}`;
  let result: Error;
  if (first instanceof CanaryError) {
    const Ctor = first.constructor as new (message: string, options?: { cause?: unknown }) => CanaryError;
    result = new Ctor(message, { cause: first });
  } else {
    result = new Error(message, { cause: first });
    if (first instanceof Error) result.name = first.name;
  }
  Object.defineProperty(result, 'errors', { value: failures.map((f) => f.error), enumerable: false });
  return result;
}
