import type { RouterClients } from '../../src/routers';
import { createRouter } from '../../src/routers';
import { configureDeps } from '../../src/rollouts/deps';
import { createWorkload } from '../../src/workloads';
import { READ_ONLY_FIELDS } from '../../src/workloads/ecs';
import {
  CANARY_SERVICE,
  CANARY_TASK_DEFINITION,
  CLUSTER,
  NEW_IMAGE,
  OLD_CANARY_TASK_DEFINITION,
  PRIMARY_SERVICE,
  PRIMARY_TASK_DEFINITION,
  PROMOTED_TASK_DEFINITION,
  describeUserServiceTaskDefinition,
} from '../fixtures/ecs';
import { FakeEcs } from '../support/fake-ecs';
import { Harness, specInput } from './harness';

/**
 * The ECS workload behind a router that splits by target group (ALB, VPC Lattice): the primary
 * service is registered in the stable target group, the canary service in the canary one. The
 * same specification runs against each router's fake: one file per router supplies the fake.
 */

/** One router's fake, as the specification needs it. */
export interface TargetGroupRouterFake {
  /** The spec's `router` (exactly one kind). */
  router: Record<string, unknown>;
  /** Target groups of the primary and the canary service. */
  stable: string;
  canary: string;
  /** Lock keys of every route the rollout writes. */
  keys: string[];
  clients: RouterClients;
  /** Calls `listener` after each accepted write to the watched route (listener default action) with the canary's share (0-100) it holds. */
  onWrite(listener: (canaryShare: number) => void): void;
  /** The canary's share in each write to the watched route, in order. */
  sharesWritten(): number[];
  /** Every route's writable content now, to compare before and after. */
  contents(): unknown;
  restore(): void;
}

const DEPLOY = ['DeployCanary', 'WaitForCanary', 'CheckCanary', 'CanaryReady?', 'WaitForCanary', 'CheckCanary', 'CanaryReady?'];
const PROMOTE = ['PromotePrimary', 'WaitForPrimary', 'CheckPrimary', 'PrimaryReady?', 'WaitForPrimary', 'CheckPrimary', 'PrimaryReady?', 'FinishPromotion'];

/** Leaf paths where two JSON values differ, e.g. `containerDefinitions.0.image`. */
function differences(a: unknown, b: unknown, path = ''): string[] {
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    return [...keys].flatMap((k) => differences((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], path ? `${path}.${k}` : k));
  }
  return JSON.stringify(a) === JSON.stringify(b) ? [] : [path];
}

/**
 * Declares the state-machine specification of an ECS rollout behind target groups (real ASL,
 * real handlers, fake ECS and the router's fake): a healthy canary is promoted into the primary
 * and scaled away with every route as it was; an alarm at step 2 restores every route exactly.
 */
export function describeEcsBehindTargetGroups(title: string, makeFake: () => TargetGroupRouterFake): void {
  let h: Harness;
  let ecs: FakeEcs;
  let fake: TargetGroupRouterFake;

  const spec = (): Record<string, unknown> => ({
    ...specInput({
      target: {
        canary: fake.canary,
        stable: fake.stable,
        ecs: { cluster: CLUSTER, primaryService: PRIMARY_SERVICE, canaryService: CANARY_SERVICE, container: 'user-service', readyTimeout: '60s' },
      },
    }),
    router: fake.router,
  });

  beforeEach(() => {
    h = new Harness({ waitTimeOverrides: { WaitForCanary: 5, WaitForPrimary: 5 } });
    ecs = new FakeEcs(CLUSTER)
      .addTaskDefinition(describeUserServiceTaskDefinition())
      .addService(PRIMARY_SERVICE, PRIMARY_TASK_DEFINITION, 4)
      .addService(CANARY_SERVICE, OLD_CANARY_TASK_DEFINITION, 0);
    fake = makeFake();
    configureDeps({ ...h.deps, routerFor: (s) => createRouter(s, fake.clients), workloadFor: (s) => createWorkload(s, { ecs: ecs.client }) });
  });
  afterEach(() => {
    h.close();
    ecs.restore();
    fake.restore();
  });

  describe(title, () => {
    it('deploys the image to the canary service, shifts the target groups, promotes the primary, routes back to it and scales the canary away', async () => {
      const before = fake.contents();
      const writes: Array<{ canary: number; primaryTaskDefinition: string; canaryDesired: number }> = [];
      fake.onWrite((canary) => writes.push({ canary, primaryTaskDefinition: ecs.service(PRIMARY_SERVICE).taskDefinition!, canaryDesired: ecs.service(CANARY_SERVICE).desiredCount! }));
      const execution = h.start(spec(), { image: NEW_IMAGE });
      const outcome = await execution.result;

      expect(outcome.status).toBe('SUCCEEDED');
      expect(h.statesEntered(execution)).toEqual(['Prepare', 'ApprovalBeforeStart?', ...DEPLOY, ...[...Array(4).fill(['Step', 'Route', 'Bake']).flat(), 'Step', 'Route'], ...PROMOTE, 'ReleaseAfterPromotion', 'Promoted']);
      // The canary's task definition is the primary's with the new image: no App Mesh variable rewritten.
      const primary = describeUserServiceTaskDefinition();
      const registrable = Object.fromEntries(Object.entries(primary.taskDefinition!).filter(([k]) => !(READ_ONLY_FIELDS as readonly string[]).includes(k)));
      expect(differences({ ...registrable, tags: primary.tags }, ecs.registered[0])).toEqual(['containerDefinitions.0.image']);
      expect(ecs.registered[0]!.containerDefinitions![0]!.image).toBe(NEW_IMAGE);
      expect(ecs.updates[0]).toEqual({ cluster: CLUSTER, service: CANARY_SERVICE, taskDefinition: CANARY_TASK_DEFINITION, desiredCount: 4, forceNewDeployment: false });
      // Promotion: exactly what was judged, in the primary service.
      expect(differences(ecs.registered[0], ecs.registered[1])).toEqual([]);
      expect(ecs.updates[1]).toEqual({ cluster: CLUSTER, service: PRIMARY_SERVICE, taskDefinition: PROMOTED_TASK_DEFINITION });
      // Traffic: the steps, then back to the primary's target group once it runs the new version, then the canary scaled away.
      expect(writes.map((w) => w.canary)).toEqual([10, 25, 50, 100, 0]);
      expect(writes.at(-2)).toEqual({ canary: 100, primaryTaskDefinition: PRIMARY_TASK_DEFINITION, canaryDesired: 4 });
      expect(writes.at(-1)).toEqual({ canary: 0, primaryTaskDefinition: PROMOTED_TASK_DEFINITION, canaryDesired: 4 });
      expect(fake.contents()).toEqual(before);
      expect(ecs.updates.at(-1)).toEqual({ cluster: CLUSTER, service: CANARY_SERVICE, desiredCount: 0 });
      for (const key of fake.keys) expect(await h.store.getLock(key)).toBeUndefined();
      expect((await h.store.getRollout(execution.name))?.status).toBe('promoted');
    });

    it('restores every route exactly and scales the canary to zero when an alarm fires at step 2, leaving the primary as it was', async () => {
      const before = fake.contents();
      fake.onWrite((canary) => {
        if (canary === 25) h.alarms.set('user-service-5xx', 'ALARM', 'Threshold Crossed: 5xx > 1%');
      });
      const execution = h.start(spec(), { image: NEW_IMAGE });
      const outcome = await execution.result;

      expect(outcome).toMatchObject({ status: 'FAILED', error: 'Canary.RolledBack' });
      expect(outcome.cause).toContain('step 2 (25%)');
      expect(fake.sharesWritten()).toEqual([10, 25, 0]);
      expect(fake.contents()).toEqual(before);
      expect(ecs.service(CANARY_SERVICE).desiredCount).toBe(0);
      expect(ecs.service(PRIMARY_SERVICE).taskDefinition).toBe(PRIMARY_TASK_DEFINITION);
      for (const key of fake.keys) expect(await h.store.getLock(key)).toBeUndefined();
      expect((await h.store.getRollout(execution.name))?.status).toBe('rolled back');
    });
  });
}
