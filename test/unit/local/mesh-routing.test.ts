import { LocalMesh, LocalMeshError, MeshStats, SmoothWeightedRoundRobin, type MeshRequest, type RouteSpec, type WeightedTarget } from '../../../src/local/mesh';
import { FaultSchedule } from '../../../src/local/sample-service';

const NODES = { 'svc-v1': 'http://127.0.0.1:1', 'svc-v2': 'http://127.0.0.1:2', 'svc-v3': 'http://127.0.0.1:3' };

function mesh(): LocalMesh {
  return new LocalMesh({ virtualRouter: 'svc-router', nodes: NODES });
}

function http(match: NonNullable<RouteSpec['httpRoute']>['match'], targets: WeightedTarget[] = [{ virtualNode: 'svc-v1', weight: 100 }], priority?: number): RouteSpec {
  return { ...(priority === undefined ? {} : { priority }), httpRoute: { match, action: { weightedTargets: targets } } };
}

function req(url: string, headers: Record<string, string> = {}, method = 'GET'): MeshRequest {
  return { method, url, headers };
}

/** A mesh with a single route; returns whether the request matches it. */
function matches(match: NonNullable<RouteSpec['httpRoute']>['match'], request: MeshRequest): boolean {
  const m = mesh();
  m.createRoute('r', http(match));
  return m.resolve(request) !== undefined;
}

function picks(m: LocalMesh, n: number, request = req('/')): Record<string, number> {
  const counts: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const target = m.resolve(request)?.target ?? 'none';
    counts[target] = (counts[target] ?? 0) + 1;
  }
  return counts;
}

function rejection(fn: () => unknown): LocalMeshError {
  try {
    fn();
  } catch (err) {
    if (err instanceof LocalMeshError) return err;
    throw err;
  }
  throw new Error('expected a LocalMeshError');
}

describe('LocalMesh', () => {
  describe('matching', () => {
    it('matches a prefix as a plain string prefix of the request target', () => {
      expect(matches({ prefix: '/api' }, req('/api/users'))).toBe(true);
      expect(matches({ prefix: '/api' }, req('/apix'))).toBe(true);
      expect(matches({ prefix: '/api' }, req('/web'))).toBe(false);
      expect(matches({ prefix: '/' }, req('/anything?x=1'))).toBe(true);
    });

    it('matches an exact path without its query string', () => {
      expect(matches({ path: { exact: '/login' } }, req('/login?next=/home'))).toBe(true);
      expect(matches({ path: { exact: '/login' } }, req('/login/'))).toBe(false);
    });

    it('matches a path regex against the whole path', () => {
      expect(matches({ path: { regex: '/users/[0-9]+' } }, req('/users/42'))).toBe(true);
      expect(matches({ path: { regex: '/users/[0-9]+' } }, req('/users/42/orders'))).toBe(false);
    });

    it('matches the method', () => {
      expect(matches({ prefix: '/', method: 'POST' }, req('/', {}, 'post'))).toBe(true);
      expect(matches({ prefix: '/', method: 'POST' }, req('/', {}, 'GET'))).toBe(false);
    });

    it.each([
      ['exact', { exact: 'beta' }, 'beta', 'betamax'],
      ['prefix', { prefix: 'be' }, 'beta', 'alpha'],
      ['suffix', { suffix: 'ta' }, 'beta', 'beto'],
      ['regex', { regex: 'b[a-z]+a' }, 'beta', 'xbetax'],
      ['range (end exclusive)', { range: { start: 10, end: 20 } }, '19', '20'],
      ['present', { present: true }, '', undefined],
    ])('matches a header by %s', (_kind, match, good, bad) => {
      const spec = { prefix: '/', headers: [{ name: 'X-Cohort', match }] };
      expect(matches(spec, req('/', { 'x-cohort': good }))).toBe(true);
      expect(matches(spec, req('/', bad === undefined ? {} : { 'x-cohort': bad }))).toBe(false);
    });

    it('treats a header without match as a presence check, as App Mesh does', () => {
      const spec = { prefix: '/', headers: [{ name: 'x-canary' }] };
      expect(matches(spec, req('/', { 'x-canary': 'anything' }))).toBe(true);
      expect(matches(spec, req('/'))).toBe(false);
    });

    it('does not match a range against a non-integer value', () => {
      expect(matches({ prefix: '/', headers: [{ name: 'x-n', match: { range: { start: 0, end: 100 } } }] }, req('/', { 'x-n': '5.5' }))).toBe(false);
    });

    it('inverts a header condition, which then also holds when the header is absent', () => {
      const spec = { prefix: '/', headers: [{ name: 'x-cohort', invert: true, match: { exact: 'beta' } }] };
      expect(matches(spec, req('/', { 'x-cohort': 'beta' }))).toBe(false);
      expect(matches(spec, req('/', { 'x-cohort': 'alpha' }))).toBe(true);
      expect(matches(spec, req('/'))).toBe(true);
    });

    it('matches query parameters exactly or by presence', () => {
      expect(matches({ prefix: '/', queryParameters: [{ name: 'v', match: { exact: '2' } }] }, req('/?a=1&v=2'))).toBe(true);
      expect(matches({ prefix: '/', queryParameters: [{ name: 'v', match: { exact: '2' } }] }, req('/?v=3'))).toBe(false);
      expect(matches({ prefix: '/', queryParameters: [{ name: 'debug' }] }, req('/?debug'))).toBe(true);
    });

    it('requires every condition of a match', () => {
      const spec = { prefix: '/api', method: 'GET', headers: [{ name: 'x-cohort', match: { exact: 'beta' } }] };
      expect(matches(spec, req('/api', { 'x-cohort': 'beta' }))).toBe(true);
      expect(matches(spec, req('/api', { 'x-cohort': 'beta' }, 'PUT'))).toBe(false);
    });

    it('evaluates routes by priority, then routes without priority, ties by name', () => {
      const m = mesh();
      m.createRoute('z-catch-all', http({ prefix: '/' }, [{ virtualNode: 'svc-v1', weight: 1 }]));
      m.createRoute('b-no-priority', http({ prefix: '/api' }, [{ virtualNode: 'svc-v2', weight: 1 }]));
      m.createRoute('a-low', http({ prefix: '/api' }, [{ virtualNode: 'svc-v3', weight: 1 }], 50));
      m.createRoute('c-high', http({ prefix: '/' }, [{ virtualNode: 'svc-v2', weight: 1 }], 900));
      expect(m.listRoutes()).toEqual(['a-low', 'c-high', 'b-no-priority', 'z-catch-all']);
      expect(m.resolve(req('/api/x'))).toEqual({ route: 'a-low', target: 'svc-v3' });
      expect(m.resolve(req('/web'))).toEqual({ route: 'c-high', target: 'svc-v2' });
    });

    it('resolves nothing when no route matches', () => {
      const m = mesh();
      m.createRoute('api', http({ prefix: '/api' }));
      expect(m.resolve(req('/web'))).toBeUndefined();
    });

    it('lets a tcpRoute take every request', () => {
      const m = mesh();
      m.createRoute('tcp', { tcpRoute: { action: { weightedTargets: [{ virtualNode: 'svc-v2', weight: 1 }] } } });
      expect(m.resolve(req('/whatever', {}, 'DELETE'))?.target).toBe('svc-v2');
    });

    it('matches a grpcRoute by service and method', () => {
      const m = mesh();
      m.createRoute('grpc', { grpcRoute: { match: { serviceName: 'users.Users', methodName: 'Get' }, action: { weightedTargets: [{ virtualNode: 'svc-v1', weight: 1 }] } } });
      expect(m.resolve(req('/users.Users/Get', {}, 'POST'))).toBeDefined();
      expect(m.resolve(req('/users.Users/List', {}, 'POST'))).toBeUndefined();
    });
  });

  describe('smooth weighted round-robin', () => {
    it('gives exactly 10/90 over 100 picks', () => {
      const m = mesh();
      m.createRoute('r', http({ prefix: '/' }, [{ virtualNode: 'svc-v1', weight: 90 }, { virtualNode: 'svc-v2', weight: 10 }]));
      expect(picks(m, 100)).toEqual({ 'svc-v1': 90, 'svc-v2': 10 });
    });

    it('gives exactly 33/67 over 300 picks', () => {
      const m = mesh();
      m.createRoute('r', http({ prefix: '/' }, [{ virtualNode: 'svc-v1', weight: 67 }, { virtualNode: 'svc-v2', weight: 33 }]));
      expect(picks(m, 300)).toEqual({ 'svc-v1': 201, 'svc-v2': 99 });
    });

    it('spreads the minority target out instead of sending it in a burst', () => {
      const wrr = new SmoothWeightedRoundRobin([{ virtualNode: 'a', weight: 80 }, { virtualNode: 'b', weight: 20 }]);
      const sequence = Array.from({ length: 100 }, () => wrr.next());
      const positions = sequence.flatMap((t, i) => (t === 'b' ? [i] : []));
      const gaps = positions.slice(1).map((p, i) => p - (positions[i] ?? 0));
      expect(positions).toHaveLength(20);
      expect(gaps.every((g) => g === 5)).toBe(true);
    });

    it('never picks a zero-weight target', () => {
      const m = mesh();
      m.createRoute('r', http({ prefix: '/' }, [{ virtualNode: 'svc-v1', weight: 0 }, { virtualNode: 'svc-v2', weight: 100 }]));
      expect(picks(m, 50)).toEqual({ 'svc-v2': 50 });
    });

    it('restarts with the new shares as soon as the targets change', () => {
      const m = mesh();
      m.createRoute('r', http({ prefix: '/' }, [{ virtualNode: 'svc-v1', weight: 50 }, { virtualNode: 'svc-v2', weight: 50 }]));
      picks(m, 7);
      m.updateRoute('r', http({ prefix: '/' }, [{ virtualNode: 'svc-v1', weight: 75 }, { virtualNode: 'svc-v2', weight: 25 }]));
      expect(picks(m, 100)).toEqual({ 'svc-v1': 75, 'svc-v2': 25 });
    });
  });

  describe('updateRoute', () => {
    it('increments the version and returns the new description', () => {
      const m = mesh();
      expect(m.createRoute('r', http({ prefix: '/' })).metadata.version).toBe(1);
      const updated = m.updateRoute('r', http({ prefix: '/' }, [{ virtualNode: 'svc-v2', weight: 100 }]));
      expect(updated.metadata.version).toBe(2);
      expect(updated.spec.httpRoute?.action.weightedTargets).toEqual([{ virtualNode: 'svc-v2', weight: 100 }]);
      expect(m.describeRoute('r').metadata.version).toBe(2);
    });

    it('keeps every field of the spec it was given', () => {
      const m = mesh();
      const spec: RouteSpec = {
        priority: 7,
        httpRoute: {
          match: { prefix: '/', headers: [{ name: 'x-a', invert: true, match: { exact: '1' } }] },
          action: { weightedTargets: [{ virtualNode: 'svc-v1', weight: 100, port: 8080 }] },
          retryPolicy: { maxRetries: 2, perRetryTimeout: { unit: 'ms', value: 250 }, httpRetryEvents: ['server-error'] },
          timeout: { perRequest: { unit: 's', value: 5 } },
        },
      };
      m.createRoute('r', spec);
      expect(m.describeRoute('r').spec).toEqual(spec);
    });

    it.each<[string, unknown, RegExp]>([
      ['no route kind', {}, /exactly one of httpRoute, http2Route, grpcRoute, tcpRoute; found none/],
      ['two route kinds', { httpRoute: {}, tcpRoute: {} }, /found httpRoute, tcpRoute/],
      ['no targets', http({ prefix: '/' }, []), /spec\.httpRoute\.action\.weightedTargets must hold 1-10 targets; got 0/],
      ['eleven targets', http({ prefix: '/' }, Array.from({ length: 11 }, () => ({ virtualNode: 'svc-v1', weight: 1 }))), /must hold 1-10 targets; got 11/],
      ['a weight above 100', http({ prefix: '/' }, [{ virtualNode: 'svc-v1', weight: 150 }]), /weightedTargets\[0\]\.weight must be an integer 0-100; got 150/],
      ['a fractional weight', http({ prefix: '/' }, [{ virtualNode: 'svc-v1', weight: 50 }, { virtualNode: 'svc-v2', weight: 49.5 }]), /weightedTargets\[1\]\.weight must be an integer 0-100; got 49.5/],
      ['weights summing to 0', http({ prefix: '/' }, [{ virtualNode: 'svc-v1', weight: 0 }]), /weights sum to 0/],
      ['a priority above 1000', http({ prefix: '/' }, undefined, 1001), /spec\.priority must be an integer 0-1000/],
      ['an invalid regex', http({ path: { regex: '(' } }), /spec\.httpRoute\.match\.path\.regex is not a valid regular expression/],
      ['no prefix or path', http({ method: 'GET' }), /spec\.httpRoute\.match must specify prefix or path/],
      ['an empty range', http({ prefix: '/', headers: [{ name: 'x', match: { range: { start: 5, end: 5 } } }] }), /headers\[0\]\.match\.range: start \(5\) must be below end/],
    ])('rejects %s as BadRequestException naming the field', (_case, spec, message) => {
      const m = mesh();
      m.createRoute('r', http({ prefix: '/' }));
      const err = rejection(() => m.updateRoute('r', spec as RouteSpec));
      expect(err.code).toBe('BadRequestException');
      expect(err.message).toMatch(message);
    });

    it('rejects an unknown virtual node as NotFoundException naming it', () => {
      const m = mesh();
      m.createRoute('r', http({ prefix: '/' }));
      const err = rejection(() => m.updateRoute('r', http({ prefix: '/' }, [{ virtualNode: 'svc-v9', weight: 100 }])));
      expect(err.code).toBe('NotFoundException');
      expect(err.message).toContain('svc-v9');
    });

    it('rejects an unknown route as NotFoundException naming it', () => {
      const err = rejection(() => mesh().updateRoute('missing-route', http({ prefix: '/' })));
      expect(err.code).toBe('NotFoundException');
      expect(err.message).toContain('missing-route');
      expect(err.message).toContain('svc-router');
    });

    it('leaves the installed route untouched when a spec is rejected', () => {
      const m = mesh();
      m.createRoute('r', http({ prefix: '/' }));
      rejection(() => m.updateRoute('r', http({ prefix: '/' }, [{ virtualNode: 'svc-v1', weight: 101 }])));
      expect(m.describeRoute('r').metadata.version).toBe(1);
      expect(m.resolve(req('/'))?.target).toBe('svc-v1');
    });

    it('refuses to create a route twice', () => {
      const m = mesh();
      m.createRoute('r', http({ prefix: '/' }));
      expect(rejection(() => m.createRoute('r', http({ prefix: '/' }))).code).toBe('ConflictException');
    });
  });

  describe('addNode', () => {
    it('lets forwards name a node added after the mesh was built, and refuses to rebind a name', () => {
      const m = mesh();
      expect(() => m.setForwarding('fwd', { prefix: '/', priority: 1 }, [{ node: 'svc-v4', weight: 1 }])).toThrow(/svc-v4 is not a node/);

      m.addNode('svc-v4', 'http://127.0.0.1:4');
      m.setForwarding('fwd', { prefix: '/', priority: 1 }, [{ node: 'svc-v1', weight: 1 }, { node: 'svc-v4', weight: 3 }]);

      expect(picks(m, 400)).toEqual({ 'svc-v1': 100, 'svc-v4': 300 });
      expect(rejection(() => m.addNode('svc-v4', 'http://127.0.0.1:5')).code).toBe('ConflictException');
    });
  });

  describe('describeRoute', () => {
    it('returns a deep clone that cannot change the installed route', () => {
      const m = mesh();
      m.createRoute('r', http({ prefix: '/' }));
      const described = m.describeRoute('r');
      const target = described.spec.httpRoute?.action.weightedTargets[0];
      if (target) target.virtualNode = 'svc-v2';
      described.metadata.lastUpdatedAt.setFullYear(1999);
      expect(m.describeRoute('r').spec.httpRoute?.action.weightedTargets[0]?.virtualNode).toBe('svc-v1');
      expect(m.describeRoute('r').metadata.lastUpdatedAt.getFullYear()).not.toBe(1999);
      expect(m.resolve(req('/'))?.target).toBe('svc-v1');
    });

    it('is not affected by later changes to the spec object passed in', () => {
      const m = mesh();
      const spec = http({ prefix: '/' });
      m.createRoute('r', spec);
      spec.httpRoute!.action.weightedTargets[0]!.weight = 0;
      expect(m.describeRoute('r').spec.httpRoute?.action.weightedTargets[0]?.weight).toBe(100);
    });
  });
});

describe('MeshStats', () => {
  it('aggregates a window per target', () => {
    const stats = new MeshStats();
    for (let i = 1; i <= 100; i++) stats.record({ at: 1_000 + i, route: 'r', target: 'a', status: i <= 5 ? 503 : 200, latencyMs: i });
    stats.record({ at: 5_000, route: 'r', target: 'b', status: 200, latencyMs: 1 });
    const window = stats.window(1_000, 2_000);
    expect(window).toEqual({ a: { requests: 100, errors: 5, errorRate: 0.05, p50: 50, p99: 99, rps: 100 } });
    expect(stats.total()).toEqual({ requests: 101, byTarget: { a: 100, b: 1 }, byStatus: { '200': 96, '503': 5 }, unmatched: 0 });
  });

  it('keeps only the newest records but counts every one', () => {
    const stats = new MeshStats(3);
    for (let i = 0; i < 5; i++) stats.record({ at: i, route: 'r', target: 'a', status: 200, latencyMs: 1 });
    expect(stats.since(0).map((r) => r.at)).toEqual([2, 3, 4]);
    expect(stats.total().requests).toBe(5);
  });
});

describe('FaultSchedule', () => {
  it('fails exactly the rate, spread one per block, reproducibly', () => {
    const schedule = new FaultSchedule(0.2, 42);
    const outcomes = Array.from({ length: 100 }, () => schedule.next());
    expect(outcomes.filter(Boolean)).toHaveLength(20);
    for (let block = 0; block < 20; block++) expect(outcomes.slice(block * 5, block * 5 + 5).filter(Boolean)).toHaveLength(1);
    const again = new FaultSchedule(0.2, 42);
    expect(Array.from({ length: 100 }, () => again.next())).toEqual(outcomes);
  });

  it('handles rates above one half', () => {
    const schedule = new FaultSchedule(0.75, 7);
    expect(Array.from({ length: 400 }, () => schedule.next()).filter(Boolean)).toHaveLength(300);
  });
});
