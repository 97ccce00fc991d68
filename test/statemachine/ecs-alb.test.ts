import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DescribeListenersOutput, DescribeRulesOutput, DescribeTargetGroupsOutput, Listener, Rule } from '@aws-sdk/client-elastic-load-balancing-v2';
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
import { FakeElbv2, shareOf } from '../support/fake-elbv2';
import { Harness, specInput } from './harness';

/**
 * ECS behind an Application Load Balancer: the primary service is registered in the stable target
 * group, the canary service in the canary target group. The same ECS workload as with App Mesh
 * deploys and promotes; the ALB router moves the traffic; no App Mesh variable is rewritten.
 */
const LISTENER = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2';
const API_RULE = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener-rule/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee';
const SEARCH_RULE = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener-rule/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2/1b2c3d4e5f607182';
const PRIMARY_TG = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/user-service-v1/73e2d6bc24d8a067';
const CANARY_TG = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/user-service-v2/8a2d6bc24d8a0671';
const KEYS = [LISTENER, API_RULE, SEARCH_RULE].map((arn) => `alb:${arn}`);

const DEPLOY = ['DeployCanary', 'WaitForCanary', 'CheckCanary', 'CanaryReady?', 'WaitForCanary', 'CheckCanary', 'CanaryReady?'];
const PROMOTE = ['PromotePrimary', 'WaitForPrimary', 'CheckPrimary', 'PrimaryReady?', 'WaitForPrimary', 'CheckPrimary', 'PrimaryReady?', 'FinishPromotion'];

function fixture<T>(name: string): T {
  return JSON.parse(readFileSync(join(__dirname, '../fixtures/alb', `${name}.json`), 'utf8')) as T;
}
const seedListener = (): Listener => fixture<DescribeListenersOutput>('listener-https').Listeners![0]!;
const seedRule = (arn: string): Rule => fixture<DescribeRulesOutput>('rules').Rules!.find((r) => r.RuleArn === arn)!;

function ecsAlbSpec(): Record<string, unknown> {
  return {
    ...specInput({
      target: {
        canary: CANARY_TG,
        stable: PRIMARY_TG,
        ecs: { cluster: CLUSTER, primaryService: PRIMARY_SERVICE, canaryService: CANARY_SERVICE, container: 'user-service', readyTimeout: '60s' },
      },
    }),
    router: { alb: { listenerArn: LISTENER } },
  };
}

/** Leaf paths where two JSON values differ, e.g. `containerDefinitions.0.image`. */
function differences(a: unknown, b: unknown, path = ''): string[] {
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    return [...keys].flatMap((k) => differences((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], path ? `${path}.${k}` : k));
  }
  return JSON.stringify(a) === JSON.stringify(b) ? [] : [path];
}

let h: Harness;
let ecs: FakeEcs;
let elb: FakeElbv2;

beforeEach(() => {
  h = new Harness({ waitTimeOverrides: { WaitForCanary: 5, WaitForPrimary: 5 } });
  ecs = new FakeEcs(CLUSTER)
    .addTaskDefinition(describeUserServiceTaskDefinition())
    .addService(PRIMARY_SERVICE, PRIMARY_TASK_DEFINITION, 4)
    .addService(CANARY_SERVICE, OLD_CANARY_TASK_DEFINITION, 0);
  elb = new FakeElbv2({
    listeners: [seedListener()],
    rules: fixture<DescribeRulesOutput>('rules').Rules!,
    targetGroups: fixture<DescribeTargetGroupsOutput>('target-groups').TargetGroups!,
  });
  configureDeps({ ...h.deps, routerFor: (spec) => createRouter(spec, { elbv2: elb.client }), workloadFor: (spec) => createWorkload(spec, { ecs: ecs.client }) });
});
afterEach(() => {
  h.close();
  ecs.restore();
  elb.restore();
});

describe('rollout state machine with an ECS workload behind an ALB (real ASL, real handlers, fake ECS and ELBv2)', () => {
  it('deploys the image to the canary service, shifts the target groups, promotes the primary, routes back to it and scales the canary away', async () => {
    const writes: Array<{ canary: number; primaryTaskDefinition: string; canaryDesired: number }> = [];
    elb.onWrite = (w) => {
      if (w.arn === LISTENER) writes.push({ canary: shareOf(w.actions, CANARY_TG), primaryTaskDefinition: ecs.service(PRIMARY_SERVICE).taskDefinition!, canaryDesired: ecs.service(CANARY_SERVICE).desiredCount! });
    };
    const execution = h.start(ecsAlbSpec(), { image: NEW_IMAGE });
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
    expect(elb.listener(LISTENER)).toEqual(seedListener());
    expect(elb.rule(API_RULE)).toEqual(seedRule(API_RULE));
    expect(elb.rule(SEARCH_RULE)).toEqual(seedRule(SEARCH_RULE));
    expect(ecs.updates.at(-1)).toEqual({ cluster: CLUSTER, service: CANARY_SERVICE, desiredCount: 0 });
    for (const key of KEYS) expect(await h.store.getLock(key)).toBeUndefined();
    expect((await h.store.getRollout(execution.name))?.status).toBe('promoted');
  });

  it('restores every rule exactly and scales the canary to zero when an alarm fires at step 2, leaving the primary as it was', async () => {
    elb.onWrite = (w) => {
      if (w.arn === LISTENER && shareOf(w.actions, CANARY_TG) === 25) h.alarms.set('user-service-5xx', 'ALARM', 'Threshold Crossed: 5xx > 1%');
    };
    const execution = h.start(ecsAlbSpec(), { image: NEW_IMAGE });
    const outcome = await execution.result;

    expect(outcome).toMatchObject({ status: 'FAILED', error: 'Canary.RolledBack' });
    expect(outcome.cause).toContain('step 2 (25%)');
    expect(elb.sharesWritten(LISTENER, CANARY_TG)).toEqual([10, 25, 0]);
    expect(elb.listener(LISTENER)).toEqual(seedListener());
    expect(elb.rule(API_RULE)).toEqual(seedRule(API_RULE));
    expect(ecs.service(CANARY_SERVICE).desiredCount).toBe(0);
    expect(ecs.service(PRIMARY_SERVICE).taskDefinition).toBe(PRIMARY_TASK_DEFINITION);
    for (const key of KEYS) expect(await h.store.getLock(key)).toBeUndefined();
  });
});
