import { badRequest, notFound } from './errors';
import { ROUTE_KINDS, type RouteKind, type RouteSpec } from './types';

const METHODS = ['CONNECT', 'DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT', 'TRACE'];
const MAX_TARGETS = 10;
const MAX_HEADERS = 10;

type Obj = Record<string, unknown>;

/**
 * Checks a route spec the way App Mesh's UpdateRoute/CreateRoute would, so that a spec the
 * local mesh accepts is one the real API accepts too. Throws a LocalMeshError whose message
 * names the field (`spec.httpRoute.action.weightedTargets[1].weight`), or the unknown virtual node.
 *
 * Deliberately stricter than App Mesh in one place: weights summing to 0 are refused, because
 * such a route would send every request nowhere.
 */
export function validateRouteSpec(spec: unknown, knownNodes: ReadonlySet<string>, virtualRouter: string): { spec: RouteSpec; kind: RouteKind } {
  const root = object(spec, 'spec');
  const kinds = ROUTE_KINDS.filter((k) => root[k] !== undefined);
  const kind = kinds[0];
  if (kind === undefined || kinds.length > 1) {
    throw badRequest(`spec must contain exactly one of ${ROUTE_KINDS.join(', ')}; found ${kinds.length === 0 ? 'none' : kinds.join(', ')}`);
  }
  if (root.priority !== undefined) integer(root.priority, 'spec.priority', 0, 1000);
  const route = object(root[kind], `spec.${kind}`);
  const at = `spec.${kind}`;
  if (kind === 'httpRoute' || kind === 'http2Route') checkHttpMatch(route.match, `${at}.match`);
  else if (kind === 'grpcRoute') checkGrpcMatch(route.match, `${at}.match`);
  else if (route.match !== undefined) object(route.match, `${at}.match`);
  checkAction(route.action, `${at}.action`, knownNodes, virtualRouter);
  return { spec: root as RouteSpec, kind };
}

function checkAction(value: unknown, at: string, knownNodes: ReadonlySet<string>, virtualRouter: string): void {
  const action = object(value, at);
  const targets = action.weightedTargets;
  if (!Array.isArray(targets) || targets.length < 1 || targets.length > MAX_TARGETS) {
    throw badRequest(`${at}.weightedTargets must hold 1-${MAX_TARGETS} targets; got ${Array.isArray(targets) ? targets.length : typeof targets}`);
  }
  let sum = 0;
  targets.forEach((t, i) => {
    const target = object(t, `${at}.weightedTargets[${i}]`);
    sum += checkTarget(target, `${at}.weightedTargets[${i}]`, knownNodes, virtualRouter);
  });
  const names = targets.map((t) => (t as Obj).virtualNode);
  const duplicate = names.find((n, i) => names.indexOf(n) !== i);
  if (duplicate !== undefined) throw badRequest(`${at}.weightedTargets names virtual node ${String(duplicate)} more than once`);
  if (sum === 0) throw badRequest(`${at}.weightedTargets: weights sum to 0, so no target would receive traffic`);
}

function checkTarget(target: Obj, at: string, knownNodes: ReadonlySet<string>, virtualRouter: string): number {
  const node = nonEmptyString(target.virtualNode, `${at}.virtualNode`);
  if (!knownNodes.has(node)) {
    throw notFound(`${at}.virtualNode: virtual node ${node} not found (virtual router ${virtualRouter} knows ${[...knownNodes].join(', ') || 'no nodes'})`);
  }
  if (target.port !== undefined) integer(target.port, `${at}.port`, 1, 65535);
  return integer(target.weight, `${at}.weight`, 0, 100);
}

function checkHttpMatch(value: unknown, at: string): void {
  const match = object(value, at);
  if (match.prefix === undefined && match.path === undefined) throw badRequest(`${at} must specify prefix or path`);
  if (match.prefix !== undefined && !nonEmptyString(match.prefix, `${at}.prefix`).startsWith('/')) {
    throw badRequest(`${at}.prefix must start with /; got ${String(match.prefix)}`);
  }
  if (match.path !== undefined) checkPathMatch(match.path, `${at}.path`);
  if (match.method !== undefined && !METHODS.includes(String(match.method))) {
    throw badRequest(`${at}.method must be one of ${METHODS.join(', ')}; got ${String(match.method)}`);
  }
  if (match.scheme !== undefined && match.scheme !== 'http' && match.scheme !== 'https') {
    throw badRequest(`${at}.scheme must be http or https; got ${String(match.scheme)}`);
  }
  if (match.port !== undefined) integer(match.port, `${at}.port`, 1, 65535);
  if (match.headers !== undefined) checkHeaders(match.headers, `${at}.headers`);
  if (match.queryParameters !== undefined) checkQueryParameters(match.queryParameters, `${at}.queryParameters`);
}

function checkGrpcMatch(value: unknown, at: string): void {
  const match = object(value, at);
  if (match.serviceName !== undefined) nonEmptyString(match.serviceName, `${at}.serviceName`);
  if (match.methodName !== undefined) {
    nonEmptyString(match.methodName, `${at}.methodName`);
    if (match.serviceName === undefined) throw badRequest(`${at}.methodName requires serviceName`);
  }
  if (match.metadata !== undefined) checkHeaders(match.metadata, `${at}.metadata`);
  if (match.port !== undefined) integer(match.port, `${at}.port`, 1, 65535);
}

function checkPathMatch(value: unknown, at: string): void {
  const path = object(value, at);
  const given = ['exact', 'regex'].filter((k) => path[k] !== undefined);
  if (given.length !== 1) throw badRequest(`${at} must specify exactly one of exact, regex`);
  if (path.exact !== undefined) nonEmptyString(path.exact, `${at}.exact`);
  if (path.regex !== undefined) regex(path.regex, `${at}.regex`);
}

function checkHeaders(value: unknown, at: string): void {
  if (!Array.isArray(value) || value.length < 1 || value.length > MAX_HEADERS) {
    throw badRequest(`${at} must hold 1-${MAX_HEADERS} entries`);
  }
  value.forEach((h, i) => {
    const header = object(h, `${at}[${i}]`);
    nonEmptyString(header.name, `${at}[${i}].name`);
    if (header.invert !== undefined && typeof header.invert !== 'boolean') throw badRequest(`${at}[${i}].invert must be a boolean`);
    if (header.match !== undefined) checkHeaderMatch(header.match, `${at}[${i}].match`);
  });
}

function checkHeaderMatch(value: unknown, at: string): void {
  const match = object(value, at);
  const methods = ['exact', 'prefix', 'suffix', 'regex', 'range', 'present'].filter((k) => match[k] !== undefined);
  if (methods.length !== 1) throw badRequest(`${at} must specify exactly one of exact, prefix, suffix, regex, range, present`);
  for (const k of ['exact', 'prefix', 'suffix'] as const) if (match[k] !== undefined) nonEmptyString(match[k], `${at}.${k}`);
  if (match.regex !== undefined) regex(match.regex, `${at}.regex`);
  if (match.present !== undefined && match.present !== true) throw badRequest(`${at}.present must be true (use invert to require absence)`);
  if (match.range !== undefined) {
    const range = object(match.range, `${at}.range`);
    const start = integer(range.start, `${at}.range.start`);
    const end = integer(range.end, `${at}.range.end`);
    if (start >= end) throw badRequest(`${at}.range: start (${start}) must be below end (${end}); end is exclusive`);
  }
}

function checkQueryParameters(value: unknown, at: string): void {
  if (!Array.isArray(value) || value.length < 1 || value.length > MAX_HEADERS) {
    throw badRequest(`${at} must hold 1-${MAX_HEADERS} entries`);
  }
  value.forEach((q, i) => {
    const param = object(q, `${at}[${i}]`);
    nonEmptyString(param.name, `${at}[${i}].name`);
    if (param.match !== undefined) {
      const match = object(param.match, `${at}[${i}].match`);
      if (match.exact !== undefined && typeof match.exact !== 'string') throw badRequest(`${at}[${i}].match.exact must be a string`);
    }
  });
}

function object(value: unknown, at: string): Obj {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw badRequest(`${at} must be an object`);
  return value as Obj;
}

function nonEmptyString(value: unknown, at: string): string {
  if (typeof value !== 'string' || value.length === 0) throw badRequest(`${at} must be a non-empty string; got ${JSON.stringify(value)}`);
  return value;
}

function integer(value: unknown, at: string, min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    const range = min === Number.MIN_SAFE_INTEGER ? 'an integer' : `an integer ${min}-${max}`;
    throw badRequest(`${at} must be ${range}; got ${JSON.stringify(value)}`);
  }
  return value;
}

function regex(value: unknown, at: string): void {
  const source = nonEmptyString(value, at);
  try {
    new RegExp(source);
  } catch (err) {
    throw badRequest(`${at} is not a valid regular expression: ${(err as Error).message}`);
  }
}
