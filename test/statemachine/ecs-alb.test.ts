import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DescribeListenersOutput, DescribeRulesOutput, DescribeTargetGroupsOutput } from '@aws-sdk/client-elastic-load-balancing-v2';
import { FakeElbv2, shareOf } from '../support/fake-elbv2';
import { describeEcsBehindTargetGroups } from './ecs-target-groups';

/**
 * ECS behind an Application Load Balancer: the primary service is registered in the stable target
 * group, the canary service in the canary target group. The same ECS workload as with App Mesh
 * deploys and promotes; the ALB router moves the traffic on the listener's default action and
 * every rule forwarding to the primary's target group; no App Mesh variable is rewritten.
 */
const LISTENER = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2';
const API_RULE = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener-rule/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee';
const SEARCH_RULE = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener-rule/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2/1b2c3d4e5f607182';
const PRIMARY_TG = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/user-service-v1/73e2d6bc24d8a067';
const CANARY_TG = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/user-service-v2/8a2d6bc24d8a0671';

function fixture<T>(name: string): T {
  return JSON.parse(readFileSync(join(__dirname, '../fixtures/alb', `${name}.json`), 'utf8')) as T;
}

describeEcsBehindTargetGroups('rollout state machine with an ECS workload behind an ALB (real ASL, real handlers, fake ECS and ELBv2)', () => {
  const elb = new FakeElbv2({
    listeners: fixture<DescribeListenersOutput>('listener-https').Listeners!,
    rules: fixture<DescribeRulesOutput>('rules').Rules!,
    targetGroups: fixture<DescribeTargetGroupsOutput>('target-groups').TargetGroups!,
  });
  return {
    router: { alb: { listenerArn: LISTENER } },
    stable: PRIMARY_TG,
    canary: CANARY_TG,
    keys: [LISTENER, API_RULE, SEARCH_RULE].map((arn) => `alb:${arn}`),
    clients: { elbv2: elb.client },
    onWrite: (listener) => {
      elb.onWrite = (w) => {
        if (w.arn === LISTENER) listener(shareOf(w.actions, CANARY_TG));
      };
    },
    sharesWritten: () => elb.sharesWritten(LISTENER, CANARY_TG),
    contents: () => ({ listener: elb.listener(LISTENER), api: elb.rule(API_RULE), search: elb.rule(SEARCH_RULE) }),
    restore: () => elb.restore(),
  };
});
