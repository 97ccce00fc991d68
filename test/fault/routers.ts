import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RouteSpec } from '@aws-sdk/client-app-mesh';
import type { Action, DescribeListenersOutput, DescribeRulesOutput, DescribeTargetGroupsOutput, Listener, Rule } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { RuleAction } from '@aws-sdk/client-vpc-lattice';
import { createRouter } from '../../src/routers';
import { writableConditions } from '../../src/routers/alb/spec';
import type { TrafficRouter } from '../../src/routers/port';
import type { RolloutSpec } from '../../src/spec';
import { CANARY, STABLE, USER_ROUTE } from '../statemachine/harness';
import { FakeAppMesh } from '../support/fake-aws';
import { FakeElbv2 } from '../support/fake-elbv2';
import { FakeLambda } from '../support/fake-lambda';
import { FakeVpcLattice, LATTICE } from '../support/fake-vpc-lattice';

/** The ALB of test/fixtures/alb: an HTTPS listener forwarding to user-service-v1, an OIDC-protected API rule, a redirect, the default rule. */
const ALB = {
  listener: 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2',
  apiRule: 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener-rule/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee',
  /** The rule splitting to a shadow group: left out here so that the promoted state is plain (100 % canary) and hand-computable. */
  searchRule: 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener-rule/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2/1b2c3d4e5f607182',
  stable: 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/user-service-v1/73e2d6bc24d8a067',
  canary: 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/user-service-v2/8a2d6bc24d8a0671',
};

function albFixture<T>(name: string): T {
  return JSON.parse(readFileSync(join(__dirname, '../fixtures/alb', `${name}.json`), 'utf8')) as T;
}

/** Every route the rollout may touch on the ALB, as DescribeListeners / DescribeRules return them. */
interface AlbState {
  listener: Action[];
  rules: Rule[];
}

/** Every route the rollout may touch on the Lattice listener: the default action and each rule's match, priority and action (timestamps excluded: they move on any write). */
type LatticeState = Record<string, { match?: unknown; priority?: number; action?: RuleAction }>;
const LATTICE_ROUTES = ['default', LATTICE.apiRule, LATTICE.legacyRule, LATTICE.maintenanceRule] as const;
/** JSON with every object's keys sorted. */
function sortedJson(value: unknown): string {
  const sort = (v: unknown): unknown =>
    Array.isArray(v) ? v.map(sort) : v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b)).map(([k, x]) => [k, sort(x)])) : v;
  return JSON.stringify(sort(value));
}
const latticeId = (x: string) => (x.startsWith('arn:') ? x.slice(x.lastIndexOf('/') + 1) : x);

/**
 * A router under test with the provider it writes to: a stateful fake of the provider's API,
 * the spec blocks that point at it, and a way to read its routes back for the invariant checks.
 * Faults are injected at the TrafficRouter port (around `routerFor`), so the fake needs none.
 */
export interface RouterWorld {
  /** The spec's `router` and `target` blocks for this provider. */
  spec: { router: Record<string, unknown>; target: Record<string, unknown> };
  /** The real adapter over the fake client. */
  routerFor(spec: RolloutSpec): TrafficRouter;
  /** Every route the rollout may touch, serialised exactly as the provider stores it. */
  state(): string;
  /** `state()` as a successful promotion leaves it, computed from the state before the rollout. */
  promoted(before: string): string;
  /** Another writer changes the routes behind the rollout's back (an operator, another tool). */
  meddle(): void;
  /** The route keys the rollout locks. */
  keys: string[];
  /** Undoes any global mocking (aws-sdk-client-mock patches the client class). */
  close(): void;
}

/**
 * The routers the fault suite runs, one entry each. Adding a router is one entry here: build its
 * fake client (e.g. a stateful ELBv2, Lattice or Lambda fake in test/support/) and return a world.
 */
export const ROUTERS: Record<string, () => RouterWorld> = {
  appmesh: (): RouterWorld => {
    const mesh = new FakeAppMesh().addNode(STABLE, CANARY).addRoute('user-route', USER_ROUTE);
    return {
      spec: { router: { appMesh: { mesh: 'my-mesh', virtualRouter: 'user-router', routes: ['user-route'] } }, target: { canary: CANARY } },
      routerFor: (spec) => createRouter(spec, { appMesh: mesh.client }),
      state: () => JSON.stringify(mesh.spec('user-route')),
      promoted: (before) => {
        const spec = JSON.parse(before) as RouteSpec;
        spec.httpRoute!.action!.weightedTargets = [{ virtualNode: CANARY, weight: 100 }];
        return JSON.stringify(spec);
      },
      meddle: () => {
        // A change no rollout of ours would make (a retry policy edit), so it cannot be taken for our own write.
        const spec = mesh.spec('user-route');
        spec.httpRoute!.retryPolicy = { ...spec.httpRoute!.retryPolicy!, maxRetries: 5 };
        mesh.externalWrite('user-route', spec);
      },
      keys: ['appmesh:my-mesh/user-router/user-route'],
      close: () => mesh.restore(),
    };
  },

  alb: (): RouterWorld => {
    const elb = new FakeElbv2({
      listeners: albFixture<DescribeListenersOutput>('listener-https').Listeners! as Listener[],
      rules: albFixture<DescribeRulesOutput>('rules').Rules!.filter((r) => r.RuleArn !== ALB.searchRule),
      targetGroups: albFixture<DescribeTargetGroupsOutput>('target-groups').TargetGroups!,
    });
    const read = (): AlbState => ({
      listener: elb.listener(ALB.listener).DefaultActions ?? [],
      rules: (elb.model.handle('DescribeRules', { ListenerArn: ALB.listener }) as { Rules: Rule[] }).Rules,
    });
    return {
      spec: { router: { alb: { listenerArn: ALB.listener } }, target: { canary: ALB.canary, stable: ALB.stable } },
      routerFor: (spec) => createRouter(spec, { elbv2: elb.client }),
      // Keys sorted: ELBv2 answers in its shape's field order whatever the order of a write, while the
      // local model echoes a rewritten rule's fields in the order they were written.
      state: () => sortedJson(read()),
      promoted: (before) => {
        // ALB's promoted forward: the canary alone at the finest weight ALB allows, the legacy
        // TargetGroupArn dropped (it may not name one group while ForwardConfig names another).
        const state = JSON.parse(before) as AlbState;
        const promote = (actions: Action[]) => {
          for (const a of actions) {
            if (a.Type !== 'forward' || !a.ForwardConfig?.TargetGroups?.some((t) => t.TargetGroupArn === ALB.stable)) continue;
            delete a.TargetGroupArn;
            a.ForwardConfig.TargetGroups = [{ TargetGroupArn: ALB.canary, Weight: 999 }];
          }
        };
        promote(state.listener);
        // The default rule is the listener's default action as DescribeRules shows it: it follows.
        for (const rule of state.rules) promote(rule.Actions ?? []);
        return JSON.stringify(state);
      },
      meddle: () => {
        // A condition edit: no rollout changes a rule's conditions, so it cannot be taken for our own write.
        const rule = elb.rule(ALB.apiRule);
        // As writable (typed configs without the legacy Values): ALB refuses a ModifyRule carrying both.
        const conditions = writableConditions(rule.Conditions ?? []);
        const host = conditions.find((c) => c.Field === 'host-header')!;
        host.HostHeaderConfig = { Values: [...(host.HostHeaderConfig?.Values ?? []), 'api2.example.com'] };
        elb.externalWrite(ALB.apiRule, { Conditions: conditions });
      },
      keys: [ALB.listener, ALB.apiRule].map((arn) => `alb:${arn}`),
      close: () => elb.restore(),
    };
  },

  'vpc-lattice': (): RouterWorld => {
    const lattice = new FakeVpcLattice().seedUserService();
    const { service, listener, apiRule, legacyRule, stable, canary } = LATTICE;
    const read = (): LatticeState => Object.fromEntries(LATTICE_ROUTES.map((r) => [r, lattice.content(r)]));
    return {
      spec: { router: { vpcLattice: { service, listener } }, target: { canary, stable } },
      routerFor: (spec) => createRouter(spec, { vpcLattice: lattice.client }),
      state: () => JSON.stringify(read()),
      promoted: (before) => {
        // Lattice weights are relative: a route whose stable pool is under 100 units is first scaled
        // by one factor (ceil(100 / pool), within the 999 cap) so that steps are exact; then the
        // canary (written by id, after the others) takes the stable group's weight, and other
        // groups (the API rule's analytics shadow) keep their share and identifier as written.
        const state = JSON.parse(before) as LatticeState;
        for (const route of Object.values(state)) {
          const groups = route.action && 'forward' in route.action ? route.action.forward?.targetGroups : undefined;
          const old = groups?.find((g) => latticeId(g.targetGroupIdentifier!) === stable);
          if (!groups || !old) continue;
          const pool = old.weight ?? 1;
          const largest = Math.max(1, ...groups.map((g) => g.weight ?? 1));
          const factor = pool >= 100 ? 1 : Math.max(1, Math.min(Math.ceil(100 / pool), Math.floor(999 / largest)));
          const others = groups.filter((g) => g !== old).map((g) => ({ ...g, weight: (g.weight ?? 1) * factor }));
          route.action = { forward: { targetGroups: [...others, { targetGroupIdentifier: canary, weight: pool * factor }] } };
        }
        return JSON.stringify(state);
      },
      meddle: () => {
        // A match edit on the API rule (through UpdateRule, as an operator would): no rollout changes a rule's match.
        const match = structuredClone(lattice.content(apiRule).match!);
        if ('httpMatch' in match && match.httpMatch) match.httpMatch.method = 'POST';
        lattice.rules.get(apiRule)!.match = match;
      },
      keys: [`vpc-lattice:${service}/${listener}`, `vpc-lattice:${service}/${listener}/${apiRule}`, `vpc-lattice:${service}/${listener}/${legacyRule}`],
      close: () => lattice.restore(),
    };
  },

  lambda: (): RouterWorld => {
    const lambda = new FakeLambda().addFunction('user-service', { versions: 42, alias: 'live', aliasVersion: '41', description: 'production traffic; owned by team-users' });
    // RevisionId left out: Lambda moves it on every write, even one that restores the alias exactly.
    const read = () => {
      const { AliasArn, Name, FunctionVersion, Description, RoutingConfig } = lambda.aliasState('user-service', 'live');
      return { AliasArn, Name, FunctionVersion, Description, RoutingConfig };
    };
    return {
      spec: { router: { lambda: { function: 'user-service', alias: 'live' } }, target: { canary: '42', stable: '41' } },
      routerFor: (spec) => createRouter(spec, { lambda: lambda.client }),
      state: () => JSON.stringify(read()),
      promoted: (before) => {
        const alias = JSON.parse(before) as ReturnType<typeof read>;
        return JSON.stringify({ ...alias, FunctionVersion: '42', RoutingConfig: undefined });
      },
      meddle: () => {
        // A description edit: no rollout changes it.
        lambda.externalWrite('user-service', 'live', { Description: 'production traffic; owned by team-payments' });
      },
      keys: ['lambda:arn:aws:lambda:eu-west-1:123456789012:function:user-service:live'],
      close: () => lambda.restore(),
    };
  },
};
