import { parseSpec, SpecValidationError } from '../../../src/spec';

/** A Lambda alias spec whose canary is published from the pushed image. */
function lambdaSpec(target: Record<string, unknown>, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: 'user-service',
    router: { lambda: { function: 'user-service', alias: 'live' } },
    target,
    strategy: { steps: [10, 50, 100] },
    ...extra,
  };
}

function issues(spec: Record<string, unknown>): string[] {
  try {
    parseSpec(spec);
  } catch (error) {
    expect(error).toBeInstanceOf(SpecValidationError);
    return (error as Error).message.split('\n').slice(1).map((l) => l.trim());
  }
  throw new Error('expected the spec to be rejected');
}

describe('target.lambda in the rollout spec', () => {
  it('accepts a spec without target.canary when target.lambda publishes it, with an ECR trigger, and defaults readyTimeout', () => {
    const spec = parseSpec(lambdaSpec({ lambda: {} }, { triggers: { ecrRepository: 'user-service', tags: ['v*'] } }));
    expect(spec.target).toEqual({ lambda: { readyTimeout: 600 } });
  });

  it('refuses target.canary next to target.lambda: the published version is the canary', () => {
    expect(issues(lambdaSpec({ canary: '42', lambda: {} }))).toEqual(['target.canary: must be left out with target.lambda: the canary is the version published from the pushed image']);
  });

  it('refuses target.lambda without a Lambda router', () => {
    const spec = { ...lambdaSpec({ lambda: {} }), router: { appMesh: { mesh: 'm', virtualRouter: 'r' } } };
    expect(issues(spec)).toEqual(["target.lambda: publishes a version of the alias' function: router.lambda is required"]);
  });

  it('refuses target.ecs and target.lambda together', () => {
    const ecs = { cluster: 'c', primaryService: 'p', canaryService: 'q', container: 'app' };
    expect(issues(lambdaSpec({ lambda: {}, ecs }))).toContain('target.lambda: use either target.ecs or target.lambda, not both');
  });

  it('still requires target.canary without a workload that publishes it', () => {
    expect(issues(lambdaSpec({ stable: '41' }))).toEqual(['target.canary: is required (unless target.lambda publishes it from the pushed image)']);
  });
});
