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
import type { LocalMesh, RouteDescription } from '../../local/mesh';
import { LocalMeshError } from '../../local/mesh';
import type { RolloutSpec } from '../../spec';
import { AppMeshRouter } from '../appmesh';
import type { TrafficRouter } from '../port';

/**
 * The local TrafficRouter: the real App Mesh adapter, talking to the local mesh through the
 * App Mesh API's shapes instead of AWS. So the demo exercises the same route rewriting, drift
 * detection and restore code as production; only the transport differs.
 */
export function createLocalRouter(spec: RolloutSpec, mesh: LocalMesh, meshName: string, nodes: string[]): TrafficRouter {
  if (!spec.router.appMesh) throw new Error('the local runner routes App Mesh specs only');
  return new AppMeshRouter(
    spec.router.appMesh,
    { canary: spec.target.canary, stable: spec.target.stable },
    localAppMeshClient(mesh, meshName, spec.router.appMesh.virtualRouter, nodes),
  );
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
