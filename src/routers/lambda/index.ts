import type { LambdaClient } from '@aws-sdk/client-lambda';
import type { z } from 'zod';
import { UnsupportedError } from '../../shared/errors';
import type { LambdaRouterSchema } from '../../spec/schema';
import type { RouteVersions, RouterSnapshot, TrafficRouter, VerifyResult } from '../port';

/** Placeholder until the adapter lands: refuses every call, so nothing is written. */
export class LambdaAliasRouter implements TrafficRouter {
  readonly kind = 'lambda';
  constructor(
    readonly config: z.output<typeof LambdaRouterSchema>,
    readonly targets: { canary: string; stable?: string },
    readonly client: LambdaClient,
  ) {}
  private unsupported(): never {
    throw new UnsupportedError('router lambda is not implemented yet');
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
