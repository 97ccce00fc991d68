import { GetMetricDataCommand, type GetMetricDataCommandInput, type MetricDataResult } from '@aws-sdk/client-cloudwatch';
import { CloudWatchMetricData } from '../../src/analysis/metric-data';
import { CANARY, Harness, STABLE, USER_ROUTE, specInput } from './harness';

const ROUTE_KEY = 'appmesh:my-mesh/user-router/user-route';

/** What each virtual node served in the current minute, as the test sets it. */
interface NodeTraffic {
  requests: number;
  errors: number;
  p99Ms: number;
}

let h: Harness;
let traffic: Record<string, NodeTraffic>;
let metricCalls: number;

/**
 * CloudWatch's GetMetricData for the mesh namespace, answered from `traffic`: one datapoint in the
 * current minute per node that served requests, none for a node that served nothing.
 */
beforeEach(() => {
  h = new Harness();
  traffic = { [STABLE]: { requests: 5000, errors: 5, p99Ms: 80 }, [CANARY]: { requests: 500, errors: 0, p99Ms: 90 } };
  metricCalls = 0;
  h.alarms.mock.on(GetMetricDataCommand).callsFake((input: GetMetricDataCommandInput) => {
    metricCalls++;
    const minute = Math.floor(Date.now() / 60_000) * 60_000;
    const results: MetricDataResult[] = (input.MetricDataQueries ?? []).map((q) => {
      const dims = Object.fromEntries((q.MetricStat?.Metric?.Dimensions ?? []).map((d) => [d.Name, d.Value]));
      const t = traffic[dims.VirtualNode ?? ''];
      const name = q.MetricStat?.Metric?.MetricName;
      const value = !t || t.requests === 0 ? undefined : name === 'RequestCount' ? t.requests : name === 'HTTPCode_5XX_Count' ? t.errors || undefined : name === 'ResponseTime' ? t.p99Ms : undefined;
      return { Id: q.Id, Label: name, Timestamps: value === undefined ? [] : [new Date(minute)], Values: value === undefined ? [] : [value], StatusCode: 'Complete' };
    });
    return { MetricDataResults: results, Messages: [] };
  });
  h.deps.metrics = new CloudWatchMetricData(h.alarms.client, { attempts: 2, baseMs: 1 });
});
afterEach(() => h.close());

const p99Check = {
  name: 'canary-p99',
  metric: { namespace: 'CanaryController/Mesh', metricName: 'ResponseTime', dimensions: { Mesh: '{{mesh}}', VirtualNode: '{{canary}}' }, stat: 'p99' },
  max: 250,
};

describe('rollout state machine with metric analysis (real ASL, real handlers)', () => {
  it('rolls back to the exact snapshot when a metric check fails at step 2, with the numbers in the verdict', async () => {
    // Prepare: the canary's p99 jumps to 400 ms once it takes 25 %.
    h.mesh.onUpdate = (_route, spec) => {
      if (spec.httpRoute?.action?.weightedTargets?.some((t) => t.virtualNode === CANARY && t.weight === 25)) traffic[CANARY]!.p99Ms = 400;
    };

    // Act
    const execution = h.start(specInput({ analysis: { alarms: [], metrics: [p99Check], compare: [{ metric: 'errorRate', maxIncrease: '1%' }] } }));
    const outcome = await execution.result;

    // Assess
    expect(outcome).toMatchObject({ status: 'FAILED', error: 'Canary.RolledBack' });
    expect(outcome.cause).toContain('step 2 (25%): canary-p99 failed (1 of 1 periods outside ≤ 250 (worst 400))');
    expect(JSON.stringify(h.mesh.spec('user-route'))).toBe(JSON.stringify(USER_ROUTE));
    expect(h.mesh.weightsWritten('user-route', CANARY)).toEqual([10, 25, 0]);
    expect(await h.store.getLock(ROUTE_KEY)).toBeUndefined();
    const verdicts = (await h.store.listEvents(execution.name)).filter((e) => e.kind === 'verdict');
    expect(verdicts.map((v) => `${v.step}:${v.verdict}`)).toEqual(['0:healthy', '1:failed']);
    expect(verdicts[1]!.checks).toEqual([
      expect.objectContaining({ name: 'errorRate', kind: 'compare', state: 'OK', evidence: expect.objectContaining({ canary: '0.00% (0/500)', stable: '0.10% (5/5000)', limit: '≤ stable + 1 pts' }) }),
      expect.objectContaining({ name: 'canary-p99', kind: 'query', state: 'ALARM', evidence: expect.objectContaining({ values: [400], limit: '≤ 250' }) }),
    ]);
    // One GetMetricData per judgement: two judgements.
    expect(metricCalls).toBe(2);
  });

  it('judges low canary traffic inconclusive and re-checks, then passes once traffic arrives', async () => {
    // Prepare: 20 canary requests, below minRequests 100; the canary is failing them all.
    traffic[CANARY] = { requests: 20, errors: 20, p99Ms: 90 };
    const spec = specInput({
      strategy: { steps: [50, 100], bake: '60s' },
      analysis: { alarms: [], compare: [{ metric: 'errorRate', maxIncrease: '1%', minRequests: 100 }], insufficientDataLimit: 5, recheckInterval: '60s' },
    });

    // Act
    const execution = h.start(spec);
    await h.until(async () => (await h.store.listEvents(execution.name)).filter((e) => e.verdict === 'inconclusive').length >= 2, 'two re-checks');
    traffic[CANARY] = { requests: 800, errors: 1, p99Ms: 90 };
    const outcome = await execution.result;

    // Assess
    expect(outcome.status).toBe('SUCCEEDED');
    const verdicts = (await h.store.listEvents(execution.name)).filter((e) => e.kind === 'verdict');
    const first = verdicts.map((v) => `${v.step}:${v.verdict}`);
    expect(first.slice(0, 2)).toEqual(['0:inconclusive', '0:inconclusive']);
    expect(first).toContain('0:healthy');
    expect(verdicts[0]!.message).toContain('waiting for data from errorRate');
    expect(verdicts[0]!.checks?.[0]?.reason).toBe('20 canary requests in the window, need 100 to compare');
  });

  it('refuses the shift when a beforeStep hook does not pass, restoring the route', async () => {
    // Prepare: the load-test hook refuses step 2.
    const invoked: Array<{ step: number; phase: string }> = [];
    h.deps.customChecks = {
      invoke: async (_fn, payload) => {
        const ctx = JSON.parse(payload) as { step: number; phase: string };
        invoked.push({ step: ctx.step, phase: ctx.phase });
        return { payload: JSON.stringify(ctx.step === 1 ? { result: 'fail', reason: 'load generator unavailable' } : { result: 'pass' }) };
      },
      secret: async () => 'unused',
      fetch: () => Promise.reject(new Error('no network in this test')),
    };

    // Act
    const execution = h.start(specInput({ analysis: { alarms: [] }, hooks: { beforeStep: [{ name: 'load-test', function: 'start-load-test' }] } }));
    const outcome = await execution.result;

    // Assess
    expect(outcome).toMatchObject({ status: 'FAILED', error: 'Canary.RolledBack' });
    expect(outcome.cause).toContain('before step 2 (25%): hook load-test did not pass (load generator unavailable)');
    expect(invoked).toEqual([
      { step: 0, phase: 'beforeStep' },
      { step: 1, phase: 'beforeStep' },
    ]);
    expect(h.mesh.weightsWritten('user-route', CANARY)).toEqual([10, 0]);
    expect(JSON.stringify(h.mesh.spec('user-route'))).toBe(JSON.stringify(USER_ROUTE));
  });
});
