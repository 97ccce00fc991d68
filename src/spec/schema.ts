import * as z from '../shared/zod-mini';
import { analysisChecksShape, ANALYSIS_CHECKS_DEFAULTS, HooksSchema, refineCheckNames } from './analysis';
import { DURATION_PATTERN, parseDuration } from './duration';
import { NOTIFY_PARAMETER_PREFIX } from './constants';
import { fail, textOrNumber, wholeNumber } from './fields';

/**
 * The rollout spec: the contract users write in git (`.canary/<service>.yaml`).
 * Every object is strict: a typo must fail loudly instead of silently disabling a safety check.
 */

const name = z.string({ error: 'must be a string' }).check(
  z.regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, {
    error: 'must be 1-63 lowercase letters, digits or "-", starting and ending with a letter or digit',
  }),
);

const resourceName = z.string({ error: 'must be a string' }).check(z.minLength(1, { error: 'must not be empty' }), z.maxLength(255));

/** An optional list of at most 50 `item`s that, when present, names at least one `what`. */
const someOf = <T extends z.core.SomeType>(item: T, what: string) =>
  z.optional(z.array(item).check(z.minLength(1, { error: `must list at least one ${what}, or be left out` }), z.maxLength(50)));

/** A duration string (`30s`, `5m`, `24h`, `1h30m`) turned into whole seconds. */
const duration = (opts: { min?: number; max?: number } = {}) =>
  textOrNumber(
    'must be a duration such as 30s, 5m or 24h',
    (value, ctx) => {
      const seconds = parseDuration(value);
      if (seconds === undefined) return fail(ctx, `must be a duration such as 30s, 5m or 24h, got "${value}"`);
      if (opts.min !== undefined && seconds < opts.min) return fail(ctx, `must be at least ${opts.min}s`);
      if (opts.max !== undefined && seconds > opts.max) return fail(ctx, `must be at most ${opts.max}s`);
      return seconds;
    },
    { type: 'string', pattern: DURATION_PATTERN, description: 'Duration such as 30s, 5m, 24h or 1h30m' },
  );

const weight = z
  .number({ error: 'must be a number' })
  .check(z.int({ error: 'must be a whole number' }), z.gte(1, { error: 'must be between 1 and 100' }), z.lte(100, { error: 'must be between 1 and 100' }));

export const AppMeshRouterSchema = z.strictObject({
  mesh: resourceName,
  virtualRouter: resourceName,
  /** Routes to shift. Default: every route of the router that targets the stable node. */
  routes: someOf(resourceName, 'route'),
  /** Account that owns a shared mesh. */
  meshOwner: z.optional(z.string().check(z.regex(/^\d{12}$/, { error: 'must be a 12-digit AWS account id' }))),
});

/** An ARN of the given service and resource type, e.g. `arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/web/...`. */
const arn = (service: string, resource: string, what: string) =>
  z
    .string({ error: 'must be a string' })
    .check(z.maxLength(2048), z.regex(new RegExp(`^arn:aws[a-z-]*:${service}:[a-z0-9-]+:\\d{12}:${resource}`), { error: `must be ${what}` }));

export const AlbRouterSchema = z.strictObject({
  /** The listener whose default action and rules forward to the stable target group. */
  listenerArn: arn('elasticloadbalancing', 'listener/app/', 'an ELBv2 listener ARN (arn:aws:elasticloadbalancing:<region>:<account>:listener/app/...)'),
  /** Rules to shift. Default: the listener's default action and every rule whose forward action includes the stable target group. */
  rules: someOf(arn('elasticloadbalancing', 'listener-rule/app/', 'an ELBv2 listener rule ARN (arn:aws:elasticloadbalancing:<region>:<account>:listener-rule/app/...)'), 'rule'),
});

/** A VPC Lattice identifier: the id (`svc-0123...`) or the full ARN. */
const latticeId = (prefix: string) =>
  z.string({ error: 'must be a string' }).check(
    z.maxLength(2048),
    z.regex(new RegExp(`^(${prefix}-[0-9a-z]{17}|arn:aws[a-z-]*:vpc-lattice:[a-z0-9-]+:\\d{12}:\\S+)$`), {
      error: `must be a VPC Lattice ${prefix} id (${prefix}-<17 characters>) or ARN`,
    }),
  );

export const VpcLatticeRouterSchema = z.strictObject({
  service: latticeId('svc'),
  listener: latticeId('listener'),
  /** Rules to shift. Default: the listener's default action and every rule that forwards to the stable target group. */
  rules: someOf(latticeId('rule'), 'rule'),
});

export const LambdaRouterSchema = z.strictObject({
  /** Function name or ARN (without a qualifier). */
  function: z
    .string({ error: 'must be a string' })
    .check(z.maxLength(170), z.regex(/^(arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:)?[A-Za-z0-9_-]{1,64}$/, { error: 'must be a Lambda function name or unqualified function ARN' })),
  /** The alias clients invoke; its routing config carries the canary's share. */
  alias: z
    .string({ error: 'must be a string' })
    .check(z.regex(/^(?!^[0-9]+$)[a-zA-Z0-9-_]{1,128}$/, { error: 'must be a Lambda alias name (letters, digits, - and _; not only digits)' })),
});

export const ROUTER_KINDS = ['appMesh', 'alb', 'vpcLattice', 'lambda'] as const;
export type RouterKind = (typeof ROUTER_KINDS)[number];

export const RouterSchema = z
  .strictObject({
    appMesh: z.optional(AppMeshRouterSchema),
    alb: z.optional(AlbRouterSchema),
    vpcLattice: z.optional(VpcLatticeRouterSchema),
    lambda: z.optional(LambdaRouterSchema),
  })
  .check(
    z.superRefine((router, ctx) => {
      const kinds = Object.keys(router).filter((k) => router[k as keyof typeof router] !== undefined);
      if (kinds.length !== 1) {
        ctx.addIssue({ code: 'custom', message: `must name exactly one router kind (${ROUTER_KINDS.join(', ')})${kinds.length > 1 ? `, not ${kinds.join(' and ')}` : ''}` });
      }
    }),
  );

export const EcsTargetSchema = z.strictObject({
  cluster: resourceName,
  primaryService: resourceName,
  canaryService: resourceName,
  container: resourceName,
  /** Desired count of the canary service. Default: the primary's desired count. */
  canaryDesiredCount: z.optional(wholeNumber(1, 1000)),
  /** How long the canary (and, at promotion, the primary) may take to become steady. */
  readyTimeout: z._default(duration({ min: 30, max: 86400 }), 900),
});

/** Publishes the pushed image as a new version of the alias' function: that version is the canary. */
export const LambdaTargetSchema = z.strictObject({
  /** How long the function's code update may take to reach LastUpdateStatus Successful. */
  readyTimeout: z._default(duration({ min: 30, max: 86400 }), 600),
});

export const TargetSchema = z
  .strictObject({
    /**
     * The canary in the router's vocabulary: App Mesh virtual node, ALB or VPC Lattice target group
     * (ARN or id), Lambda function version. Required, except with `target.lambda`, which publishes it.
     */
    canary: z
      .optional(resourceName)
      .register(z.globalRegistry, { description: "The canary in the router's vocabulary; required unless target.lambda publishes it (then it must be left out)" }),
    /** The stable one, in the same vocabulary. Default: the target with the largest weight on the first route. */
    stable: z.optional(resourceName),
    ecs: z.optional(EcsTargetSchema),
    lambda: z.optional(LambdaTargetSchema),
  })
  .check(z.superRefine((target, ctx) => {
    if (target.lambda !== undefined) {
      if (target.canary !== undefined) ctx.addIssue({ code: 'custom', path: ['canary'], message: 'must be left out with target.lambda: the canary is the version published from the pushed image' });
      if (target.ecs !== undefined) ctx.addIssue({ code: 'custom', path: ['lambda'], message: 'use either target.ecs or target.lambda, not both' });
    } else if (target.canary === undefined) {
      ctx.addIssue({ code: 'custom', path: ['canary'], message: 'is required (unless target.lambda publishes it from the pushed image)' });
    }
    if (target.stable !== undefined && target.stable === target.canary) {
      ctx.addIssue({ code: 'custom', path: ['stable'], message: 'must differ from target.canary' });
    }
  }))
  // The same rule for JSON Schema readers (editors, CI linters): exactly one of canary and lambda.
  .register(z.globalRegistry, { oneOf: [{ required: ['canary'], not: { required: ['lambda'] } }, { required: ['lambda'], not: { required: ['canary'] } }] });

/** `strategy.bake: { min, max }` (seconds once parsed): the sequential judge decides between the two. */
export const BakeRangeSchema = z
  .strictObject({
    min: duration({ min: 1, max: 7 * 86400 }),
    max: duration({ min: 1, max: 7 * 86400 }),
    /** How often the lookout looks into the bake (at most once a minute in AWS: its schedule; each look one GetMetricData, no state transition). */
    lookInterval: z._default(duration({ min: 1, max: 3600 }), 60),
  })
  .check(
    z.superRefine((bake, ctx) => {
      if (bake.max < bake.min) ctx.addIssue({ code: 'custom', path: ['max'], message: `must not be less than min (${bake.min}s)` });
    }),
  );
export type BakeRange = z.infer<typeof BakeRangeSchema>;

export const StrategySchema = z
  .strictObject({
    /** Canary weights in percent, strictly increasing, ending at 100. */
    steps: z.optional(z.array(weight).check(z.minLength(1, { error: 'must list at least one weight' }), z.maxLength(100))),
    /** Alternative to steps: add this much each step... */
    stepWeight: z.optional(weight),
    /** ...up to this weight; promotion then moves the rest. Default 100. */
    maxWeight: z.optional(weight),
    /**
     * Time after each shift before the step is judged; or `{ min, max }`: the step bakes at least
     * `min` and at most `max`, and a sequential comparison (`analysis.compare[].test: sequential`)
     * ends it in between, looking once every `lookInterval`.
     */
    bake: z._default(z.union([duration({ min: 1, max: 7 * 86400 }), BakeRangeSchema]), 300),
    /** The rollout rolls back at this many failed checks (1: the first failed check rolls back). */
    threshold: z._default(z.number().check(z.int(), z.gte(1, { error: 'must be at least 1' }), z.lte(100)), 1),
    /** What a newer revision of the same spec does while this one runs. */
    onNewRevision: z._default(z.enum(['supersede', 'queue', 'reject']), 'supersede'),
  })
  .check(z.superRefine((strategy, ctx) => {
    if (strategy.steps !== undefined && (strategy.stepWeight !== undefined || strategy.maxWeight !== undefined)) {
      ctx.addIssue({ code: 'custom', message: 'use either steps or stepWeight + maxWeight, not both' });
      return;
    }
    if (strategy.steps === undefined && strategy.stepWeight === undefined) {
      ctx.addIssue({ code: 'custom', path: ['steps'], message: 'is required (or stepWeight + maxWeight)' });
      return;
    }
    if (strategy.steps) {
      strategy.steps.forEach((w, i) => {
        const previous = strategy.steps![i - 1];
        if (previous !== undefined && previous >= 1 && previous <= 100 && w <= previous) {
          ctx.addIssue({ code: 'custom', path: ['steps', i], message: `must be greater than ${previous}` });
        }
      });
      const last = strategy.steps[strategy.steps.length - 1];
      // An empty list or a weight above 100 is already reported; do not add a second line for it.
      if (last !== undefined && last < 100) {
        ctx.addIssue({
          code: 'custom',
          path: ['steps', strategy.steps.length - 1],
          message: 'the last step must be 100 (use stepWeight + maxWeight to stop below 100 and promote)',
        });
      }
    }
    if (strategy.stepWeight !== undefined && strategy.maxWeight !== undefined && strategy.stepWeight > strategy.maxWeight) {
      ctx.addIssue({ code: 'custom', path: ['stepWeight'], message: `must not be greater than maxWeight (${strategy.maxWeight})` });
    }
  }));

export const AnalysisSchema = z.strictObject({
  /** CloudWatch metric or composite alarms; any in ALARM is a failed check. */
  alarms: z._default(z.array(resourceName).check(z.maxLength(100)), []),
  /** What INSUFFICIENT_DATA means: wait (re-check, up to insufficientDataLimit), pass, or fail. */
  onInsufficientData: z._default(z.enum(['wait', 'pass', 'fail']), 'wait'),
  /** Re-checks while waiting for data before the check counts as failed. */
  insufficientDataLimit: z._default(wholeNumber(1, 100), 3),
  /** Pause between re-checks while waiting for data. */
  recheckInterval: z._default(duration({ min: 1, max: 3600 }), 30),
  ...analysisChecksShape,
}).check(z.superRefine(refineCheckNames));

export const ApprovalSchema = z.strictObject({
  beforeStart: z._default(z.boolean(), false),
  beforePromotion: z._default(z.boolean(), false),
  timeout: z._default(duration({ min: 60, max: 7 * 86400 }), 86400),
  /** What an unanswered gate does when it times out. */
  onTimeout: z._default(z.enum(['rollback', 'approve']), 'rollback'),
});

export const TriggersSchema = z.strictObject({
  ecrRepository: z.optional(resourceName),
  /** Tag filters (globs such as `v*` or `release-*`); `latest` and untagged pushes only when listed. */
  tags: z.optional(
    z
      .array(
        z.string().check(
          z.minLength(1),
          z.maxLength(128, { error: 'must be at most 128 characters (an ECR tag is)' }),
          z.refine((t) => t.startsWith('semver:') || !/[()|{}[\]!+@]/.test(t), { error: 'must be a glob with only * and ? (no extglob, braces or classes), or semver:<range>' }),
        ),
      )
      .check(z.maxLength(20)),
  ),
  branch: z.optional(resourceName),
});

export { NOTIFY_PARAMETER_PREFIX };

const webhookParameter = z
  .string({ error: 'must be a string' })
  .check(
    z.maxLength(1011),
    z.regex(/^\/canary-controller\/notify\/[A-Za-z0-9_.\-/]+$/, { error: `must be an SSM parameter under ${NOTIFY_PARAMETER_PREFIX}` }),
    z.refine((v) => !v.split('/').includes('..'), { error: 'must not contain ".."' }),
  );

export const NotifySchema = z.strictObject({
  /** Not supported: rejected so that nobody believes a topic is notified (subscribe to the controller's topic, filter on `spec`). */
  snsTopicArn: z.optional(
    z.never({ error: "is not supported: notifications go to the controller's SNS topic; subscribe to it with a filter policy on the spec attribute" }),
  ),
  slackWebhookParameter: z.optional(webhookParameter),
  teamsWebhookParameter: z.optional(webhookParameter),
});

export const RolloutSpecSchema = z.strictObject({
  name,
  description: z.optional(z.string().check(z.maxLength(1024))),
  router: RouterSchema,
  target: TargetSchema,
  strategy: StrategySchema,
  analysis: z._default(AnalysisSchema, { alarms: [], onInsufficientData: 'wait', insufficientDataLimit: 3, recheckInterval: 30, ...ANALYSIS_CHECKS_DEFAULTS }),
  hooks: z.optional(HooksSchema),
  approval: z._default(ApprovalSchema, { beforeStart: false, beforePromotion: false, timeout: 86400, onTimeout: 'rollback' }),
  triggers: z.optional(TriggersSchema),
  notify: z.optional(NotifySchema),
}).check(z.superRefine((spec, ctx) => {
  if (spec.triggers?.ecrRepository !== undefined && spec.target.ecs === undefined && spec.target.lambda === undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['triggers', 'ecrRepository'],
      message: 'an image trigger needs a workload that can deploy the image: add target.ecs or target.lambda',
    });
  }
  if (spec.target.lambda !== undefined && spec.router.lambda === undefined) {
    ctx.addIssue({ code: 'custom', path: ['target', 'lambda'], message: "publishes a version of the alias' function: router.lambda is required" });
  }
}));

/** A spec as written (durations as strings, defaults absent). */
export type RolloutSpecInput = z.input<typeof RolloutSpecSchema>;
/** A validated spec with defaults applied and durations in seconds. */
export type RolloutSpec = z.output<typeof RolloutSpecSchema>;
