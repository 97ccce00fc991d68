import { createRouter } from '../../src/routers';
import { configureDeps } from '../../src/rollouts/deps';
import { FakeLambda, lambdaServiceError, lambdaThrottled } from '../support/fake-lambda';
import { Harness, specInput } from './harness';

const ALIAS_KEY = 'lambda:arn:aws:lambda:eu-west-1:123456789012:function:user-service:live';
const DESCRIPTION = 'production traffic; owned by team-users';

function lambdaSpec(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  // specInput merges objects one level deep: the App Mesh router is replaced, not merged into.
  return { ...specInput({ target: { canary: '42', stable: '41' }, ...overrides }), router: { lambda: { function: 'user-service', alias: 'live' } } };
}

let h: Harness;
let lambda: FakeLambda;

beforeEach(() => {
  h = new Harness();
  lambda = new FakeLambda().addFunction('user-service', { versions: 42, alias: 'live', aliasVersion: '41', description: DESCRIPTION });
  configureDeps({ ...h.deps, routerFor: (spec) => createRouter(spec, { lambda: lambda.client }) });
});
afterEach(() => {
  h.close();
  lambda.restore();
});

/** The alias fields a rollout may change, as Lambda holds them now. */
function alias(): Record<string, unknown> {
  const { FunctionVersion, RoutingConfig, Description } = lambda.aliasState('user-service', 'live');
  return { FunctionVersion, RoutingConfig, Description };
}

const BEFORE = { FunctionVersion: '41', RoutingConfig: undefined, Description: DESCRIPTION };

describe('rollout state machine on a Lambda alias (real ASL, real handlers, fake Lambda)', () => {
  it('shifts 10 → 25 → 50 → 100 % of the invocations to version 42, then points the alias at it', async () => {
    const execution = h.start(lambdaSpec());
    const outcome = await execution.result;

    expect(outcome).toMatchObject({ status: 'SUCCEEDED' });
    expect(lambda.sharesWritten('42')).toEqual([10, 25, 50, 100, 100]);
    expect(lambda.inputs('UpdateAlias').slice(0, 4).map((i) => i.RoutingConfig)).toEqual([0.1, 0.25, 0.5, 1].map((w) => ({ AdditionalVersionWeights: { '42': w } })));
    expect(alias()).toEqual({ FunctionVersion: '42', RoutingConfig: undefined, Description: DESCRIPTION });
    expect(await h.store.getLock(ALIAS_KEY)).toBeUndefined();
    expect((await h.store.getRollout(execution.name))?.status).toBe('promoted');
  });

  it('restores the alias exactly when an alarm fires at step 2', async () => {
    lambda.onAliasUpdate = (a) => {
      if (a.RoutingConfig?.AdditionalVersionWeights?.['42'] === 0.25) h.alarms.set('user-service-5xx', 'ALARM', 'Threshold Crossed: 5xx > 1%');
    };
    const execution = h.start(lambdaSpec());
    const outcome = await execution.result;

    expect(outcome.status).toBe('FAILED');
    expect(h.statesEntered(execution)).toContain('Rollback');
    expect(lambda.sharesWritten('42')).toEqual([10, 25, 0]);
    expect(lambda.inputs('UpdateAlias').at(-1)).toMatchObject({ FunctionVersion: '41', Description: DESCRIPTION, RoutingConfig: { AdditionalVersionWeights: {} } });
    expect(alias()).toEqual(BEFORE);
    expect(await h.store.getLock(ALIAS_KEY)).toBeUndefined();
    expect((await h.store.getRollout(execution.name))?.outcome).toMatch(/step 2 \(25%\).*user-service-5xx in ALARM/);
  });

  it('retries throttled and failing Lambda calls and still promotes', async () => {
    lambda.failNext('GetAlias', lambdaThrottled());
    lambda.failNext('UpdateAlias', lambdaThrottled(), lambdaServiceError(), lambdaThrottled());
    const outcome = await h.start(lambdaSpec()).result;

    expect(outcome.status).toBe('SUCCEEDED');
    // Three refused writes, then every step and the promotion once more: nothing was applied twice.
    expect(lambda.inputs('UpdateAlias')).toHaveLength(3 + 5);
    expect(lambda.sharesWritten('42').slice(3)).toEqual([10, 25, 50, 100, 100]);
    expect(alias()).toMatchObject({ FunctionVersion: '42', RoutingConfig: undefined });
  });

  it('recognises a step write whose answer was lost as its own, and goes on', async () => {
    lambda.failNext('UpdateAlias', 'lost-answer');
    const outcome = await h.start(lambdaSpec()).result;

    expect(outcome.status).toBe('SUCCEEDED');
    // The lost write took effect: the retried step found 10 % in place and did not write again.
    expect(lambda.sharesWritten('42')).toEqual([10, 25, 50, 100, 100]);
  });

  it('does not overwrite another writer: the rollback fails loudly and the lock stays flagged', async () => {
    // Someone points the alias at version 40 by hand while step 1 bakes.
    lambda.onCall = (command) => {
      if (command === 'GetAlias' && lambda.aliasState('user-service', 'live').RoutingConfig?.AdditionalVersionWeights?.['42'] === 0.1) {
        lambda.onCall = () => undefined;
        lambda.externalWrite('user-service', 'live', { FunctionVersion: '40', RoutingConfig: undefined });
      }
    };
    const execution = h.start(lambdaSpec());
    const outcome = await execution.result;

    expect(outcome.status).toBe('FAILED');
    expect(h.statesEntered(execution)).toEqual(expect.arrayContaining(['Rollback', 'RollbackFailed']));
    expect(alias()).toMatchObject({ FunctionVersion: '40' });
    expect((await h.store.getLock(ALIAS_KEY))?.needsAttention).toMatch(/ConcurrentModificationError/);
  });

  it('refuses at Prepare a canary version that does not exist, naming it, and writes nothing', async () => {
    const execution = h.start(lambdaSpec({ target: { canary: '43', stable: '41' } }));
    const outcome = await execution.result;

    expect(outcome.status).toBe('FAILED');
    expect(h.statesEntered(execution)).not.toContain('Step');
    expect(JSON.stringify(outcome)).toMatch(/version 43 of function \\"user-service\\" not found/);
    expect(lambda.inputs('UpdateAlias')).toHaveLength(0);
  });
});
