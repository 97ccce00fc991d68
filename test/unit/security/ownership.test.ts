import { RecordingNotifier } from '../../../src/approvals/notifier';
import { CloudWatchAlarms } from '../../../src/analysis/alarms';
import { MemoryDesiredStateStore } from '../../../src/gitops/desired-state';
import { contentHash } from '../../../src/gitops/spec-files';
import { gitRevision } from '../../../src/gitops/sync';
import { createRouter } from '../../../src/routers';
import type { Admission } from '../../../src/rollouts/admission';
import type { Deps } from '../../../src/rollouts/deps';
import { checkOwnership, parseOwnership, type Ownership } from '../../../src/rollouts/ownership';
import { prepare } from '../../../src/rollouts/prepare';
import { MemoryStore } from '../../../src/rollouts/store';
import { parseSpec, type RolloutSpec } from '../../../src/spec';
import { resourcesOf } from '../../../src/spec/resources';
import { FakeAlarms, FakeAppMesh } from '../../support/fake-aws';
import { CANARY, specInput, STABLE, USER_ROUTE } from '../../statemachine/harness';

const LISTENER = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2';
const RULE = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener-rule/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee';

const OWNERSHIP: Ownership = parseOwnership(
  JSON.stringify({
    bindings: [
      { name: 'users-team', repository: 'acme/platform-config', path: '.canary/users/*', resources: ['appmesh:mesh/my-mesh/virtualRouter/user-router/route/*', 'ecs:service/prod/user-*'] },
      { name: 'payments-team', repository: 'acme/payments-config', resources: ['appmesh:mesh/my-mesh/virtualRouter/payments-router/route/*'] },
      { name: 'oncall-by-hand', spec: 'user-service', resources: ['appmesh:mesh/my-mesh/virtualRouter/user-router/route/user-route'] },
    ],
  }),
);

describe('resourcesOf', () => {
  it('names what each router kind and an ECS workload touch, with a wildcard where the spec leaves the choice to the router', () => {
    const base = { name: 'x', target: { canary: 'c' }, strategy: { steps: [100] } };
    expect(resourcesOf(parseSpec({ ...base, router: { alb: { listenerArn: LISTENER } } }))).toEqual([
      LISTENER,
      'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener-rule/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2/*',
    ]);
    expect(resourcesOf(parseSpec({ ...base, router: { alb: { listenerArn: LISTENER, rules: [RULE] } } }))).toEqual([LISTENER, RULE]);
    expect(
      resourcesOf(
        parseSpec({
          ...base,
          router: { vpcLattice: { service: 'arn:aws:vpc-lattice:eu-west-1:123456789012:service/svc-0123456789abcdefg', listener: 'listener-0123456789abcdefg', rules: ['rule-0123456789abcdefh'] } },
        }),
      ),
    ).toEqual(['vpc-lattice:service/svc-0123456789abcdefg/listener/listener-0123456789abcdefg', 'vpc-lattice:service/svc-0123456789abcdefg/listener/listener-0123456789abcdefg/rule/rule-0123456789abcdefh']);
    expect(resourcesOf(parseSpec({ ...base, router: { lambda: { function: 'arn:aws:lambda:eu-west-1:123456789012:function:orders', alias: 'live' } } }))).toEqual([
      'lambda:function/orders:alias/live',
    ]);
    expect(
      resourcesOf(
        parseSpec({
          ...base,
          router: { appMesh: { mesh: 'm', virtualRouter: 'r' } },
          target: { canary: 'c', stable: 's', ecs: { cluster: 'prod', primaryService: 'p', canaryService: 'q', container: 'app' } },
        }),
      ),
    ).toEqual(['appmesh:mesh/m/virtualRouter/r/route/*', 'ecs:service/prod/p', 'ecs:service/prod/q']);
  });
});

describe('checkOwnership', () => {
  const spec = (router: Record<string, unknown>): RolloutSpec => parseSpec(specInput({ router }));

  it('refuses the payments repository moving the users route, naming the resource and the binding', () => {
    const attack = spec({ appMesh: { mesh: 'my-mesh', virtualRouter: 'user-router', routes: ['user-route'] } });
    expect(() => checkOwnership(attack, { kind: 'git', repository: 'acme/payments-config', path: '.canary/pay.yaml', revision: 'c:h' }, OWNERSHIP)).toThrow(
      /appmesh:mesh\/my-mesh\/virtualRouter\/user-router\/route\/user-route is outside its ownership binding "payments-team"/,
    );
  });

  it('refuses a file of the right repository outside the bound path, and every source when no binding is declared', () => {
    const users = spec({ appMesh: { mesh: 'my-mesh', virtualRouter: 'user-router' } });
    expect(() => checkOwnership(users, { kind: 'git', repository: 'acme/platform-config', path: '.canary/other/u.yaml', revision: 'c:h' }, OWNERSHIP)).toThrow(
      /no ownership binding matches this source/,
    );
    expect(() => checkOwnership(users, { kind: 'git', repository: 'acme/platform-config', path: '.canary/users/u.yaml', revision: 'c:h' }, parseOwnership(''))).toThrow(
      /declares none/,
    );
    expect(() => checkOwnership(users, { kind: 'git', repository: 'acme/platform-config', path: '.canary/users/u.yaml', revision: 'c:h' }, OWNERSHIP)).not.toThrow();
  });

  it('binds a manual start by spec name only: the whole router is more than the one route the on-call binding allows', () => {
    expect(() => checkOwnership(spec({ appMesh: { mesh: 'my-mesh', virtualRouter: 'user-router' } }), { kind: 'manual', by: 'bob' }, OWNERSHIP)).toThrow(/route\/\* is outside/);
    expect(() => checkOwnership(spec({ appMesh: { mesh: 'my-mesh', virtualRouter: 'user-router', routes: ['user-route'] } }), { kind: 'manual' }, OWNERSHIP)).not.toThrow();
  });

  it('rejects bindings that would silently bind nothing', () => {
    expect(() => parseOwnership('{"bindings":[{"name":"x","resources":["*"]}]}')).toThrow(/a binding names a repository or a spec/);
    expect(() => parseOwnership('not json')).toThrow(/not JSON/);
  });
});

describe('prepare with admission (git is the only way in)', () => {
  const SPEC_TEXT = 'name: user-service\n';
  const COMMIT = 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678';
  const REVISION = gitRevision(COMMIT, contentHash(SPEC_TEXT));

  async function world(opts: { allowManualStart?: boolean; path?: string } = {}) {
    const mesh = new FakeAppMesh().addNode(STABLE, CANARY).addRoute('user-route', USER_ROUTE);
    const alarms = new FakeAlarms();
    alarms.set('user-service-5xx', 'OK');
    alarms.set('user-service-p99', 'OK');
    const desired = new MemoryDesiredStateStore();
    const synced = parseSpec(specInput());
    await desired.put({
      specName: 'user-service',
      spec: synced,
      repository: 'acme/platform-config',
      branch: 'main',
      path: opts.path ?? '.canary/users/user-service.yaml',
      commitId: COMMIT,
      contentHash: contentHash(SPEC_TEXT),
      pushedAt: '2026-03-01T08:00:00Z',
      syncedAt: '2026-03-01T08:00:01Z',
      latestRevision: REVISION,
    });
    const routerCalls: string[] = [];
    const store = new MemoryStore();
    const admission: Admission = { ownership: () => OWNERSHIP, allowManualStart: opts.allowManualStart ?? false, desired };
    const deps: Deps = {
      store,
      routerFor: (spec) => {
        routerCalls.push(spec.name);
        return createRouter(spec, { appMesh: mesh.client });
      },
      checks: new CloudWatchAlarms(alarms.client),
      notifier: new RecordingNotifier(),
      executions: { isRunning: async () => false, findBakeToken: async () => undefined, sendTaskFailure: async () => undefined, sendTaskSuccess: async () => undefined } as unknown as Deps['executions'],
      revisions: desired,
      admission,
      now: () => new Date('2026-03-01T09:00:00Z'),
    };
    const run = (input: Record<string, unknown>) =>
      prepare({ input, executionArn: 'arn:aws:states:eu-west-1:123456789012:execution:sm:r-1', executionName: 'r-1' }, deps);
    return { run, store, routerCalls, mesh };
  }

  it('refuses an execution started without a git revision, before any router is read or lock taken', async () => {
    const w = await world();
    await expect(w.run({ spec: specInput(), source: 'github:acme/platform-config@main:.canary/users/user-service.yaml' })).rejects.toMatchObject({
      name: 'NotFromGitError',
      message: expect.stringMatching(/user-service: the execution input has no git revision; rollouts start from git/),
    });
    expect(w.routerCalls).toEqual([]);
    expect(await w.store.getLock('appmesh:my-mesh/user-router/user-route')).toBeUndefined();
    expect(await w.store.listRollouts()).toEqual([]);
  });

  it('refuses the synced revision carrying a different spec (another router smuggled in under a real revision)', async () => {
    const w = await world();
    const smuggled = specInput({ router: { appMesh: { mesh: 'my-mesh', virtualRouter: 'payments-router', routes: ['pay'] } } });
    await expect(w.run({ spec: smuggled, revision: REVISION })).rejects.toThrow(/differs from the one synced from acme\/platform-config:\.canary\/users\/user-service\.yaml/);
    expect(w.routerCalls).toEqual([]);
  });

  it('refuses a synced spec whose file lies outside its binding, naming the binding; runs the same spec from the bound path', async () => {
    const outside = await world({ path: '.canary/user-service.yaml' });
    await expect(outside.run({ spec: specInput(), revision: REVISION })).rejects.toMatchObject({ name: 'NotOwnedError', message: expect.stringMatching(/no ownership binding matches/) });
    expect(outside.routerCalls).toEqual([]);

    const inside = await world();
    const out = await inside.run({ spec: specInput(), revision: REVISION });
    expect(out.rollout.specName).toBe('user-service');
    const [event] = await inside.store.listEvents('r-1');
    expect(event!.message).toContain(`from git acme/platform-config:.canary/users/user-service.yaml at ${REVISION}`);
  });

  it('runs a manual start only when the deployment allows it, and records it as manual', async () => {
    const w = await world({ allowManualStart: true });
    await w.run({ spec: specInput(), requestedBy: 'bob', source: 'canaryctl start' });
    const [event] = await w.store.listEvents('r-1');
    expect(event!.message).toContain('started by hand by bob (manual starts allowed by the deployment)');
  });
});
