import type { RolloutSpec } from '../spec';
import { ConfigurationError } from '../shared/errors';

/**
 * Per-version metrics, per router kind: where CloudWatch keeps the requests, errors and latency
 * of each version a router splits traffic between. The one place that knows provider metric
 * names; the analysis core asks `versionMetrics(spec, targets)` and builds queries from the answer.
 */

/** One CloudWatch metric identity (namespace, name, dimensions). */
export interface MetricId {
  namespace: string;
  metricName: string;
  dimensions: Record<string, string>;
}

/** The three series a comparison reads for one version. */
export interface VersionSeries {
  /** Requests served; read with `Sum` (or `SampleCount` where the provider counts requests that way). */
  requests: MetricId & { stat: 'Sum' };
  /** 5xx answers (ALB, Lattice, mesh) or function errors (Lambda); read with `Sum`. */
  errors: MetricId & { stat: 'Sum' };
  /** Response time; read with a percentile-rank statistic `PR(<bound>:)` in `latencyUnitMs` units. */
  latency: MetricId;
  /** Milliseconds per unit of the latency metric (1000 when it is reported in seconds). */
  latencyUnitMs: number;
}

export interface VersionMetrics {
  canary: VersionSeries;
  stable: VersionSeries;
  /** Values for `{{name}}` placeholders in `analysis.metrics[]` queries. */
  placeholders: Record<string, string>;
}

/** Namespace the local world (and an App Mesh deployment's Envoy stats, once exported) publishes per-node metrics in. */
export const MESH_NAMESPACE = 'CanaryController/Mesh';

/** `app/<name>/<id>` from a listener or listener-rule ARN: the ALB's `LoadBalancer` dimension. */
export function albLoadBalancerDimension(listenerArn: string): string | undefined {
  const m = /:listener(?:-rule)?\/(app\/[^/]+\/[^/]+)\//.exec(listenerArn);
  return m?.[1];
}

/** `targetgroup/<name>/<id>` from a target group ARN: the ALB's `TargetGroup` dimension. */
export function albTargetGroupDimension(targetGroupArn: string): string | undefined {
  const m = /:(targetgroup\/[^/]+\/[0-9a-f]+)$/.exec(targetGroupArn);
  return m?.[1];
}

/** `tg-...` from a VPC Lattice target group id or ARN: the `TargetGroup` dimension of AWS/VpcLattice. */
export function latticeTargetGroupDimension(target: string): string | undefined {
  const m = /(?:^|targetgroup\/)(tg-[0-9a-z]{17})$/.exec(target);
  return m?.[1];
}

/**
 * The per-version series of the spec's router, for the canary and stable targets as the router
 * names them (stable: the snapshot's, since the spec may leave it to the router to find).
 * Throws ConfigurationError naming the field when a target cannot be turned into a dimension.
 */
export function versionMetrics(spec: RolloutSpec, targets: { canary: string; stable: string }): VersionMetrics {
  const { alb, vpcLattice, lambda, appMesh } = spec.router;
  const base = { canary: targets.canary, stable: targets.stable };
  if (alb) {
    const loadBalancer = albLoadBalancerDimension(alb.listenerArn);
    if (!loadBalancer) throw new ConfigurationError(`router.alb.listenerArn "${alb.listenerArn}": no load balancer (app/<name>/<id>) in it`);
    const tg = (side: 'canary' | 'stable') => {
      const dim = albTargetGroupDimension(targets[side]);
      if (!dim) throw new ConfigurationError(`target.${side} "${targets[side]}": comparisons on an ALB need the target group ARN (…:targetgroup/<name>/<id>)`);
      return dim;
    };
    const series = (targetGroup: string): VersionSeries => {
      const dimensions = { LoadBalancer: loadBalancer, TargetGroup: targetGroup };
      return {
        requests: { namespace: 'AWS/ApplicationELB', metricName: 'RequestCount', dimensions, stat: 'Sum' },
        errors: { namespace: 'AWS/ApplicationELB', metricName: 'HTTPCode_Target_5XX_Count', dimensions, stat: 'Sum' },
        latency: { namespace: 'AWS/ApplicationELB', metricName: 'TargetResponseTime', dimensions },
        latencyUnitMs: 1000,
      };
    };
    const canaryTg = tg('canary');
    const stableTg = tg('stable');
    return { canary: series(canaryTg), stable: series(stableTg), placeholders: { ...base, loadBalancer, canaryTargetGroup: canaryTg, stableTargetGroup: stableTg } };
  }
  if (vpcLattice) {
    const tg = (side: 'canary' | 'stable') => {
      const dim = latticeTargetGroupDimension(targets[side]);
      if (!dim) throw new ConfigurationError(`target.${side} "${targets[side]}": comparisons on VPC Lattice need the target group id (tg-…) or ARN`);
      return dim;
    };
    // Assumed from the VPC Lattice user guide's target group metrics: TotalRequestCount,
    // HTTPCode_5XX_Count and RequestTime (milliseconds), dimension TargetGroup.
    const series = (targetGroup: string): VersionSeries => {
      const dimensions = { TargetGroup: targetGroup };
      return {
        requests: { namespace: 'AWS/VpcLattice', metricName: 'TotalRequestCount', dimensions, stat: 'Sum' },
        errors: { namespace: 'AWS/VpcLattice', metricName: 'HTTPCode_5XX_Count', dimensions, stat: 'Sum' },
        latency: { namespace: 'AWS/VpcLattice', metricName: 'RequestTime', dimensions },
        latencyUnitMs: 1,
      };
    };
    const canaryTg = tg('canary');
    const stableTg = tg('stable');
    return { canary: series(canaryTg), stable: series(stableTg), placeholders: { ...base, canaryTargetGroup: canaryTg, stableTargetGroup: stableTg } };
  }
  if (lambda) {
    const functionName = lambda.function.replace(/^arn:[^:]+:lambda:[^:]+:\d{12}:function:/, '');
    const resource = `${functionName}:${lambda.alias}`;
    // Invocations through an alias carry the version that ran them (ExecutedVersion).
    const series = (version: string): VersionSeries => {
      const dimensions = { FunctionName: functionName, Resource: resource, ExecutedVersion: version };
      return {
        requests: { namespace: 'AWS/Lambda', metricName: 'Invocations', dimensions, stat: 'Sum' },
        errors: { namespace: 'AWS/Lambda', metricName: 'Errors', dimensions, stat: 'Sum' },
        latency: { namespace: 'AWS/Lambda', metricName: 'Duration', dimensions },
        latencyUnitMs: 1,
      };
    };
    return { canary: series(targets.canary), stable: series(targets.stable), placeholders: { ...base, function: functionName, alias: lambda.alias, resource } };
  }
  if (appMesh) {
    const series = (node: string): VersionSeries => {
      const dimensions = { Mesh: appMesh.mesh, VirtualNode: node };
      return {
        requests: { namespace: MESH_NAMESPACE, metricName: 'RequestCount', dimensions, stat: 'Sum' },
        errors: { namespace: MESH_NAMESPACE, metricName: 'HTTPCode_5XX_Count', dimensions, stat: 'Sum' },
        latency: { namespace: MESH_NAMESPACE, metricName: 'ResponseTime', dimensions },
        latencyUnitMs: 1,
      };
    };
    return { canary: series(targets.canary), stable: series(targets.stable), placeholders: { ...base, mesh: appMesh.mesh } };
  }
  throw new ConfigurationError(`router kind has no per-version metrics: ${Object.keys(spec.router).join(', ')}`);
}
