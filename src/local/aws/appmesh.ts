import {
  AppMeshClient,
  BadRequestException,
  ConflictException,
  DescribeRouteCommand,
  DescribeVirtualNodeCommand,
  DescribeVirtualRouterCommand,
  ListRoutesCommand,
  NotFoundException,
  UpdateRouteCommand,
  type RouteSpec,
} from '@aws-sdk/client-app-mesh';
import type { RolloutSpec } from '../../spec';
import { canaryOf } from '../../spec/target';
import { LocalMeshError, LocalMesh, type RouteDescription, type RouteSpec as LocalRouteSpec } from '../mesh';
import { meshShare, type LocalRouting, type LocalUpstreams } from './routing';

/**
 * The local App Mesh: a virtual router whose routes the local mesh applies to real HTTP traffic,
 * answered through the App Mesh API's shapes, so the production AppMeshRouter runs unchanged and
 * the demo exercises the same route rewriting, drift detection and restore code as AWS.
 */
export function localAppMeshRouting(spec: RolloutSpec, upstreams: LocalUpstreams): LocalRouting {
  const appMesh = spec.router.appMesh;
  if (!appMesh) throw new Error('localAppMeshRouting needs router.appMesh');
  const canary = canaryOf(spec);
  const stable = spec.target.stable ?? `${spec.name}-stable`;
  const routes = appMesh.routes ?? [`${spec.name}-route`];
  const mesh = new LocalMesh({ virtualRouter: appMesh.virtualRouter, nodes: { [stable]: upstreams.stable, [canary]: upstreams.canary } });
  const paths = routes.map((name, i) => {
    mesh.createRoute(name, initialRoute(stable, i));
    return i === 0 ? '/' : `/r${i}/`;
  });
  const client = localAppMeshClient(mesh, appMesh.mesh, appMesh.virtualRouter, [stable, canary]);
  return {
    kind: 'appMesh',
    mesh,
    stable,
    canary,
    paths,
    clients: { appMesh: client },
    canaryWeight: () => meshShare(mesh, routes[0]!, stable, canary),
    calls: () => ({ ...(client as unknown as { calls: Record<string, number> }).calls }),
  };
}

/** A route as a team would have it before a rollout: all traffic on stable, with a retry policy the rollout must keep. */
function initialRoute(stable: string, index: number): LocalRouteSpec {
  return {
    httpRoute: {
      match: { prefix: index === 0 ? '/' : `/r${index}/` },
      action: { weightedTargets: [{ virtualNode: stable, weight: 100 }] },
      retryPolicy: { maxRetries: 2, perRetryTimeout: { value: 2, unit: 's' }, httpRetryEvents: ['gateway-error'] },
    },
    priority: index === 0 ? 1000 : index,
  } as LocalRouteSpec;
}

type Command = { input: Record<string, unknown>; constructor: { name: string } };

/** An AppMeshClient look-alike whose `send` answers from (and writes to) a LocalMesh. */
export function localAppMeshClient(mesh: LocalMesh, meshName: string, virtualRouter: string, nodes: string[]): AppMeshClient {
  const client = {
    calls: { DescribeRoute: 0, UpdateRoute: 0, ListRoutes: 0, DescribeVirtualRouter: 0, DescribeVirtualNode: 0 } as Record<string, number>,
    async send(command: Command): Promise<unknown> {
      const input = command.input;
      const name = command.constructor.name.replace(/Command$/, '');
      client.calls[name] = (client.calls[name] ?? 0) + 1;
      checkMesh(input.meshName, meshName);
      try {
        if (command instanceof DescribeVirtualRouterCommand) {
          if (input.virtualRouterName !== virtualRouter) throw notFound(`VirtualRouter ${String(input.virtualRouterName)} not found in mesh ${meshName}`);
          return { virtualRouter: { meshName, virtualRouterName: virtualRouter, spec: {}, metadata: metadata(1), status: { status: 'ACTIVE' } } };
        }
        if (command instanceof DescribeVirtualNodeCommand) {
          if (!nodes.includes(String(input.virtualNodeName))) throw notFound(`VirtualNode ${String(input.virtualNodeName)} not found in mesh ${meshName}`);
          return { virtualNode: { meshName, virtualNodeName: input.virtualNodeName, spec: {}, metadata: metadata(1), status: { status: 'ACTIVE' } } };
        }
        checkRouter(input.virtualRouterName, virtualRouter, meshName);
        if (command instanceof ListRoutesCommand) {
          return { routes: mesh.listRoutes().map((routeName) => ({ meshName, virtualRouterName: virtualRouter, routeName })) };
        }
        if (command instanceof DescribeRouteCommand) return { route: toRouteData(mesh.describeRoute(String(input.routeName)), meshName) };
        if (command instanceof UpdateRouteCommand) return { route: toRouteData(mesh.updateRoute(String(input.routeName), input.spec as never), meshName) };
      } catch (error) {
        throw toAppMeshError(error);
      }
      throw new Error(`local App Mesh: ${name} is not emulated`);
    },
    destroy(): void {},
  };
  return client as unknown as AppMeshClient;
}

function checkMesh(requested: unknown, meshName: string): void {
  if (requested !== meshName) throw notFound(`Mesh ${String(requested)} not found (the local mesh is ${meshName})`);
}

function checkRouter(requested: unknown, virtualRouter: string, meshName: string): void {
  if (requested !== virtualRouter) throw notFound(`VirtualRouter ${String(requested)} not found in mesh ${meshName}`);
}

function toRouteData(route: RouteDescription, meshName: string) {
  return {
    meshName,
    virtualRouterName: route.virtualRouterName,
    routeName: route.routeName,
    spec: route.spec as RouteSpec,
    metadata: metadata(route.metadata.version, route.metadata.lastUpdatedAt),
    status: { status: 'ACTIVE' },
  };
}

function metadata(version: number, at = new Date(0)) {
  return { version, arn: 'arn:aws:appmesh:local', uid: 'local', createdAt: new Date(0), lastUpdatedAt: at, meshOwner: '000000000000', resourceOwner: '000000000000' };
}

function notFound(message: string): Error {
  return new NotFoundException({ message, $metadata: { httpStatusCode: 404 } });
}

function toAppMeshError(error: unknown): unknown {
  if (!(error instanceof LocalMeshError)) return error;
  const init = { message: error.message, $metadata: { httpStatusCode: 400 } };
  if (error.code === 'NotFoundException') return new NotFoundException({ ...init, $metadata: { httpStatusCode: 404 } });
  if (error.code === 'ConflictException') return new ConflictException({ ...init, $metadata: { httpStatusCode: 409 } });
  return new BadRequestException(init);
}
