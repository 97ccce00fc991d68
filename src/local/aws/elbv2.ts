import {
  ElasticLoadBalancingV2Client,
  ElasticLoadBalancingV2ServiceException,
  ListenerNotFoundException,
  OperationNotPermittedException,
  RuleNotFoundException,
  TargetGroupNotFoundException,
  type Action,
  type Listener,
  type Rule,
  type RuleCondition,
  type TargetGroup,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { canaryOf, type RolloutSpec } from '../../spec';
import { LocalMesh } from '../mesh';
import { meshShare, type LocalRouting, type LocalUpstreams } from './routing';

/**
 * The local Elastic Load Balancing v2 API: one Application Load Balancer held in memory that
 * answers DescribeListeners / DescribeRules / DescribeTargetGroups / ModifyRule / ModifyListener
 * with the shapes of botocore's `elbv2/2015-12-01` model, refuses what ALB refuses (both `Values`
 * and a typed condition config, more than 5 target groups, weights outside 0-999, a default rule
 * changed with ModifyRule, an OIDC action without its secret), and echoes back what ALB echoes
 * (legacy `Values` beside typed configs, `ForwardConfig` beside a single `TargetGroupArn`,
 * stickiness `{Enabled: false}`, never the client secret). The production AlbRouter runs against
 * it unchanged, and every write is applied to real HTTP traffic through `onChange`.
 */
export class LocalElbv2 {
  /** API calls answered so far, per operation. */
  readonly calls: Record<string, number> = {};
  private readonly listeners = new Map<string, Listener>();
  /** Rules per listener ARN, the default rule last (as DescribeRules answers). */
  private readonly rules = new Map<string, Rule[]>();
  private readonly targetGroups = new Map<string, TargetGroup>();

  constructor(
    seed: { listeners: Listener[]; rules?: Rule[]; targetGroups: TargetGroup[] },
    private readonly onChange: (listenerArn: string) => void = () => {},
  ) {
    for (const tg of seed.targetGroups) this.targetGroups.set(tg.TargetGroupArn ?? '', structuredClone(tg));
    for (const listener of seed.listeners) {
      const arn = listener.ListenerArn ?? '';
      this.listeners.set(arn, { ...structuredClone(listener), DefaultActions: normaliseActions(listener.DefaultActions ?? []) });
      const mine = (seed.rules ?? []).filter((r) => (r.RuleArn ?? '').replace(':listener-rule/', ':listener/').startsWith(`${arn}/`));
      const own = mine.filter((r) => !r.IsDefault);
      const defaultArn = mine.find((r) => r.IsDefault)?.RuleArn ?? `${arn.replace(':listener/', ':listener-rule/')}/0000000000000000`;
      // The default rule's actions are the listener's default actions (answered from there).
      const defaultRule: Rule = { RuleArn: defaultArn, Priority: 'default', Conditions: [], Actions: [], IsDefault: true };
      this.rules.set(arn, [...own.map((r) => ({ ...structuredClone(r), Conditions: normaliseConditions(r.Conditions ?? []), Actions: normaliseActions(r.Actions ?? []) })), defaultRule]);
    }
  }

  /** Answers one API call by its operation name (`DescribeRules`...), as the SDK's `send` would. */
  handle(operation: string, input: Record<string, unknown>): unknown {
    this.calls[operation] = (this.calls[operation] ?? 0) + 1;
    switch (operation) {
      case 'DescribeListeners':
        return { Listeners: ((input.ListenerArns as string[] | undefined) ?? [...this.listeners.keys()]).map((arn) => structuredClone(this.listener(arn))) };
      case 'DescribeRules':
        return this.describeRules(input);
      case 'DescribeTargetGroups':
        return this.describeTargetGroups(input);
      case 'ModifyRule':
        return this.modifyRule(input);
      case 'ModifyListener':
        return this.modifyListener(input);
      default:
        throw new Error(`local ELBv2: ${operation} is not emulated`);
    }
  }

  /** The listener's non-default rules and its default actions, as the data plane applies them. */
  forwards(listenerArn: string): Array<{ name: string; isDefault: boolean; priority: number; conditions: RuleCondition[]; actions: Action[] }> {
    const rules = (this.rules.get(listenerArn) ?? []).filter((r) => !r.IsDefault);
    return [
      ...rules.map((r) => ({ name: r.RuleArn ?? '', isDefault: false, priority: Number(r.Priority), conditions: r.Conditions ?? [], actions: r.Actions ?? [] })),
      // Rule priorities are 1-50000: the default action is matched after all of them.
      { name: listenerArn, isDefault: true, priority: 50_001, conditions: [], actions: this.listener(listenerArn).DefaultActions ?? [] },
    ];
  }

  private listener(arn: string): Listener {
    const listener = this.listeners.get(arn);
    if (!listener) throw elbError(ListenerNotFoundException, `One or more listeners not found`);
    return listener;
  }

  /** All rules with the default rule's actions mirroring the listener's default actions. */
  private allRules(listenerArn: string): Rule[] {
    const listener = this.listener(listenerArn);
    return (this.rules.get(listenerArn) ?? []).map((r) => (r.IsDefault ? { ...r, Actions: structuredClone(listener.DefaultActions ?? []) } : structuredClone(r)));
  }

  private describeRules(input: Record<string, unknown>): unknown {
    const arns = input.RuleArns as string[] | undefined;
    if (arns) {
      const all = [...this.listeners.keys()].flatMap((l) => this.allRules(l));
      return {
        Rules: arns.map((arn) => {
          const rule = all.find((r) => r.RuleArn === arn);
          if (!rule) throw elbError(RuleNotFoundException, `One or more rules not found`);
          return rule;
        }),
      };
    }
    const rules = this.allRules(String(input.ListenerArn));
    const start = input.Marker === undefined ? 0 : Number(input.Marker);
    const size = Number(input.PageSize ?? 400);
    const page = rules.slice(start, start + size);
    return { Rules: page, ...(start + size < rules.length ? { NextMarker: String(start + size) } : {}) };
  }

  private describeTargetGroups(input: Record<string, unknown>): unknown {
    const arns = (input.TargetGroupArns as string[] | undefined) ?? [...this.targetGroups.keys()];
    return {
      TargetGroups: arns.map((arn) => {
        const tg = this.targetGroups.get(arn);
        if (!tg) throw elbError(TargetGroupNotFoundException, `One or more target groups not found`);
        return structuredClone(tg);
      }),
    };
  }

  private modifyRule(input: Record<string, unknown>): unknown {
    const arn = String(input.RuleArn);
    const listenerArn = [...this.rules.keys()].find((l) => this.rules.get(l)!.some((r) => r.RuleArn === arn));
    const rule = listenerArn === undefined ? undefined : this.rules.get(listenerArn)!.find((r) => r.RuleArn === arn);
    if (!rule || listenerArn === undefined) throw elbError(RuleNotFoundException, `One or more rules not found`);
    if (rule.IsDefault) throw elbError(OperationNotPermittedException, `Default rule '${arn}' cannot be modified with ModifyRule; use ModifyListener`);
    const conditions = input.Conditions === undefined ? rule.Conditions ?? [] : this.checkConditions(input.Conditions as RuleCondition[]);
    const actions = input.Actions === undefined ? rule.Actions ?? [] : this.checkActions(input.Actions as Action[]);
    rule.Conditions = normaliseConditions(conditions);
    rule.Actions = normaliseActions(actions);
    this.onChange(listenerArn);
    return { Rules: [structuredClone(rule)] };
  }

  private modifyListener(input: Record<string, unknown>): unknown {
    const arn = String(input.ListenerArn);
    const listener = this.listener(arn);
    if (input.DefaultActions !== undefined) listener.DefaultActions = normaliseActions(this.checkActions(input.DefaultActions as Action[]));
    this.onChange(arn);
    return { Listeners: [structuredClone(listener)] };
  }

  private checkConditions(conditions: RuleCondition[]): RuleCondition[] {
    for (const c of conditions) {
      if (!c.Field) throw validation('A condition field must be specified');
      const typed = [c.HostHeaderConfig, c.PathPatternConfig, c.HttpHeaderConfig, c.QueryStringConfig, c.HttpRequestMethodConfig, c.SourceIpConfig].filter((x) => x !== undefined);
      if (typed.length > 1) throw validation(`Condition '${c.Field}' can specify only one condition config`);
      if (typed.length === 1 && c.Values !== undefined) throw validation(`You cannot specify both 'Values' and a condition config for condition '${c.Field}'`);
      if (typed.length === 0 && (c.Values === undefined || c.Values.length === 0)) throw validation('A condition value must be specified');
    }
    return conditions;
  }

  private checkActions(actions: Action[]): Action[] {
    const sorted = [...actions].sort((a, b) => (a.Order ?? 0) - (b.Order ?? 0));
    const routing = sorted.filter((a) => a.Type === 'forward' || a.Type === 'redirect' || a.Type === 'fixed-response');
    if (routing.length !== 1 || sorted[sorted.length - 1] !== routing[0]) {
      throw validation('Each rule must include exactly one forward, redirect or fixed-response action, and it must be the last action performed');
    }
    if (actions.length > 1 && actions.some((a) => a.Order === undefined)) throw validation('An action order must be specified when a rule has more than one action');
    if (new Set(actions.map((a) => a.Order)).size !== actions.length) throw validation('Action orders must be unique');
    for (const a of actions) {
      if (a.Type === 'authenticate-oidc' && a.AuthenticateOidcConfig?.ClientSecret === undefined && !a.AuthenticateOidcConfig?.UseExistingClientSecret) {
        throw validation('A client secret must be specified, or UseExistingClientSecret set to true');
      }
      if (a.Type !== 'forward') continue;
      const tuples = a.ForwardConfig?.TargetGroups;
      if (a.TargetGroupArn === undefined && (tuples === undefined || tuples.length === 0)) throw validation('A target group ARN must be specified for a forward action');
      if (a.TargetGroupArn !== undefined && tuples !== undefined && (tuples.length !== 1 || tuples[0]?.TargetGroupArn !== a.TargetGroupArn)) {
        throw validation('When both TargetGroupArn and ForwardConfig are specified, ForwardConfig may hold only that one target group');
      }
      if ((tuples?.length ?? 0) > 5) throw validation('A forward action can have at most 5 target groups');
      const arns = [a.TargetGroupArn, ...(tuples ?? []).map((t) => t.TargetGroupArn)].filter((x): x is string => x !== undefined);
      if (new Set((tuples ?? []).map((t) => t.TargetGroupArn)).size !== (tuples?.length ?? 0)) throw validation('A target group can be specified only once in a forward action');
      for (const tg of arns) if (!this.targetGroups.has(tg)) throw elbError(TargetGroupNotFoundException, `Target group '${tg}' not found`);
      for (const t of tuples ?? []) {
        if (t.Weight !== undefined && (!Number.isInteger(t.Weight) || t.Weight < 0 || t.Weight > 999)) throw validation(`Target group weight must be between 0 and 999, got ${t.Weight}`);
      }
      const sticky = a.ForwardConfig?.TargetGroupStickinessConfig;
      if (sticky?.Enabled && (sticky.DurationSeconds === undefined || sticky.DurationSeconds < 1 || sticky.DurationSeconds > 604800)) {
        throw validation('Target group stickiness duration must be between 1 and 604800 seconds');
      }
    }
    return actions;
  }
}

/** What DescribeRules answers for a condition: typed host/path configs beside their legacy `Values`. */
function normaliseConditions(conditions: RuleCondition[]): RuleCondition[] {
  return conditions.map((c) => {
    const copy = structuredClone(c);
    if (copy.Field === 'path-pattern') {
      copy.PathPatternConfig ??= { Values: copy.Values ?? [] };
      if (copy.PathPatternConfig.Values) copy.Values = [...copy.PathPatternConfig.Values];
    }
    if (copy.Field === 'host-header') {
      copy.HostHeaderConfig ??= { Values: copy.Values ?? [] };
      if (copy.HostHeaderConfig.Values) copy.Values = [...copy.HostHeaderConfig.Values];
    }
    return copy;
  });
}

/** What ALB answers for actions: ForwardConfig always present with stickiness, no OIDC secret. */
function normaliseActions(actions: Action[]): Action[] {
  return actions.map((a) => {
    const copy = structuredClone(a);
    if (copy.AuthenticateOidcConfig) {
      delete copy.AuthenticateOidcConfig.ClientSecret;
      delete copy.AuthenticateOidcConfig.UseExistingClientSecret;
    }
    if (copy.Type === 'forward') {
      const tuples = copy.ForwardConfig?.TargetGroups?.length ? copy.ForwardConfig.TargetGroups : [{ TargetGroupArn: copy.TargetGroupArn, Weight: 1 }];
      copy.ForwardConfig = {
        TargetGroups: tuples.map((t) => ({ TargetGroupArn: t.TargetGroupArn, Weight: t.Weight ?? 1 })),
        TargetGroupStickinessConfig: copy.ForwardConfig?.TargetGroupStickinessConfig ?? { Enabled: false },
      };
    }
    return copy;
  });
}

type ElbErrorClass = new (opts: { message: string; $metadata: object }) => Error;

function elbError(Ctor: ElbErrorClass, message: string): Error {
  return new Ctor({ message, $metadata: { httpStatusCode: 400 } });
}

/** An error ALB reports under a code the SDK has no class for (`ValidationError`, throttling...). */
export function elbServiceError(name: string, message: string, status = 400): Error {
  return new ElasticLoadBalancingV2ServiceException({ name, $fault: status >= 500 ? 'server' : 'client', message, $metadata: { httpStatusCode: status } });
}

function validation(message: string): Error {
  return elbServiceError('ValidationError', message);
}

type Command = { input: Record<string, unknown>; constructor: { name: string } };

/** An ElasticLoadBalancingV2Client look-alike whose `send` answers from a LocalElbv2. */
export function localElbv2Client(model: LocalElbv2): ElasticLoadBalancingV2Client {
  const client = {
    async send(command: Command): Promise<unknown> {
      return model.handle(command.constructor.name.replace(/Command$/, ''), command.input);
    },
    destroy(): void {},
  };
  return client as unknown as ElasticLoadBalancingV2Client;
}

const ACCOUNT = '123456789012';
const REGION = 'eu-west-1';
const LOAD_BALANCER = `arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT}:loadbalancer/app/local/50dc6c495c0c9188`;

/**
 * The local world for `router.alb`: an HTTPS listener whose default action forwards everything to
 * the stable target group, and an `/api/` rule as teams have it (path and host conditions, an
 * authenticate-oidc action before the forward, target group stickiness). The rule's OIDC action
 * and its header conditions are kept and written back by the router but not enforced by the
 * local data plane, which matches on path prefixes only.
 */
export function localAlbRouting(spec: RolloutSpec, upstreams: LocalUpstreams): LocalRouting {
  const alb = spec.router.alb;
  if (!alb) throw new Error('localAlbRouting needs router.alb');
  const canary = canaryOf(spec);
  const stable = spec.target.stable;
  if (stable === undefined) throw new Error(`${spec.name}: the local ALB needs target.stable (the target group the listener forwards to)`);
  const listenerArn = alb.listenerArn;
  const apiRule = alb.rules?.[0] ?? `${listenerArn.replace(':listener/', ':listener-rule/')}/9683b2d02a6cabee`;
  const mesh = new LocalMesh({ virtualRouter: listenerArn, nodes: { [stable]: upstreams.stable, [canary]: upstreams.canary } });
  const paths = ['/', '/api/'];

  const model: LocalElbv2 = new LocalElbv2(
    {
      listeners: [
        {
          ListenerArn: listenerArn,
          LoadBalancerArn: LOAD_BALANCER,
          Port: 443,
          Protocol: 'HTTPS',
          Certificates: [{ CertificateArn: `arn:aws:acm:${REGION}:${ACCOUNT}:certificate/3dcb0a41-bd72-4774-9ad9-756919c40557` }],
          SslPolicy: 'ELBSecurityPolicy-TLS13-1-2-2021-06',
          DefaultActions: [{ Type: 'forward', TargetGroupArn: stable, Order: 1 }],
          AlpnPolicy: [],
          MutualAuthentication: { Mode: 'off', IgnoreClientCertificateExpiry: false },
        },
      ],
      rules: [
        {
          RuleArn: apiRule,
          Priority: '10',
          Conditions: [
            { Field: 'path-pattern', PathPatternConfig: { Values: ['/api/*'] } },
            { Field: 'host-header', HostHeaderConfig: { Values: ['*.example.com', 'localhost'] } },
          ],
          Actions: [
            {
              Type: 'authenticate-oidc',
              Order: 1,
              AuthenticateOidcConfig: {
                Issuer: 'https://login.example.com',
                AuthorizationEndpoint: 'https://login.example.com/authorize',
                TokenEndpoint: 'https://login.example.com/token',
                UserInfoEndpoint: 'https://login.example.com/userinfo',
                ClientId: 'local-demo',
                ClientSecret: 'not-a-real-secret',
                OnUnauthenticatedRequest: 'allow',
              },
            },
            { Type: 'forward', Order: 2, ForwardConfig: { TargetGroups: [{ TargetGroupArn: stable, Weight: 1 }], TargetGroupStickinessConfig: { Enabled: true, DurationSeconds: 300 } } },
          ],
          IsDefault: false,
        },
      ],
      targetGroups: [targetGroup(stable), targetGroup(canary)],
    },
    (arn) => apply(arn),
  );

  /** Installs every forward of the listener into the mesh: `/api/` for the rule, `/` for the default action. */
  function apply(arn: string): void {
    for (const f of model.forwards(arn)) {
      const forward = f.actions.find((a) => a.Type === 'forward');
      if (!forward) continue;
      const prefix = f.isDefault ? '/' : prefixOf(f.conditions);
      const targets = (forward.ForwardConfig?.TargetGroups ?? []).map((t) => ({ node: t.TargetGroupArn ?? '', weight: t.Weight ?? 1 }));
      mesh.setForwarding(f.isDefault ? 'default' : f.name, { prefix, priority: f.priority }, targets);
    }
  }
  apply(listenerArn);

  return {
    kind: 'alb',
    mesh,
    stable,
    canary,
    paths,
    clients: { elbv2: localElbv2Client(model) },
    canaryWeight: () => meshShare(mesh, 'default', stable, canary),
    calls: () => ({ ...model.calls }),
  };
}

/** `/api/*` → `/api/`: the local data plane matches path prefixes. */
function prefixOf(conditions: RuleCondition[]): string {
  const pattern = conditions.find((c) => c.Field === 'path-pattern')?.PathPatternConfig?.Values?.[0] ?? '/';
  return pattern.replace(/\*.*$/, '') || '/';
}

function targetGroup(arn: string): TargetGroup {
  const name = /targetgroup\/([^/]+)\//.exec(arn)?.[1] ?? arn;
  return {
    TargetGroupArn: arn,
    TargetGroupName: name,
    Protocol: 'HTTP',
    Port: 8080,
    VpcId: 'vpc-0a1b2c3d4e5f60718',
    HealthCheckProtocol: 'HTTP',
    HealthCheckPort: 'traffic-port',
    HealthCheckEnabled: true,
    HealthCheckIntervalSeconds: 15,
    HealthCheckTimeoutSeconds: 5,
    HealthyThresholdCount: 3,
    UnhealthyThresholdCount: 2,
    HealthCheckPath: '/healthz',
    Matcher: { HttpCode: '200' },
    LoadBalancerArns: [LOAD_BALANCER],
    TargetType: 'ip',
    ProtocolVersion: 'HTTP1',
    IpAddressType: 'ipv4',
  };
}
