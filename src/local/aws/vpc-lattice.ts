import {
  ConflictException,
  GetListenerCommand,
  GetRuleCommand,
  GetTargetGroupCommand,
  ListRulesCommand,
  ResourceNotFoundException,
  UpdateListenerCommand,
  UpdateRuleCommand,
  ValidationException,
  type RuleAction,
  type RuleMatch,
  type VPCLatticeClient,
} from '@aws-sdk/client-vpc-lattice';
import { idOf, weightOf } from '../../routers/vpc-lattice/spec';
import { canaryOf, type RolloutSpec } from '../../spec';
import { LocalMesh } from '../mesh';
import { meshShare, type LocalRouting, type LocalUpstreams } from './routing';

const REGION = 'us-east-1';
const ACCOUNT = '000000000000';

/** The local route name of the listener's default action (rules are installed under their id). */
const DEFAULT_ROUTE = 'default';

interface LocalRule {
  id: string;
  name: string;
  isDefault: boolean;
  match?: RuleMatch;
  priority?: number;
  action: RuleAction;
  createdAt: Date;
  lastUpdatedAt: Date;
}

/**
 * The local VPC Lattice: one service with one HTTPS listener whose default action and rules the
 * local mesh applies to real HTTP traffic, answered with the API's real shapes (botocore
 * vpc-lattice/2022-11-30), so the production LatticeRouter runs unchanged. The listener starts as a
 * team would have it: default action forwarding everything to stable, an `/api/` rule with a method,
 * a case-insensitive path and header-free match (the load generator sends no headers), a fixed-response
 * maintenance rule the rollout must skip, and the default rule that ListRules lists as well.
 */
export function localLatticeRouting(spec: RolloutSpec, upstreams: LocalUpstreams): LocalRouting {
  const lattice = spec.router.vpcLattice;
  if (!lattice) throw new Error('localLatticeRouting needs router.vpcLattice');
  const canary = idOf(canaryOf(spec));
  const stable = idOf(spec.target.stable ?? 'tg-00000000000stable');
  const mesh = new LocalMesh({ virtualRouter: idOf(lattice.listener), nodes: { [stable]: upstreams.stable, [canary]: upstreams.canary } });
  const world = new LocalLattice(mesh, idOf(lattice.service), idOf(lattice.listener), [stable, canary]);
  world.setDefaultAction({ forward: { targetGroups: [{ targetGroupIdentifier: stable, weight: 100 }] } });
  const named = lattice.rules?.map(idOf);
  const shifted = named ?? ['rule-0a0000000000000a1'];
  const paths = shifted.map((id, i) => {
    const prefix = named ? `/r${i}/` : '/api/';
    world.addRule({
      id,
      name: named ? `rule-${i}` : 'api',
      isDefault: false,
      priority: 10 + i,
      match: { httpMatch: { method: 'GET', pathMatch: { match: { prefix }, caseSensitive: false } } },
      action: { forward: { targetGroups: [{ targetGroupIdentifier: stable, weight: 1 }] } },
    });
    return prefix;
  });
  world.addRule({ id: 'rule-0a0000000000000f5', name: 'maintenance', isDefault: false, priority: 5, match: { httpMatch: { pathMatch: { match: { prefix: '/admin/' } } } }, action: { fixedResponse: { statusCode: 503 } } });
  // With named rules the default action is not shifted, so the load goes to the named rules only.
  const measured = named ? shifted[0]! : DEFAULT_ROUTE;
  return {
    kind: 'vpcLattice',
    mesh,
    stable,
    canary,
    paths: named ? paths : ['/', ...paths],
    clients: { vpcLattice: world.client },
    canaryWeight: () => meshShare(mesh, measured, stable, canary),
    calls: () => ({ ...world.calls }),
  };
}

type Command = { input: Record<string, unknown>; constructor: { name: string } };

/** A VPC Lattice service and listener held in memory, every write applied to the local mesh. */
class LocalLattice {
  readonly calls: Record<string, number> = {};
  private readonly rules = new Map<string, LocalRule>();
  private defaultAction: RuleAction = { fixedResponse: { statusCode: 404 } };
  private readonly listenerCreated = new Date();
  private listenerUpdated = new Date();
  readonly client: VPCLatticeClient;

  constructor(
    private readonly mesh: LocalMesh,
    private readonly serviceId: string,
    private readonly listenerId: string,
    private readonly targetGroups: string[],
  ) {
    this.rules.set('rule-0a00000000000def0', { id: 'rule-0a00000000000def0', name: 'default', isDefault: true, action: this.defaultAction, createdAt: new Date(), lastUpdatedAt: new Date() });
    this.client = { send: (command: Command) => this.send(command), destroy: () => undefined } as unknown as VPCLatticeClient;
  }

  setDefaultAction(action: RuleAction): void {
    this.checkAction(action);
    this.defaultAction = structuredClone(action);
    for (const rule of this.rules.values()) if (rule.isDefault) rule.action = structuredClone(action);
    this.listenerUpdated = new Date();
    this.apply(DEFAULT_ROUTE, '/', 1000, action);
  }

  addRule(rule: Omit<LocalRule, 'createdAt' | 'lastUpdatedAt'>): void {
    const now = new Date();
    this.rules.set(rule.id, { ...structuredClone(rule), createdAt: now, lastUpdatedAt: now });
    const prefix = prefixOf(rule.match);
    if (prefix !== undefined && 'forward' in rule.action) this.apply(rule.id, prefix, rule.priority ?? 100, rule.action);
  }

  private async send(command: Command): Promise<unknown> {
    const name = command.constructor.name.replace(/Command$/, '');
    this.calls[name] = (this.calls[name] ?? 0) + 1;
    const input = command.input;
    if (command instanceof GetTargetGroupCommand) {
      const id = idOf(String(input.targetGroupIdentifier));
      if (!this.targetGroups.includes(id)) throw notFound('TARGET_GROUP', id);
      return { $metadata: meta(), id, arn: `arn:aws:vpc-lattice:${REGION}:${ACCOUNT}:targetgroup/${id}`, name: id, type: 'IP', status: 'ACTIVE', serviceArns: [this.serviceArn()], createdAt: this.listenerCreated, lastUpdatedAt: this.listenerCreated };
    }
    if (idOf(String(input.serviceIdentifier)) !== this.serviceId) throw notFound('SERVICE', idOf(String(input.serviceIdentifier)));
    if (idOf(String(input.listenerIdentifier)) !== this.listenerId) throw notFound('LISTENER', idOf(String(input.listenerIdentifier)));
    if (command instanceof GetListenerCommand) return { $metadata: meta(), ...this.listener(), createdAt: this.listenerCreated, lastUpdatedAt: this.listenerUpdated };
    if (command instanceof ListRulesCommand) {
      // Every rule on one page; the adapter's paging is covered against the test fake.
      return { $metadata: meta(), items: [...this.rules.values()].map((r) => ({ arn: this.ruleArn(r.id), id: r.id, name: r.name, isDefault: r.isDefault, ...(r.priority !== undefined ? { priority: r.priority } : {}), createdAt: r.createdAt, lastUpdatedAt: r.lastUpdatedAt })) };
    }
    if (command instanceof GetRuleCommand) return { $metadata: meta(), ...this.ruleOutput(this.rule(String(input.ruleIdentifier))), createdAt: this.rule(String(input.ruleIdentifier)).createdAt, lastUpdatedAt: this.rule(String(input.ruleIdentifier)).lastUpdatedAt };
    if (command instanceof UpdateListenerCommand) {
      this.setDefaultAction(input.defaultAction as RuleAction);
      return { $metadata: meta(), ...this.listener() };
    }
    if (command instanceof UpdateRuleCommand) {
      const rule = this.rule(String(input.ruleIdentifier));
      if (rule.isDefault) throw validation(`rule ${rule.id} is the listener's default rule; change it with UpdateListener`);
      const action = input.action as RuleAction | undefined;
      const priority = input.priority as number | undefined;
      if (action) this.checkAction(action);
      if (priority !== undefined && [...this.rules.values()].some((r) => r.id !== rule.id && r.priority === priority)) {
        throw new ConflictException({ message: `priority ${priority} is already used on listener ${this.listenerId}`, resourceId: rule.id, resourceType: 'RULE', $metadata: meta(409) });
      }
      // PATCH: only what was sent changes.
      const next: LocalRule = { ...rule, ...(input.match ? { match: structuredClone(input.match as RuleMatch) } : {}), ...(priority !== undefined ? { priority } : {}), ...(action ? { action: structuredClone(action) } : {}), lastUpdatedAt: new Date() };
      const prefix = prefixOf(next.match);
      if (prefix !== undefined && 'forward' in next.action) this.apply(rule.id, prefix, next.priority ?? 100, next.action);
      this.rules.set(rule.id, next);
      return { $metadata: meta(), ...this.ruleOutput(next) };
    }
    throw new Error(`local VPC Lattice: ${name} is not emulated`);
  }

  /** The data plane follows the forward action: weights are relative, so they go to the mesh as they are. */
  private apply(route: string, prefix: string, priority: number, action: RuleAction): void {
    if (!('forward' in action) || !action.forward) return;
    const groups = action.forward.targetGroups ?? [];
    // checkAction refused a missing weight among several groups; a lone group defaults to 100 as in AWS.
    const targets = groups.map((g) => ({ node: idOf(g.targetGroupIdentifier ?? ''), weight: weightOf(g, groups.length) ?? 0 }));
    if (!targets.some((t) => t.weight > 0)) throw validation(`forward action of ${route} gives every target group weight 0`);
    this.mesh.setForwarding(route, { prefix, priority }, targets);
  }

  private checkAction(action: RuleAction): void {
    if (!action || typeof action !== 'object') throw validation('action is required');
    if (!('forward' in action) || !action.forward) return;
    const groups = action.forward.targetGroups ?? [];
    if (groups.length < 1 || groups.length > 10) throw validation(`action.forward.targetGroups must have 1 to 10 members, got ${groups.length}`);
    for (const g of groups) {
      const id = idOf(g.targetGroupIdentifier ?? '');
      if (!this.targetGroups.includes(id)) throw notFound('TARGET_GROUP', id);
      if (g.weight !== undefined && (!Number.isInteger(g.weight) || g.weight < 0 || g.weight > 999)) throw validation(`weight of ${id} must be an integer 0-999, got ${g.weight}`);
      // botocore: the weight is "only required if you specify multiple target groups".
      if (weightOf(g, groups.length) === undefined) throw validation(`weight of ${id} is required when a forward action has ${groups.length} target groups`);
    }
  }

  private rule(id: string): LocalRule {
    const rule = this.rules.get(idOf(id));
    if (!rule) throw notFound('RULE', idOf(id));
    return rule;
  }

  private ruleOutput(r: LocalRule) {
    return { arn: this.ruleArn(r.id), id: r.id, name: r.name, isDefault: r.isDefault, ...(r.match ? { match: structuredClone(r.match) } : {}), ...(r.priority !== undefined ? { priority: r.priority } : {}), action: structuredClone(r.action) };
  }

  private listener() {
    return { arn: `${this.serviceArn()}/listener/${this.listenerId}`, id: this.listenerId, name: 'https', protocol: 'HTTPS', port: 443, serviceArn: this.serviceArn(), serviceId: this.serviceId, defaultAction: structuredClone(this.defaultAction) };
  }

  private serviceArn(): string {
    return `arn:aws:vpc-lattice:${REGION}:${ACCOUNT}:service/${this.serviceId}`;
  }

  private ruleArn(id: string): string {
    return `${this.serviceArn()}/listener/${this.listenerId}/rule/${id}`;
  }
}

/** The path prefix the local mesh can route on; exact and method-only matches are not played locally. */
function prefixOf(match: RuleMatch | undefined): string | undefined {
  if (!match) return undefined;
  const path = 'httpMatch' in match ? match.httpMatch?.pathMatch?.match : undefined;
  return path && 'prefix' in path ? path.prefix : undefined;
}

function meta(httpStatusCode = 200) {
  return { httpStatusCode, attempts: 1, totalRetryDelay: 0 };
}

function notFound(resourceType: string, resourceId: string): Error {
  return new ResourceNotFoundException({ message: `${resourceType} ${resourceId} not found`, resourceType, resourceId, $metadata: meta(404) });
}

function validation(message: string): Error {
  return new ValidationException({ message, reason: 'fieldValidationFailed', $metadata: meta(400) });
}
