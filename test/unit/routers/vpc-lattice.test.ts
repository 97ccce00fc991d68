import {
  AccessDeniedException,
  ConflictException,
  GetListenerCommand,
  GetRuleCommand,
  ListRulesCommand,
  UpdateListenerCommand,
  UpdateRuleCommand,
  type RuleAction,
} from '@aws-sdk/client-vpc-lattice';
import { LatticeRouter } from '../../../src/routers/vpc-lattice';
import type { RouterSnapshot } from '../../../src/routers/port';
import { ConcurrentModificationError, ConfigurationError, ResourceNotFoundError, TransientError, UnsupportedError } from '../../../src/shared/errors';
import { FakeVpcLattice, LATTICE, latticeFixture, latticeServerError, latticeThrottled } from '../../support/fake-vpc-lattice';

const { service, listener, apiRule, legacyRule, maintenanceRule, defaultRule, stable, canary, analytics } = LATTICE;
const KEY = `vpc-lattice:${service}/${listener}`;

let lattice: FakeVpcLattice;
beforeEach(() => {
  lattice = new FakeVpcLattice().seedUserService();
});
afterEach(() => lattice.restore());

function router(config: { rules?: string[]; service?: string; listener?: string } = {}, targets: { canary: string; stable?: string } = { canary, stable }): LatticeRouter {
  return new LatticeRouter({ service, listener, ...config }, targets, lattice.client);
}

function share(weights: Record<string, number>, of: string): number {
  const total = Object.values(weights).reduce((a, b) => a + b, 0);
  return (100 * (weights[of] ?? 0)) / total;
}

const writes = () => lattice.mock.commandCalls(UpdateRuleCommand).length + lattice.mock.commandCalls(UpdateListenerCommand).length;

describe('LatticeRouter', () => {
  describe('snapshot', () => {
    it('takes the default action and every rule forwarding to stable, paging ListRules and skipping fixed responses and the default rule', async () => {
      const snap = await router().snapshot();

      expect(snap.routes.map((r) => r.name)).toEqual(['default', apiRule, legacyRule]);
      expect(snap.routes.map((r) => r.key)).toEqual([KEY, `${KEY}/${apiRule}`, `${KEY}/${legacyRule}`]);
      expect(lattice.mock.commandCalls(ListRulesCommand).map((c) => c.args[0].input.nextToken)).toEqual([undefined, 'page-2']);
      expect(snap.routes.find((r) => r.name === apiRule)!.targets).toEqual([
        { name: stable, weight: 90 },
        { name: analytics, weight: 10 },
      ]);
      // The legacy rule names its group by ARN: the core sees the id.
      expect(snap.routes.find((r) => r.name === legacyRule)!.targets).toEqual([{ name: stable, weight: 1 }]);
      expect(snap.routes.map((r) => r.name)).not.toContain(maintenanceRule);
      expect(writes()).toBe(0);
    });

    it('keeps each route’s writable content verbatim and its digest as version', async () => {
      const snap = await router().snapshot();
      const api = latticeFixture<{ match: unknown; priority: number; action: unknown }>('rule-api');

      expect(snap.routes[1]!.raw).toEqual({ match: api.match, priority: api.priority, action: api.action });
      expect(snap.routes[0]!.raw).toEqual({ defaultAction: latticeFixture<{ defaultAction: unknown }>('listener').defaultAction });
      expect(snap.routes[1]!.version).toMatch(/^sha256:[0-9a-f]{32}$/);
      expect(new Set(snap.routes.map((r) => r.version)).size).toBe(3);
    });

    it('counts a lone target group written without a weight as weight 100, as VPC Lattice does, and shifts it', async () => {
      lattice.externalWrite(apiRule, { action: { forward: { targetGroups: [{ targetGroupIdentifier: stable }] } } });
      const snap = await router({ rules: [apiRule] }).snapshot();

      expect(snap.routes[0]!.targets).toEqual([{ name: stable, weight: 100 }]);
      await router({ rules: [apiRule] }).setCanaryWeight(snap, 10, {});
      expect(lattice.weights(apiRule)).toEqual({ [stable]: 90, [canary]: 10 });
    });

    it('refuses a route whose target groups are several and one has no weight, naming the group', async () => {
      lattice.externalWrite(apiRule, { action: { forward: { targetGroups: [{ targetGroupIdentifier: stable }, { targetGroupIdentifier: analytics, weight: 10 }] } } });
      await expect(router({ rules: [apiRule] }).snapshot()).rejects.toThrow(new RegExp(`target group "${stable}" without a weight among 2 groups`));
      expect(writes()).toBe(0);
    });

    it('guesses the stable group as the largest target of the first route when the spec names none', async () => {
      const snap = await router({}, { canary }).snapshot();
      expect(snap.stable).toBe(stable);
    });

    it('takes only the named rules, and a named default rule as the listener’s default action', async () => {
      const snap = await router({ rules: [`arn:aws:vpc-lattice:us-east-1:123456789012:service/${service}/listener/${listener}/rule/${apiRule}`, defaultRule] }).snapshot();
      expect(snap.routes.map((r) => r.name)).toEqual([apiRule, 'default']);
    });

    it.each([
      ['listener', { listener: 'listener-0000000000000000a' }, /listener "listener-0000000000000000a" not found/],
      ['service', { service: 'svc-0000000000000000a' }, /service "svc-0000000000000000a" not found/],
      ['rule', { rules: ['rule-0000000000000000a'] }, /rule "rule-0000000000000000a" not found/],
    ])('names a missing %s and writes nothing', async (_what, config, message) => {
      await expect(router(config).snapshot()).rejects.toThrow(ResourceNotFoundError);
      await expect(router(config).snapshot()).rejects.toThrow(message);
      expect(writes()).toBe(0);
    });

    it('names a missing canary target group and writes nothing', async () => {
      lattice.targetGroups.delete(canary);
      await expect(router().snapshot()).rejects.toThrow(new RegExp(`target_group "${canary}" not found`));
      expect(writes()).toBe(0);
    });

    it('refuses a named rule whose action is a fixed response, not a weighted forward', async () => {
      const error = await router({ rules: [maintenanceRule] }).snapshot().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(UnsupportedError);
      expect(String(error)).toMatch(new RegExp(`rule "${maintenanceRule}".*fixedResponse`));
    });

    it('refuses a rule that already forwards to 10 target groups (the canary would be the 11th)', async () => {
      const groups = Array.from({ length: 10 }, (_, i) => ({ targetGroupIdentifier: i === 0 ? stable : `tg-0${String(i).padStart(16, '0')}`, weight: 10 }));
      lattice.externalWrite(apiRule, { action: { forward: { targetGroups: groups } } });
      await expect(router({ rules: [apiRule] }).snapshot()).rejects.toThrow(/11 weighted targets.*at most 10/);
      expect(writes()).toBe(0);
    });

    it('refuses when no route forwards to the stable group', async () => {
      const unused = 'tg-0bbbbbbbbbbbbbbbb';
      lattice.addTargetGroup({ ...latticeFixture('target-group-v1'), id: unused });
      await expect(router({}, { canary, stable: unused }).snapshot()).rejects.toThrow(ConfigurationError);
      await expect(router({}, { canary, stable: unused }).snapshot()).rejects.toThrow(/forwards to the stable target group "tg-0bbbbbbbbbbbbbbbb"/);
    });

    it('refuses a target that is not a target group id or ARN, naming the field, before any call', () => {
      expect(() => router({}, { canary: 'user-service-v2' })).toThrow(/target.canary must be a VPC Lattice target group id .* got "user-service-v2"/);
      expect(lattice.mock.calls()).toHaveLength(0);
    });

    it('refuses a config whose stable and canary are one target group, before any call', () => {
      expect(() => router({}, { canary, stable: `arn:aws:vpc-lattice:us-east-1:123456789012:targetgroup/${canary}` })).toThrow(/same target group/);
      expect(lattice.mock.calls()).toHaveLength(0);
    });
  });

  describe('setCanaryWeight', () => {
    let snap: RouterSnapshot;
    beforeEach(async () => {
      snap = await router().snapshot();
    });

    it('changes the default action only through UpdateListener and rules only through UpdateRule with the action alone', async () => {
      await router().setCanaryWeight(snap, 10, {});

      const listenerCalls = lattice.mock.commandCalls(UpdateListenerCommand);
      expect(listenerCalls).toHaveLength(1);
      expect(listenerCalls[0]!.args[0].input).toEqual({
        serviceIdentifier: service,
        listenerIdentifier: listener,
        defaultAction: { forward: { targetGroups: [{ targetGroupIdentifier: stable, weight: 90 }, { targetGroupIdentifier: canary, weight: 10 }] } },
      });
      const ruleCalls = lattice.mock.commandCalls(UpdateRuleCommand).map((c) => c.args[0].input);
      expect(ruleCalls.map((i) => i.ruleIdentifier)).toEqual([apiRule, legacyRule]);
      // PATCH: no match and no priority sent, so AWS keeps them as they are.
      for (const input of ruleCalls) expect(Object.keys(input).sort()).toEqual(['action', 'listenerIdentifier', 'ruleIdentifier', 'serviceIdentifier']);
    });

    it.each([0, 1, 10, 25, 33, 50, 99, 100])('gives the canary %i %% of the stable + canary pool on every route, shadow group keeping its share', async (weight) => {
      await router().setCanaryWeight(snap, weight, {});

      for (const route of ['default', apiRule, legacyRule]) {
        const w = lattice.weights(route);
        expect(Math.round((100 * w[canary]!) / (w[canary]! + w[stable]!))).toBe(weight);
        for (const v of Object.values(w)) expect(v).toBeLessThanOrEqual(999);
      }
      expect(share(lattice.weights(apiRule), analytics)).toBeCloseTo(10, 10);
    });

    it('keeps match, priority and the group’s identifier form (ARN) untouched', async () => {
      await router().setCanaryWeight(snap, 25, {});
      const legacy = latticeFixture<{ match: unknown; priority: number }>('rule-legacy');

      expect(lattice.content(legacyRule).match).toEqual(legacy.match);
      expect(lattice.content(legacyRule).priority).toBe(legacy.priority);
      const groups = (lattice.content(legacyRule).action as { forward: { targetGroups: Array<{ targetGroupIdentifier: string }> } }).forward.targetGroups;
      expect(groups[0]!.targetGroupIdentifier).toMatch(/^arn:aws:vpc-lattice:.*targetgroup\/tg-0123456789abcdef0$/);
      expect(lattice.content(apiRule).match).toEqual(latticeFixture<{ match: unknown }>('rule-api').match);
    });

    it('returns versions that the next step accepts, and a rerun of a step writes nothing', async () => {
      const v1 = await router().setCanaryWeight(snap, 10, {});
      const v2 = await router().setCanaryWeight(snap, 25, v1);
      const before = writes();
      const again = await router().setCanaryWeight(snap, 25, v2);

      expect(writes()).toBe(before);
      expect(again).toEqual(v2);
    });

    it('stops loudly when another writer changed a rule since our last write, and overwrites nothing', async () => {
      const v1 = await router().setCanaryWeight(snap, 10, {});
      lattice.externalWrite(apiRule, { priority: 11 });
      const before = writes();

      await expect(router().setCanaryWeight(snap, 25, v1)).rejects.toThrow(ConcurrentModificationError);
      // The default action comes first and was not drifted; the drifted rule was not written.
      expect(lattice.content(apiRule).priority).toBe(11);
      expect(lattice.writes.slice(before).map((w) => w.route)).toEqual(['default']);
    });

    it('compares with the snapshot’s version when no write was recorded yet, and stops on a change made since Prepare', async () => {
      lattice.externalWrite(apiRule, { priority: 11 });

      const error = await router().setCanaryWeight(snap, 10, {}).catch((e: unknown) => e);
      const refusedRestore = await router().restore(snap, {}).catch((e: unknown) => e);

      expect(error).toBeInstanceOf(ConcurrentModificationError);
      expect(String(error)).toContain(`expected content ${snap.routes[1]!.version}`);
      expect(refusedRestore).toBeInstanceOf(ConcurrentModificationError);
      expect(String(refusedRestore)).toMatch(new RegExp(`1 of 3 route.*${apiRule}`));
      expect(lattice.content(apiRule).priority).toBe(11);
    });

    it('recognises a write whose answer was lost by its content on retry, and does not take it for another writer', async () => {
      const v1 = await router().setCanaryWeight(snap, 10, {});
      lattice.loseNextAnswer('UpdateRule');
      await expect(router().setCanaryWeight(snap, 25, v1)).rejects.toThrow(TransientError);
      const writesBefore = lattice.writes.length;

      const v2 = await router().setCanaryWeight(snap, 25, v1);

      expect(lattice.sharesWritten(apiRule, stable, canary)).toEqual([10, 25]);
      expect(lattice.writes.length - writesBefore).toBe(1); // only the legacy rule, which the failed attempt never reached
      expect(v2[`${KEY}/${apiRule}`]).toBeDefined();
      expect(await router().verify(snap, 25)).toMatchObject({ supported: true, ok: true });
    });

    it.each([
      ['ThrottlingException', latticeThrottled],
      ['InternalServerException', latticeServerError],
    ])('turns %s into a TransientError the state machine retries', async (_name, make) => {
      lattice.failNext('UpdateRule', make());
      const error = await router().setCanaryWeight(snap, 10, {}).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TransientError);
      expect(String(error)).toContain(`vpc-lattice:UpdateRule rule "${apiRule}"`);
    });

    it('takes a ConflictException whose re-read shows exactly what it wrote for its own in-flight write, and goes on', async () => {
      lattice.conflictAfterWrite('UpdateRule');

      const v = await router().setCanaryWeight(snap, 25, {});

      expect(lattice.sharesWritten(apiRule, stable, canary)).toEqual([25]);
      expect(await router().verify(snap, 25)).toMatchObject({ supported: true, ok: true });
      // The next step accepts the versions: nothing was taken for another writer.
      await expect(router().setCanaryWeight(snap, 50, v)).resolves.toBeDefined();
    });

    it('turns a ConflictException whose re-read shows other content into a TransientError, not another writer', async () => {
      lattice.failNext('UpdateListener', new ConflictException({ message: 'The request conflicts with the current state of the resource: Updating', resourceId: listener, resourceType: 'LISTENER', $metadata: { httpStatusCode: 409 } }));
      const error = await router().setCanaryWeight(snap, 10, {}).catch((e: unknown) => e);

      expect(error).toBeInstanceOf(TransientError);
      expect(String(error)).toMatch(/listener .*UpdateListener.*ConflictException/);
      // The retry writes, and the digest check would still stop a real other writer.
      await expect(router().setCanaryWeight(snap, 10, {})).resolves.toBeDefined();
      expect(lattice.sharesWritten('default', stable, canary)).toEqual([10]);
    });

    it('maps AccessDenied to a ConfigurationError naming the permission', async () => {
      lattice.failNext('UpdateListener', new AccessDeniedException({ message: 'denied', $metadata: { httpStatusCode: 403 } }));
      await expect(router().setCanaryWeight(snap, 10, {})).rejects.toThrow(/vpc-lattice:UpdateListener on listener/);
    });
  });

  describe('promote', () => {
    it('hands the pool to the canary and removes the stable group, keeping the shadow group’s share', async () => {
      const snap = await router().snapshot();
      await router().promote(snap, await router().setCanaryWeight(snap, 50, {}));

      expect(Object.keys(lattice.weights('default'))).toEqual([canary]);
      expect(Object.keys(lattice.weights(apiRule)).sort()).toEqual([analytics, canary].sort());
      expect(share(lattice.weights(apiRule), analytics)).toBeCloseTo(10, 10);
    });
  });

  describe('restore', () => {
    it('writes every route back deep-equal to the snapshot, match and priority included', async () => {
      const original = { default: lattice.content('default'), api: lattice.content(apiRule), legacy: lattice.content(legacyRule) };
      const snap = await router().snapshot();
      const v = await router().setCanaryWeight(snap, 50, await router().setCanaryWeight(snap, 10, {}));

      await router().restore(snap, v);

      expect({ default: lattice.content('default'), api: lattice.content(apiRule), legacy: lattice.content(legacyRule) }).toEqual(original);
      const restoreRule = lattice.mock.commandCalls(UpdateRuleCommand).at(-1)!.args[0].input;
      expect(restoreRule).toMatchObject({ match: original.legacy.match, priority: original.legacy.priority });
    });

    it('recognises its own unrecorded split (a Task failed after its write) and restores it', async () => {
      const snap = await router().snapshot();
      await router().setCanaryWeight(snap, 10, {});
      await router().restore(snap, {}); // the versions of that write were never recorded
      expect(lattice.content(apiRule)).toEqual({ match: (snap.routes[1]!.raw as { match: unknown }).match, priority: 10, action: (snap.routes[1]!.raw as { action: RuleAction }).action });
    });

    it('refuses to overwrite another writer’s change unless forced, and still restores the other routes', async () => {
      const snap = await router().snapshot();
      const v = await router().setCanaryWeight(snap, 10, {});
      lattice.externalWrite(apiRule, { action: { forward: { targetGroups: [{ targetGroupIdentifier: analytics, weight: 1 }] } } });

      const error = await router().restore(snap, v).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConcurrentModificationError);
      expect(String(error)).toMatch(/1 of 3 route/);
      expect(lattice.content('default').action).toEqual((snap.routes[0]!.raw as { defaultAction: unknown }).defaultAction);

      await router().restore(snap, v, { force: true });
      expect(lattice.content(apiRule).action).toEqual((snap.routes[1]!.raw as { action: unknown }).action);
    });

    it('writes nothing for routes already in their snapshotted state', async () => {
      const snap = await router().snapshot();
      await router().restore(snap, {});
      expect(writes()).toBe(0);
    });
  });

  describe('verify', () => {
    it('reads every route back and reports a mismatch per route', async () => {
      const snap = await router().snapshot();
      await router().setCanaryWeight(snap, 25, {});
      expect(await router().verify(snap, 25)).toMatchObject({ supported: true, ok: true });

      lattice.externalWrite(legacyRule, { action: { forward: { targetGroups: [{ targetGroupIdentifier: stable, weight: 1 }] } } });
      const result = await router().verify(snap, 25);
      expect(result).toMatchObject({ supported: true, ok: false });
      expect(result.supported && result.routes.find((r) => r.key.endsWith(legacyRule))!.actual).toEqual([{ name: stable, weight: 1 }]);
      expect(lattice.mock.commandCalls(GetRuleCommand).length + lattice.mock.commandCalls(GetListenerCommand).length).toBeGreaterThan(0);
    });
  });
});
