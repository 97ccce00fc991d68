import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Action, DescribeListenersOutput, DescribeRulesOutput, DescribeTargetGroupsOutput, Listener, Rule } from '@aws-sdk/client-elastic-load-balancing-v2';
import { createRouter } from '../../src/routers';
import { configureDeps } from '../../src/rollouts/deps';
import { FakeElbv2, elbThrottled, shareOf } from '../support/fake-elbv2';
import { Harness, specInput } from './harness';

const LISTENER = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2';
const API_RULE = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener-rule/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee';
const SEARCH_RULE = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener-rule/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2/1b2c3d4e5f607182';
const STABLE_TG = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/user-service-v1/73e2d6bc24d8a067';
const CANARY_TG = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/user-service-v2/8a2d6bc24d8a0671';
const SHADOW_TG = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/search-shadow/5d7c1b0e4a3f2e19';
const KEYS = [LISTENER, API_RULE, SEARCH_RULE].map((arn) => `alb:${arn}`);

function fixture<T>(name: string): T {
  return JSON.parse(readFileSync(join(__dirname, '../fixtures/alb', `${name}.json`), 'utf8')) as T;
}

const seedListener = (): Listener => fixture<DescribeListenersOutput>('listener-https').Listeners![0]!;
const seedRule = (arn: string): Rule => fixture<DescribeRulesOutput>('rules').Rules!.find((r) => r.RuleArn === arn)!;

/** A spec over the whole listener: the default action and every rule forwarding to the stable target group. */
function albSpec(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { ...specInput({ target: { canary: CANARY_TG, stable: STABLE_TG }, ...overrides }), router: { alb: { listenerArn: LISTENER } } };
}

let h: Harness;
let elb: FakeElbv2;

beforeEach(() => {
  h = new Harness();
  elb = new FakeElbv2({
    listeners: [seedListener()],
    rules: fixture<DescribeRulesOutput>('rules').Rules!,
    targetGroups: fixture<DescribeTargetGroupsOutput>('target-groups').TargetGroups!,
  });
  configureDeps({ ...h.deps, routerFor: (spec) => createRouter(spec, { elbv2: elb.client }) });
});
afterEach(() => {
  h.close();
  elb.restore();
});

/** Fires the alarm once the canary reaches `share` % on the default action. */
function alarmAt(share: number): void {
  elb.onWrite = (w) => {
    if (w.arn === LISTENER && shareOf(w.actions, CANARY_TG) === share) h.alarms.set('user-service-5xx', 'ALARM', 'Threshold Crossed: 5xx > 1%');
  };
}

describe('rollout state machine with the ALB router (real ASL, real handlers, fake ELBv2)', () => {
  it('goes 10 → 25 → 50 → 100 on the default action and every rule to stable, promotes, and keeps every other action, condition and target group', async () => {
    const execution = h.start(albSpec());
    const outcome = await execution.result;

    expect(outcome.status).toBe('SUCCEEDED');
    expect(elb.sharesWritten(LISTENER, CANARY_TG)).toEqual([10, 25, 50, 100, 100]);
    expect(elb.sharesWritten(API_RULE, CANARY_TG)).toEqual([10, 25, 50, 100, 100]);
    // The shadow target group keeps its 10 % in every write (90 of 900).
    expect(elb.writes.filter((w) => w.arn === SEARCH_RULE).map((w) => shareOf(w.actions, SHADOW_TG))).toEqual([10, 10, 10, 10, 10]);
    const api = elb.rule(API_RULE);
    expect(api.Conditions).toEqual(seedRule(API_RULE).Conditions);
    expect(api.Actions![0]).toEqual(seedRule(API_RULE).Actions![0]);
    expect(api.Actions![1]).toEqual({ Type: 'forward', Order: 2, ForwardConfig: { TargetGroups: [{ TargetGroupArn: CANARY_TG, Weight: 999 }], TargetGroupStickinessConfig: { Enabled: false } } });
    expect(elb.rule(SEARCH_RULE).Actions![0]!.ForwardConfig).toEqual({
      TargetGroups: [
        { TargetGroupArn: SHADOW_TG, Weight: 90 },
        { TargetGroupArn: CANARY_TG, Weight: 810 },
      ],
      TargetGroupStickinessConfig: { Enabled: true, DurationSeconds: 300 },
    });
    for (const key of KEYS) expect(await h.store.getLock(key)).toBeUndefined();
    expect((await h.store.getRollout(execution.name))?.status).toBe('promoted');
    // API cost: Prepare reads the listener, both target groups and one page of rules, twice (the
    // baseline is snapshotted again under the lock, see src/rollouts/clean-baseline.ts); each of the
    // 4 shifts and the promotion reads and writes each of the 3 routes once; after each of the 4
    // shifts, and after the promotion, every route is read back once more to verify it took (verifyShift).
    const count = (op: string) => elb.calls.filter((c) => c === op).length;
    expect({ DescribeListeners: count('DescribeListeners'), DescribeTargetGroups: count('DescribeTargetGroups'), DescribeRules: count('DescribeRules'), ModifyListener: count('ModifyListener'), ModifyRule: count('ModifyRule') }).toEqual({
      DescribeListeners: 2 + 5 + 5,
      DescribeTargetGroups: 2 * 2,
      DescribeRules: 2 + 5 * 2 + 5 * 2,
      ModifyListener: 5,
      ModifyRule: 5 * 2,
    });
  });

  it('rolls back to the exact snapshot of the listener and every rule when an alarm fires at step 2', async () => {
    alarmAt(25);
    const execution = h.start(albSpec());
    const outcome = await execution.result;

    expect(outcome).toMatchObject({ status: 'FAILED', error: 'Canary.RolledBack' });
    expect(outcome.cause).toContain('step 2 (25%)');
    expect(elb.sharesWritten(LISTENER, CANARY_TG)).toEqual([10, 25, 0]);
    expect(elb.listener(LISTENER)).toEqual(seedListener());
    expect(elb.rule(API_RULE)).toEqual(seedRule(API_RULE));
    expect(elb.rule(SEARCH_RULE)).toEqual(seedRule(SEARCH_RULE));
    for (const key of KEYS) expect(await h.store.getLock(key)).toBeUndefined();
  });

  it('retries throttled ModifyRule calls (Throttling, ThrottlingException) and still completes', async () => {
    elb.failNext('ModifyRule', elbThrottled('Throttling'), elbThrottled('ThrottlingException'));
    const execution = h.start(albSpec());
    const outcome = await execution.result;

    expect(outcome.status).toBe('SUCCEEDED');
    expect(execution.history.filter((e) => e.type === 'StateRetried' && e.state === 'Step')).toHaveLength(2);
    expect(elb.sharesWritten(API_RULE, CANARY_TG)).toEqual([10, 25, 50, 100, 100]);
  });

  it('retries a Step whose ModifyRule was applied but answered with an error, recognising its own write without writing it twice', async () => {
    elb.onWrite = (w) => {
      if (w.arn === API_RULE && shareOf(w.actions, CANARY_TG) === 25) {
        elb.onWrite = () => undefined;
        elb.loseNextAnswer('ModifyRule');
      }
    };
    const execution = h.start(albSpec());
    const outcome = await execution.result;

    expect(outcome.status).toBe('SUCCEEDED');
    expect(execution.history.filter((e) => e.type === 'StateRetried' && e.state === 'Step')).toHaveLength(1);
    expect(elb.sharesWritten(API_RULE, CANARY_TG)).toEqual([10, 25, 50, 100, 100]);
  });

  it('stops loudly instead of overwriting a rule another writer changed, keeping the lock flagged', async () => {
    const foreign: Action[] = [{ Type: 'fixed-response', Order: 1, FixedResponseConfig: { StatusCode: '503', ContentType: 'text/plain', MessageBody: 'maintenance' } }];
    elb.onWrite = (w) => {
      if (w.arn === API_RULE && shareOf(w.actions, CANARY_TG) === 10) {
        elb.onWrite = () => undefined;
        setImmediate(() => elb.externalWrite(API_RULE, { Actions: foreign }));
      }
    };
    const execution = h.start(albSpec());
    const outcome = await execution.result;

    expect(outcome).toMatchObject({ status: 'FAILED', error: 'Canary.RollbackFailed' });
    expect(outcome.cause).toContain(API_RULE);
    expect(elb.rule(API_RULE).Actions).toEqual(foreign);
    // The rules nobody else touched are restored exactly.
    expect(elb.listener(LISTENER)).toEqual(seedListener());
    expect(elb.rule(SEARCH_RULE)).toEqual(seedRule(SEARCH_RULE));
    expect((await h.store.getLock(`alb:${API_RULE}`))?.needsAttention).toContain('ConcurrentModificationError');
    expect(h.notifier.events.at(-1)).toMatchObject({ type: 'rollback-failed', urgent: true });
  });

  it('fails at Prepare naming a canary target group that does not exist, and writes nothing', async () => {
    const missing = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/user-service-v3/0000000000000000';
    const execution = h.start(albSpec({ target: { canary: missing, stable: STABLE_TG } }));
    const outcome = await execution.result;

    expect(outcome).toMatchObject({ status: 'FAILED', error: 'ResourceNotFoundError' });
    expect(outcome.cause).toContain(missing);
    expect(elb.writes).toEqual([]);
    expect(h.statesEntered(execution)).toEqual(['Prepare', 'ReleaseAfterFailedStart', 'ReportFailedToStart', 'FailedToStart']);
  });
});
