import type { RouteSpec } from '@aws-sdk/client-app-mesh';
import { createRouter } from '../../src/routers';
import type { TrafficRouter } from '../../src/routers/port';
import type { RolloutSpec } from '../../src/spec';
import { CANARY, STABLE, USER_ROUTE } from '../statemachine/harness';
import { FakeAppMesh } from '../support/fake-aws';

/**
 * A router under test with the provider it writes to: a stateful fake of the provider's API,
 * the spec blocks that point at it, and a way to read its routes back for the invariant checks.
 * Faults are injected at the TrafficRouter port (around `routerFor`), so the fake needs none.
 */
export interface RouterWorld {
  /** The spec's `router` and `target` blocks for this provider. */
  spec: { router: Record<string, unknown>; target: Record<string, unknown> };
  /** The real adapter over the fake client. */
  routerFor(spec: RolloutSpec): TrafficRouter;
  /** Every route the rollout may touch, serialised exactly as the provider stores it. */
  state(): string;
  /** `state()` as a successful promotion leaves it, computed from the state before the rollout. */
  promoted(before: string): string;
  /** Another writer changes the routes behind the rollout's back (an operator, another tool). */
  meddle(): void;
  /** The route keys the rollout locks. */
  keys: string[];
  /** Undoes any global mocking (aws-sdk-client-mock patches the client class). */
  close(): void;
}

/**
 * The routers the fault suite runs, one entry each. Adding a router is one entry here: build its
 * fake client (e.g. a stateful ELBv2, Lattice or Lambda fake in test/support/) and return a world.
 */
export const ROUTERS: Record<string, () => RouterWorld> = {
  appmesh: (): RouterWorld => {
    const mesh = new FakeAppMesh().addNode(STABLE, CANARY).addRoute('user-route', USER_ROUTE);
    return {
      spec: { router: { appMesh: { mesh: 'my-mesh', virtualRouter: 'user-router', routes: ['user-route'] } }, target: { canary: CANARY } },
      routerFor: (spec) => createRouter(spec, { appMesh: mesh.client }),
      state: () => JSON.stringify(mesh.spec('user-route')),
      promoted: (before) => {
        const spec = JSON.parse(before) as RouteSpec;
        spec.httpRoute!.action!.weightedTargets = [{ virtualNode: CANARY, weight: 100 }];
        return JSON.stringify(spec);
      },
      meddle: () => {
        // A change no rollout of ours would make (a retry policy edit), so it cannot be taken for our own write.
        const spec = mesh.spec('user-route');
        spec.httpRoute!.retryPolicy = { ...spec.httpRoute!.retryPolicy!, maxRetries: 5 };
        mesh.externalWrite('user-route', spec);
      },
      keys: ['appmesh:my-mesh/user-router/user-route'],
      close: () => mesh.restore(),
    };
  },
};
