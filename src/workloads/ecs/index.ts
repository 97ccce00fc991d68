export { EcsWorkload, type EcsTarget, type EcsWorkloadOptions } from './workload';
export {
  cloneTaskDefinition,
  REGISTRABLE_FIELDS,
  READ_ONLY_FIELDS,
  MESH_NODE_VARIABLES,
  isPinnedByDigest,
  type CloneOptions,
} from './task-definition';
export { deploymentStatus } from './status';
export { iamResourcesFor } from './iam';
export { classifyEcsError, type EcsCallContext } from './errors';
