import { formatDuration, parseDuration, parseSpec, SpecValidationError, type RolloutSpec } from '../../../src/spec';
import { parseSpecText } from '../../../src/spec/load';
import { ConfigurationError } from '../../../src/shared/errors';

/** The smallest spec the controller accepts. */
const MINIMAL_YAML = `
name: user-service
router:
  appMesh: { mesh: my-mesh, virtualRouter: user-router }
target:
  canary: user-service-v2
strategy:
  steps: [10, 25, 50, 100]
`;

/** A plain object version of the minimal spec, to build bad variants from. */
function minimal(): Record<string, unknown> {
  return {
    name: 'user-service',
    router: { appMesh: { mesh: 'my-mesh', virtualRouter: 'user-router' } },
    target: { canary: 'user-service-v2' },
    strategy: { steps: [10, 25, 50, 100] },
  };
}

/** The minimal spec with some top-level sections replaced. */
function withSections(sections: Record<string, unknown>): Record<string, unknown> {
  return { ...minimal(), ...sections };
}

/** The issue lines of a rejected spec, as the error message prints them (without the indent). */
function issueLines(act: () => unknown): string[] {
  try {
    act();
  } catch (error) {
    expect(error).toBeInstanceOf(SpecValidationError);
    const [, ...lines] = (error as Error).message.split('\n');
    return lines.map((l) => l.trim());
  }
  throw new Error('expected the spec to be rejected');
}

describe('parseSpecText', () => {
  describe('good specs', () => {
    it('applies every default to a minimal YAML spec', () => {
      // Act
      const spec = parseSpecText(MINIMAL_YAML);

      // Assess
      expect(spec.name).toBe('user-service');
      expect(spec.router.appMesh).toEqual({ mesh: 'my-mesh', virtualRouter: 'user-router' });
      expect(spec.target).toEqual({ canary: 'user-service-v2' });
      expect(spec.strategy).toEqual({ steps: [10, 25, 50, 100], bake: 300, threshold: 1, onNewRevision: 'supersede' });
      expect(spec.analysis).toEqual({ alarms: [], onInsufficientData: 'wait', insufficientDataLimit: 3, recheckInterval: 30, compare: [], metrics: [], lambdaChecks: [], webhooks: [] });
      expect(spec.approval).toEqual({ beforeStart: false, beforePromotion: false, timeout: 86400, onTimeout: 'rollback' });
      expect(spec.triggers).toBeUndefined();
      expect(spec.notify).toBeUndefined();
    });

    it('reads a full YAML spec with every section, durations in seconds', () => {
      // Prepare
      const text = `
name: user-service
description: Users API
router:
  appMesh:
    mesh: my-mesh
    virtualRouter: user-router
    routes: [user-route, user-route-grpc]
    meshOwner: "123456789012"
target:
  canary: user-service-v2
  stable: user-service-v1
  ecs:
    cluster: prod
    primaryService: user-primary
    canaryService: user-canary
    container: app
    canaryDesiredCount: 2
    readyTimeout: 10m
strategy:
  steps: [5, 20, 100]
  bake: 1h30m
  threshold: 2
  onNewRevision: queue
analysis:
  alarms: [user-service-5xx, user-service-p99]
  onInsufficientData: fail
  insufficientDataLimit: 5
  recheckInterval: 45s
approval:
  beforeStart: true
  beforePromotion: true
  timeout: 2d
  onTimeout: approve
triggers:
  ecrRepository: user-service
  tags: ["v*", "release-*"]
  branch: main
notify:
  slackWebhookParameter: /canary-controller/notify/slack
  teamsWebhookParameter: /canary-controller/notify/teams
`;

      // Act
      const spec = parseSpecText(text);

      // Assess
      const expected: RolloutSpec = {
        name: 'user-service',
        description: 'Users API',
        router: { appMesh: { mesh: 'my-mesh', virtualRouter: 'user-router', routes: ['user-route', 'user-route-grpc'], meshOwner: '123456789012' } },
        target: {
          canary: 'user-service-v2',
          stable: 'user-service-v1',
          ecs: { cluster: 'prod', primaryService: 'user-primary', canaryService: 'user-canary', container: 'app', canaryDesiredCount: 2, readyTimeout: 600 },
        },
        strategy: { steps: [5, 20, 100], bake: 5400, threshold: 2, onNewRevision: 'queue' },
        analysis: { alarms: ['user-service-5xx', 'user-service-p99'], onInsufficientData: 'fail', insufficientDataLimit: 5, recheckInterval: 45, compare: [], metrics: [], lambdaChecks: [], webhooks: [] },
        approval: { beforeStart: true, beforePromotion: true, timeout: 2 * 86400, onTimeout: 'approve' },
        triggers: { ecrRepository: 'user-service', tags: ['v*', 'release-*'], branch: 'main' },
        notify: { slackWebhookParameter: '/canary-controller/notify/slack', teamsWebhookParameter: '/canary-controller/notify/teams' },
      };
      expect(spec).toEqual(expected);
    });

    it('reads JSON text the same way as YAML', () => {
      // Prepare
      const json = JSON.stringify(minimal());

      // Act
      const fromJson = parseSpecText(json);

      // Assess
      expect(fromJson).toEqual(parseSpecText(MINIMAL_YAML));
    });

    it('accepts stepWeight + maxWeight instead of steps', () => {
      // Prepare
      const document = withSections({ strategy: { stepWeight: 20, maxWeight: 50, bake: '30s' } });

      // Act
      const spec = parseSpec(document);

      // Assess
      expect(spec.strategy).toEqual({ stepWeight: 20, maxWeight: 50, bake: 30, threshold: 1, onNewRevision: 'supersede' });
      expect(spec.strategy.steps).toBeUndefined();
    });

    it('accepts a bare number of seconds as a duration', () => {
      // Act
      const spec = parseSpec(withSections({ strategy: { steps: [100], bake: 90 } }));

      // Assess
      expect(spec.strategy.bake).toBe(90);
    });

    it('accepts bake: { min, max } with a look interval defaulting to a minute', () => {
      // Act
      const spec = parseSpec(withSections({ strategy: { steps: [10, 100], bake: { min: '1m', max: '10m' } } }));

      // Assess
      expect(spec.strategy.bake).toEqual({ min: 60, max: 600, lookInterval: 60 });
    });

    it('names the source file in the error message', () => {
      // Act
      const act = () => parseSpecText('name: x\n', '.canary/user-service.yaml');

      // Assess
      expect(act).toThrow(/^\.canary\/user-service\.yaml: invalid rollout spec:\n/);
    });

    it('rejects with a ConfigurationError that lists every issue', () => {
      // Act
      let caught: unknown;
      try {
        parseSpec({ name: 'user-service' });
      } catch (error) {
        caught = error;
      }

      // Assess
      expect(caught).toBeInstanceOf(ConfigurationError);
      expect((caught as SpecValidationError).issues).toEqual([
        { path: 'router', message: 'is required' },
        { path: 'target', message: 'is required' },
        { path: 'strategy', message: 'is required' },
      ]);
    });
  });

  describe('bad specs', () => {
    const STRATEGY_CASES: Array<[string, Record<string, unknown>, string]> = [
      ['steps that do not increase', { steps: [10, 25, 20, 100] }, 'strategy.steps[2]: must be greater than 25'],
      ['a repeated step', { steps: [10, 10, 100] }, 'strategy.steps[1]: must be greater than 10'],
      ['a weight of 0', { steps: [0, 100] }, 'strategy.steps[0]: must be between 1 and 100'],
      ['a weight of 101', { steps: [10, 101] }, 'strategy.steps[1]: must be between 1 and 100'],
      ['a fractional weight', { steps: [12.5, 100] }, 'strategy.steps[0]: must be a whole number'],
      ['a last step below 100', { steps: [10, 50] }, 'strategy.steps[1]: the last step must be 100 (use stepWeight + maxWeight to stop below 100 and promote)'],
      ['an empty step list', { steps: [] }, 'strategy.steps: must list at least one weight'],
      ['steps and stepWeight together', { steps: [10, 100], stepWeight: 10 }, 'strategy: use either steps or stepWeight + maxWeight, not both'],
      ['steps and maxWeight together', { steps: [10, 100], maxWeight: 50 }, 'strategy: use either steps or stepWeight + maxWeight, not both'],
      ['stepWeight above maxWeight', { stepWeight: 60, maxWeight: 50 }, 'strategy.stepWeight: must not be greater than maxWeight (50)'],
      ['neither steps nor stepWeight', { bake: '5m' }, 'strategy.steps: is required (or stepWeight + maxWeight)'],
      ['a stepWeight of 101', { stepWeight: 101 }, 'strategy.stepWeight: must be between 1 and 100'],
      ['a bad bake duration', { steps: [100], bake: '5 minutes' }, 'strategy.bake: must be a duration such as 30s, 5m or 24h, got "5 minutes"'],
      ['a bake of 0s', { steps: [100], bake: '0s' }, 'strategy.bake: must be at least 1s'],
      ['a bake over a week', { steps: [100], bake: '8d' }, 'strategy.bake: must be at most 604800s'],
      ['a bake range whose max is below its min', { steps: [100], bake: { min: '5m', max: '1m' } }, 'strategy.bake.max: must not be less than min (300s)'],
      ['a bake range without max', { steps: [100], bake: { min: '5m' } }, 'strategy.bake.max: is required'],
      ['a bad bake range duration', { steps: [100], bake: { min: '1 minute', max: '5m' } }, 'strategy.bake.min: must be a duration such as 30s, 5m or 24h, got "1 minute"'],
      ['an unknown bake range key', { steps: [100], bake: { min: '1m', max: '5m', every: '10s' } }, 'strategy.bake.every: unknown key'],
      ['a threshold of 0', { steps: [100], threshold: 0 }, 'strategy.threshold: must be at least 1'],
      ['a misspelt key', { steps: [100], bake_time: '5m' }, 'strategy.bake_time: unknown key (did you mean "bake"?)'],
      ['a bad onNewRevision', { steps: [100], onNewRevision: 'ignore' }, 'strategy.onNewRevision: must be one of "supersede", "queue", "reject"'],
    ];

    it.each(STRATEGY_CASES)('rejects %s', (_case, strategy, line) => {
      // Act
      const lines = issueLines(() => parseSpec(withSections({ strategy })));

      // Assess
      expect(lines).toEqual([line]);
    });


    const SECTION_CASES: Array<[string, Record<string, unknown>, string]> = [
      ['an unknown top-level key', { aproval: {} }, 'aproval: unknown key (did you mean "approval"?)'],
      ['an unknown key without a close match', { colour: 'blue' }, 'colour: unknown key'],
      ['a misspelt analysis key', { analysis: { alarm: ['x'] } }, 'analysis.alarm: unknown key (did you mean "alarms"?)'],
      ['a misspelt key in a list entry', { analysis: { compare: [{ metric: 'errorRate', maxIncrese: '1%', maxRatio: 2 }] } }, 'analysis.compare[0].maxIncrese: unknown key (did you mean "maxIncrease"?)'],
      ['a bad onTimeout', { approval: { onTimeout: 'never' } }, 'approval.onTimeout: must be one of "rollback", "approve"'],
      ['a bad onInsufficientData', { analysis: { onInsufficientData: 'ignore' } }, 'analysis.onInsufficientData: must be one of "wait", "pass", "fail"'],
      ['a bad approval timeout', { approval: { timeout: 'tomorrow' } }, 'approval.timeout: must be a duration such as 30s, 5m or 24h, got "tomorrow"'],
      ['an approval timeout under a minute', { approval: { timeout: '30s' } }, 'approval.timeout: must be at least 60s'],
      ['a router with no kind', { router: {} }, 'router: must name exactly one router kind (appMesh, alb, vpcLattice, lambda)'],
      ['a router kind that does not exist', { router: { appMesh: { mesh: 'm', virtualRouter: 'r' }, lattice: {} } }, 'router.lattice: unknown key (did you mean "vpcLattice"?)'],
      ['two router kinds', { router: { appMesh: { mesh: 'm', virtualRouter: 'r' }, lambda: { function: 'f', alias: 'live' } } }, 'router: must name exactly one router kind (appMesh, alb, vpcLattice, lambda), not appMesh and lambda'],
      ['an ALB router with a listener ARN of another service', { router: { alb: { listenerArn: 'arn:aws:sns:eu-west-1:123456789012:topic' } } }, 'router.alb.listenerArn: must be an ELBv2 listener ARN (arn:aws:elasticloadbalancing:<region>:<account>:listener/app/...)'],
      ['an ALB rule that is a listener', { router: { alb: { listenerArn: 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2', rules: ['arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2'] } } }, 'router.alb.rules[0]: must be an ELBv2 listener rule ARN (arn:aws:elasticloadbalancing:<region>:<account>:listener-rule/app/...)'],
      ['a Lattice listener given as a service id', { router: { vpcLattice: { service: 'svc-0123456789abcdef0', listener: 'svc-0123456789abcdef0' } } }, 'router.vpcLattice.listener: must be a VPC Lattice listener id (listener-<17 characters>) or ARN'],
      ['a Lambda alias that is a version number', { router: { lambda: { function: 'user-service', alias: '12' } } }, 'router.lambda.alias: must be a Lambda alias name (letters, digits, - and _; not only digits)'],
      ['an App Mesh router without a mesh', { router: { appMesh: { virtualRouter: 'r' } } }, 'router.appMesh.mesh: is required'],
      ['an image trigger without an ECS target', { triggers: { ecrRepository: 'user-service' } }, 'triggers.ecrRepository: an image trigger needs a workload that can deploy the image: add target.ecs or target.lambda'],
      ['a stable node equal to the canary node', { target: { canary: 'v2', stable: 'v2' } }, 'target.stable: must differ from target.canary'],
      ['a name that is not a DNS label', { name: 'User_Service' }, 'name: must be 1-63 lowercase letters, digits or "-", starting and ending with a letter or digit'],
      ['a name that is not a string', { name: 5 }, 'name: must be a string'],
      ['an alarm name that is not a string', { analysis: { alarms: [42] } }, 'analysis.alarms[0]: must be a string'],
      ['an SNS topic (never delivered to)', { notify: { snsTopicArn: 'arn:aws:sns:us-east-1:123456789012:canary' } }, "notify.snsTopicArn: is not supported: notifications go to the controller's SNS topic; subscribe to it with a filter policy on the spec attribute"],
      ['a Slack parameter that is not a path', { notify: { slackWebhookParameter: 'canary/slack' } }, 'notify.slackWebhookParameter: must be an SSM parameter under /canary-controller/notify/'],
    ];

    it.each(SECTION_CASES)('rejects %s', (_case, sections, line) => {
      // Act
      const lines = issueLines(() => parseSpec(withSections(sections)));

      // Assess
      expect(lines).toEqual([line]);
    });

    it('names the new key when an App Mesh spec still uses virtualNode / stableVirtualNode', () => {
      // Act
      const lines = issueLines(() => parseSpec(withSections({ target: { virtualNode: 'v2', stableVirtualNode: 'v1' } })));

      // Assess
      expect(lines).toEqual([
        'target.virtualNode: was renamed: use target.canary (same value)',
        'target.stableVirtualNode: was renamed: use target.stable (same value)',
        'target.canary: is required (unless target.lambda publishes it from the pushed image)',
      ]);
    });

    it('accepts each router kind with its own vocabulary', () => {
      const routers = [
        { alb: { listenerArn: 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2' } },
        { vpcLattice: { service: 'svc-0123456789abcdef0', listener: 'listener-0123456789abcdef0', rules: ['rule-0123456789abcdef0'] } },
        { lambda: { function: 'user-service', alias: 'live' } },
      ];
      for (const router of routers) expect(parseSpec(withSections({ router })).router).toEqual(router);
    });

    it.each(['name', 'router', 'target', 'strategy'])('rejects a spec without %s', (key) => {
      // Prepare
      const document = minimal();
      delete document[key];

      // Act
      const lines = issueLines(() => parseSpec(document));

      // Assess
      expect(lines).toEqual([`${key}: is required`]);
    });

    it('rejects text that is not YAML', () => {
      // Act
      const lines = issueLines(() => parseSpecText('name: [user-service\n'));

      // Assess
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^is not valid YAML or JSON: .+ at line 2, column 1:$/);
    });

    it('rejects a top-level list', () => {
      // Act
      const lines = issueLines(() => parseSpecText('- name: user-service\n- name: order-service\n'));

      // Assess
      expect(lines).toEqual(['must be a mapping (an object at the top level)']);
    });

    it('rejects an empty document', () => {
      // Act
      const lines = issueLines(() => parseSpecText(''));

      // Assess
      expect(lines).toEqual(['must be a mapping (an object at the top level)']);
    });

    it('rejects duplicate keys instead of keeping the last one', () => {
      // Prepare
      const text = `${MINIMAL_YAML}strategy:\n  steps: [100]\n`;

      // Act
      const lines = issueLines(() => parseSpecText(text));

      // Assess
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^is not valid YAML or JSON: Map keys must be unique/);
    });

    it('lists one line per issue when there are several', () => {
      // Act
      const lines = issueLines(() =>
        parseSpec(withSections({ strategy: { steps: [50, 25, 100], bake_time: '5m' }, approval: { onTimeout: 'never' } })),
      );

      // Assess
      expect(lines).toEqual(
        expect.arrayContaining([
          'strategy.bake_time: unknown key (did you mean "bake"?)',
          'approval.onTimeout: must be one of "rollback", "approve"',
        ]),
      );
    });
  });
});

describe('parseDuration', () => {
  it.each<[string | number, number]>([
    ['30s', 30],
    ['5m', 300],
    ['24h', 86400],
    ['1h30m', 5400],
    ['2d', 172800],
    ['1d2h3m4s', 86400 + 7200 + 180 + 4],
    ['90', 90],
    [' 5m ', 300],
    [0, 0],
    [45, 45],
  ])('reads %p as %p seconds', (text, seconds) => {
    // Act
    const parsed = parseDuration(text);

    // Assess
    expect(parsed).toBe(seconds);
  });

  it.each<[string | number]>([[''], ['5 minutes'], ['m'], ['30m1h'], ['1.5h'], ['-5s'], [-1], [1.5]])('refuses %p', (text) => {
    // Act
    const parsed = parseDuration(text);

    // Assess
    expect(parsed).toBeUndefined();
  });
});

describe('formatDuration', () => {
  it.each<[number, string]>([
    [0, '0s'],
    [30, '30s'],
    [90, '1m30s'],
    [300, '5m'],
    [5400, '1h30m'],
    [86400, '24h'],
    [3661, '1h1m1s'],
  ])('writes %p seconds as %p', (seconds, text) => {
    // Act
    const formatted = formatDuration(seconds);

    // Assess
    expect(formatted).toBe(text);
  });

  it.each(['30s', '5m', '24h', '1h30m', '2d'])('formats %p back to the same number of seconds', (text) => {
    // Prepare
    const seconds = parseDuration(text)!;

    // Act
    const roundTrip = parseDuration(formatDuration(seconds));

    // Assess
    expect(roundTrip).toBe(seconds);
  });
});
