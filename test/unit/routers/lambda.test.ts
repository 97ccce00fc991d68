import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AliasConfiguration, FunctionConfiguration, UpdateAliasCommandInput } from '@aws-sdk/client-lambda';
import { LambdaAliasRouter } from '../../../src/routers/lambda';
import type { RouterSnapshot } from '../../../src/routers/port';
import { ConcurrentModificationError, ConfigurationError, ResourceNotFoundError, TransientError, UnsupportedError } from '../../../src/shared/errors';
import { FakeLambda, lambdaServiceError, lambdaThrottled } from '../../support/fake-lambda';

const CONFIG = { function: 'user-service', alias: 'live' };
const VERSIONS = { stable: '41', canary: '42' };
const KEY = 'lambda:arn:aws:lambda:eu-west-1:123456789012:function:user-service:live';

function fixture<T>(name: string): T {
  return JSON.parse(readFileSync(join(__dirname, '../../fixtures/lambda', `${name}.json`), 'utf8')) as T;
}

let lambda: FakeLambda;

/** A function with versions 1..42 and the alias of the fixture (version 41, a description, no split). */
function world(alias = fixture<AliasConfiguration>('alias-live')): FakeLambda {
  const fake = new FakeLambda().addFunction('user-service', { versions: 42 });
  const fn = fake.functions.get('user-service')!;
  fn.aliases.set('live', alias);
  fn.versions.set('42', fixture<FunctionConfiguration>('function-configuration-v42'));
  return fake;
}

function router(versions: { stable?: string; canary?: string } = VERSIONS): LambdaAliasRouter {
  return new LambdaAliasRouter(CONFIG, versions, lambda.client);
}

function updates(): UpdateAliasCommandInput[] {
  return lambda.inputs('UpdateAlias') as unknown as UpdateAliasCommandInput[];
}

/** The alias fields a rollout may change, as Lambda holds them now. */
function aliasContent(): Pick<AliasConfiguration, 'FunctionVersion' | 'RoutingConfig' | 'Description'> {
  const { FunctionVersion, RoutingConfig, Description } = lambda.aliasState('user-service', 'live');
  return { FunctionVersion, RoutingConfig, Description };
}

afterEach(() => lambda?.restore());

describe('LambdaAliasRouter', () => {
  describe('constructor', () => {
    it('refuses $LATEST as the canary: only a published version can get a share of an alias', () => {
      lambda = world();
      expect(() => router({ canary: '$LATEST' })).toThrow(/target.canary "\$LATEST" is not a published version.*publish a version/);
    });

    it('refuses a canary equal to the stable version', () => {
      lambda = world();
      expect(() => router({ stable: '41', canary: '41' })).toThrow(ConfigurationError);
    });
  });

  describe('snapshot', () => {
    it('keeps the alias verbatim, keyed by its ARN, versioned by its RevisionId, and writes nothing', async () => {
      lambda = world();
      const snapshot = await router().snapshot();
      expect(snapshot).toMatchObject({ kind: 'lambda', stable: '41', canary: '42' });
      expect(snapshot.routes).toEqual([
        { key: KEY, name: 'user-service:live', version: '8f0c6a52-3c1e-4d2b-9e7a-5b1f0d2c4a61', targets: [{ name: '41', weight: 100 }], raw: fixture('alias-live') },
      ]);
      expect(updates()).toHaveLength(0);
    });

    it("takes the alias' FunctionVersion as stable when target.stable is absent", async () => {
      lambda = world();
      const snapshot = await router({ canary: '42' }).snapshot();
      expect(snapshot.stable).toBe('41');
    });

    it.each([
      ['the function', () => lambda.functions.delete('user-service'), /function "user-service" not found/],
      ['the alias', () => lambda.functions.get('user-service')!.aliases.delete('live'), /alias "live" of function "user-service" not found/],
      ['the canary version', () => lambda.functions.get('user-service')!.versions.delete('42'), /version 42 of function "user-service" not found/],
    ])('names %s when it does not exist, and writes nothing', async (_what, remove, message) => {
      lambda = world();
      remove();
      const error = await router().snapshot().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ResourceNotFoundError);
      expect((error as Error).message).toMatch(message);
      expect(updates()).toHaveLength(0);
    });

    it.each([
      ['execution role', { Role: 'arn:aws:iam::123456789012:role/user-service-lambda-v2' }, /execution role .*user-service-lambda.*user-service-lambda-v2/],
      ['dead-letter queue', { DeadLetterConfig: { TargetArn: 'arn:aws:sqs:eu-west-1:123456789012:user-service-dlq' } }, /dead-letter queue .*none.*user-service-dlq/],
    ])('refuses a canary version whose %s differs from the stable version’s (UpdateAlias would refuse the split), and writes nothing', async (_what, change, message) => {
      lambda = world();
      const v42 = lambda.functions.get('user-service')!.versions.get('42')!;
      Object.assign(v42, change);

      const error = await router().snapshot().catch((e: unknown) => e);

      expect(error).toBeInstanceOf(ConfigurationError);
      expect((error as Error).message).toMatch(message);
      expect((error as Error).message).toMatch(/version 41 .* version 42|versions 41 and 42/);
      expect(updates()).toHaveLength(0);
    });

    it('reads the configuration of both the stable and the canary version', async () => {
      lambda = world();
      await router().snapshot();
      expect(lambda.inputs('GetFunctionConfiguration').map((i) => (i as { Qualifier?: string }).Qualifier)).toEqual(expect.arrayContaining(['41', '42']));
    });

    it('refuses an alias that already splits to a third version', async () => {
      lambda = world(fixture('alias-live-split-third-version'));
      await expect(router().snapshot()).rejects.toThrow(UnsupportedError);
      await expect(router().snapshot()).rejects.toThrow(/third version \(version 41 \+ version 40 at 5%\)/);
      expect(updates()).toHaveLength(0);
    });

    it('refuses an alias that still carries the canary of an earlier rollout', async () => {
      lambda = world({ ...fixture<AliasConfiguration>('alias-live'), RoutingConfig: { AdditionalVersionWeights: { '42': 0.25 } } });
      await expect(router().snapshot()).rejects.toThrow(/already sends 25% to the canary version 42/);
    });

    it('refuses an alias on $LATEST: traffic can only be split from a published version', async () => {
      lambda = world({ ...fixture<AliasConfiguration>('alias-live'), FunctionVersion: '$LATEST' });
      await expect(router({ canary: '42' }).snapshot()).rejects.toThrow(/points at version "\$LATEST"; traffic can only be split from a published version/);
    });

    it('takes an alias whose RoutingConfig holds an empty map as unsplit, and restores it as it was', async () => {
      lambda = world({ ...fixture<AliasConfiguration>('alias-live'), RoutingConfig: { AdditionalVersionWeights: {} } });
      const snapshot = await router().snapshot();
      const versions = await router().setCanaryWeight(snapshot, 10, { [KEY]: snapshot.routes[0]!.version });
      await router().restore(snapshot, versions);
      expect(updates().at(-1)).toMatchObject({ FunctionVersion: '41', RoutingConfig: { AdditionalVersionWeights: {} }, Description: 'production traffic; owned by team-users' });
    });

    it('refuses a canary that is the version the alias points at', async () => {
      lambda = world();
      await expect(router({ canary: '41' }).snapshot()).rejects.toThrow(/target.canary 41 is the version .* already points at/);
    });

    it('refuses an alias that points at another version than target.stable', async () => {
      lambda = world();
      await expect(router({ stable: '40', canary: '42' }).snapshot()).rejects.toThrow(/points at version 41, not at target.stable 40/);
    });

    it('maps throttling to TransientError', async () => {
      lambda = world();
      lambda.failNext('GetAlias', lambdaThrottled());
      await expect(router().snapshot()).rejects.toThrow(TransientError);
    });
  });

  describe('setCanaryWeight', () => {
    it.each([1, 5, 10, 25, 33, 50, 99, 100])('gives the canary exactly %i/100 of the invocations and keeps FunctionVersion and Description', async (weight) => {
      lambda = world();
      const snapshot = await router().snapshot();
      const versions = await router().setCanaryWeight(snapshot, weight, { [KEY]: snapshot.routes[0]!.version });
      expect(updates()).toEqual([
        {
          FunctionName: 'user-service',
          Name: 'live',
          FunctionVersion: '41',
          Description: 'production traffic; owned by team-users',
          RoutingConfig: { AdditionalVersionWeights: { '42': weight / 100 } },
          RevisionId: snapshot.routes[0]!.version,
        },
      ]);
      expect(versions).toEqual({ [KEY]: lambda.aliasState('user-service', 'live').RevisionId });
    });

    it('writes absolute weights: each step replaces the share, never adds to it', async () => {
      lambda = world();
      const snapshot = await router().snapshot();
      let versions: Record<string, string> = { [KEY]: snapshot.routes[0]!.version };
      for (const w of [10, 25, 50]) versions = await router().setCanaryWeight(snapshot, w, versions);
      expect(lambda.sharesWritten('42')).toEqual([10, 25, 50]);
      expect(aliasContent().RoutingConfig).toEqual({ AdditionalVersionWeights: { '42': 0.5 } });
    });

    it('does not write when the alias already holds the weight (a retried step)', async () => {
      lambda = world();
      const snapshot = await router().snapshot();
      const first = await router().setCanaryWeight(snapshot, 10, { [KEY]: snapshot.routes[0]!.version });
      // The Task failed after its write: the state still holds the snapshot's RevisionId.
      const again = await router().setCanaryWeight(snapshot, 10, { [KEY]: snapshot.routes[0]!.version });
      expect(again).toEqual(first);
      expect(updates()).toHaveLength(1);
    });

    it('refuses to overwrite an alias another writer changed since our last write', async () => {
      lambda = world();
      const snapshot = await router().snapshot();
      lambda.externalWrite('user-service', 'live', { Description: 'changed by hand' });
      await expect(router().setCanaryWeight(snapshot, 10, { [KEY]: snapshot.routes[0]!.version })).rejects.toThrow(ConcurrentModificationError);
      expect(updates()).toHaveLength(0);
    });

    it("turns Lambda's PreconditionFailedException into ConcurrentModificationError when another writer moved between our read and our write", async () => {
      lambda = world();
      const snapshot = await router().snapshot();
      // Another writer gets in right after our GetAlias.
      let raced = false;
      lambda.onCall = (command) => {
        if (command === 'UpdateAlias' && !raced) {
          raced = true;
          lambda.externalWrite('user-service', 'live', { FunctionVersion: '40' });
        }
      };
      const error = await router().setCanaryWeight(snapshot, 10, { [KEY]: snapshot.routes[0]!.version }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConcurrentModificationError);
      expect((error as Error).message).toMatch(/changed by another writer while we wrote it: it now holds version 40/);
      expect(aliasContent().FunctionVersion).toBe('40');
    });

    it('recognises its own write whose answer was lost (the retry saw PreconditionFailed, the alias holds our content)', async () => {
      lambda = world();
      const snapshot = await router().snapshot();
      lambda.failNext('UpdateAlias', 'applied-then-precondition');
      const versions = await router().setCanaryWeight(snapshot, 25, { [KEY]: snapshot.routes[0]!.version });
      expect(versions).toEqual({ [KEY]: lambda.aliasState('user-service', 'live').RevisionId });
      expect(aliasContent().RoutingConfig).toEqual({ AdditionalVersionWeights: { '42': 0.25 } });
    });

    it.each([
      ['TooManyRequestsException', lambdaThrottled],
      ['ServiceException', lambdaServiceError],
    ])('maps %s on UpdateAlias to TransientError and leaves the alias as it was', async (_name, make) => {
      lambda = world();
      const snapshot = await router().snapshot();
      lambda.failNext('UpdateAlias', make());
      await expect(router().setCanaryWeight(snapshot, 10, { [KEY]: snapshot.routes[0]!.version })).rejects.toThrow(TransientError);
      expect(aliasContent()).toEqual({ FunctionVersion: '41', Description: 'production traffic; owned by team-users' });
    });

    it('refuses a snapshot whose canary was never published', async () => {
      lambda = world();
      const snapshot = await router({ canary: undefined }).snapshot();
      expect(snapshot.canary).toBe('');
      await expect(router({}).setCanaryWeight(snapshot, 10, {})).rejects.toThrow(/canary "" is not a published version/);
      expect(updates()).toHaveLength(0);
    });
  });

  describe('promote', () => {
    it('points the alias at the canary with no routing config, keeping the Description', async () => {
      lambda = world();
      const snapshot = await router().snapshot();
      const v1 = await router().setCanaryWeight(snapshot, 50, { [KEY]: snapshot.routes[0]!.version });
      await router().promote(snapshot, v1);
      expect(updates()[1]).toMatchObject({ FunctionVersion: '42', RoutingConfig: { AdditionalVersionWeights: {} }, Description: 'production traffic; owned by team-users', RevisionId: v1[KEY] });
      expect(aliasContent()).toEqual({ FunctionVersion: '42', Description: 'production traffic; owned by team-users' });
    });
  });

  describe('restore', () => {
    async function shifted(weight: number): Promise<{ snapshot: RouterSnapshot; versions: Record<string, string> }> {
      const snapshot = await router().snapshot();
      const versions = await router().setCanaryWeight(snapshot, weight, { [KEY]: snapshot.routes[0]!.version });
      return { snapshot, versions };
    }

    it('writes FunctionVersion, RoutingConfig and Description back exactly as snapshotted', async () => {
      lambda = world();
      const { snapshot, versions } = await shifted(25);
      await router().restore(snapshot, versions);
      const { RevisionId: _before, ...before } = fixture<AliasConfiguration>('alias-live');
      const { RevisionId: _after, ...after } = lambda.aliasState('user-service', 'live');
      expect(after).toEqual(before);
    });

    it('does not write when the alias is already as snapshotted (a retried rollback)', async () => {
      lambda = world();
      const snapshot = await router().snapshot();
      await router().restore(snapshot, { [KEY]: snapshot.routes[0]!.version });
      expect(updates()).toHaveLength(0);
    });

    it('restores over its own write whose new RevisionId was never recorded', async () => {
      lambda = world();
      const snapshot = await router().snapshot();
      await router().setCanaryWeight(snapshot, 10, { [KEY]: snapshot.routes[0]!.version });
      // The state machine still believes in the snapshot's RevisionId.
      await router().restore(snapshot, { [KEY]: snapshot.routes[0]!.version });
      expect(aliasContent()).toEqual({ FunctionVersion: '41', Description: 'production traffic; owned by team-users' });
    });

    it("refuses to overwrite another writer's change, unless forced", async () => {
      lambda = world();
      const { snapshot, versions } = await shifted(10);
      lambda.externalWrite('user-service', 'live', { RoutingConfig: { AdditionalVersionWeights: { '40': 0.1 } } });
      await expect(router().restore(snapshot, versions)).rejects.toThrow(ConcurrentModificationError);
      expect(aliasContent().RoutingConfig).toEqual({ AdditionalVersionWeights: { '40': 0.1 } });
      await router().restore(snapshot, versions, { force: true });
      expect(aliasContent()).toEqual({ FunctionVersion: '41', Description: 'production traffic; owned by team-users' });
    });

    it('restores a snapshot whose canary was never published (a deploy that failed before any traffic moved)', async () => {
      lambda = world();
      const snapshot = await router({}).snapshot();
      await expect(router({}).restore(snapshot, { [KEY]: snapshot.routes[0]!.version })).resolves.toEqual({ [KEY]: snapshot.routes[0]!.version });
    });
  });

  describe('verify', () => {
    it('reports ok when the alias holds the weight, comparing doubles within a tolerance', async () => {
      lambda = world();
      const snapshot = await router().snapshot();
      lambda.externalWrite('user-service', 'live', { RoutingConfig: { AdditionalVersionWeights: { '42': 0.1 + 0.2 - 0.2 + 1e-12 } } });
      const result = await router().verify(snapshot, 10);
      expect(result).toEqual({
        supported: true,
        ok: true,
        routes: [{ key: KEY, expected: [{ name: '41', weight: 90 }, { name: '42', weight: 10 }], actual: [{ name: '41', weight: 90 }, { name: '42', weight: 10 }] }],
      });
    });

    it('reports not ok, with the actual split, when the weight differs', async () => {
      lambda = world();
      const snapshot = await router().snapshot();
      lambda.externalWrite('user-service', 'live', { RoutingConfig: { AdditionalVersionWeights: { '42': 0.125 } } });
      const result = await router().verify(snapshot, 10);
      expect(result).toMatchObject({ supported: true, ok: false, routes: [{ actual: [{ name: '41', weight: 87.5 }, { name: '42', weight: 12.5 }] }] });
    });
  });
});
