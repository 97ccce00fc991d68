import type { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { z } from 'zod';
import { UnsupportedError } from '../../shared/errors';
import type { AlbRouterSchema } from '../../spec/schema';
import type { RouteVersions, RouterSnapshot, TrafficRouter, VerifyResult } from '../port';

/** Placeholder until the adapter lands: refuses every call, so nothing is written. */
export class AlbRouter implements TrafficRouter {
  readonly kind = 'alb';
  constructor(
    readonly config: z.output<typeof AlbRouterSchema>,
    readonly targets: { canary: string; stable?: string },
    readonly client: ElasticLoadBalancingV2Client,
  ) {}
  private unsupported(): never {
    throw new UnsupportedError('router alb is not implemented yet');
  }
  snapshot(): Promise<RouterSnapshot> {
    return this.unsupported();
  }
  setCanaryWeight(_s: RouterSnapshot, _w: number, _e: RouteVersions): Promise<RouteVersions> {
    return this.unsupported();
  }
  promote(_s: RouterSnapshot, _e: RouteVersions): Promise<RouteVersions> {
    return this.unsupported();
  }
  restore(_s: RouterSnapshot, _e: RouteVersions): Promise<RouteVersions> {
    return this.unsupported();
  }
  verify(_s: RouterSnapshot, _w: number): Promise<VerifyResult> {
    return this.unsupported();
  }
}
