/**
 * The App Mesh route spec shapes the local mesh understands, spelled exactly as the App Mesh
 * API (`appmesh/2019-01-25`, RouteSpec) spells them, so a spec read from DescribeRoute can be
 * applied here unchanged and vice versa.
 */

/** `HeaderMatchMethod`. App Mesh expresses "header is present" by omitting `match`; `present: true` is accepted too. */
export interface HeaderMatchMethod {
  exact?: string;
  prefix?: string;
  suffix?: string;
  regex?: string;
  range?: { start: number; end: number };
  present?: boolean;
}

/** `HttpRouteHeader` / `GrpcRouteMetadata`: a header condition, optionally inverted. */
export interface HttpRouteHeader {
  name: string;
  invert?: boolean;
  match?: HeaderMatchMethod;
}

/** `HttpQueryParameter`: without `match`, the parameter only has to be present. */
export interface HttpQueryParameter {
  name: string;
  match?: { exact?: string };
}

/** `HttpRouteMatch`. */
export interface HttpRouteMatch {
  prefix?: string;
  path?: { exact?: string; regex?: string };
  method?: string;
  scheme?: string;
  headers?: HttpRouteHeader[];
  queryParameters?: HttpQueryParameter[];
  port?: number;
}

/** `GrpcRouteMatch`: gRPC calls are `POST /<serviceName>/<methodName>`. */
export interface GrpcRouteMatch {
  serviceName?: string;
  methodName?: string;
  metadata?: HttpRouteHeader[];
  port?: number;
}

/** `WeightedTarget`. */
export interface WeightedTarget {
  virtualNode: string;
  weight: number;
  port?: number;
}

/** `HttpRouteAction` / `GrpcRouteAction` / `TcpRouteAction`. */
export interface RouteAction {
  weightedTargets: WeightedTarget[];
}

/** `HttpRoute`. `retryPolicy` and `timeout` are kept verbatim but not applied locally. */
export interface HttpRoute {
  match: HttpRouteMatch;
  action: RouteAction;
  retryPolicy?: unknown;
  timeout?: unknown;
}

/** `GrpcRoute`. */
export interface GrpcRoute {
  match: GrpcRouteMatch;
  action: RouteAction;
  retryPolicy?: unknown;
  timeout?: unknown;
}

/** `TcpRoute`: no match, it takes every request. */
export interface TcpRoute {
  match?: { port?: number };
  action: RouteAction;
  timeout?: unknown;
}

/** `RouteSpec`: exactly one route kind, plus an optional priority (0-1000, lower wins). */
export interface RouteSpec {
  priority?: number;
  httpRoute?: HttpRoute;
  http2Route?: HttpRoute;
  grpcRoute?: GrpcRoute;
  tcpRoute?: TcpRoute;
}

/** The route kinds of a RouteSpec, in the order App Mesh documents them. */
export const ROUTE_KINDS = ['httpRoute', 'http2Route', 'grpcRoute', 'tcpRoute'] as const;
export type RouteKind = (typeof ROUTE_KINDS)[number];

/** What DescribeRoute / UpdateRoute return, reduced to what a TrafficRouter needs. */
export interface RouteDescription {
  routeName: string;
  virtualRouterName: string;
  spec: RouteSpec;
  metadata: { version: number; lastUpdatedAt: Date };
}

/** The parts of an HTTP request that route matching looks at. Header names are lower case. */
export interface MeshRequest {
  method: string;
  /** Path with optional query string, as in the request line. */
  url: string;
  headers: Record<string, string | string[] | undefined>;
}
