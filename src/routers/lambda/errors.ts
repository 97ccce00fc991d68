import { CanaryError, ConcurrentModificationError, ConfigurationError, ResourceNotFoundError, TransientError, classifyAwsError } from '../../shared/errors';

/** What a Lambda call was doing, so that a mapped error can name the resource. */
export interface LambdaCallContext {
  /** The Lambda API action, e.g. `UpdateAlias`. */
  action: string;
  /** The resource, e.g. `alias "live" of function "user-service"`. */
  resource: string;
}

/**
 * Turns a Lambda SDK exception into one of our errors, naming the resource and keeping the SDK
 * error as `cause`. Throttling (`TooManyRequestsException`) and 5xx faults (`ServiceException`)
 * are left to `classifyAwsError`, which wraps them as TransientError; anything unknown is
 * returned unchanged (to be rethrown as is).
 */
export function mapLambdaError(error: unknown, ctx: LambdaCallContext): unknown {
  if (error instanceof CanaryError || !(error instanceof Error)) return error;
  switch (error.name) {
    case 'ResourceNotFoundException':
      return new ResourceNotFoundError(`${ctx.resource} not found (lambda:${ctx.action}: ${error.message})`, { cause: error });
    case 'PreconditionFailedException':
      // Lambda's compare-and-swap: the RevisionId we sent is no longer the latest one.
      return new ConcurrentModificationError(`${ctx.resource} was changed by another writer (lambda:${ctx.action}: PreconditionFailedException: ${error.message})`, {
        cause: error,
      });
    case 'ResourceConflictException':
      // "The resource already exists, or another operation is in progress": an update of the
      // function still running. It ends by itself, so a later try can succeed.
      return new TransientError(`lambda:${ctx.action} ${ctx.resource}: another operation is in progress (${error.message})`, { cause: error });
    case 'InvalidParameterValueException':
    case 'InvalidRequestContentException':
    case 'CodeStorageExceededException':
      return new ConfigurationError(`Lambda rejected ${ctx.action} for ${ctx.resource}: ${error.name}: ${error.message}`, { cause: error });
    case 'AccessDeniedException':
      return new ConfigurationError(`not allowed to call lambda:${ctx.action} on ${ctx.resource}; grant that IAM permission (Lambda said: ${error.message})`, {
        cause: error,
      });
    default:
      return classifyAwsError(error, `lambda:${ctx.action} ${ctx.resource}`);
  }
}
