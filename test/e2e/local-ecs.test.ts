import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { runLocal, type LocalRunOptions } from '../../src/local/runner';
import { planRollout } from '../../src/plan';
import { estimateRolloutCost } from '../../src/plan/cost';
import { parseSpecText } from '../../src/spec/load';

/**
 * examples/orders-ecs.yaml run locally: the real state machine's ECS phases and the real ECS
 * adapter against the local ECS API, whose canary deployment starts the canary sample service.
 */
const example = parseSpecText(readFileSync(join(__dirname, '..', '..', 'examples', 'orders-ecs.yaml'), 'utf8'), 'examples/orders-ecs.yaml');
// The example fails a step on missing data; on a loaded test machine a stalled second of traffic
// would end the run for a reason that has nothing to do with ECS, so a thin window is re-checked.
const spec = { ...example, analysis: { ...example.analysis, onInsufficientData: 'wait' as const } };

async function run(options: Partial<LocalRunOptions>) {
  let output = '';
  const out = new Writable({ write: (chunk, _e, done) => ((output += String(chunk)), done()) });
  const result = await runLocal({ spec, bakeSeconds: 2, rps: 250, approve: 'auto', out, tailSeconds: 1, ...options });
  return { result, output };
}

describe('examples/orders-ecs.yaml on the local runner', () => {
  it('deploys the canary service, shifts 20/40/60 %, promotes the primary onto the canary version and scales the canary down', async () => {
    const { result, output } = await run({});

    expect({ outcome: result.outcome, reason: result.reason }).toEqual({ outcome: 'promoted', reason: undefined });
    expect(result.steps.map((s) => s.weight)).toEqual([20, 40, 60]);
    const messages = result.events.map((e) => `${e.kind}: ${e.message}`);
    const deployed = messages.findIndex((m) => /canary service orders-canary → .*task-definition\/orders:2 .*orders@sha256:/.test(m));
    const steady = messages.findIndex((m) => /canary service orders-canary is steady/.test(m));
    const firstShift = messages.findIndex((m) => m.startsWith('shifted'));
    expect(deployed).toBeGreaterThanOrEqual(0);
    expect(steady).toBeGreaterThan(deployed);
    expect(firstShift).toBeGreaterThan(steady);
    expect(messages.at(-1)).toMatch(/orders-primary runs .*task-definition\/orders:3 .*orders-canary scaled to zero/);
    // Every request the canary answered came after its deployment started its tasks.
    expect(result.load.byServedBy.canary).toBeGreaterThan(0);
    expect(result.unexplainedFailures).toBe(0);
    // canaryctl plan's model predicts this run's counts (each deployment steady at its first check).
    const estimate = estimateRolloutCost(planRollout(spec), spec).counts;
    expect(result.transitions).toBe(estimate.stateTransitions);
    expect(Object.values(result.lambdaInvocations).reduce((a, b) => a + b, 0)).toBe(estimate.lambdaInvocations);
    expect(output.trim().split('\n').at(-1)).toMatch(/^PROMOTED: orders-primary now runs the canary's version and takes all traffic/);
  });

  it('rolls back a failing canary, scales the canary service to 0 and sends it no request afterwards', async () => {
    const { result } = await run({ canaryErrors: 0.3 });

    expect(result.outcome).toBe('rolled back');
    expect(result.reason).toContain('orders-5xx');
    expect(result.canaryRequestsAfterRollback).toBe(0);
    expect(result.lambdaInvocations.scaleDownCanary).toBe(1);
  });

  it('refuses an image that is not pinned by digest before deploying anything', async () => {
    const { result } = await run({ image: 'orders:latest' });

    expect(result.outcome).not.toBe('promoted');
    expect(result.reason).toMatch(/not pinned by digest/);
    expect(result.steps).toEqual([]);
    expect(result.lambdaInvocations.deployCanary ?? 0).toBe(0);
  });
});
