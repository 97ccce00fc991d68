import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  DescribeListenersCommand,
  DescribeRulesCommand,
  DescribeTargetGroupsCommand,
  ElasticLoadBalancingV2Client,
  ListenerNotFoundException,
  ModifyListenerCommand,
  ModifyRuleCommand,
  RuleNotFoundException,
  TargetGroupNotFoundException,
  type Action,
  type DescribeListenersOutput,
  type DescribeRulesOutput,
  type DescribeTargetGroupsOutput,
  type Rule,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { mockClient } from 'aws-sdk-client-mock';
import { LocalElbv2, elbServiceError } from '../../../src/local/aws/elbv2';
import { AlbRouter } from '../../../src/routers/alb';
import type { RouterSnapshot } from '../../../src/routers/port';
import { ConcurrentModificationError, ConfigurationError, ResourceNotFoundError, TransientError, UnsupportedError } from '../../../src/shared/errors';

const elbv2 = mockClient(ElasticLoadBalancingV2Client);

const LISTENER = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2';
const RULE = (id: string) => `arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener-rule/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2/${id}`;
const API_RULE = RULE('9683b2d02a6cabee');
const SEARCH_RULE = RULE('1b2c3d4e5f607182');
const REDIRECT_RULE = RULE('0a1b2c3d4e5f6071');
const DEFAULT_RULE = RULE('7f6e5d4c3b2a1908');
const TG = (name: string, id: string) => `arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/${name}/${id}`;
const V1 = TG('user-service-v1', '73e2d6bc24d8a067');
const V2 = TG('user-service-v2', '8a2d6bc24d8a0671');
const SHADOW = TG('search-shadow', '5d7c1b0e4a3f2e19');

function fixture<T>(name: string): T {
  return JSON.parse(readFileSync(join(__dirname, '../../fixtures/alb', `${name}.json`), 'utf8')) as T;
}

/**
 * An ALB behind the mock, seeded from the fixtures: answers and refuses as ELBv2 does (the local
 * ELBv2 model), so a write the real API would reject fails here too.
 */
function serveAlb(opts: { listener?: string; rules?: Rule[] } = {}): LocalElbv2 {
  const model = new LocalElbv2({
    listeners: fixture<DescribeListenersOutput>(opts.listener ?? 'listener-https').Listeners ?? [],
    rules: opts.rules ?? fixture<DescribeRulesOutput>('rules').Rules,
    targetGroups: fixture<DescribeTargetGroupsOutput>('target-groups').TargetGroups ?? [],
  });
  elbv2.on(DescribeListenersCommand).callsFake((input) => model.handle('DescribeListeners', input));
  elbv2.on(DescribeRulesCommand).callsFake((input) => model.handle('DescribeRules', input));
  elbv2.on(DescribeTargetGroupsCommand).callsFake((input) => model.handle('DescribeTargetGroups', input));
  elbv2.on(ModifyRuleCommand).callsFake((input) => model.handle('ModifyRule', input));
  elbv2.on(ModifyListenerCommand).callsFake((input) => model.handle('ModifyListener', input));
  return model;
}

function rule(arn: string): Rule {
  const found = fixture<DescribeRulesOutput>('rules').Rules?.find((r) => r.RuleArn === arn);
  if (!found) throw new Error(`no fixture rule ${arn}`);
  return found;
}

function newRouter(rules?: string[], targets: { canary: string; stable?: string } = { canary: V2, stable: V1 }): AlbRouter {
  return new AlbRouter({ listenerArn: LISTENER, ...(rules ? { rules } : {}) }, targets, new ElasticLoadBalancingV2Client({}));
}

/** Every command sent, in order, as [command, input]. */
function sent(): Array<[string, unknown]> {
  return elbv2.calls().map((call) => {
    const command = call.args[0] as unknown as { constructor: { name: string }; input: unknown };
    return [command.constructor.name, command.input];
  });
}

function writes(): Array<[string, unknown]> {
  return sent().filter(([name]) => name.startsWith('Modify'));
}

async function caught(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection');
}

/** The forward's target groups as [arn, weight] pairs. */
function forwardOf(actions: Action[] | undefined): Array<[string, number]> {
  const forward = (actions ?? []).find((a) => a.Type === 'forward');
  return (forward?.ForwardConfig?.TargetGroups ?? []).map((t) => [t.TargetGroupArn ?? '', t.Weight ?? 0]);
}

/** The API rule's OIDC action as ModifyRule must receive it: as read, plus UseExistingClientSecret. */
const oidcAsWritten = (): Action => ({ ...rule(API_RULE).Actions![0]!, AuthenticateOidcConfig: { ...rule(API_RULE).Actions![0]!.AuthenticateOidcConfig!, UseExistingClientSecret: true } });

/** The API rule's conditions as ModifyRule accepts them: typed configs without the echoed Values. */
const apiConditionsAsWritten = () => [
  { Field: 'path-pattern', PathPatternConfig: { Values: ['/api/users/*', '/api/profile'] } },
  { Field: 'host-header', HostHeaderConfig: { Values: ['api.example.com'] } },
  { Field: 'http-header', HttpHeaderConfig: { HttpHeaderName: 'X-Client', Values: ['web', 'ios'] } },
];

beforeEach(() => {
  elbv2.reset();
});

describe('AlbRouter', () => {
  describe('constructor', () => {
    it('refuses a canary that is not a target group ARN, naming the field', () => {
      // Act
      const build = () => newRouter(undefined, { canary: 'user-service-v2', stable: V1 });

      // Assess
      expect(build).toThrow(ConfigurationError);
      expect(build).toThrow(/target\.canary must be a target group ARN/);
    });

    it('refuses a rule of another listener', () => {
      // Act
      const build = () => newRouter([RULE('9683b2d02a6cabee').replace('f2f7dc8efc522ab2', 'aaaaaaaaaaaaaaaa')]);

      // Assess
      expect(build).toThrow(/router\.alb\.rules\[0\].*is not a rule of listener/);
    });
  });

  describe('snapshot', () => {
    it('takes the default action and every rule forwarding to stable, skips the redirect rule, and writes nothing', async () => {
      // Prepare
      serveAlb();
      const router = newRouter();

      // Act
      const snapshot = await router.snapshot();

      // Assess
      expect(writes()).toEqual([]);
      expect(sent().map(([name]) => name)).toEqual([
        'DescribeListenersCommand',
        'DescribeTargetGroupsCommand',
        'DescribeTargetGroupsCommand',
        'DescribeRulesCommand',
      ]);
      expect(sent()[3]![1]).toEqual({ ListenerArn: LISTENER, PageSize: 100 });
      expect(snapshot.stable).toBe(V1);
      expect(snapshot.canary).toBe(V2);
      expect(snapshot.routes.map((r) => r.key)).toEqual([`alb:${LISTENER}`, `alb:${API_RULE}`, `alb:${SEARCH_RULE}`]);
      expect(snapshot.routes.map((r) => r.targets)).toEqual([
        [{ name: V1, weight: 1 }],
        [{ name: V1, weight: 1 }],
        [
          { name: V1, weight: 90 },
          { name: SHADOW, weight: 10 },
        ],
      ]);
      expect(snapshot.routes[1]!.raw).toEqual({ type: 'rule', arn: API_RULE, priority: '10', conditions: rule(API_RULE).Conditions, actions: rule(API_RULE).Actions });
      expect(snapshot.routes.every((r) => /^sha256:[0-9a-f]{32}$/.test(r.version))).toBe(true);
    });

    it('leaves out a rule that gives the stable target group weight 0 when searching, but refuses it when named', async () => {
      // Prepare
      const idle: Rule = { ...rule(SEARCH_RULE), Actions: [{ Type: 'forward', Order: 1, ForwardConfig: { TargetGroups: [{ TargetGroupArn: V1, Weight: 0 }, { TargetGroupArn: SHADOW, Weight: 1 }] } }] };
      serveAlb({ rules: [rule(API_RULE), idle] });

      // Act
      const searched = await newRouter().snapshot();
      const named = await caught(newRouter([SEARCH_RULE]).snapshot());

      // Assess
      expect(searched.routes.map((r) => r.key)).toEqual([`alb:${LISTENER}`, `alb:${API_RULE}`]);
      expect(named).toBeInstanceOf(ConfigurationError);
      expect(named.message).toContain('weight 0');
    });

    it('reads every page of rules with Marker', async () => {
      // Prepare
      const model = serveAlb();
      elbv2.on(DescribeRulesCommand, { ListenerArn: LISTENER }).callsFake((input) => model.handle('DescribeRules', { ...input, PageSize: 1 }));
      const router = newRouter();

      // Act
      const snapshot = await router.snapshot();

      // Assess
      const pages = sent().filter(([name]) => name === 'DescribeRulesCommand').map(([, input]) => (input as { Marker?: string }).Marker);
      expect(pages).toEqual([undefined, '1', '2', '3']);
      expect(snapshot.routes).toHaveLength(3);
    });

    it('guesses the stable target group from the default action when target.stable is left out', async () => {
      // Prepare
      serveAlb();

      // Act
      const snapshot = await newRouter(undefined, { canary: V2 }).snapshot();

      // Assess
      expect(snapshot.stable).toBe(V1);
    });

    it('takes a named default rule as the listener default action', async () => {
      // Prepare
      serveAlb();

      // Act
      const snapshot = await newRouter([DEFAULT_RULE, SEARCH_RULE]).snapshot();

      // Assess
      expect(snapshot.routes.map((r) => r.key)).toEqual([`alb:${LISTENER}`, `alb:${SEARCH_RULE}`]);
      expect((snapshot.routes[0]!.raw as { type: string }).type).toBe('default');
    });

    it.each([
      ['listener', () => elbv2.on(DescribeListenersCommand).rejects(new ListenerNotFoundException({ message: 'One or more listeners not found', $metadata: {} })), LISTENER],
      [
        'canary target group',
        () => elbv2.on(DescribeTargetGroupsCommand, { TargetGroupArns: [V2] }).rejects(new TargetGroupNotFoundException({ message: 'One or more target groups not found', $metadata: {} })),
        `${V2} (target.canary)`,
      ],
      ['rule', () => elbv2.on(DescribeRulesCommand, { RuleArns: [API_RULE] }).rejects(new RuleNotFoundException({ message: 'One or more rules not found', $metadata: {} })), API_RULE],
    ])('names a missing %s and writes nothing', async (_what, breakIt, named) => {
      // Prepare
      serveAlb();
      breakIt();

      // Act
      const error = await caught(newRouter([API_RULE]).snapshot());

      // Assess
      expect(error).toBeInstanceOf(ResourceNotFoundError);
      expect(error.message).toContain(named);
      expect(writes()).toEqual([]);
    });

    it('refuses a named rule whose routing action is a redirect, not a weighted forward', async () => {
      // Prepare
      serveAlb();

      // Act
      const error = await caught(newRouter([REDIRECT_RULE]).snapshot());

      // Assess
      expect(error).toBeInstanceOf(UnsupportedError);
      expect(error.message).toMatch(/has no weighted forward action.*redirect/);
      expect(writes()).toEqual([]);
    });

    it('refuses a listener whose default action is a fixed response when only the default is named', async () => {
      // Prepare
      serveAlb({ listener: 'listener-fixed-response-default' });

      // Act
      const error = await caught(newRouter([DEFAULT_RULE]).snapshot());

      // Assess
      expect(error).toBeInstanceOf(UnsupportedError);
      expect(error.message).toContain('fixed-response');
    });

    it('refuses a forward that would need a sixth target group', async () => {
      // Prepare
      const five = [V1, SHADOW, TG('a', '1111111111111111'), TG('b', '2222222222222222'), TG('c', '3333333333333333')];
      const crowded: Rule = { ...rule(SEARCH_RULE), Actions: [{ Type: 'forward', Order: 1, ForwardConfig: { TargetGroups: five.map((arn) => ({ TargetGroupArn: arn, Weight: 20 })) } }] };
      serveAlb({ rules: [crowded] });

      // Act
      const error = await caught(newRouter([SEARCH_RULE]).snapshot());

      // Assess
      expect(error).toBeInstanceOf(UnsupportedError);
      expect(error.message).toMatch(/6 weighted targets.*at most 5/);
      expect(writes()).toEqual([]);
    });

    it('refuses when nothing on the listener forwards to the stable target group', async () => {
      // Prepare
      serveAlb({ listener: 'listener-fixed-response-default', rules: [rule(REDIRECT_RULE)] });

      // Act
      const error = await caught(newRouter().snapshot());

      // Assess
      expect(error).toBeInstanceOf(ConfigurationError);
      expect(error.message).toContain(`forwards to the stable target group ${V1}`);
    });
  });

  describe('setCanaryWeight', () => {
    it('turns a single-target forward into weighted ForwardConfig and sends every other action and condition back unchanged', async () => {
      // Prepare
      serveAlb();
      const router = newRouter([API_RULE]);
      const snapshot = await router.snapshot();
      elbv2.resetHistory();

      // Act
      await router.setCanaryWeight(snapshot, 10, {});

      // Assess
      expect(writes()).toEqual([
        [
          'ModifyRuleCommand',
          {
            RuleArn: API_RULE,
            Conditions: apiConditionsAsWritten(),
            Actions: [
              oidcAsWritten(),
              {
                Type: 'forward',
                Order: 2,
                ForwardConfig: {
                  TargetGroups: [
                    { TargetGroupArn: V1, Weight: 899 },
                    { TargetGroupArn: V2, Weight: 100 },
                  ],
                  TargetGroupStickinessConfig: { Enabled: false },
                },
              },
            ],
          },
        ],
      ]);
    });

    it('keeps the extra target group share and the stickiness config exactly', async () => {
      // Prepare
      const model = serveAlb();
      const router = newRouter([SEARCH_RULE]);
      const snapshot = await router.snapshot();

      // Act
      await router.setCanaryWeight(snapshot, 25, {});

      // Assess
      const stored = (model.handle('DescribeRules', { RuleArns: [SEARCH_RULE] }) as DescribeRulesOutput).Rules![0]!;
      // 90/10 scaled by 9 to 810/90: the shadow keeps exactly 10 %, the canary gets 25 % of the 90 % pool.
      expect(forwardOf(stored.Actions)).toEqual([
        [V1, 607],
        [SHADOW, 90],
        [V2, 203],
      ]);
      expect(stored.Actions![0]!.ForwardConfig!.TargetGroupStickinessConfig).toEqual({ Enabled: true, DurationSeconds: 300 });
      expect(stored.Conditions).toEqual(rule(SEARCH_RULE).Conditions);
    });

    it('gives every step its share: canary within half a weight unit of the step, extras exact, weights 0-999', async () => {
      // Prepare
      const model = serveAlb();
      const router = newRouter();
      const snapshot = await router.snapshot();
      let versions = Object.fromEntries(snapshot.routes.map((r) => [r.key, r.version]));

      for (let weight = 0; weight <= 100; weight += 1) {
        // Act
        versions = await router.setCanaryWeight(snapshot, weight, versions);

        // Assess
        for (const arn of [API_RULE, SEARCH_RULE]) {
          const targets = forwardOf((model.handle('DescribeRules', { RuleArns: [arn] }) as DescribeRulesOutput).Rules![0]!.Actions);
          const total = targets.reduce((s, [, w]) => s + w, 0);
          const weightOf = (tg: string) => targets.find(([t]) => t === tg)?.[1] ?? 0;
          const pool = weightOf(V1) + weightOf(V2);
          expect(total).toBeLessThanOrEqual(999);
          expect(Math.abs(weightOf(V2) - (pool * weight) / 100)).toBeLessThanOrEqual(0.5);
          if (arn === SEARCH_RULE) expect(weightOf(SHADOW) / total).toBe(0.1);
        }
      }
    });

    it('changes the default action with ModifyListener, sending only the listener ARN and the default actions', async () => {
      // Prepare
      serveAlb();
      const router = newRouter([DEFAULT_RULE]);
      const snapshot = await router.snapshot();

      // Act
      await router.setCanaryWeight(snapshot, 50, {});

      // Assess
      expect(writes()).toEqual([
        [
          'ModifyListenerCommand',
          {
            ListenerArn: LISTENER,
            DefaultActions: [
              {
                Type: 'forward',
                Order: 1,
                ForwardConfig: {
                  TargetGroups: [
                    { TargetGroupArn: V1, Weight: 499 },
                    { TargetGroupArn: V2, Weight: 500 },
                  ],
                  TargetGroupStickinessConfig: { Enabled: false },
                },
              },
            ],
          },
        ],
      ]);
    });

    it('stops with ConcurrentModificationError when another writer changed the rule since our last write', async () => {
      // Prepare
      const model = serveAlb();
      const router = newRouter([API_RULE]);
      const snapshot = await router.snapshot();
      const versions = await router.setCanaryWeight(snapshot, 10, {});
      model.handle('ModifyRule', { RuleArn: API_RULE, Conditions: [{ Field: 'path-pattern', PathPatternConfig: { Values: ['/api/*'] } }] });
      elbv2.resetHistory();

      // Act
      const error = await caught(router.setCanaryWeight(snapshot, 25, versions));

      // Assess
      expect(error).toBeInstanceOf(ConcurrentModificationError);
      expect(error.message).toContain(API_RULE);
      expect(writes()).toEqual([]);
    });

    it('compares with the snapshot’s version when no write was recorded yet, and stops on a change made since Prepare', async () => {
      // Prepare
      const model = serveAlb();
      const router = newRouter([API_RULE]);
      const snapshot = await router.snapshot();
      model.handle('ModifyRule', { RuleArn: API_RULE, Conditions: [{ Field: 'path-pattern', PathPatternConfig: { Values: ['/api/*'] } }] });
      elbv2.resetHistory();

      // Act
      const error = await caught(router.setCanaryWeight(snapshot, 10, {}));
      const refusedRestore = await caught(router.restore(snapshot, {}));

      // Assess
      expect(error).toBeInstanceOf(ConcurrentModificationError);
      expect(error.message).toContain(`expected content ${snapshot.routes[0]!.version}`);
      expect(refusedRestore).toBeInstanceOf(ConcurrentModificationError);
      expect(writes()).toEqual([]);
    });

    it('recognises a write whose answer was lost by its content on retry, without a second write or a drift error', async () => {
      // Prepare
      const model = serveAlb();
      const router = newRouter([API_RULE]);
      const snapshot = await router.snapshot();
      let loseAnswer = false;
      elbv2.on(ModifyRuleCommand).callsFake((input) => {
        const answer = model.handle('ModifyRule', input);
        if (!loseAnswer) return answer;
        loseAnswer = false;
        throw elbServiceError('InternalFailure', 'connection reset after the write', 500);
      });
      const v10 = await router.setCanaryWeight(snapshot, 10, {});
      loseAnswer = true;
      const lost = await caught(router.setCanaryWeight(snapshot, 25, v10));
      const writesBefore = writes().length;

      // Act
      const v25 = await router.setCanaryWeight(snapshot, 25, v10);

      // Assess
      expect(lost).toBeInstanceOf(TransientError);
      expect(writes()).toHaveLength(writesBefore);
      expect(v25[`alb:${API_RULE}`]).not.toBe(v10[`alb:${API_RULE}`]);
      expect(await router.verify(snapshot, 25)).toMatchObject({ supported: true, ok: true });
    });

    it('does not take target groups answered in another order than written for another writer', async () => {
      // Prepare
      const model = serveAlb();
      elbv2.on(DescribeRulesCommand).callsFake((input) => {
        const out = model.handle('DescribeRules', input) as DescribeRulesOutput;
        for (const r of out.Rules ?? []) for (const a of r.Actions ?? []) a.ForwardConfig?.TargetGroups?.reverse();
        return out;
      });
      const router = newRouter([SEARCH_RULE]);
      const snapshot = await router.snapshot();
      const v10 = await router.setCanaryWeight(snapshot, 10, {});

      // Act
      const v25 = await router.setCanaryWeight(snapshot, 25, v10);

      // Assess
      expect(writes()).toHaveLength(2);
      expect(await router.verify(snapshot, 25)).toMatchObject({ supported: true, ok: true });
      expect(await router.restore(snapshot, v25)).toEqual({ [`alb:${SEARCH_RULE}`]: snapshot.routes[0]!.version });
    });

    it.each(['Throttling', 'ThrottlingException'])('turns %s into a TransientError the state machine retries', async (name) => {
      // Prepare
      serveAlb();
      const router = newRouter([API_RULE]);
      const snapshot = await router.snapshot();
      elbv2.on(ModifyRuleCommand).rejectsOnce(elbServiceError(name, 'Rate exceeded'));

      // Act
      const error = await caught(router.setCanaryWeight(snapshot, 10, {}));

      // Assess
      expect(error).toBeInstanceOf(TransientError);
      expect(error.message).toContain(API_RULE);
    });

    it('records the version of what it wrote, so a Modify answer spelt otherwise than DescribeRules is not taken for another writer next step', async () => {
      // Prepare: ModifyRule answers the rule with its actions' Order left out and the typed
      // conditions spelt as legacy Values only; DescribeRules answers the stored rule in full.
      const model = serveAlb();
      elbv2.on(ModifyRuleCommand).callsFake((input) => {
        const out = model.handle('ModifyRule', input) as DescribeRulesOutput;
        for (const r of out.Rules ?? []) {
          for (const a of r.Actions ?? []) delete a.Order;
          r.Conditions = (r.Conditions ?? []).map((c) => ({ Field: c.Field, Values: c.PathPatternConfig?.Values ?? c.HostHeaderConfig?.Values ?? c.Values ?? [] }));
        }
        return out;
      });
      const router = newRouter([SEARCH_RULE]);
      const snapshot = await router.snapshot();
      const v10 = await router.setCanaryWeight(snapshot, 10, {});

      // Act
      const v25 = await router.setCanaryWeight(snapshot, 25, v10);
      const restored = await router.restore(snapshot, v25);

      // Assess
      expect(writes()).toHaveLength(3);
      // What was recorded is what DescribeRules gives: a fresh read of the restored rule has that version.
      expect(restored).toEqual({ [`alb:${SEARCH_RULE}`]: (await router.snapshot()).routes[0]!.version });
    });

    it('fails the write as transient when ALB answers other weights than written', async () => {
      // Prepare
      const model = serveAlb();
      const router = newRouter([API_RULE]);
      const snapshot = await router.snapshot();
      elbv2.on(ModifyRuleCommand).callsFakeOnce((input) => {
        model.handle('ModifyRule', input);
        return model.handle('DescribeRules', { RuleArns: [SEARCH_RULE] });
      });

      // Act
      const error = await caught(router.setCanaryWeight(snapshot, 10, {}));

      // Assess
      expect(error).toBeInstanceOf(TransientError);
    });
  });

  describe('promote', () => {
    it('hands the pool to the canary and removes the stable target group, extras kept', async () => {
      // Prepare
      const model = serveAlb();
      const router = newRouter([SEARCH_RULE, API_RULE]);
      const snapshot = await router.snapshot();
      const versions = await router.setCanaryWeight(snapshot, 50, {});

      // Act
      await router.promote(snapshot, versions);

      // Assess
      const stored = (arn: string) => (model.handle('DescribeRules', { RuleArns: [arn] }) as DescribeRulesOutput).Rules![0]!.Actions;
      expect(forwardOf(stored(SEARCH_RULE))).toEqual([
        [SHADOW, 90],
        [V2, 810],
      ]);
      expect(forwardOf(stored(API_RULE))).toEqual([[V2, 999]]);
      expect(stored(API_RULE)![0]!.Type).toBe('authenticate-oidc');
    });

    it('recognises its lost promotion write when ALB spells the single-target forward with TargetGroupArn', async () => {
      // Prepare
      const model = serveAlb();
      const spellSingle = (out: DescribeRulesOutput) => {
        for (const r of out.Rules ?? []) for (const a of r.Actions ?? []) if (a.ForwardConfig?.TargetGroups?.length === 1) a.TargetGroupArn = a.ForwardConfig.TargetGroups[0]!.TargetGroupArn;
        return out;
      };
      elbv2.on(DescribeRulesCommand).callsFake((input) => spellSingle(model.handle('DescribeRules', input) as DescribeRulesOutput));
      let loseAnswer = false;
      elbv2.on(ModifyRuleCommand).callsFake((input) => {
        const answer = spellSingle(model.handle('ModifyRule', input) as DescribeRulesOutput);
        if (!loseAnswer) return answer;
        loseAnswer = false;
        throw elbServiceError('InternalFailure', 'connection reset after the write', 500);
      });
      const router = newRouter([API_RULE]);
      const snapshot = await router.snapshot();
      const v50 = await router.setCanaryWeight(snapshot, 50, {});
      loseAnswer = true;
      const lost = await caught(router.promote(snapshot, v50));
      const writesBefore = writes().length;

      // Act
      const promoted = await router.promote(snapshot, v50);

      // Assess
      expect(lost).toBeInstanceOf(TransientError);
      expect(writes()).toHaveLength(writesBefore);
      expect(await router.restore(snapshot, promoted)).toEqual({ [`alb:${API_RULE}`]: snapshot.routes[0]!.version });
    });
  });

  describe('restore', () => {
    it('writes every rule back so that ALB holds exactly what was snapshotted', async () => {
      // Prepare
      const model = serveAlb();
      const router = newRouter();
      const snapshot = await router.snapshot();
      const versions = await router.setCanaryWeight(snapshot, 50, {});
      elbv2.resetHistory();

      // Act
      const restored = await router.restore(snapshot, versions);

      // Assess
      const rules = (model.handle('DescribeRules', { ListenerArn: LISTENER }) as DescribeRulesOutput).Rules!;
      const listener = (model.handle('DescribeListeners', { ListenerArns: [LISTENER] }) as DescribeListenersOutput).Listeners![0]!;
      expect(listener).toEqual(fixture<DescribeListenersOutput>('listener-https').Listeners![0]);
      expect(rules.find((r) => r.RuleArn === API_RULE)).toEqual(rule(API_RULE));
      expect(rules.find((r) => r.RuleArn === SEARCH_RULE)).toEqual(rule(SEARCH_RULE));
      expect(writes().map(([name, input]) => [name, (input as { RuleArn?: string; ListenerArn?: string }).RuleArn ?? (input as { ListenerArn: string }).ListenerArn])).toEqual([
        ['ModifyListenerCommand', LISTENER],
        ['ModifyRuleCommand', API_RULE],
        ['ModifyRuleCommand', SEARCH_RULE],
      ]);
      expect(restored).toEqual(Object.fromEntries(snapshot.routes.map((r) => [r.key, r.version])));
    });

    it('writes nothing for a rule already as snapshotted', async () => {
      // Prepare
      serveAlb();
      const router = newRouter([API_RULE]);
      const snapshot = await router.snapshot();

      // Act
      await router.restore(snapshot, {});

      // Assess
      expect(writes()).toEqual([]);
    });

    it('takes an unrecorded split of its own as ours, but refuses another writer unless forced', async () => {
      // Prepare
      const model = serveAlb();
      const router = newRouter([API_RULE]);
      const snapshot = await router.snapshot();
      const v10 = await router.setCanaryWeight(snapshot, 10, {});
      await router.setCanaryWeight(snapshot, 25, v10); // its answer "lost": versions stay at v10

      // Act
      await router.restore(snapshot, v10);
      model.handle('ModifyRule', { RuleArn: API_RULE, Actions: [{ Type: 'fixed-response', Order: 1, FixedResponseConfig: { StatusCode: '503' } }] });
      const refused = await caught(router.restore(snapshot, v10));
      await router.restore(snapshot, v10, { force: true });

      // Assess
      expect(refused).toBeInstanceOf(ConcurrentModificationError);
      expect(refused.message).toMatch(/restore failed for 1 of 1.*another writer/);
      expect((model.handle('DescribeRules', { RuleArns: [API_RULE] }) as DescribeRulesOutput).Rules![0]).toEqual(rule(API_RULE));
    });
  });

  describe('verify', () => {
    it('reads back and reports each rule with the weights expected and found', async () => {
      // Prepare
      serveAlb();
      const router = newRouter([API_RULE]);
      const snapshot = await router.snapshot();
      await router.setCanaryWeight(snapshot, 10, {});

      // Act
      const at10 = await router.verify(snapshot, 10);
      const at25 = await router.verify(snapshot, 25);

      // Assess
      expect(at10).toEqual({
        supported: true,
        ok: true,
        routes: [
          {
            key: `alb:${API_RULE}`,
            expected: [
              { name: V1, weight: 899 },
              { name: V2, weight: 100 },
            ],
            actual: [
              { name: V1, weight: 899 },
              { name: V2, weight: 100 },
            ],
          },
        ],
      });
      expect(at25.supported && at25.ok).toBe(false);
    });
  });

  it('refuses a snapshot of another listener', async () => {
    // Prepare
    serveAlb();
    const snapshot = await newRouter([API_RULE]).snapshot();
    const foreign: RouterSnapshot = { ...snapshot, routes: snapshot.routes.map((r) => ({ ...r, key: 'alb:arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener-rule/app/other/1/2/3' })) };

    // Act
    const error = await caught(newRouter([API_RULE]).setCanaryWeight(foreign, 10, {}));

    // Assess
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(writes()).toEqual([]);
  });
});
