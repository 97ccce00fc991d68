/**
 * Errors shared by every module. The `name` of each error is a contract with the
 * `Retry` / `Catch` fields of statemachines/rollout.asl.json: Lambda reports
 * `error.name` as the error type, and the state machine matches on it.
 */
export class CanaryError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Bad input: an invalid spec, a missing route, node or alarm. Never retried; nothing was shifted. */
export class ConfigurationError extends CanaryError {}

/** A resource named by the spec does not exist. */
export class ResourceNotFoundError extends ConfigurationError {}

/** A throttled or failing AWS call that may succeed later. The state machine retries it with backoff. */
export class TransientError extends CanaryError {}

/** Another rollout holds the lock of a route this rollout wants. */
export class RouteLockedError extends CanaryError {}

/**
 * Another writer changed a route while we owned it (its version moved since our last write).
 * We never overwrite such a change silently: the rollout stops loudly.
 */
export class ConcurrentModificationError extends CanaryError {}

/** A newer revision of the same spec exists: this rollout must not start (it would roll traffic back to older code). */
export class SupersededError extends CanaryError {}

/** A router or workload cannot do what was asked (e.g. too many targets). */
export class UnsupportedError extends ConfigurationError {}

/** Error names the ASL relies on. Keep in sync with statemachines/rollout.asl.json. */
export const ErrorNames = {
  configuration: 'ConfigurationError',
  notFound: 'ResourceNotFoundError',
  transient: 'TransientError',
  locked: 'RouteLockedError',
  conflict: 'ConcurrentModificationError',
  unsupported: 'UnsupportedError',
  superseded: 'SupersededError',
  notClean: 'RouteNotCleanError',
  bakeInterrupted: 'Canary.BakeInterrupted',
  /** The lookout ends a `{ min, max }` bake on "not worse": caught like the bake's timeout. */
  bakeEndedEarly: 'Canary.BakeEndedEarly',
  rejected: 'Canary.Rejected',
  aborted: 'Canary.Aborted',
} as const;

/** Error names of a throttle: worth retrying, after a longer wait than other transient faults. */
const THROTTLES = new Set([
  'ThrottlingException',
  'Throttling',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'ProvisionedThroughputExceededException',
  'RequestThrottled',
  'LimitExceededException',
]);

const THROTTLING = new Set([
  ...THROTTLES,
  'ServiceUnavailableException',
  'ServiceUnavailable',
  'InternalServerErrorException',
  'InternalFailure',
  'InternalServerError',
  'TimeoutError',
  'ECONNRESET',
  'ETIMEDOUT',
]);

/** True for SDK errors worth retrying: throttling, 5xx and network faults. */
export function isTransientAwsError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const meta = (error as { $metadata?: { httpStatusCode?: number }; $retryable?: unknown; code?: string }).$metadata;
  if (THROTTLING.has(error.name)) return true;
  const code = (error as { code?: string }).code;
  if (code && THROTTLING.has(code)) return true;
  if ((error as { $retryable?: unknown }).$retryable) return true;
  // 429: a throttle answered without a type (a proxy, a gateway), which the SDK retries too.
  return meta?.httpStatusCode !== undefined && (meta.httpStatusCode >= 500 || meta.httpStatusCode === 429);
}

/** True for a throttle: one of its names, or a 429 without one (a proxy, a gateway). */
export function isThrottlingAwsError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const e = error as Error & { code?: string; $metadata?: { httpStatusCode?: number } };
  return THROTTLES.has(e.name) || (e.code !== undefined && THROTTLES.has(e.code)) || e.$metadata?.httpStatusCode === 429;
}

/** Wraps transient SDK errors into TransientError (keeping the cause); returns anything else unchanged. */
export function classifyAwsError(error: unknown, doing: string): unknown {
  if (error instanceof CanaryError) return error;
  if (isTransientAwsError(error)) {
    const e = error as Error;
    return new TransientError(`${doing}: ${e.name}: ${e.message}`, { cause: error });
  }
  return error;
}

/** A spec tries to move a resource outside the ownership binding of its source. Nothing was changed. */
export class NotOwnedError extends ConfigurationError {}

/** An execution whose spec does not come from git (no revision, or not the synced spec) while manual starts are not allowed. */
export class NotFromGitError extends ConfigurationError {}

/**
 * A route is not at rest: it still carries the canary of an earlier rollout that did not end
 * cleanly. Prepare refuses to take it as a baseline (a rollback would "restore" the split).
 */
export class RouteNotCleanError extends CanaryError {}
