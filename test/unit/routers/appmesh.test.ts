import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  AppMeshClient,
  BadRequestException,
  ConflictException,
  DescribeRouteCommand,
  DescribeVirtualNodeCommand,
  DescribeVirtualRouterCommand,
  ForbiddenException,
  ListRoutesCommand,
  NotFoundException,
  TooManyRequestsException,
  UpdateRouteCommand,
  type DescribeRouteCommandInput,
  type RouteData,
  type RouteSpec,
  type UpdateRouteCommandInput,
  type VirtualNodeData,
  type VirtualRouterData,
  type WeightedTarget,
} from '@aws-sdk/client-app-mesh';
import { mockClient } from 'aws-sdk-client-mock';
import { AppMeshRouter } from '../../../src/routers/appmesh';
import type { RouterSnapshot } from '../../../src/routers/port';
import {
  ConcurrentModificationError,
  ConfigurationError,
  ResourceNotFoundError,
  TransientError,
  UnsupportedError,
} from '../../../src/shared/errors';

const appMesh = mockClient(AppMeshClient);

const MESH = { mesh: 'my-mesh', virtualRouter: 'user-router' };
const NODES = { stable: 'user-service-v1', canary: 'user-service-v2' };
const ROUTE_KINDS = ['httpRoute', 'http2Route', 'grpcRoute', 'tcpRoute'] as const;

/** A fresh copy of a fixture, with dates revived as the SDK returns them. */
function fixture<T>(name: string): T {
  const text = readFileSync(join(__dirname, '../../fixtures/appmesh', `${name}.json`), 'utf8');
  return JSON.parse(text, (key, value: unknown) => ((key === 'createdAt' || key === 'lastUpdatedAt') && typeof value === 'string' ? new Date(value) : value)) as T;
}

const route = (name: string): RouteData => fixture<RouteData>(name);

function keyOf(routeName: string): string {
  return `appmesh:my-mesh/user-router/${routeName}`;
}

function weightedTargets(spec: RouteSpec): WeightedTarget[] {
  for (const kind of ROUTE_KINDS) {
    const targets = spec[kind]?.action?.weightedTargets;
    if (targets) return targets;
  }
  throw new Error('fixture has no weighted targets');
}

/** A copy of `spec` with only the weighted targets replaced: what every write must send. */
function withTargets(spec: RouteSpec, targets: WeightedTarget[]): RouteSpec {
  const copy = structuredClone(spec);
  for (const kind of ROUTE_KINDS) {
    const action = copy[kind]?.action;
    if (action) action.weightedTargets = targets;
  }
  return copy;
}

/** Builds the snapshot `snapshot()` would have produced for these routes. */
function snapshotOf(routes: RouteData[], nodes = NODES): RouterSnapshot {
  return {
    kind: 'appmesh',
    stable: nodes.stable,
    canary: nodes.canary,
    takenAt: '2024-05-21T15:00:00.000Z',
    routes: routes.map((r) => ({
      key: keyOf(r.routeName ?? ''),
      name: r.routeName ?? '',
      version: String(r.metadata?.version),
      targets: weightedTargets(r.spec ?? {}).map((t) => ({ name: t.virtualNode ?? '', weight: t.weight ?? 0 })),
      raw: structuredClone(r.spec),
    })),
  };
}

/**
 * A small in-memory App Mesh behind the mock: DescribeRoute reads the stored route, UpdateRoute
 * replaces its spec and bumps `metadata.version` as the service does.
 */
function serveRoutes(...routes: RouteData[]): Map<string, RouteData> {
  const store = new Map(routes.map((r) => [r.routeName ?? '', r]));
  appMesh.on(DescribeRouteCommand).callsFake((input: DescribeRouteCommandInput) => {
    const found = store.get(input.routeName ?? '');
    if (!found) throw notFound(`Route with name ${input.routeName} not found in mesh ${input.meshName}`);
    return { route: structuredClone(found) };
  });
  appMesh.on(UpdateRouteCommand).callsFake((input: UpdateRouteCommandInput) => applyUpdate(store, input));
  return store;
}

function applyUpdate(store: Map<string, RouteData>, input: UpdateRouteCommandInput): { route: RouteData } {
  const found = store.get(input.routeName ?? '');
  if (!found?.metadata) throw notFound(`Route with name ${input.routeName} not found`);
  const next: RouteData = {
    ...found,
    spec: structuredClone(input.spec),
    metadata: { ...found.metadata, version: (found.metadata.version ?? 0) + 1, lastUpdatedAt: new Date('2024-05-21T15:05:00.000Z') },
  };
  store.set(input.routeName ?? '', next);
  return { route: structuredClone(next) };
}

function serveRouterAndNodes(): void {
  appMesh.on(DescribeVirtualRouterCommand).resolves({ virtualRouter: fixture<VirtualRouterData>('virtual-router') });
  appMesh
    .on(DescribeVirtualNodeCommand, { virtualNodeName: 'user-service-v1' })
    .resolves({ virtualNode: fixture<VirtualNodeData>('virtual-node-user-service-v1') });
  appMesh
    .on(DescribeVirtualNodeCommand, { virtualNodeName: 'user-service-v2' })
    .resolves({ virtualNode: fixture<VirtualNodeData>('virtual-node-user-service-v2') });
}

/** Every command sent, in order, as [command, input]. */
function sent(): Array<[string, unknown]> {
  return appMesh.calls().map((call) => {
    const command = call.args[0] as unknown as { constructor: { name: string }; input: unknown };
    return [command.constructor.name, command.input];
  });
}

function describeRoute(routeName: string, extra: Record<string, string> = {}): [string, unknown] {
  return ['DescribeRouteCommand', { meshName: 'my-mesh', virtualRouterName: 'user-router', routeName, ...extra }];
}

function updateRoute(routeName: string, spec: RouteSpec, extra: Record<string, string> = {}): [string, unknown] {
  return ['UpdateRouteCommand', { meshName: 'my-mesh', virtualRouterName: 'user-router', routeName, spec, ...extra }];
}

const notFound = (message: string) => new NotFoundException({ message, $metadata: { httpStatusCode: 404 } });

async function caught(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection');
}

function newRouter(config: Partial<{ routes: string[]; meshOwner: string }> = {}, nodes: { canary: string; stable?: string } = NODES): AppMeshRouter {
  return new AppMeshRouter({ ...MESH, ...config }, nodes, new AppMeshClient({}));
}

beforeEach(() => {
  appMesh.reset();
});

describe('AppMeshRouter', () => {
  describe('constructor', () => {
    it('refuses a config with an empty mesh name or the same node as stable and canary', () => {
      // Act
      const build = () => new AppMeshRouter({ mesh: '', virtualRouter: 'user-router' }, { stable: 'user-service-v1', canary: 'user-service-v1' });

      // Assess
      expect(build).toThrow(ConfigurationError);
      expect(build).toThrow(/mesh must be a non-empty string.*same virtual node "user-service-v1"/);
    });
  });

  describe('snapshot', () => {
    it('checks the router and both nodes, reads the named routes verbatim and writes nothing', async () => {
      // Prepare
      serveRouterAndNodes();
      const userRoute = route('user-route');
      const resilientRoute = route('resilient-route');
      serveRoutes(userRoute, resilientRoute);
      const router = newRouter({ routes: ['user-route', 'resilient-route'] });

      // Act
      const snapshot = await router.snapshot();

      // Assess
      expect(sent()).toEqual([
        ['DescribeVirtualRouterCommand', { meshName: 'my-mesh', virtualRouterName: 'user-router' }],
        ['DescribeVirtualNodeCommand', { meshName: 'my-mesh', virtualNodeName: 'user-service-v2' }],
        ['DescribeVirtualNodeCommand', { meshName: 'my-mesh', virtualNodeName: 'user-service-v1' }],
        describeRoute('user-route'),
        describeRoute('resilient-route'),
      ]);
      expect(appMesh.commandCalls(UpdateRouteCommand)).toHaveLength(0);
      expect(snapshot).toEqual({
        kind: 'appmesh',
        stable: 'user-service-v1',
        canary: 'user-service-v2',
        takenAt: expect.any(String),
        routes: [
          {
            key: 'appmesh:my-mesh/user-router/user-route',
            name: 'user-route',
            version: '3',
            targets: [
              { name: 'user-service-v1', weight: 80 },
              { name: 'user-service-v2', weight: 20 },
            ],
            raw: userRoute.spec,
          },
          {
            key: 'appmesh:my-mesh/user-router/resilient-route',
            name: 'resilient-route',
            version: '7',
            targets: [{ name: 'user-service-v1', weight: 100 }],
            raw: resilientRoute.spec,
          },
        ],
      });
      expect(JSON.stringify(snapshot.routes[1]?.raw)).toBe(JSON.stringify(resilientRoute.spec));
      expect(Number.isNaN(Date.parse(snapshot.takenAt))).toBe(false);
    });

    it('selects every listed route that targets the stable node across ListRoutes pages, guessing the stable node past a canary-only route', async () => {
      // Prepare
      serveRouterAndNodes();
      const ordersRoute: RouteData = {
        ...route('user-route'),
        routeName: 'orders-route',
        spec: { httpRoute: { match: { prefix: '/orders' }, action: { weightedTargets: [{ virtualNode: 'orders-service', weight: 100 }] } } },
      };
      serveRoutes(route('beta-route'), route('user-route'), ordersRoute, route('resilient-route'));
      appMesh
        .on(ListRoutesCommand, { nextToken: undefined })
        .resolves({ routes: [{ routeName: 'beta-route' }, { routeName: 'user-route' }] as never, nextToken: 'page-2' })
        .on(ListRoutesCommand, { nextToken: 'page-2' })
        .resolves({ routes: [{ routeName: 'orders-route' }, { routeName: 'resilient-route' }] as never });
      const router = newRouter({}, { canary: 'user-service-v2' });

      // Act
      const snapshot = await router.snapshot();

      // Assess
      expect(sent()).toEqual([
        ['DescribeVirtualRouterCommand', { meshName: 'my-mesh', virtualRouterName: 'user-router' }],
        ['DescribeVirtualNodeCommand', { meshName: 'my-mesh', virtualNodeName: 'user-service-v2' }],
        ['ListRoutesCommand', { meshName: 'my-mesh', virtualRouterName: 'user-router' }],
        ['ListRoutesCommand', { meshName: 'my-mesh', virtualRouterName: 'user-router', nextToken: 'page-2' }],
        describeRoute('beta-route'),
        describeRoute('user-route'),
        describeRoute('orders-route'),
        describeRoute('resilient-route'),
      ]);
      expect(snapshot.stable).toBe('user-service-v1');
      expect(snapshot.routes.map((r) => r.key)).toEqual(['appmesh:my-mesh/user-router/user-route', 'appmesh:my-mesh/user-router/resilient-route']);
      expect(appMesh.commandCalls(UpdateRouteCommand)).toHaveLength(0);
    });

    it('passes meshOwner on every call for a shared mesh', async () => {
      // Prepare
      serveRouterAndNodes();
      serveRoutes(route('user-route'));
      const router = newRouter({ routes: ['user-route'], meshOwner: '210987654321' });

      // Act
      await router.snapshot();

      // Assess
      expect(sent()).toEqual([
        ['DescribeVirtualRouterCommand', { meshName: 'my-mesh', virtualRouterName: 'user-router', meshOwner: '210987654321' }],
        ['DescribeVirtualNodeCommand', { meshName: 'my-mesh', virtualNodeName: 'user-service-v2', meshOwner: '210987654321' }],
        ['DescribeVirtualNodeCommand', { meshName: 'my-mesh', virtualNodeName: 'user-service-v1', meshOwner: '210987654321' }],
        describeRoute('user-route', { meshOwner: '210987654321' }),
      ]);
    });

    it('names the router and the mesh when the virtual router does not exist', async () => {
      // Prepare
      appMesh.on(DescribeVirtualRouterCommand).rejects(notFound('VirtualRouter not found'));
      const router = newRouter({ routes: ['user-route'] });

      // Act
      const error = await caught(router.snapshot());

      // Assess
      expect(error).toBeInstanceOf(ResourceNotFoundError);
      expect(error.message).toBe('virtual router "user-router" not found in mesh "my-mesh"');
      expect(error.cause).toBeInstanceOf(NotFoundException);
      expect(sent()).toHaveLength(1);
    });

    it('names the virtual node when the canary node does not exist', async () => {
      // Prepare
      appMesh.on(DescribeVirtualRouterCommand).resolves({ virtualRouter: fixture<VirtualRouterData>('virtual-router') });
      appMesh.on(DescribeVirtualNodeCommand).rejects(notFound('VirtualNode not found'));
      const router = newRouter({ routes: ['user-route'] });

      // Act
      const error = await caught(router.snapshot());

      // Assess
      expect(error).toBeInstanceOf(ResourceNotFoundError);
      expect(error.message).toBe('virtual node "user-service-v2" not found in mesh "my-mesh"');
    });

    it('names the route, the router and the mesh when a named route does not exist', async () => {
      // Prepare
      serveRouterAndNodes();
      serveRoutes(route('user-route'));
      const router = newRouter({ routes: ['user-route', 'missing-route'] });

      // Act
      const error = await caught(router.snapshot());

      // Assess
      expect(error).toBeInstanceOf(ResourceNotFoundError);
      expect(error.message).toBe('route "missing-route" not found on virtual router "user-router" in mesh "my-mesh"');
      expect(appMesh.commandCalls(UpdateRouteCommand)).toHaveLength(0);
    });

    it('refuses a router on which no route targets the stable node', async () => {
      // Prepare
      serveRouterAndNodes();
      serveRoutes(route('beta-route'));
      appMesh.on(ListRoutesCommand).resolves({ routes: [{ routeName: 'beta-route' }] as never });
      const router = newRouter({}, { stable: 'user-service-v1', canary: 'user-service-v2' });

      // Act
      const error = await caught(router.snapshot());

      // Assess
      expect(error).toBeInstanceOf(ConfigurationError);
      expect(error.message).toBe('no route of virtual router "user-router" in mesh "my-mesh" targets the stable virtual node "user-service-v1"');
    });

    it('refuses a named route that does not target the stable node', async () => {
      // Prepare
      serveRouterAndNodes();
      serveRoutes(route('user-route'), route('beta-route'));
      const router = newRouter({ routes: ['user-route', 'beta-route'] });

      // Act
      const error = await caught(router.snapshot());

      // Assess
      expect(error).toBeInstanceOf(ConfigurationError);
      expect(error.message).toBe('route "beta-route" of virtual router "user-router" does not target the stable virtual node "user-service-v1"');
    });
  });

  describe('setCanaryWeight', () => {
    it('adds the canary after the stable target with the stable port when stable holds 100 and the step is 10', async () => {
      // Prepare
      const tcpRoute = route('tcp-route');
      serveRoutes(tcpRoute);
      const router = newRouter();

      // Act
      const versions = await router.setCanaryWeight(snapshotOf([tcpRoute]), 10, { [keyOf('user-tcp-route')]: '2' });

      // Assess
      expect(sent()).toEqual([
        describeRoute('user-tcp-route'),
        updateRoute('user-tcp-route', {
          tcpRoute: {
            action: {
              weightedTargets: [
                { port: 9090, virtualNode: 'user-service-v1', weight: 90 },
                { virtualNode: 'user-service-v2', weight: 10, port: 9090 },
              ],
            },
            timeout: { idle: { unit: 's', value: 600 } },
          },
        }),
      ]);
      expect(versions).toEqual({ [keyOf('user-tcp-route')]: '3' });
    });

    it.each([
      ['httpRoute', 'keeps retryPolicy', 'resilient-route', [{ virtualNode: 'user-service-v1', weight: 75 }, { virtualNode: 'user-service-v2', weight: 25 }]],
      ['httpRoute', 'keeps header matches and priority', 'beta-route-on-v1', [{ virtualNode: 'user-service-v1', weight: 75 }, { virtualNode: 'user-service-v2', weight: 25 }]],
      ['http2Route', 'keeps the path, method and timeout', 'streaming-route', [{ virtualNode: 'user-service-v1', weight: 75 }, { virtualNode: 'user-service-v2', weight: 25 }]],
      [
        'grpcRoute',
        'keeps the service/method/metadata match, grpcRetryEvents, timeout and priority',
        'grpc-route',
        [{ port: 50051, virtualNode: 'user-service-v1', weight: 75 }, { virtualNode: 'user-service-v2', weight: 25, port: 50051 }],
      ],
      [
        'tcpRoute',
        'keeps the idle timeout',
        'tcp-route',
        [{ port: 9090, virtualNode: 'user-service-v1', weight: 75 }, { virtualNode: 'user-service-v2', weight: 25, port: 9090 }],
      ],
    ] as Array<[string, string, string, WeightedTarget[]]>)('%s: %s when it rewrites weights', async (kind, _what, name, expectedTargets) => {
      // Prepare
      const original = route(name);
      serveRoutes(original);
      const router = newRouter();

      // Act
      await router.setCanaryWeight(snapshotOf([original]), 25, {});

      // Assess
      const spec = original.spec ?? {};
      expect(Object.keys(spec)).toContain(kind);
      expect(sent()).toEqual([describeRoute(original.routeName ?? ''), updateRoute(original.routeName ?? '', withTargets(spec, expectedTargets))]);
      const written = appMesh.commandCalls(UpdateRouteCommand)[0]?.args[0].input.spec ?? {};
      expect(JSON.stringify(withTargets(written, []))).toBe(JSON.stringify(withTargets(spec, [])));
    });

    it('moves an existing canary target in place and returns the new version', async () => {
      // Prepare
      const userRoute = route('user-route');
      serveRoutes(userRoute);
      const router = newRouter();

      // Act
      const versions = await router.setCanaryWeight(snapshotOf([userRoute]), 50, { [keyOf('user-route')]: '3' });

      // Assess
      expect(sent()).toEqual([
        describeRoute('user-route'),
        updateRoute('user-route', {
          httpRoute: {
            action: {
              weightedTargets: [
                { virtualNode: 'user-service-v1', weight: 50 },
                { virtualNode: 'user-service-v2', weight: 50 },
              ],
            },
            match: { prefix: '/' },
          },
        }),
      ]);
      expect(versions).toEqual({ [keyOf('user-route')]: '4' });
    });

    it('leaves an extra target its share and still sums to 100 for an odd pool', async () => {
      // Prepare
      const mirrorRoute = route('mirror-route');
      serveRoutes(mirrorRoute);
      const router = newRouter();

      // Act
      await router.setCanaryWeight(snapshotOf([mirrorRoute]), 33, { [keyOf('mirror-route')]: '11' });

      // Assess
      const targets = weightedTargets(appMesh.commandCalls(UpdateRouteCommand)[0]?.args[0].input.spec ?? {});
      expect(targets).toEqual([
        { virtualNode: 'user-service-v1', weight: 62 },
        { virtualNode: 'user-service-mirror', weight: 7 },
        { virtualNode: 'user-service-v2', weight: 31 },
      ]);
      expect(targets.reduce((sum, t) => sum + (t.weight ?? 0), 0)).toBe(100);
    });

    it('refuses a route that would need more than 10 targets and writes nothing', async () => {
      // Prepare
      const crowded = route('user-route');
      const extras = Array.from({ length: 9 }, (_, i) => ({ virtualNode: `shadow-${i + 1}`, weight: 5 }));
      crowded.spec = withTargets(crowded.spec ?? {}, [{ virtualNode: 'user-service-v1', weight: 55 }, ...extras]);
      serveRoutes(crowded);
      const router = newRouter();

      // Act
      const error = await caught(router.setCanaryWeight(snapshotOf([crowded]), 10, {}));

      // Assess
      expect(error).toBeInstanceOf(UnsupportedError);
      expect(error.message).toMatch(/11 weighted targets.*at most 10/);
      expect(sent()).toEqual([describeRoute('user-route')]);
    });

    it('skips the write when the route already carries the weights', async () => {
      // Prepare
      const userRoute = route('user-route');
      serveRoutes(userRoute);
      const router = newRouter();

      // Act
      const versions = await router.setCanaryWeight(snapshotOf([userRoute]), 20, { [keyOf('user-route')]: '3' });

      // Assess
      expect(sent()).toEqual([describeRoute('user-route')]);
      expect(versions).toEqual({ [keyOf('user-route')]: '3' });
    });

    it('stops on version drift, naming the route and both versions, without sending UpdateRoute', async () => {
      // Prepare
      const userRoute = route('user-route');
      serveRoutes(userRoute);
      const router = newRouter();

      // Act
      const error = await caught(router.setCanaryWeight(snapshotOf([userRoute]), 40, { [keyOf('user-route')]: '2' }));

      // Assess
      expect(error).toBeInstanceOf(ConcurrentModificationError);
      expect(error.message).toBe(
        'route "user-route" (appmesh:my-mesh/user-router/user-route) was changed by another writer: expected version 2, found version 3; not overwriting it',
      );
      expect(sent()).toEqual([describeRoute('user-route')]);
    });

    it('compares with the snapshot’s version when no write was recorded yet, and stops on a change made since Prepare', async () => {
      // Prepare: the snapshot saw version 3; an operator edits the route (version 4) before the first step.
      const userRoute = route('user-route');
      const snapshot = snapshotOf([userRoute]);
      const store = serveRoutes(userRoute);
      const operatorEdit = structuredClone(userRoute);
      operatorEdit.spec = withTargets(operatorEdit.spec ?? {}, [{ virtualNode: 'user-service-v1', weight: 70 }, { virtualNode: 'user-service-legacy', weight: 30 }]);
      operatorEdit.metadata = { ...(operatorEdit.metadata as NonNullable<RouteData['metadata']>), version: 4 };
      store.set('user-route', operatorEdit);

      // Act
      const error = await caught(newRouter().setCanaryWeight(snapshot, 10, {}));

      // Assess
      expect(error).toBeInstanceOf(ConcurrentModificationError);
      expect(error.message).toMatch(/route "user-route".*expected version 3, found version 4/);
      expect(sent()).toEqual([describeRoute('user-route')]);
    });

    it('lets a retried step pass a route that its first attempt already wrote', async () => {
      // Prepare
      const userRoute = route('user-route');
      const resilientRoute = route('resilient-route');
      const store = serveRoutes(userRoute, resilientRoute);
      const router = newRouter();
      const snapshot = snapshotOf([userRoute, resilientRoute]);
      const expected = { [keyOf('user-route')]: '3', [keyOf('resilient-route')]: '7' };
      let throttled = false;
      appMesh.on(UpdateRouteCommand, { routeName: 'resilient-route' }).callsFake((input: UpdateRouteCommandInput) => {
        if (throttled) return applyUpdate(store, input);
        throttled = true;
        throw new TooManyRequestsException({ message: 'Rate exceeded', $metadata: {} });
      });
      await expect(router.setCanaryWeight(snapshot, 30, expected)).rejects.toBeInstanceOf(TransientError);
      appMesh.resetHistory();

      // Act
      const versions = await router.setCanaryWeight(snapshot, 30, expected);

      // Assess
      expect(sent().map(([name, input]) => [name, (input as { routeName: string }).routeName])).toEqual([
        ['DescribeRouteCommand', 'user-route'],
        ['DescribeRouteCommand', 'resilient-route'],
        ['UpdateRouteCommand', 'resilient-route'],
      ]);
      expect(versions).toEqual({ [keyOf('user-route')]: '4', [keyOf('resilient-route')]: '8' });
    });

    it('writes the routes one after the other, sending meshOwner for a shared mesh', async () => {
      // Prepare
      const userRoute = route('user-route');
      const betaRoute = route('beta-route-on-v1');
      serveRoutes(userRoute, betaRoute);
      const router = newRouter({ meshOwner: '210987654321' });

      // Act
      const versions = await router.setCanaryWeight(snapshotOf([userRoute, betaRoute]), 10, {});

      // Assess
      const owner = { meshOwner: '210987654321' };
      expect(sent()).toEqual([
        describeRoute('user-route', owner),
        updateRoute(
          'user-route',
          withTargets(userRoute.spec ?? {}, [
            { virtualNode: 'user-service-v1', weight: 90 },
            { virtualNode: 'user-service-v2', weight: 10 },
          ]),
          owner,
        ),
        describeRoute('beta-route', owner),
        updateRoute(
          'beta-route',
          withTargets(betaRoute.spec ?? {}, [
            { virtualNode: 'user-service-v1', weight: 90 },
            { virtualNode: 'user-service-v2', weight: 10 },
          ]),
          owner,
        ),
      ]);
      expect(versions).toEqual({ [keyOf('user-route')]: '4', [keyOf('beta-route')]: '5' });
    });

    it('names the route when it was deleted since the snapshot', async () => {
      // Prepare
      serveRoutes();
      const router = newRouter();

      // Act
      const error = await caught(router.setCanaryWeight(snapshotOf([route('user-route')]), 10, {}));

      // Assess
      expect(error).toBeInstanceOf(ResourceNotFoundError);
      expect(error.message).toBe('route "user-route" not found on virtual router "user-router" in mesh "my-mesh"');
    });

    it('turns TooManyRequestsException into a TransientError that keeps the cause', async () => {
      // Prepare
      serveRoutes(route('user-route'));
      const throttled = new TooManyRequestsException({ message: 'Rate exceeded', $metadata: { httpStatusCode: 429 } });
      appMesh.on(UpdateRouteCommand).rejects(throttled);
      const router = newRouter();

      // Act
      const error = await caught(router.setCanaryWeight(snapshotOf([route('user-route')]), 10, {}));

      // Assess
      expect(error).toBeInstanceOf(TransientError);
      expect(error.name).toBe('TransientError');
      expect(error.message).toContain('route "user-route"');
      expect(error.cause).toBe(throttled);
    });

    it('turns BadRequestException into a ConfigurationError with the App Mesh message and the route name', async () => {
      // Prepare
      serveRoutes(route('user-route'));
      appMesh.on(UpdateRouteCommand).rejects(new BadRequestException({ message: 'Weighted target weight must be between 0 and 100', $metadata: {} }));
      const router = newRouter();

      // Act
      const error = await caught(router.setCanaryWeight(snapshotOf([route('user-route')]), 10, {}));

      // Assess
      expect(error).toBeInstanceOf(ConfigurationError);
      expect(error.message).toBe(
        'App Mesh rejected UpdateRoute for route "user-route" on virtual router "user-router" in mesh "my-mesh": Weighted target weight must be between 0 and 100',
      );
    });

    it('turns ConflictException into a ConcurrentModificationError', async () => {
      // Prepare
      serveRoutes(route('user-route'));
      appMesh.on(UpdateRouteCommand).rejects(new ConflictException({ message: 'Request conflicts with an in-flight update', $metadata: {} }));
      const router = newRouter();

      // Act
      const error = await caught(router.setCanaryWeight(snapshotOf([route('user-route')]), 10, {}));

      // Assess
      expect(error).toBeInstanceOf(ConcurrentModificationError);
      expect(error.message).toContain('route "user-route"');
    });

    it('turns ForbiddenException into a ConfigurationError naming the action and the route', async () => {
      // Prepare
      serveRoutes(route('user-route'));
      appMesh.on(UpdateRouteCommand).rejects(new ForbiddenException({ message: 'User is not authorized to perform appmesh:UpdateRoute', $metadata: {} }));
      const router = newRouter();

      // Act
      const error = await caught(router.setCanaryWeight(snapshotOf([route('user-route')]), 10, {}));

      // Assess
      expect(error).toBeInstanceOf(ConfigurationError);
      expect(error.message).toMatch(/^not allowed to call appmesh:UpdateRoute on route "user-route" on virtual router "user-router" in mesh "my-mesh"; grant that IAM permission/);
    });
  });

  describe('promote', () => {
    it('hands the pool to the canary, removes the stable target and leaves an extra target its share', async () => {
      // Prepare
      const mirrorRoute = route('mirror-route');
      serveRoutes(mirrorRoute);
      const router = newRouter();

      // Act
      const versions = await router.promote(snapshotOf([mirrorRoute]), { [keyOf('mirror-route')]: '11' });

      // Assess
      expect(sent()).toEqual([
        describeRoute('mirror-route'),
        updateRoute(
          'mirror-route',
          withTargets(mirrorRoute.spec ?? {}, [
            { virtualNode: 'user-service-mirror', weight: 7 },
            { virtualNode: 'user-service-v2', weight: 93 },
          ]),
        ),
      ]);
      expect(versions).toEqual({ [keyOf('mirror-route')]: '12' });
    });

    it('gives a newly added canary the port of the stable target it replaces', async () => {
      // Prepare
      const grpcRoute = route('grpc-route');
      serveRoutes(grpcRoute);
      const router = newRouter();

      // Act
      await router.promote(snapshotOf([grpcRoute]), {});

      // Assess
      expect(sent()).toEqual([
        describeRoute('user-grpc-route'),
        updateRoute('user-grpc-route', withTargets(grpcRoute.spec ?? {}, [{ virtualNode: 'user-service-v2', weight: 100, port: 50051 }])),
      ]);
    });
  });

  describe('restore', () => {
    it('writes the snapshotted spec back byte for byte', async () => {
      // Prepare
      const beta = route('beta-route-on-v1');
      const snapshot = snapshotOf([beta]);
      const store = serveRoutes(beta);
      const router = newRouter();
      const shifted = await router.setCanaryWeight(snapshot, 60, {});
      appMesh.resetHistory();

      // Act
      const versions = await router.restore(snapshot, shifted);

      // Assess
      expect(sent()).toEqual([describeRoute('beta-route'), updateRoute('beta-route', beta.spec ?? {})]);
      const written = appMesh.commandCalls(UpdateRouteCommand)[0]?.args[0].input.spec;
      expect(JSON.stringify(written)).toBe(JSON.stringify(snapshot.routes[0]?.raw));
      expect(written).not.toBe(snapshot.routes[0]?.raw);
      expect(store.get('beta-route')?.spec).toEqual(beta.spec);
      expect(versions).toEqual({ [keyOf('beta-route')]: '6' });
    });

    it('skips routes that are already as snapshotted', async () => {
      // Prepare
      const userRoute = route('user-route');
      const resilientRoute = route('resilient-route');
      const snapshot = snapshotOf([userRoute, resilientRoute]);
      serveRoutes(userRoute, resilientRoute);
      const router = newRouter({ routes: ['user-route', 'resilient-route'] });
      const shifted = await router.setCanaryWeight(snapshotOf([resilientRoute]), 10, {});
      appMesh.resetHistory();

      // Act
      const versions = await router.restore(snapshot, { [keyOf('user-route')]: '3', ...shifted });

      // Assess
      expect(sent()).toEqual([describeRoute('user-route'), describeRoute('resilient-route'), updateRoute('resilient-route', resilientRoute.spec ?? {})]);
      expect(versions).toEqual({ [keyOf('user-route')]: '3', [keyOf('resilient-route')]: '9' });
    });

    it('refuses to overwrite a route another writer changed, and overwrites it when forced', async () => {
      // Prepare
      const userRoute = route('user-route');
      const snapshot = snapshotOf([userRoute]);
      const store = serveRoutes(userRoute);
      const router = newRouter();
      const ours = await router.setCanaryWeight(snapshot, 50, {});
      const operatorEdit = structuredClone(store.get('user-route')) as RouteData;
      operatorEdit.spec = withTargets(operatorEdit.spec ?? {}, [{ virtualNode: 'user-service-v1', weight: 100 }]);
      operatorEdit.metadata = { ...(operatorEdit.metadata as NonNullable<RouteData['metadata']>), version: 9 };
      store.set('user-route', operatorEdit);
      appMesh.resetHistory();

      // Act
      const refused = await caught(router.restore(snapshot, ours));
      const calledWithoutForce = sent();
      const forced = await router.restore(snapshot, ours, { force: true });

      // Assess
      expect(refused).toBeInstanceOf(ConcurrentModificationError);
      expect(refused.message).toMatch(/route "user-route".*expected version 4, found version 9/);
      expect(calledWithoutForce).toEqual([describeRoute('user-route')]);
      expect(sent().slice(1)).toEqual([describeRoute('user-route'), updateRoute('user-route', userRoute.spec ?? {})]);
      expect(forced).toEqual({ [keyOf('user-route')]: '10' });
    });

    it('refuses to restore over another writer’s change when no write was recorded, comparing with the snapshot’s version', async () => {
      // Prepare
      const userRoute = route('user-route');
      const snapshot = snapshotOf([userRoute]);
      const store = serveRoutes(userRoute);
      const operatorEdit = structuredClone(userRoute);
      operatorEdit.spec = withTargets(operatorEdit.spec ?? {}, [{ virtualNode: 'user-service-legacy', weight: 100 }]);
      operatorEdit.metadata = { ...(operatorEdit.metadata as NonNullable<RouteData['metadata']>), version: 7 };
      store.set('user-route', operatorEdit);

      // Act
      const refused = await caught(newRouter().restore(snapshot, {}));

      // Assess
      expect(refused).toBeInstanceOf(ConcurrentModificationError);
      expect(refused.message).toMatch(/expected version 3, found version 7/);
      expect(sent()).toEqual([describeRoute('user-route')]);
    });

    it('tries every route and names every failed one when some fail', async () => {
      // Prepare
      const userRoute = route('user-route');
      const resilientRoute = route('resilient-route');
      const tcpRoute = route('tcp-route');
      const snapshot = snapshotOf([userRoute, resilientRoute, tcpRoute]);
      const store = serveRoutes(userRoute, resilientRoute, tcpRoute);
      const router = newRouter();
      const shifted = await router.setCanaryWeight(snapshot, 50, {});
      store.delete('user-tcp-route');
      const throttled = new TooManyRequestsException({ message: 'Rate exceeded', $metadata: { httpStatusCode: 429 } });
      appMesh.on(UpdateRouteCommand, { routeName: 'user-route' }).rejects(throttled);
      appMesh.resetHistory();

      // Act
      const error = await caught(router.restore(snapshot, shifted));

      // Assess
      expect(sent().map(([name, input]) => [name, (input as { routeName: string }).routeName])).toEqual([
        ['DescribeRouteCommand', 'user-route'],
        ['UpdateRouteCommand', 'user-route'],
        ['DescribeRouteCommand', 'resilient-route'],
        ['UpdateRouteCommand', 'resilient-route'],
        ['DescribeRouteCommand', 'user-tcp-route'],
      ]);
      expect(store.get('resilient-route')?.spec).toEqual(resilientRoute.spec);
      expect(error).toBeInstanceOf(TransientError);
      expect(error.message).toMatch(/^restore failed for 2 of 3 route\(s\) \(1 restored\): route "user-route": .*Rate exceeded; route "user-tcp-route": route "user-tcp-route" not found/);
      expect((error as Error & { errors: unknown[] }).errors).toEqual([expect.any(TransientError), expect.any(ResourceNotFoundError)]);
      expect((error.cause as Error).cause).toBe(throttled);
    });
  });

  describe('verify', () => {
    it('reports ok when every route carries the weights of the step', async () => {
      // Prepare
      const mirrorRoute = route('mirror-route');
      const snapshot = snapshotOf([mirrorRoute]);
      serveRoutes(mirrorRoute);
      const router = newRouter();
      await router.setCanaryWeight(snapshot, 33, {});
      appMesh.resetHistory();

      // Act
      const result = await router.verify(snapshot, 33);

      // Assess
      expect(sent()).toEqual([describeRoute('mirror-route')]);
      const targets = [
        { name: 'user-service-v1', weight: 62 },
        { name: 'user-service-mirror', weight: 7 },
        { name: 'user-service-v2', weight: 31 },
      ];
      expect(result).toEqual({ supported: true, ok: true, routes: [{ key: keyOf('mirror-route'), expected: targets, actual: targets }] });
    });

    it('reports the difference when the route does not carry the weights of the step', async () => {
      // Prepare
      const userRoute = route('user-route');
      serveRoutes(userRoute);
      const router = newRouter();

      // Act
      const result = await router.verify(snapshotOf([userRoute]), 50);

      // Assess
      expect(result).toEqual({
        supported: true,
        ok: false,
        routes: [
          {
            key: keyOf('user-route'),
            expected: [
              { name: 'user-service-v1', weight: 50 },
              { name: 'user-service-v2', weight: 50 },
            ],
            actual: [
              { name: 'user-service-v1', weight: 80 },
              { name: 'user-service-v2', weight: 20 },
            ],
          },
        ],
      });
      expect(appMesh.commandCalls(UpdateRouteCommand)).toHaveLength(0);
    });
  });
});
