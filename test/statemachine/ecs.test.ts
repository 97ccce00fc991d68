import type { RouteSpec } from '@aws-sdk/client-app-mesh';
import { configureDeps } from '../../src/rollouts/deps';
import { createWorkload } from '../../src/workloads';
import { READ_ONLY_FIELDS } from '../../src/workloads/ecs';
import {
  CANARY_NODE,
  CANARY_SERVICE,
  CANARY_TASK_DEFINITION,
  CLUSTER,
  NEW_IMAGE,
  OLD_CANARY_TASK_DEFINITION,
  PRIMARY_NODE,
  PRIMARY_SERVICE,
  PRIMARY_TASK_DEFINITION,
  PROMOTED_TASK_DEFINITION,
  describeUserServiceTaskDefinition,
  expectedCanaryRegisterInput,
} from '../fixtures/ecs';
import { FakeEcs, ecsThrottled } from '../support/fake-ecs';
import { serverError } from '../support/fake-aws';
import { Harness, USER_ROUTE, specInput } from './harness';

const ROUTE_KEY = 'appmesh:my-mesh/user-router/user-route';

/** The seed guide's user-route, with the primary service's node taking all traffic. */
const ECS_ROUTE: RouteSpec = {
  ...USER_ROUTE,
  httpRoute: { ...USER_ROUTE.httpRoute!, action: { weightedTargets: [{ virtualNode: PRIMARY_NODE, weight: 100 }] } },
};

function ecsSpec(ecs: Record<string, unknown> = {}, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return specInput({
    target: {
      canary: CANARY_NODE,
      stable: PRIMARY_NODE,
      ecs: { cluster: CLUSTER, primaryService: PRIMARY_SERVICE, canaryService: CANARY_SERVICE, container: 'user-service', readyTimeout: '60s', ...ecs },
    },
    ...overrides,
  });
}

const DEPLOY = ['DeployCanary', 'WaitForCanary', 'CheckCanary', 'CanaryReady?', 'WaitForCanary', 'CheckCanary', 'CanaryReady?'];
const PROMOTE = ['PromotePrimary', 'WaitForPrimary', 'CheckPrimary', 'PrimaryReady?', 'WaitForPrimary', 'CheckPrimary', 'PrimaryReady?', 'FinishPromotion'];

let h: Harness;
let ecs: FakeEcs;
/** Added to the clock the handlers read, to reach a readyTimeout deadline without waiting for it. */
let skewMs: number;

beforeEach(() => {
  // The ASL polls every 15 s; the local engine shortens exactly those Wait states.
  h = new Harness({ waitTimeOverrides: { WaitForCanary: 5, WaitForPrimary: 5 } });
  h.mesh.addNode(PRIMARY_NODE, CANARY_NODE).addRoute('user-route', ECS_ROUTE);
  ecs = new FakeEcs(CLUSTER)
    .addTaskDefinition(describeUserServiceTaskDefinition())
    .addService(PRIMARY_SERVICE, PRIMARY_TASK_DEFINITION, 4)
    .addService(CANARY_SERVICE, OLD_CANARY_TASK_DEFINITION, 0);
  skewMs = 0;
  configureDeps({ ...h.deps, workloadFor: (spec) => createWorkload(spec, { ecs: ecs.client }), now: () => new Date(Date.now() + skewMs) });
});
afterEach(() => {
  h.close();
  ecs.restore();
});

/** Leaf paths where two JSON values differ, e.g. `containerDefinitions.0.image`. */
function differences(a: unknown, b: unknown, path = ''): string[] {
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    return [...keys].flatMap((k) => differences((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], path ? `${path}.${k}` : k));
  }
  return JSON.stringify(a) === JSON.stringify(b) ? [] : [path];
}

function canaryWeights(): number[] {
  return h.mesh.weightsWritten('user-route', CANARY_NODE);
}

describe('rollout state machine with an ECS workload (real ASL, real handlers, fake ECS)', () => {
  describe('a healthy rollout', () => {
    it('deploys the canary, shifts 10 → 25 → 50 → 100, promotes the primary, routes back to it and scales the canary to zero', async () => {
      const routeWrites: Array<{ canary: number; primaryTaskDefinition: string; canaryDesired: number }> = [];
      h.mesh.onUpdate = (_route, spec) =>
        routeWrites.push({
          canary: spec.httpRoute?.action?.weightedTargets?.find((t) => t.virtualNode === CANARY_NODE)?.weight ?? 0,
          primaryTaskDefinition: ecs.service(PRIMARY_SERVICE).taskDefinition!,
          canaryDesired: ecs.service(CANARY_SERVICE).desiredCount!,
        });
      const execution = h.start(ecsSpec(), { image: NEW_IMAGE });
      const outcome = await execution.result;

      expect(outcome.status).toBe('SUCCEEDED');
      // The canary: the primary's task definition, new image and canary node, nothing else.
      const primary = describeUserServiceTaskDefinition();
      const registrable = Object.fromEntries(Object.entries(primary.taskDefinition!).filter(([k]) => !(READ_ONLY_FIELDS as readonly string[]).includes(k)));
      expect(ecs.registered[0]).toEqual(expectedCanaryRegisterInput());
      expect(differences({ ...registrable, tags: primary.tags }, ecs.registered[0]).sort()).toEqual([
        'containerDefinitions.0.environment.0.value',
        'containerDefinitions.0.image',
        'containerDefinitions.1.environment.0.value',
      ]);
      expect(ecs.registered[0]!.containerDefinitions![0]!.environment![0]!.value).toBe(`mesh/my-mesh/virtualNode/${CANARY_NODE}`);
      expect(ecs.updates[0]).toEqual({ cluster: CLUSTER, service: CANARY_SERVICE, taskDefinition: CANARY_TASK_DEFINITION, desiredCount: 4, forceNewDeployment: false });
      // Promotion: the same image, back on the primary node, in the primary service.
      expect(differences(ecs.registered[0], ecs.registered[1])).toEqual(['containerDefinitions.0.environment.0.value', 'containerDefinitions.1.environment.0.value']);
      expect(ecs.updates[1]).toEqual({ cluster: CLUSTER, service: PRIMARY_SERVICE, taskDefinition: PROMOTED_TASK_DEFINITION });
      expect(ecs.service(PRIMARY_SERVICE)).toMatchObject({ taskDefinition: PROMOTED_TASK_DEFINITION, runningCount: 4 });
      // Traffic: the steps, then the snapshot restored once the primary ran the new version, then the canary scaled away.
      expect(canaryWeights()).toEqual([10, 25, 50, 100, 0]);
      expect(routeWrites.at(-2)).toEqual({ canary: 100, primaryTaskDefinition: PRIMARY_TASK_DEFINITION, canaryDesired: 4 });
      expect(routeWrites.at(-1)).toEqual({ canary: 0, primaryTaskDefinition: PROMOTED_TASK_DEFINITION, canaryDesired: 4 });
      expect(JSON.stringify(h.mesh.spec('user-route'))).toBe(JSON.stringify(ECS_ROUTE));
      expect(ecs.updates.at(-1)).toEqual({ cluster: CLUSTER, service: CANARY_SERVICE, desiredCount: 0 });
      expect(ecs.service(CANARY_SERVICE).desiredCount).toBe(0);

      expect(await h.store.getLock(ROUTE_KEY)).toBeUndefined();
      expect((await h.store.getRollout(execution.name))?.status).toBe('promoted');
      expect(h.notifier.events.map((e) => e.type)).toEqual(['started', 'step-passed', 'step-passed', 'step-passed', 'step-passed', 'promoted']);
    });

    it('shows the deploy and promote phases as named states and still costs three transitions and one Lambda per traffic step', async () => {
      const execution = h.start(ecsSpec(), { image: NEW_IMAGE });
      await execution.result;

      const entered = h.statesEntered(execution);
      const loop = [...Array(4).fill(['Step', 'Route', 'Bake']).flat(), 'Step', 'Route'];
      expect(entered).toEqual(['Prepare', 'ApprovalBeforeStart?', ...DEPLOY, ...loop, ...PROMOTE, 'ReleaseAfterPromotion', 'Promoted']);
      expect(h.engine.invocations.step).toBe(5);
      expect(h.engine.invocations.checkWorkload).toBe(4);
    });

    it('retries throttled and failing ECS calls', async () => {
      ecs.failNext('RegisterTaskDefinition', ecsThrottled());
      ecs.failNext('DescribeServices', ecsThrottled(), serverError());
      const outcome = await h.start(ecsSpec(), { image: NEW_IMAGE }).result;

      expect(outcome.status).toBe('SUCCEEDED');
      expect(ecs.registered).toHaveLength(2);
      expect(ecs.service(PRIMARY_SERVICE).taskDefinition).toBe(PROMOTED_TASK_DEFINITION);
    });
  });

  describe('a canary that never becomes ready', () => {
    it('rolls back before any traffic moved when the deployment circuit breaker trips, and scales the canary to zero', async () => {
      ecs.plan(CANARY_SERVICE, { polls: 2, fail: 'tasks failed to start (deployment circuit breaker: 3 tasks failed)' });
      const execution = h.start(ecsSpec(), { image: NEW_IMAGE });
      const outcome = await execution.result;

      expect(outcome).toMatchObject({ status: 'FAILED', error: 'Canary.RolledBack' });
      expect(outcome.cause).toContain(`canary service ${CANARY_SERVICE} did not become ready`);
      expect(outcome.cause).toContain('deployment circuit breaker');
      expect(h.mesh.updates).toEqual([]);
      expect(JSON.stringify(h.mesh.spec('user-route'))).toBe(JSON.stringify(ECS_ROUTE));
      expect(h.statesEntered(execution)).not.toContain('Step');
      expect(h.statesEntered(execution).slice(-5)).toEqual(['Rollback', 'ScaleDownCanary?', 'ScaleDownCanary', 'ReleaseAfterRollback', 'RolledBack']);
      expect(ecs.service(CANARY_SERVICE).desiredCount).toBe(0);
      expect(ecs.service(PRIMARY_SERVICE).taskDefinition).toBe(PRIMARY_TASK_DEFINITION);
      // The new revision stays registered for inspection.
      expect(ecs.taskDefinition(CANARY_TASK_DEFINITION).containerDefinitions![0]!.image).toBe(NEW_IMAGE);
      expect(await h.store.getLock(ROUTE_KEY)).toBeUndefined();
      expect(h.notifier.events.at(-1)).toMatchObject({ type: 'rolled-back', reason: expect.stringContaining('did not become ready') });
    });

    it('rolls back when the canary is still not steady at its readyTimeout deadline', async () => {
      ecs.plan(CANARY_SERVICE, 'never');
      const execution = h.start(ecsSpec({ readyTimeout: '60s' }), { image: NEW_IMAGE });
      await h.until(async () => (await h.store.listEvents(execution.name)).some((e) => e.kind === 'workload'), 'canary deployed');
      await h.until(() => ecs.calls.filter((c) => c === 'DescribeServices').length >= 3, 'a few polls');
      skewMs = 61_000;
      const outcome = await execution.result;

      expect(outcome).toMatchObject({ status: 'FAILED', error: 'Canary.RolledBack' });
      expect(outcome.cause).toContain('not steady within target.ecs.readyTimeout (60s)');
      expect(h.mesh.updates).toEqual([]);
      expect(ecs.service(CANARY_SERVICE).desiredCount).toBe(0);
    });
  });

  describe('rollback during the traffic steps', () => {
    it('restores the routes, then scales the canary to zero, retrying the scale without touching the routes again', async () => {
      h.mesh.onUpdate = (_route, spec) => {
        if (spec.httpRoute?.action?.weightedTargets?.some((t) => t.virtualNode === CANARY_NODE && t.weight === 25)) {
          h.alarms.set('user-service-5xx', 'ALARM', 'Threshold Crossed: 5xx > 1%');
          // The scale-down that follows the restore fails twice first.
          ecs.failNext('UpdateService', ecsThrottled(), serverError());
        }
      };
      const execution = h.start(ecsSpec(), { image: NEW_IMAGE });
      const outcome = await execution.result;

      expect(outcome).toMatchObject({ status: 'FAILED', error: 'Canary.RolledBack' });
      expect(outcome.cause).toContain('step 2 (25%)');
      expect(canaryWeights()).toEqual([10, 25, 0]);
      expect(JSON.stringify(h.mesh.spec('user-route'))).toBe(JSON.stringify(ECS_ROUTE));
      expect(ecs.service(CANARY_SERVICE).desiredCount).toBe(0);
      expect(ecs.service(PRIMARY_SERVICE).taskDefinition).toBe(PRIMARY_TASK_DEFINITION);
      expect(execution.history.filter((e) => e.type === 'StateRetried').map((e) => e.state)).toEqual(['ScaleDownCanary', 'ScaleDownCanary']);
      expect(h.statesEntered(execution).filter((s) => s === 'Rollback')).toHaveLength(1);
      expect(await h.store.getLock(ROUTE_KEY)).toBeUndefined();
      expect(h.notifier.events.at(-1)).toMatchObject({ type: 'rolled-back', step: 1, weight: 25 });
    });
  });

  describe('a primary that does not take the new version', () => {
    it('fails loudly with Canary.PromotionFailed, leaves traffic on the canary and flags the lock', async () => {
      // The canary's deployment goes as by default (steady); the primary's fails.
      ecs.plan(PRIMARY_SERVICE, { polls: 2, fail: 'ECS deployment circuit breaker: tasks failed to start' });
      const execution = h.start(ecsSpec(), { image: NEW_IMAGE });
      const outcome = await execution.result;

      expect(outcome).toMatchObject({ status: 'FAILED', error: 'Canary.PromotionFailed' });
      expect(outcome.cause).toContain(`primary service ${PRIMARY_SERVICE} did not take the new version`);
      expect(outcome.cause).toContain(`traffic stays on ${CANARY_NODE} (100%)`);
      expect(h.statesEntered(execution).slice(-3)).toEqual(['PrimaryReady?', 'ReportPromotionFailed', 'PromotionFailed']);
      expect(canaryWeights()).toEqual([10, 25, 50, 100]);
      expect(h.mesh.spec('user-route').httpRoute!.action!.weightedTargets).toEqual([
        { virtualNode: PRIMARY_NODE, weight: 0 },
        { virtualNode: CANARY_NODE, weight: 100 },
      ]);
      expect(ecs.service(CANARY_SERVICE).desiredCount).toBe(4);
      expect((await h.store.getLock(ROUTE_KEY))?.needsAttention).toContain('promotion failed');
      expect((await h.store.getRollout(execution.name))?.status).toBe('failed');
      expect(h.notifier.events.at(-1)).toMatchObject({ type: 'promotion-failed', urgent: true, reason: expect.stringContaining('circuit breaker') });
    });
  });

  describe('Prepare', () => {
    it('refuses an ECS spec without an image in the input, naming `image`, and deploys nothing', async () => {
      const outcome = await h.start(ecsSpec()).result;

      expect(outcome).toMatchObject({ status: 'FAILED', error: 'ConfigurationError' });
      expect(outcome.cause).toContain('`image`');
      expect(ecs.calls).toEqual([]);
    });

    it.each([
      ['a container that is not in the task definition', { container: 'app' }, 'app'],
      ['a canary service that does not exist', { canaryService: 'user-canary-typo' }, 'user-canary-typo'],
    ])('fails on %s at Prepare: nothing deployed, nothing shifted, nothing scaled', async (_case, ecsOverrides, named) => {
      const execution = h.start(ecsSpec(ecsOverrides), { image: NEW_IMAGE });
      const outcome = await execution.result;

      expect(outcome.status).toBe('FAILED');
      expect(outcome.cause).toContain(named);
      expect(h.statesEntered(execution)).toEqual(['Prepare', 'ReleaseAfterFailedStart', 'ReportFailedToStart', 'FailedToStart']);
      expect(ecs.calls.filter((c) => !c.startsWith('Describe'))).toEqual([]);
      expect(h.mesh.updates).toEqual([]);
    });

    it('refuses an ECS spec without target.stable (the primary node)', async () => {
      const spec = ecsSpec();
      delete (spec.target as Record<string, unknown>).stable;
      const outcome = await h.start(spec, { image: NEW_IMAGE }).result;

      expect(outcome).toMatchObject({ status: 'FAILED', error: 'ConfigurationError' });
      expect(outcome.cause).toContain('target.stable');
      expect(ecs.calls).toEqual([]);
    });
  });
});
