import type { EcsTarget } from './workload';

/** The AWS partition of a region: `aws`, `aws-cn` or `aws-us-gov`. */
function partitionOf(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}

/** The last path segment of an ARN (`.../cluster/prod` → `prod`), or the string itself when it is a name. */
function nameOf(nameOrArn: string): string {
  return nameOrArn.startsWith('arn:') ? (nameOrArn.split('/').pop() ?? nameOrArn) : nameOrArn;
}

/**
 * The ARNs an ECS target touches, to scope the IAM policy of the workload Lambdas
 * (ecs:DescribeServices and ecs:UpdateService on the services, with the cluster as condition).
 * Service ARNs use the long format `service/<cluster>/<service>`. Pure.
 */
export function iamResourcesFor(
  target: Pick<EcsTarget, 'cluster' | 'primaryService' | 'canaryService'>,
  region: string,
  account: string,
): { serviceArns: string[]; clusterArn: string } {
  const prefix = `arn:${partitionOf(region)}:ecs:${region}:${account}`;
  const cluster = nameOf(target.cluster);
  return {
    clusterArn: `${prefix}:cluster/${cluster}`,
    serviceArns: [target.primaryService, target.canaryService].map((s) => `${prefix}:service/${cluster}/${nameOf(s)}`),
  };
}
