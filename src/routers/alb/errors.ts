import { CanaryError, ConfigurationError, ResourceNotFoundError, classifyAwsError } from '../../shared/errors';

/** What an ELBv2 call was doing, so that a mapped error can name the resource. */
export interface AlbCallContext {
  /** The ELBv2 API action, e.g. `ModifyRule`. */
  action: string;
  /** The resource, e.g. `listener rule arn:aws:elasticloadbalancing:...`. */
  resource: string;
}

const NOT_FOUND = new Set(['ListenerNotFoundException', 'RuleNotFoundException', 'TargetGroupNotFoundException', 'LoadBalancerNotFoundException']);

/** ELBv2 refusals of a configuration: retrying cannot help, the spec or the load balancer must change. */
const REFUSED = new Set([
  'ValidationError',
  'InvalidConfigurationRequestException',
  'IncompatibleProtocolsException',
  'InvalidLoadBalancerActionException',
  'OperationNotPermittedException',
  'UnsupportedProtocolException',
  'TooManyActionsException',
  'TooManyTargetGroupsException',
  'TooManyUniqueTargetGroupsPerLoadBalancerException',
  'TargetGroupAssociationLimitException',
  'TooManyTargetsException',
  'TooManyRegistrationsForTargetIdException',
]);

/**
 * Turns an ELBv2 SDK exception into one of our errors, naming the resource and keeping the SDK
 * error as `cause`. Throttling (`Throttling`, `ThrottlingException`) and 5xx faults become
 * TransientError through `classifyAwsError`; anything unknown is returned unchanged.
 */
export function mapElbv2Error(error: unknown, ctx: AlbCallContext): unknown {
  if (error instanceof CanaryError || !(error instanceof Error)) return error;
  if (NOT_FOUND.has(error.name)) return new ResourceNotFoundError(`${ctx.resource} not found (${ctx.action}: ${error.name})`, { cause: error });
  if (REFUSED.has(error.name)) return new ConfigurationError(`ELBv2 rejected ${ctx.action} for ${ctx.resource}: ${error.name}: ${error.message}`, { cause: error });
  if (error.name === 'AccessDenied' || error.name === 'AccessDeniedException' || error.name === 'UnauthorizedOperation') {
    return new ConfigurationError(`not allowed to call elasticloadbalancing:${ctx.action} on ${ctx.resource}; grant that IAM permission (${error.message})`, { cause: error });
  }
  return classifyAwsError(error, `elasticloadbalancing:${ctx.action} ${ctx.resource}`);
}
