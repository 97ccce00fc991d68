import type { GrpcRouteMatch, HeaderMatchMethod, HttpQueryParameter, HttpRouteHeader, HttpRouteMatch, MeshRequest, RouteKind, RouteSpec } from './types';

/** A request taken apart once, so that every route's matcher reads the same parsed view. */
export interface ParsedRequest {
  method: string;
  /** The request target as sent, query string included (what Envoy's prefix match reads). */
  url: string;
  /** The path without the query string (what Envoy's exact and regex path matches read). */
  path: string;
  query: URLSearchParams;
  headers: Record<string, string | string[] | undefined>;
}

export type RouteMatcher = (req: ParsedRequest) => boolean;

/** Splits a request into the parts route matching needs. */
export function parseRequest(req: MeshRequest): ParsedRequest {
  const q = req.url.indexOf('?');
  const path = q === -1 ? req.url : req.url.slice(0, q);
  const query = new URLSearchParams(q === -1 ? '' : req.url.slice(q + 1));
  return { method: req.method.toUpperCase(), url: req.url, path, query, headers: req.headers };
}

/**
 * Builds the matcher for a validated spec, following Envoy's semantics (which App Mesh
 * configures): prefix is a plain string prefix of the full request target; exact and regex
 * paths compare the path without its query string; regexes must match the whole value.
 * `match.port` is ignored because the local mesh has a single listener; `scheme` is `http`.
 * JavaScript regexes stand in for RE2: the common syntax is the same.
 */
export function compileMatcher(spec: RouteSpec, kind: RouteKind): RouteMatcher {
  if (kind === 'httpRoute' || kind === 'http2Route') {
    const route = spec[kind];
    return route ? httpMatcher(route.match) : () => false;
  }
  if (kind === 'grpcRoute') return spec.grpcRoute ? grpcMatcher(spec.grpcRoute.match) : () => false;
  return () => true;
}

function httpMatcher(match: HttpRouteMatch): RouteMatcher {
  const checks: RouteMatcher[] = [];
  const { prefix, path, method, scheme, headers, queryParameters } = match;
  if (prefix !== undefined) checks.push((r) => r.url.startsWith(prefix));
  if (path?.exact !== undefined) checks.push((r) => r.path === path.exact);
  if (path?.regex !== undefined) {
    const re = fullMatch(path.regex);
    checks.push((r) => re.test(r.path));
  }
  if (method !== undefined) checks.push((r) => r.method === method);
  if (scheme !== undefined) checks.push(() => scheme === 'http');
  for (const header of headers ?? []) checks.push(headerMatcher(header));
  for (const param of queryParameters ?? []) checks.push(queryMatcher(param));
  return (r) => checks.every((check) => check(r));
}

function grpcMatcher(match: GrpcRouteMatch): RouteMatcher {
  const checks: RouteMatcher[] = [];
  const { serviceName, methodName, metadata } = match;
  if (serviceName !== undefined && methodName !== undefined) checks.push((r) => r.path === `/${serviceName}/${methodName}`);
  else if (serviceName !== undefined) checks.push((r) => r.path.startsWith(`/${serviceName}/`));
  for (const entry of metadata ?? []) checks.push(headerMatcher(entry));
  return (r) => checks.every((check) => check(r));
}

/** One header condition. `invert` negates the whole result, so an inverted condition also holds when the header is absent. */
export function headerMatcher(header: HttpRouteHeader): RouteMatcher {
  const name = header.name.toLowerCase();
  const test = valueTest(header.match);
  return (r) => {
    const raw = r.headers[name];
    // Envoy joins repeated headers with a comma before matching.
    const value = Array.isArray(raw) ? raw.join(',') : raw;
    const result = value !== undefined && test(value);
    return header.invert === true ? !result : result;
  };
}

function valueTest(match: HeaderMatchMethod | undefined): (value: string) => boolean {
  if (match === undefined || match.present === true) return () => true;
  const { exact, prefix, suffix, regex, range } = match;
  if (exact !== undefined) return (v) => v === exact;
  if (prefix !== undefined) return (v) => v.startsWith(prefix);
  if (suffix !== undefined) return (v) => v.endsWith(suffix);
  if (regex !== undefined) {
    const re = fullMatch(regex);
    return (v) => re.test(v);
  }
  if (range !== undefined) return (v) => /^-?\d+$/.test(v) && Number(v) >= range.start && Number(v) < range.end;
  return () => true;
}

function queryMatcher(param: HttpQueryParameter): RouteMatcher {
  const exact = param.match?.exact;
  return (r) => {
    const values = r.query.getAll(param.name);
    return exact === undefined ? values.length > 0 : values.includes(exact);
  };
}

function fullMatch(source: string): RegExp {
  return new RegExp(`^(?:${source})$`);
}

/**
 * App Mesh's evaluation order: routes with a priority first, lowest number first; routes
 * without one after them; ties broken by route name so the order never depends on insertion.
 */
export function compareRoutes(a: { name: string; spec: RouteSpec }, b: { name: string; spec: RouteSpec }): number {
  const pa = a.spec.priority ?? Number.POSITIVE_INFINITY;
  const pb = b.spec.priority ?? Number.POSITIVE_INFINITY;
  if (pa !== pb) return pa < pb ? -1 : 1;
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}
