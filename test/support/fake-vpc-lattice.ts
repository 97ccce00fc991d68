import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ConflictException,
  GetListenerCommand,
  GetRuleCommand,
  GetTargetGroupCommand,
  InternalServerException,
  ListRulesCommand,
  ResourceNotFoundException,
  ThrottlingException,
  UpdateListenerCommand,
  UpdateRuleCommand,
  ValidationException,
  VPCLatticeClient,
  type GetListenerCommandOutput,
  type GetRuleCommandOutput,
  type GetTargetGroupCommandOutput,
  type RuleAction,
  type RuleMatch,
} from '@aws-sdk/client-vpc-lattice';
import { mockClient } from 'aws-sdk-client-mock';

type Listener = Omit<GetListenerCommandOutput, '$metadata'>;
type Rule = Omit<GetRuleCommandOutput, '$metadata'>;
type TargetGroup = Omit<GetTargetGroupCommandOutput, '$metadata'>;
export type LatticeCommand = 'GetListener' | 'GetRule' | 'ListRules' | 'UpdateRule' | 'UpdateListener' | 'GetTargetGroup';

const FIXTURES = join(__dirname, '..', 'fixtures', 'vpc-lattice');

/** A fresh copy of a fixture in test/fixtures/vpc-lattice, with dates revived as the SDK returns them. */
export function latticeFixture<T = Record<string, unknown>>(name: string): T {
  return JSON.parse(readFileSync(join(FIXTURES, `${name}.json`), 'utf8'), (key, value) =>
    (key === 'createdAt' || key === 'lastUpdatedAt') && typeof value === 'string' ? new Date(value) : value,
  ) as T;
}

export const LATTICE = {
  service: 'svc-0a1b2c3d4e5f6a7b8',
  listener: 'listener-0f1e2d3c4b5a69788',
  apiRule: 'rule-0c1d2e3f4a5b6c7d8',
  legacyRule: 'rule-0b2b2b2b2b2b2b2b2',
  maintenanceRule: 'rule-0d9d9d9d9d9d9d9d9',
  defaultRule: 'rule-0e0e0e0e0e0e0e0e0',
  stable: 'tg-0123456789abcdef0',
  canary: 'tg-0fedcba9876543210',
  analytics: 'tg-0aaaabbbbccccdddd',
} as const;

const idOf = (x: string) => (x.startsWith('arn:') ? x.slice(x.lastIndexOf('/') + 1) : x);

/**
 * A stateful VPC Lattice behind aws-sdk-client-mock, as the API model describes it: one service and
 * listener, rules with match/priority/action, UpdateRule as a PATCH, the default rule changed only
 * through UpdateListener, ListRules paged with nextToken, weights 0-999 and 1-10 target groups
 * validated. Records every call and write; failures can be queued per command, and an answer can be
 * lost after the write was applied.
 */
export class FakeVpcLattice {
  readonly mock = mockClient(VPCLatticeClient);
  readonly client = new VPCLatticeClient({ region: 'us-east-1' });
  listener: Listener;
  readonly rules = new Map<string, Rule>();
  readonly targetGroups = new Map<string, TargetGroup>();
  readonly calls: Record<string, number> = {};
  /** Successful writes in order: the route ('default' for the listener) and the action written. */
  readonly writes: Array<{ route: string; action: RuleAction; input: Record<string, unknown> }> = [];
  /** Called after each applied write, e.g. to flip an alarm when a weight is reached. */
  onWrite: (route: string, action: RuleAction) => void = () => undefined;
  private readonly failures: Partial<Record<LatticeCommand, Error[]>> = {};
  private readonly lost: Partial<Record<LatticeCommand, number>> = {};
  private readonly conflicted: Partial<Record<LatticeCommand, number>> = {};
  private readonly ignored: Partial<Record<LatticeCommand, number>> = {};
  private readonly late: Partial<Record<LatticeCommand, number>> = {};
  /** Writes accepted but not visible yet: applied after the next read (eventual consistency). */
  private readonly pending = new Map<string, () => void>();

  /** `pageSize` makes ListRules page (AWS pages at maxResults, 100 at most). */
  constructor(readonly pageSize = 2) {
    this.listener = latticeFixture<Listener>('listener');
    this.mock.on(GetListenerCommand).callsFake((input: { serviceIdentifier: string; listenerIdentifier: string }) => {
      this.enter('GetListener');
      this.checkListener(input);
      return this.afterRead('default', structuredClone(this.listener));
    });
    this.mock.on(GetRuleCommand).callsFake((input: { serviceIdentifier: string; listenerIdentifier: string; ruleIdentifier: string }) => {
      this.enter('GetRule');
      this.checkListener(input);
      return this.afterRead(idOf(input.ruleIdentifier), structuredClone(this.rule(input.ruleIdentifier)));
    });
    this.mock.on(ListRulesCommand).callsFake((input: { serviceIdentifier: string; listenerIdentifier: string; nextToken?: string }) => {
      this.enter('ListRules');
      this.checkListener(input);
      const all = [...this.rules.values()];
      const start = input.nextToken ? Number(input.nextToken.replace('page-', '')) : 0;
      const items = all.slice(start, start + this.pageSize).map(({ arn, id, name, isDefault, priority, createdAt, lastUpdatedAt }) => ({
        arn,
        id,
        name,
        isDefault,
        ...(priority !== undefined ? { priority } : {}),
        createdAt,
        lastUpdatedAt,
      }));
      return start + this.pageSize < all.length ? { items, nextToken: `page-${start + this.pageSize}` } : { items };
    });
    this.mock.on(GetTargetGroupCommand).callsFake((input: { targetGroupIdentifier: string }) => {
      this.enter('GetTargetGroup');
      const tg = this.targetGroups.get(idOf(input.targetGroupIdentifier));
      if (!tg) throw notFound('TARGET_GROUP', idOf(input.targetGroupIdentifier));
      return structuredClone(tg);
    });
    this.mock.on(UpdateRuleCommand).callsFake((input: { serviceIdentifier: string; listenerIdentifier: string; ruleIdentifier: string; match?: RuleMatch; priority?: number; action?: RuleAction }) => {
      this.enter('UpdateRule');
      this.checkListener(input);
      const rule = this.rule(input.ruleIdentifier);
      if (rule.isDefault) throw validation('the default rule cannot be updated with UpdateRule; use UpdateListener');
      if (input.action) this.checkAction(input.action);
      if (input.priority !== undefined && [...this.rules.values()].some((r) => r.id !== rule.id && r.priority === input.priority)) {
        throw new ConflictException({ message: `priority ${input.priority} is in use`, resourceId: rule.id!, resourceType: 'RULE', $metadata: { httpStatusCode: 409 } });
      }
      // PATCH: only what is sent changes.
      const next = { ...structuredClone(rule), lastUpdatedAt: new Date() };
      if (input.match) next.match = structuredClone(input.match);
      if (input.priority !== undefined) next.priority = input.priority;
      if (input.action) next.action = structuredClone(input.action);
      this.take('UpdateRule', rule.id!, () => Object.assign(rule, next));
      this.applied('UpdateRule', rule.id!, next.action!, input);
      const { arn, id, name, isDefault, match, priority, action } = next;
      return structuredClone({ arn, id, name, isDefault, match, priority, action });
    });
    this.mock.on(UpdateListenerCommand).callsFake((input: { serviceIdentifier: string; listenerIdentifier: string; defaultAction: RuleAction }) => {
      this.enter('UpdateListener');
      this.checkListener(input);
      this.checkAction(input.defaultAction);
      this.take('UpdateListener', 'default', () => {
        this.listener.defaultAction = structuredClone(input.defaultAction);
        this.listener.lastUpdatedAt = new Date();
        // The default rule mirrors the listener's default action.
        for (const r of this.rules.values()) if (r.isDefault) r.action = structuredClone(input.defaultAction);
      });
      this.applied('UpdateListener', 'default', input.defaultAction, input);
      const { arn, id, name, protocol, port, serviceArn, serviceId } = this.listener;
      return structuredClone({ arn, id, name, protocol, port, serviceArn, serviceId, defaultAction: input.defaultAction });
    });
  }

  /** The user-service listener of the fixtures: default action, an API rule with a shadow group, a legacy rule by ARN, a fixed response and the default rule. */
  seedUserService(): this {
    for (const name of ['rule-api', 'rule-legacy', 'rule-maintenance', 'rule-default']) this.addRule(latticeFixture<Rule>(name));
    for (const name of ['target-group-v1', 'target-group-v2', 'target-group-analytics']) this.addTargetGroup(latticeFixture<TargetGroup>(name));
    return this;
  }

  addRule(rule: Rule): this {
    this.rules.set(rule.id!, structuredClone(rule));
    return this;
  }

  addTargetGroup(tg: TargetGroup): this {
    this.targetGroups.set(tg.id!, structuredClone(tg));
    return this;
  }

  /** Queues errors thrown by the next calls of a command (before it takes effect). */
  failNext(command: LatticeCommand, ...errors: Error[]): void {
    (this.failures[command] ??= []).push(...errors);
  }

  /** The next `count` writes of a command take effect but their answer is lost (a network fault after the fact). */
  loseNextAnswer(command: 'UpdateRule' | 'UpdateListener', count = 1): void {
    this.lost[command] = (this.lost[command] ?? 0) + count;
  }

  /**
   * The next `count` writes of a command take effect, but the answer the caller sees is a
   * ConflictException: what the SDK's own retry of an in-flight update meets ("conflicts with the
   * current state ... Updating"), the first attempt's answer having been lost.
   */
  conflictAfterWrite(command: 'UpdateRule' | 'UpdateListener', count = 1): void {
    this.conflicted[command] = (this.conflicted[command] ?? 0) + count;
  }

  /** The next `count` writes of a command are answered as accepted but never take effect (a control plane that drops a change). */
  ignoreNextWrites(command: 'UpdateRule' | 'UpdateListener', count = 1): void {
    this.ignored[command] = (this.ignored[command] ?? 0) + count;
  }

  /** The next `count` writes of a command become visible only after the next read (the first read of that route after the write sees the old content). */
  applyLate(command: 'UpdateRule' | 'UpdateListener', count = 1): void {
    this.late[command] = (this.late[command] ?? 0) + count;
  }

  /** Another writer changes a route behind our back ('default' = the listener). */
  externalWrite(route: string, change: { action?: RuleAction; priority?: number }): void {
    if (route === 'default') {
      if (change.action) this.listener.defaultAction = structuredClone(change.action);
      return;
    }
    const rule = this.rule(route);
    if (change.action) rule.action = structuredClone(change.action);
    if (change.priority !== undefined) rule.priority = change.priority;
  }

  /** The writable content of a route now ('default' = the listener's default action). */
  content(route: string): { match?: RuleMatch; priority?: number; action?: RuleAction } {
    if (route === 'default') return { action: structuredClone(this.listener.defaultAction) };
    const { match, priority, action } = this.rule(route);
    return structuredClone({ match, priority, action });
  }

  /** Weights of a route's forward action by target group id. */
  weights(route: string): Record<string, number> {
    const action = this.content(route).action;
    const groups = action && 'forward' in action ? action.forward?.targetGroups ?? [] : [];
    return Object.fromEntries(groups.map((g) => [idOf(g.targetGroupIdentifier!), g.weight ?? (groups.length === 1 ? 100 : 0)]));
  }

  /** The canary's share (0-100) of stable + canary in each write to a route, in order. */
  sharesWritten(route: string, stable: string, canary: string): number[] {
    return this.writes
      .filter((w) => w.route === route)
      .map((w) => {
        const groups = 'forward' in w.action ? w.action.forward?.targetGroups ?? [] : [];
        const get = (id: string) => groups.find((g) => idOf(g.targetGroupIdentifier!) === id)?.weight ?? 0;
        const pool = get(stable) + get(canary);
        return pool === 0 ? 0 : Math.round((100 * get(canary)) / pool);
      });
  }

  restore(): void {
    this.mock.restore();
  }

  private enter(command: LatticeCommand): void {
    this.calls[command] = (this.calls[command] ?? 0) + 1;
    const next = this.failures[command]?.shift();
    if (next) throw next;
  }

  private take(command: 'UpdateRule' | 'UpdateListener', route: string, apply: () => void): void {
    if ((this.ignored[command] ?? 0) > 0) {
      this.ignored[command]!--;
      return;
    }
    if ((this.late[command] ?? 0) > 0) {
      this.late[command]!--;
      this.pending.set(route, apply);
      return;
    }
    apply();
  }

  private afterRead<T>(route: string, answer: T): T {
    this.pending.get(route)?.();
    this.pending.delete(route);
    return answer;
  }

  private applied(command: 'UpdateRule' | 'UpdateListener', route: string, action: RuleAction, input: Record<string, unknown>): void {
    this.writes.push({ route, action: structuredClone(action), input: structuredClone(input) });
    this.onWrite(route, action);
    if ((this.conflicted[command] ?? 0) > 0) {
      this.conflicted[command]!--;
      throw new ConflictException({ message: 'The request conflicts with the current state of the resource: Updating', resourceId: route, resourceType: 'RULE', $metadata: { httpStatusCode: 409 } });
    }
    if ((this.lost[command] ?? 0) > 0) {
      this.lost[command]!--;
      const e = new Error('socket hang up');
      e.name = 'TimeoutError';
      throw e;
    }
  }

  private checkListener(input: { serviceIdentifier: string; listenerIdentifier: string }): void {
    if (idOf(input.serviceIdentifier) !== this.listener.serviceId) throw notFound('SERVICE', idOf(input.serviceIdentifier));
    if (idOf(input.listenerIdentifier) !== this.listener.id) throw notFound('LISTENER', idOf(input.listenerIdentifier));
  }

  private rule(id: string): Rule {
    const rule = this.rules.get(idOf(id));
    if (!rule) throw notFound('RULE', idOf(id));
    return rule;
  }

  private checkAction(action: RuleAction): void {
    if (!('forward' in action) || !action.forward) return;
    const groups = action.forward.targetGroups ?? [];
    if (groups.length < 1 || groups.length > 10) throw validation(`action.forward.targetGroups must have 1-10 members, got ${groups.length}`);
    for (const g of groups) {
      if (g.weight !== undefined && (!Number.isInteger(g.weight) || g.weight < 0 || g.weight > 999)) throw validation(`weight ${g.weight} must be 0-999`);
      if (!this.targetGroups.has(idOf(g.targetGroupIdentifier ?? ''))) throw notFound('TARGET_GROUP', idOf(g.targetGroupIdentifier ?? ''));
    }
  }
}

export function latticeThrottled(): Error {
  return new ThrottlingException({ message: 'Rate exceeded', $metadata: { httpStatusCode: 429 } });
}

export function latticeServerError(): Error {
  return new InternalServerException({ message: 'Internal server error', $metadata: { httpStatusCode: 500 } });
}

function notFound(resourceType: string, resourceId: string): Error {
  return new ResourceNotFoundException({ message: `${resourceType} ${resourceId} not found`, resourceType, resourceId, $metadata: { httpStatusCode: 404 } });
}

function validation(message: string): Error {
  return new ValidationException({ message, reason: 'fieldValidationFailed', $metadata: { httpStatusCode: 400 } });
}
