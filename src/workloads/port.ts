/**
 * The Workload port: what deploys, promotes and cleans up the canary. The core speaks only this;
 * ECS is an adapter behind it (src/workloads/ecs). Every call is one quick round of API calls:
 * waiting is done by Wait + status loops in the state machine, never by sleeping in Lambda.
 */

/** Where a deployment stands. `reason` is written for a human reading the execution history. */
export interface WorkloadStatus {
  phase: 'steady' | 'progressing' | 'failed';
  reason: string;
  running: number;
  desired: number;
  /** The task definition the service is converging on (its PRIMARY deployment), when known. */
  taskDefinition?: string;
  /** Lambda: the version published from the deployed code once steady; it is the canary from then on. */
  version?: string;
}

/** What deployCanary returns and later calls take back. JSON-serialisable: it travels through Step Functions state. */
export interface CanaryDeployment {
  /** ECS: the canary's task definition. Lambda: the function whose code was updated. */
  taskDefinitionArn: string;
  desiredCount: number;
  deploymentId?: string;
  /** Lambda: CodeSha256 of the code UpdateFunctionCode deployed; PublishVersion publishes only that code. */
  codeSha256?: string;
}

export interface DeploymentRef {
  taskDefinitionArn: string;
  deploymentId?: string;
  /** Lambda: the CodeSha256 deployed (see CanaryDeployment). */
  codeSha256?: string;
}

export interface Workload {
  readonly kind: string;
  /** Read-only check at Prepare that the services, task definition and container exist, so a typo fails before anything runs. */
  validate(input: { image: string }): Promise<void>;
  /** Deploys the canary for an image; returns what later calls need (JSON-serialisable). */
  deployCanary(input: { image: string }): Promise<CanaryDeployment>;
  /** One look at the canary service: steady, still progressing, or failed (with why). */
  canaryStatus(ref: DeploymentRef): Promise<WorkloadStatus>;
  /**
   * Rolls the primary onto what the canary ran (`ref` is the canary's deployment). Returns the
   * task definition the primary now converges on, which may differ from the canary's (ECS: same
   * image and settings, but the primary's mesh identity); pass it to primaryStatus.
   */
  promotePrimary(ref: { taskDefinitionArn: string }): Promise<{ taskDefinitionArn: string; deploymentId?: string }>;
  /** One look at the primary service after promotePrimary, with the ref promotePrimary returned. */
  primaryStatus(ref: DeploymentRef): Promise<WorkloadStatus>;
  /** Stops the canary's tasks. Idempotent: safe to call from Rollback and cleanup, any number of times. */
  scaleCanaryToZero(): Promise<void>;
}
