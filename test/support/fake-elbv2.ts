import {
  DescribeListenersCommand,
  DescribeRulesCommand,
  DescribeTargetGroupsCommand,
  ElasticLoadBalancingV2Client,
  ModifyListenerCommand,
  ModifyRuleCommand,
  type Action,
  type Listener,
  type Rule,
  type TargetGroup,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { mockClient } from 'aws-sdk-client-mock';
import { LocalElbv2, elbServiceError } from '../../src/local/aws/elbv2';

export type Elbv2Operation = 'DescribeListeners' | 'DescribeRules' | 'DescribeTargetGroups' | 'ModifyRule' | 'ModifyListener';

/** A write as ALB accepted it: the rule (or listener) ARN and the actions it holds afterwards. */
export interface Elbv2Write {
  operation: 'ModifyRule' | 'ModifyListener';
  arn: string;
  actions: Action[];
}

/**
 * A stateful ELBv2 behind aws-sdk-client-mock for the state-machine and fault tests. The answers
 * and refusals are the local ELBv2 model's (the shapes of botocore's `elbv2/2015-12-01`: legacy
 * `Values` beside typed conditions, `ForwardConfig` beside `TargetGroupArn`, no OIDC secret, and
 * ValidationError for what ALB refuses). On top: every call recorded in order, faults queued per
 * operation (throttling, 5xx...), writes that are applied but whose answer is lost, and writes of
 * another writer.
 */
export class FakeElbv2 {
  readonly mock = mockClient(ElasticLoadBalancingV2Client);
  readonly client = new ElasticLoadBalancingV2Client({ region: 'eu-west-1' });
  readonly model: LocalElbv2;
  /** Every call, in order, by operation name. */
  readonly calls: Elbv2Operation[] = [];
  /** Accepted writes, in order. */
  readonly writes: Elbv2Write[] = [];
  /** Called after each accepted write, e.g. to flip an alarm when a weight is reached. Throwing here loses the answer. */
  onWrite: (write: Elbv2Write) => void = () => undefined;
  private readonly failures: Partial<Record<Elbv2Operation, Error[]>> = {};
  private readonly lost: Partial<Record<Elbv2Operation, Error[]>> = {};

  constructor(seed: { listeners: Listener[]; rules: Rule[]; targetGroups: TargetGroup[] }) {
    this.model = new LocalElbv2(seed);
    const serve = (operation: Elbv2Operation) => (input: object) => this.serve(operation, input as Record<string, unknown>);
    this.mock.on(DescribeListenersCommand).callsFake(serve('DescribeListeners'));
    this.mock.on(DescribeRulesCommand).callsFake(serve('DescribeRules'));
    this.mock.on(DescribeTargetGroupsCommand).callsFake(serve('DescribeTargetGroups'));
    this.mock.on(ModifyRuleCommand).callsFake(serve('ModifyRule'));
    this.mock.on(ModifyListenerCommand).callsFake(serve('ModifyListener'));
  }

  /** Queues errors thrown (before anything is applied) by the next calls of an operation. */
  failNext(operation: Elbv2Operation, ...errors: Error[]): void {
    (this.failures[operation] ??= []).push(...errors);
  }

  /** The next write of `operation` is applied, then answered with `error` (a lost answer). */
  loseNextAnswer(operation: 'ModifyRule' | 'ModifyListener', error: Error = elbServiceError('InternalFailure', 'connection reset', 500)): void {
    (this.lost[operation] ??= []).push(error);
  }

  /** Another writer changes a rule behind our back. */
  externalWrite(ruleArn: string, change: { Actions?: Action[]; Conditions?: Rule['Conditions'] }): void {
    this.model.handle('ModifyRule', { RuleArn: ruleArn, ...change });
  }

  rule(arn: string): Rule {
    return (this.model.handle('DescribeRules', { RuleArns: [arn] }) as { Rules: Rule[] }).Rules[0]!;
  }

  listener(arn: string): Listener {
    return (this.model.handle('DescribeListeners', { ListenerArns: [arn] }) as { Listeners: Listener[] }).Listeners[0]!;
  }

  /** The canary's weight as a share (0-100, rounded) of all weights, per write, for one rule or listener. */
  sharesWritten(arn: string, canary: string): number[] {
    return this.writes.filter((w) => w.arn === arn).map((w) => shareOf(w.actions, canary));
  }

  restore(): void {
    this.mock.restore();
  }

  private serve(operation: Elbv2Operation, input: Record<string, unknown>): unknown {
    this.calls.push(operation);
    const failure = this.failures[operation]?.shift();
    if (failure) throw failure;
    const answer = this.model.handle(operation, input);
    if (operation === 'ModifyRule' || operation === 'ModifyListener') {
      const written = operation === 'ModifyRule' ? (answer as { Rules: Rule[] }).Rules[0]! : undefined;
      const listener = operation === 'ModifyListener' ? (answer as { Listeners: Listener[] }).Listeners[0]! : undefined;
      const write: Elbv2Write = { operation, arn: written?.RuleArn ?? listener?.ListenerArn ?? '', actions: structuredClone(written?.Actions ?? listener?.DefaultActions ?? []) };
      this.writes.push(write);
      this.onWrite(write);
      const lost = this.lost[operation]?.shift();
      if (lost) throw lost;
    }
    return answer;
  }
}

/** The canary's share (0-100, rounded) of a forward's total weight. */
export function shareOf(actions: Action[], canary: string): number {
  const tuples = actions.find((a) => a.Type === 'forward')?.ForwardConfig?.TargetGroups ?? [];
  const total = tuples.reduce((s, t) => s + (t.Weight ?? 0), 0);
  const c = tuples.find((t) => t.TargetGroupArn === canary)?.Weight ?? 0;
  return total === 0 ? 0 : Math.round((100 * c) / total);
}

/** ELBv2's throttling answer (an error code the SDK has no class for). */
export function elbThrottled(name: 'Throttling' | 'ThrottlingException' = 'Throttling'): Error {
  return elbServiceError(name, 'Rate exceeded');
}
