import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Action, DescribeListenersOutput, DescribeRulesOutput, DescribeTargetGroupsOutput, Rule } from '@aws-sdk/client-elastic-load-balancing-v2';
import { LocalElbv2 } from '../../../src/local/aws/elbv2';

/**
 * The local ELBv2 model is what the ALB router's tests and the local world answer with: it must
 * refuse what ALB refuses and echo what ALB echoes, or those tests would prove nothing.
 */
const LISTENER = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2';
const API_RULE = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener-rule/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee';
const DEFAULT_RULE = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener-rule/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2/7f6e5d4c3b2a1908';
const V1 = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/user-service-v1/73e2d6bc24d8a067';
const V2 = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/user-service-v2/8a2d6bc24d8a0671';

function fixture<T>(name: string): T {
  return JSON.parse(readFileSync(join(__dirname, '../../fixtures/alb', `${name}.json`), 'utf8')) as T;
}

function model(): LocalElbv2 {
  return new LocalElbv2({
    listeners: fixture<DescribeListenersOutput>('listener-https').Listeners!,
    rules: fixture<DescribeRulesOutput>('rules').Rules!,
    targetGroups: fixture<DescribeTargetGroupsOutput>('target-groups').TargetGroups!,
  });
}

const forward = (tuples: Array<[string, number]>): Action => ({ Type: 'forward', Order: 1, ForwardConfig: { TargetGroups: tuples.map(([TargetGroupArn, Weight]) => ({ TargetGroupArn, Weight })) } });

function refusal(run: () => unknown): { name: string; message: string } {
  try {
    run();
  } catch (error) {
    return { name: (error as Error).name, message: (error as Error).message };
  }
  throw new Error('expected a refusal');
}

describe('LocalElbv2', () => {
  it('answers DescribeRules as read from ALB: the fixture rules verbatim, the default rule last', () => {
    // Act
    const rules = (model().handle('DescribeRules', { ListenerArn: LISTENER }) as DescribeRulesOutput).Rules!;

    // Assess
    expect(rules).toEqual(fixture<DescribeRulesOutput>('rules').Rules);
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['both Values and a typed condition config', { Conditions: [{ Field: 'path-pattern', Values: ['/a'], PathPatternConfig: { Values: ['/a'] } }] }, 'ValidationError'],
    ['six target groups in one forward', { Actions: [forward([V1, V2, V1, V2, V1, V2].map((arn, i) => [arn.replace(/[0-9a-f]{16}$/, String(i).repeat(16)), 1]))] }, 'ValidationError'],
    ['a weight above 999', { Actions: [forward([[V1, 1000]])] }, 'ValidationError'],
    ['a target group that does not exist', { Actions: [forward([[V1.replace('user-service-v1', 'nope'), 1]])] }, 'TargetGroupNotFoundException'],
    ['TargetGroupArn beside a multi-target ForwardConfig', { Actions: [{ ...forward([[V1, 1], [V2, 1]]), TargetGroupArn: V1 }] }, 'ValidationError'],
    ['an OIDC action without its secret or UseExistingClientSecret', { Actions: [fixture<DescribeRulesOutput>('rules').Rules![0]!.Actions![0]!, { ...forward([[V1, 1]]), Order: 2 }] }, 'ValidationError'],
    ['a forward that is not the last action', { Actions: [forward([[V1, 1]]), { Type: 'fixed-response', Order: 2, FixedResponseConfig: { StatusCode: '503' } }] }, 'ValidationError'],
  ])('refuses a ModifyRule with %s', (_case, change, name) => {
    // Act
    const error = refusal(() => model().handle('ModifyRule', { RuleArn: API_RULE, ...change }));

    // Assess
    expect(error.name).toBe(name);
  });

  it('refuses ModifyRule on the default rule: its actions change only through ModifyListener', () => {
    // Act
    const error = refusal(() => model().handle('ModifyRule', { RuleArn: DEFAULT_RULE, Actions: [forward([[V2, 1]])] }));

    // Assess
    expect(error.name).toBe('OperationNotPermittedException');
  });

  it('echoes a write as ALB does: legacy Values beside typed host and path configs, stickiness defaulted, no OIDC secret', () => {
    // Prepare
    const elb = model();
    const oidc = { ...fixture<DescribeRulesOutput>('rules').Rules![0]!.Actions![0]!, AuthenticateOidcConfig: { ...fixture<DescribeRulesOutput>('rules').Rules![0]!.Actions![0]!.AuthenticateOidcConfig!, ClientSecret: 's3cret' } };

    // Act
    const written = (elb.handle('ModifyRule', { RuleArn: API_RULE, Conditions: [{ Field: 'host-header', HostHeaderConfig: { Values: ['a.example.com'] } }], Actions: [oidc, { Type: 'forward', Order: 2, TargetGroupArn: V2 }] }) as { Rules: Rule[] }).Rules[0]!;

    // Assess
    expect(written.Conditions).toEqual([{ Field: 'host-header', Values: ['a.example.com'], HostHeaderConfig: { Values: ['a.example.com'] } }]);
    expect(written.Actions![0]!.AuthenticateOidcConfig!.ClientSecret).toBeUndefined();
    expect(written.Actions![1]).toEqual({ Type: 'forward', Order: 2, TargetGroupArn: V2, ForwardConfig: { TargetGroups: [{ TargetGroupArn: V2, Weight: 1 }], TargetGroupStickinessConfig: { Enabled: false } } });
    expect(written.Transforms).toEqual(fixture<DescribeRulesOutput>('rules').Rules![0]!.Transforms);
  });
});
