import type { VPCLatticeClient } from '@aws-sdk/client-vpc-lattice';
import type { z } from 'zod';
import { UnsupportedError } from '../../shared/errors';
import type { VpcLatticeRouterSchema } from '../../spec/schema';
import type { RouteVersions, RouterSnapshot, TrafficRouter, VerifyResult } from '../port';

/** Placeholder until the adapter lands: refuses every call, so nothing is written. */
export class LatticeRouter implements TrafficRouter {
  readonly kind = 'vpc-lattice';
  constructor(
    readonly config: z.output<typeof VpcLatticeRouterSchema>,
    readonly targets: { canary: string; stable?: string },
    readonly client: VPCLatticeClient,
  ) {}
  private unsupported(): never {
    throw new UnsupportedError('router vpc-lattice is not implemented yet');
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
