import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import { LocalMesh, type RouteSpec } from '../../src/local/mesh';
import { startLoad, type LoadRecord } from '../../src/local/load';
import { startSampleService, type SampleService } from '../../src/local/sample-service';

const STABLE = 'svc-v1';
const CANARY = 'svc-v2';
/** The version each virtual node runs, as the service reports it in `x-served-by`. */
const VERSION_OF: Record<string, string> = { [STABLE]: 'v1', [CANARY]: 'v2' };

function route(stableWeight: number, canaryWeight: number): RouteSpec {
  return {
    httpRoute: {
      match: { prefix: '/' },
      action: { weightedTargets: [{ virtualNode: STABLE, weight: stableWeight }, { virtualNode: CANARY, weight: canaryWeight }] },
    },
  };
}

function countBy<T>(items: readonly T[], key: (item: T) => string | undefined): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const item of items) {
    const k = key(item);
    if (k !== undefined) counts[k] = (counts[k] ?? 0) + 1;
  }
  return counts;
}

/** Every response came from the version of the node the mesh says it chose. */
function servedByChosenNode(records: readonly LoadRecord[]): boolean {
  return records.every((r) => r.meshTarget !== undefined && r.servedBy === VERSION_OF[r.meshTarget]);
}

describe('LocalMesh over loopback', () => {
  let v1: SampleService;
  let v2: SampleService;
  let mesh: LocalMesh;
  let url: string;

  beforeAll(async () => {
    v1 = await startSampleService({ version: 'v1', seed: 1 });
    v2 = await startSampleService({ version: 'v2', seed: 2 });
    mesh = new LocalMesh({ virtualRouter: 'svc-router', nodes: { [STABLE]: v1.url, [CANARY]: v2.url } });
    mesh.createRoute('svc-route', route(75, 25));
    ({ url } = await mesh.start());
  });

  afterAll(async () => {
    await mesh.stop();
    await Promise.all([v1.stop(), v2.stop()]);
  });

  afterEach(() => {
    v1.setFaults({ errorRate: 0, latencyMs: 0 });
    v2.setFaults({ errorRate: 0, latencyMs: 0 });
  });

  it('splits 400 requests 75/25 within two points, and its stats agree with the client', async () => {
    mesh.updateRoute('svc-route', route(75, 25));
    const from = Date.now();

    const summary = await startLoad({ url, rps: 400, maxRequests: 400, paths: ['/users', '/orders'] }).done;

    expect(summary.failed).toBe(0);
    expect(summary.completed).toBe(summary.sent);
    // On a saturated machine some requests may be skipped at maxInFlight; they are counted, never lost.
    expect(summary.sent + summary.skipped).toBe(400);
    const canaryShare = (100 * (summary.byServedBy.v2 ?? 0)) / summary.completed;
    expect(Math.abs(canaryShare - 25)).toBeLessThanOrEqual(2);
    expect(servedByChosenNode(summary.records)).toBe(true);
    const window = mesh.stats.window(from, Date.now() + 1);
    expect(window[STABLE]?.requests).toBe(summary.byMeshTarget[STABLE]);
    expect(window[CANARY]?.requests).toBe(summary.byMeshTarget[CANARY]);
  });

  it('shifts weights while requests are in flight without failing any, and the stable gets nothing after 0/100', async () => {
    mesh.updateRoute('svc-route', route(75, 25));
    // Slow answers keep several requests in flight at every change.
    v1.setFaults({ latencyMs: 15 });
    v2.setFaults({ latencyMs: 15 });
    // Changes are paced by finished requests, not by the clock: every weight carries 100 requests however slow the machine.
    const load = startLoad({ url, rps: 300, maxRequests: 800, durationMs: 120_000 });
    const inFlightAtChange: number[] = [];
    const changes: Array<[number, number]> = [[50, 50], [25, 75], [10, 90], [0, 100]];
    let finished = 0;
    let lastChange = 0;
    const off = load.on('record', () => {
      if (++finished % 100 !== 0 || changes.length === 0) return;
      inFlightAtChange.push(mesh.inFlight);
      const [stableWeight, canaryWeight] = changes.shift()!;
      mesh.updateRoute('svc-route', route(stableWeight, canaryWeight));
      if (changes.length === 0) lastChange = Date.now();
    });

    const summary = await load.done;
    off();

    expect(inFlightAtChange).toHaveLength(4);
    expect(inFlightAtChange.filter((n) => n > 0).length).toBeGreaterThanOrEqual(3);
    expect(summary.failed).toBe(0);
    expect(summary.completed).toBe(summary.sent);
    expect(servedByChosenNode(summary.records)).toBe(true);
    expect(summary.byServedBy.v1).toBeGreaterThan(0);
    const afterClient = summary.records.filter((r) => r.at > lastChange);
    const afterMesh = mesh.stats.since(lastChange + 1);
    expect(afterClient.length).toBeGreaterThan(50);
    expect(countBy(afterClient, (r) => r.servedBy)).toEqual({ v2: afterClient.length });
    expect(countBy(afterMesh, (r) => r.target)).toEqual({ [CANARY]: afterMesh.length });
    expect(mesh.stats.window(lastChange + 1, Date.now() + 1)[STABLE]).toBeUndefined();
  });

  it('marks every failure of an injected 20% error rate as injected, and stats count the same errors', async () => {
    mesh.updateRoute('svc-route', route(50, 50));
    v2.setFaults({ errorRate: 0.2 });
    const from = Date.now();

    const summary = await startLoad({ url, rps: 400, maxRequests: 400 }).done;

    const canaryRequests = summary.byServedBy.v2 ?? 0;
    expect(summary.failed).toBeGreaterThan(0);
    expect(summary.failures.every((f) => f.injected && f.injectedFault === 'error' && f.status === 500 && f.servedBy === 'v2')).toBe(true);
    expect(Math.abs(summary.failed - 0.2 * canaryRequests)).toBeLessThanOrEqual(2);
    const window = mesh.stats.window(from, Date.now() + 1);
    const clientErrors = countBy(summary.records.filter((r) => r.status >= 500), (r) => r.meshTarget);
    expect(window[CANARY]?.errors).toBe(clientErrors[CANARY]);
    expect(window[STABLE]?.errors).toBe(0);
    expect(window[CANARY]?.requests).toBe(summary.byMeshTarget[CANARY]);
    expect(window[CANARY]?.errorRate).toBeCloseTo((clientErrors[CANARY] ?? 0) / canaryRequests, 10);
  });

  it('forwards method, path and body, and tags the response with the chosen node', async () => {
    mesh.updateRoute('svc-route', route(0, 100));
    const res = await request(`${url}/orders/7?x=1`, { method: 'POST', body: JSON.stringify({ qty: 1 }), headers: { 'content-type': 'application/json' } });

    expect(res.statusCode).toBe(200);
    expect(res.headers['x-mesh-target']).toBe(CANARY);
    expect(await res.body.json()).toEqual({ version: 'v2', path: '/orders/7' });
  });

  it('answers 404 with a JSON body when no route matches', async () => {
    const other = new LocalMesh({ virtualRouter: 'api-router', nodes: { [STABLE]: v1.url } });
    other.createRoute('api', { httpRoute: { match: { prefix: '/api' }, action: { weightedTargets: [{ virtualNode: STABLE, weight: 1 }] } } });
    const started = await other.start();
    try {
      const res = await request(`${started.url}/web`);
      expect(res.statusCode).toBe(404);
      expect(await res.body.json()).toMatchObject({ error: 'NoRouteMatched' });
      expect(other.stats.total().unmatched).toBe(1);
    } finally {
      await other.stop();
    }
  });

  it('answers 503 naming the node when its upstream refuses connections', async () => {
    const downUrl = await closedPortUrl();
    const other = new LocalMesh({ virtualRouter: 'svc-router', nodes: { 'svc-down': downUrl } });
    other.createRoute('r', { httpRoute: { match: { prefix: '/' }, action: { weightedTargets: [{ virtualNode: 'svc-down', weight: 1 }] } } });
    const started = await other.start();
    try {
      const res = await request(`${started.url}/`);
      expect(res.statusCode).toBe(503);
      expect(res.headers['x-mesh-target']).toBe('svc-down');
      expect(await res.body.text()).toContain('svc-down');
      expect(other.stats.since(0)).toEqual([expect.objectContaining({ target: 'svc-down', status: 503, error: expect.stringContaining('svc-down') })]);
    } finally {
      await other.stop();
    }
  });
});

/** A loopback URL on which nothing listens (a port just released). */
async function closedPortUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}
