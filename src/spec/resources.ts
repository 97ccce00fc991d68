import type { RolloutSpec } from './schema';

/**
 * The resources a spec moves, as canonical strings an ownership binding can match with globs.
 * Pure: no AWS call, so Prepare checks a spec before it reads or writes anything.
 *
 * - ALB: the listener ARN and each listener-rule ARN as written. Without `rules`, the router may
 *   touch every rule of the listener: `<listener-rule ARN prefix>/*`.
 * - VPC Lattice: `vpc-lattice:service/<svc>/listener/<listener>` and `.../rule/<rule>` (ids; ARNs are
 *   reduced to their ids so both spellings bind alike); without `rules`, `.../rule/*`.
 * - Lambda: `lambda:function/<name>:alias/<alias>` (an ARN is reduced to the function name).
 * - App Mesh: `appmesh:mesh/<mesh>/virtualRouter/<router>/route/<route>` (the path of the IAM ARN);
 *   without `routes`, `.../route/*`.
 * - ECS workload (target.ecs): `ecs:service/<cluster>/<service>` for the primary and the canary service.
 */
export function resourcesOf(spec: RolloutSpec): string[] {
  const out: string[] = [];
  const r = spec.router;
  if (r.alb) {
    out.push(r.alb.listenerArn);
    if (r.alb.rules) out.push(...r.alb.rules);
    else out.push(`${r.alb.listenerArn.replace(':listener/', ':listener-rule/')}/*`);
  }
  if (r.vpcLattice) {
    const base = `vpc-lattice:service/${latticeId(r.vpcLattice.service, 'svc')}/listener/${latticeId(r.vpcLattice.listener, 'listener')}`;
    out.push(base);
    if (r.vpcLattice.rules) out.push(...r.vpcLattice.rules.map((rule) => `${base}/rule/${latticeId(rule, 'rule')}`));
    else out.push(`${base}/rule/*`);
  }
  if (r.lambda) {
    const name = r.lambda.function.includes(':function:') ? r.lambda.function.slice(r.lambda.function.indexOf(':function:') + ':function:'.length) : r.lambda.function;
    out.push(`lambda:function/${name}:alias/${r.lambda.alias}`);
  }
  if (r.appMesh) {
    const base = `appmesh:mesh/${r.appMesh.mesh}/virtualRouter/${r.appMesh.virtualRouter}/route`;
    if (r.appMesh.routes) out.push(...r.appMesh.routes.map((route) => `${base}/${route}`));
    else out.push(`${base}/*`);
  }
  const ecs = spec.target.ecs;
  if (ecs) out.push(`ecs:service/${ecs.cluster}/${ecs.primaryService}`, `ecs:service/${ecs.cluster}/${ecs.canaryService}`);
  return [...new Set(out)];
}

/** `svc-0123…` from an id or from an ARN that contains it. */
function latticeId(value: string, prefix: string): string {
  const ids = value.match(new RegExp(`${prefix}-[0-9a-z]{17}`, 'g'));
  return ids?.[ids.length - 1] ?? value;
}
