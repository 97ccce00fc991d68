import { CanaryError, ConfigurationError, ResourceNotFoundError, TransientError, classifyAwsError } from '../../shared/errors';

/** What a VPC Lattice call was doing, so that a mapped error can name the resource. */
export interface LatticeCallContext {
  /** The VPC Lattice API action, e.g. `GetRule`. */
  action: string;
  /** The resource, e.g. `rule "rule-0c1..."`. */
  resource: string;
  /** Where it lives, e.g. `on listener "listener-01..." of service "svc-0a1..."`. */
  scope: string;
}

/**
 * Turns a VPC Lattice SDK exception into one of our errors, naming the resource and keeping the SDK
 * error as `cause`. Throttling (`ThrottlingException`) and 5xx (`InternalServerException`) go to
 * `classifyAwsError`, which makes them TransientError; anything unknown is returned unchanged.
 */
export function mapLatticeError(error: unknown, ctx: LatticeCallContext): unknown {
  if (error instanceof CanaryError || !(error instanceof Error)) return error;
  const where = `${ctx.resource} ${ctx.scope}`;
  const detail = error as { resourceType?: string; resourceId?: string };
  switch (error.name) {
    case 'ResourceNotFoundException': {
      // Lattice names the missing resource itself (the listener may be missing while we asked for a rule).
      const missing = detail.resourceType && detail.resourceId ? `${detail.resourceType.toLowerCase()} "${detail.resourceId}"` : ctx.resource;
      return new ResourceNotFoundError(`VPC Lattice ${missing} not found (${ctx.action} of ${where}): ${error.message}`, { cause: error });
    }
    case 'ValidationException':
      return new ConfigurationError(`VPC Lattice rejected ${ctx.action} for ${where}: ${error.message}`, { cause: error });
    // botocore: the request "conflicts with the current state" of the resource, i.e. it is being
    // updated, most often by the SDK's retry of our own in-flight write. Not proof of another writer:
    // the writer re-reads (see LatticeRouter.write), and a retry meets the digest check, which does
    // stop a real other writer.
    case 'ConflictException':
      return new TransientError(`${where} is being updated during ${ctx.action} (ConflictException: ${error.message}); retry`, { cause: error });
    case 'AccessDeniedException':
      return new ConfigurationError(`not allowed to call vpc-lattice:${ctx.action} on ${where}; grant that IAM permission (VPC Lattice said: ${error.message})`, {
        cause: error,
      });
    // An account quota (rules per listener, target groups per action): retrying cannot help.
    case 'ServiceQuotaExceededException':
      return new ConfigurationError(`VPC Lattice quota exceeded during ${ctx.action} for ${where}: ${error.message}`, { cause: error });
    default:
      return classifyAwsError(error, `vpc-lattice:${ctx.action} ${where}`);
  }
}
