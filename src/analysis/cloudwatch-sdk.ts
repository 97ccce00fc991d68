/**
 * The CloudWatch SDK, required on first use. The analysis modules are imported by every function
 * that judges a step for their types and pure helpers, but most functions never call CloudWatch
 * (Promote, Rollback, the triggers) and a step with alarms only never reads metric data: loading
 * the client at import costs tens of ms of cold start for nothing.
 */
export function cloudWatchSdk(): typeof import('@aws-sdk/client-cloudwatch') {
  return require('@aws-sdk/client-cloudwatch') as typeof import('@aws-sdk/client-cloudwatch');
}
