import { EventEmitter } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SmoothWeightedRoundRobin, sameTargets } from './balancer';
import { LocalMeshError, notFound } from './errors';
import { compareRoutes, compileMatcher, parseRequest, type RouteMatcher } from './match';
import { createUpstream, forward, sendJson, type ForwardOutcome, type Upstream } from './proxy';
import { MeshStats, type RequestRecord } from './stats';
import type { MeshRequest, RouteDescription, RouteKind, RouteSpec, WeightedTarget } from './types';
import { validateRouteSpec } from './validate';

/** Options of a LocalMesh. */
export interface LocalMeshOptions {
  /** Name reported as the virtual router in descriptions and errors. */
  virtualRouter: string;
  /** Virtual node name → upstream base URL (e.g. `http://127.0.0.1:8081`). */
  nodes: Record<string, string>;
  /** Interface to listen on; loopback by default so the demo never exposes a port. */
  host?: string;
  /** Ring buffer size of the request stats. */
  statsCapacity?: number;
}

/** Where a request goes: the route that matched and the virtual node chosen. */
export interface Resolution {
  route: string;
  target: string;
}

/**
 * A route as installed. Entries are immutable: an update builds a new entry and swaps it in
 * with one assignment, so a request resolved against the old entry simply finishes on the
 * target it was given, and no request ever sees half a configuration.
 */
interface RouteEntry {
  readonly name: string;
  readonly kind: RouteKind;
  readonly spec: RouteSpec;
  readonly targets: readonly WeightedTarget[];
  readonly version: number;
  readonly lastUpdatedAt: Date;
  readonly matches: RouteMatcher;
  readonly balancer: SmoothWeightedRoundRobin;
}

/**
 * A local stand-in for an App Mesh virtual router and its Envoy data plane: it accepts the
 * same route specs as DescribeRoute/UpdateRoute, validates them as App Mesh would, and proxies
 * real HTTP requests to the virtual nodes' upstreams by those routes. Emits `request` with
 * every RequestRecord.
 */
export class LocalMesh extends EventEmitter {
  /** Every proxied request, for alarms and reports. */
  readonly stats: MeshStats;
  private readonly virtualRouter: string;
  private readonly host: string;
  private readonly upstreams = new Map<string, Upstream>();
  private routes = new Map<string, RouteEntry>();
  private ordered: RouteEntry[] = [];
  private server: Server | undefined;
  private listeningUrl: string | undefined;
  private active = 0;
  private stopped = false;

  constructor(opts: LocalMeshOptions) {
    super();
    this.virtualRouter = opts.virtualRouter;
    this.host = opts.host ?? '127.0.0.1';
    this.stats = new MeshStats(opts.statsCapacity);
    for (const [name, url] of Object.entries(opts.nodes)) this.upstreams.set(name, createUpstream(url));
  }

  /** Starts the data plane on `port` (0: any free port). */
  async start(port = 0): Promise<{ url: string }> {
    if (this.server) throw new Error(`local mesh ${this.virtualRouter} is already listening on ${this.listeningUrl}`);
    if (this.stopped) throw new Error(`local mesh ${this.virtualRouter} was stopped; create a new one`);
    const server = createServer((req, res) => void this.handle(req, res));
    server.keepAliveTimeout = 30_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, this.host, () => resolve());
    });
    this.server = server;
    this.listeningUrl = `http://${this.host}:${(server.address() as AddressInfo).port}`;
    return { url: this.listeningUrl };
  }

  /**
   * Stops listening, lets in-flight requests finish (for at most `graceMs`), then closes the
   * upstream pools. Idempotent; a stopped mesh cannot start again.
   */
  async stop(graceMs = 2_000): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    const server = this.server;
    this.server = undefined;
    if (server) {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const force = setTimeout(() => server.closeAllConnections(), graceMs);
      await closed;
      clearTimeout(force);
    }
    await Promise.all([...this.upstreams.values()].map((u) => u.pool.close()));
  }

  /** The data plane's base URL once started. */
  get url(): string | undefined {
    return this.listeningUrl;
  }

  /** Requests currently being proxied. */
  get inFlight(): number {
    return this.active;
  }

  /** CreateRoute: installs a new route at version 1. */
  createRoute(name: string, spec: RouteSpec): RouteDescription {
    if (this.routes.has(name)) {
      throw new LocalMeshError('ConflictException', `route ${name} already exists in virtual router ${this.virtualRouter}`);
    }
    this.install(this.build(name, spec, 1, undefined));
    return this.describeRoute(name);
  }

  /** DescribeRoute: a deep copy, so callers cannot change the installed route by mutating it. */
  describeRoute(name: string): RouteDescription {
    const entry = this.entry(name);
    return structuredClone({
      routeName: entry.name,
      virtualRouterName: this.virtualRouter,
      spec: entry.spec,
      metadata: { version: entry.version, lastUpdatedAt: entry.lastUpdatedAt },
    });
  }

  /** Names of the installed routes, in the order requests are matched against them. */
  listRoutes(): string[] {
    return this.ordered.map((r) => r.name);
  }

  /**
   * UpdateRoute: replaces the whole spec (as App Mesh does) and returns the new description
   * with the version incremented. The swap is atomic; requests already sent are not affected.
   */
  updateRoute(name: string, spec: RouteSpec): RouteDescription {
    const previous = this.entry(name);
    this.install(this.build(name, spec, previous.version + 1, previous));
    return this.describeRoute(name);
  }

  /**
   * Installs (or replaces) a plain weighted forward for the other routers' facades (ELBv2, VPC
   * Lattice, Lambda aliases): they validate requests against their own API's rules first, so
   * this takes any integer weights (ALB's 0-999, an alias' scaled fractions) instead of App
   * Mesh's 0-100. Requests matching `prefix` go to the named nodes in those proportions.
   */
  setForwarding(name: string, match: { prefix: string; priority: number }, targets: ReadonlyArray<{ node: string; weight: number }>): void {
    for (const t of targets) {
      if (!this.upstreams.has(t.node)) throw notFound(`forward target ${t.node} is not a node of the local mesh (${[...this.upstreams.keys()].join(', ')})`);
      if (!Number.isInteger(t.weight) || t.weight < 0) throw new LocalMeshError('BadRequestException', `forward weight of ${t.node} must be a whole number >= 0, got ${t.weight}`);
    }
    if (!targets.some((t) => t.weight > 0)) throw new LocalMeshError('BadRequestException', `forward ${name}: weights sum to 0, so no target would receive traffic`);
    const spec = {
      httpRoute: { match: { prefix: match.prefix }, action: { weightedTargets: targets.map((t) => ({ virtualNode: t.node, weight: t.weight })) } },
      priority: match.priority,
    } as RouteSpec;
    const previous = this.routes.get(name);
    this.install(this.build(name, spec, (previous?.version ?? 0) + 1, previous, true));
  }

  /**
   * Adds a node once its code exists (a Lambda version published during the run); routes may
   * name it from then on. A name is bound once: rebinding it would move traffic silently.
   */
  addNode(name: string, url: string): void {
    if (this.stopped) throw new Error(`local mesh ${this.virtualRouter} was stopped`);
    if (this.upstreams.has(name)) throw new LocalMeshError('ConflictException', `node ${name} already exists in the local mesh ${this.virtualRouter}`);
    this.upstreams.set(name, createUpstream(url));
  }

  /** Whether a node of that name exists. */
  hasNode(name: string): boolean {
    return this.upstreams.has(name);
  }

  /** DeleteRoute. */
  deleteRoute(name: string): void {
    this.entry(name);
    const routes = new Map(this.routes);
    routes.delete(name);
    this.swap(routes);
  }

  /**
   * Picks the route and target for a request, advancing that route's balancer. The data plane
   * calls this once per request; tests call it to check routing without sockets.
   */
  resolve(req: MeshRequest): Resolution | undefined {
    const parsed = parseRequest(req);
    const route = this.ordered.find((r) => r.matches(parsed));
    const target = route?.balancer.next();
    return route && target ? { route: route.name, target } : undefined;
  }

  private entry(name: string): RouteEntry {
    const entry = this.routes.get(name);
    if (!entry) throw notFound(`route ${name} not found in virtual router ${this.virtualRouter}`);
    return entry;
  }

  private build(name: string, input: RouteSpec, version: number, previous: RouteEntry | undefined, trusted = false): RouteEntry {
    const { spec, kind } = trusted ? { spec: input, kind: 'httpRoute' as const } : validateRouteSpec(structuredClone(input), new Set(this.upstreams.keys()), this.virtualRouter);
    const targets = spec[kind]?.action.weightedTargets ?? [];
    // Keep the balancer's position when only the match changed; restart it when the targets did,
    // so the new weights are exact from the first request after the change.
    const balancer = previous && sameTargets(previous.targets, targets) ? previous.balancer : new SmoothWeightedRoundRobin(targets);
    return { name, kind, spec, targets, version, lastUpdatedAt: new Date(), matches: compileMatcher(spec, kind), balancer };
  }

  private install(entry: RouteEntry): void {
    this.swap(new Map(this.routes).set(entry.name, entry));
  }

  private swap(routes: Map<string, RouteEntry>): void {
    this.ordered = [...routes.values()].sort(compareRoutes);
    this.routes = routes;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const at = Date.now();
    const started = performance.now();
    const resolution = this.resolve({ method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers });
    if (!resolution) {
      this.stats.recordUnmatched();
      req.resume();
      sendJson(res, 404, { error: 'NoRouteMatched', message: `no route of virtual router ${this.virtualRouter} matches ${req.method} ${req.url}` });
      return;
    }
    const upstream = this.upstreams.get(resolution.target);
    if (!upstream) {
      failed(res, resolution.target, new Error('no upstream is configured for it'));
      return;
    }
    this.active += 1;
    try {
      const outcome = await forward(upstream, resolution.target, req, res).catch((err: unknown) => failed(res, resolution.target, err));
      const rec: RequestRecord = { at, ...resolution, status: outcome.status, latencyMs: performance.now() - started };
      if (outcome.error !== undefined) rec.error = outcome.error;
      this.stats.record(rec);
      this.emit('request', rec);
    } finally {
      this.active -= 1;
    }
  }
}

/** Last resort for a bug in forwarding: answer 502 rather than leave the client hanging or crash the process. */
function failed(res: ServerResponse, target: string, err: unknown): ForwardOutcome {
  const message = `mesh failed to forward to virtual node ${target}: ${err instanceof Error ? err.message : String(err)}`;
  if (!res.headersSent) sendJson(res, 502, { error: 'MeshError', target, message }, { 'x-mesh-target': target });
  else res.destroy();
  return { status: 502, error: message };
}

/** The `request` event carries every RequestRecord. */
export interface LocalMesh {
  on(event: 'request', listener: (rec: RequestRecord) => void): this;
  once(event: 'request', listener: (rec: RequestRecord) => void): this;
  off(event: 'request', listener: (rec: RequestRecord) => void): this;
}
