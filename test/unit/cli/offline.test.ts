import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../../src/cli/main';
import { planRollout } from '../../../src/plan';
import { alwaysOnControllerMonthlyCost, estimateRolloutCost } from '../../../src/plan/cost';
import { parseSpec } from '../../../src/spec';
import { Capture, SPEC } from './support';

function io() {
  const out = new Capture();
  const err = new Capture();
  // Offline commands must never build an AWS context.
  const context = jest.fn(async () => {
    throw new Error('offline command touched AWS');
  });
  return { out, err, isTTY: false, env: {}, context };
}

const examples = readdirSync('examples')
  .filter((f) => /\.ya?ml$/.test(f))
  .map((f) => join('examples', f));

describe('canaryctl validate', () => {
  it('passes on every example spec', async () => {
    const s = io();
    expect(examples.length).toBeGreaterThan(0);
    expect(await main(['validate', ...examples], s)).toBe(0);
    for (const f of examples) expect(s.out.text).toContain(`ok       ${f}`);
    expect(s.context).not.toHaveBeenCalled();
  });

  it('fails with exit 2 naming the broken field', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'canaryctl-'));
    const file = join(dir, 'broken.yaml');
    writeFileSync(file, 'name: broken\nrouter: { appMesh: { mesh: m, virtualRouter: r } }\ntarget: { canary: v2 }\nstrategy: { steps: [10, 50, 90], bak: 5m }\n');
    const s = io();

    expect(await main(['validate', file, '--json'], s)).toBe(2);

    const [result] = JSON.parse(s.out.text).results;
    expect(result.ok).toBe(false);
    expect(result.issues).toEqual(
      expect.arrayContaining([
        { path: 'strategy.bak', message: 'unknown key (did you mean "bake"?)' },
        expect.objectContaining({ path: 'strategy.steps[2]' }),
      ]),
    );
  });

  it('reports a missing file as invalid (exit 2)', async () => {
    const s = io();
    expect(await main(['validate', 'does-not-exist.yaml'], s)).toBe(2);
    expect(s.out.text).toContain('cannot read the file (ENOENT)');
  });
});

describe('canaryctl plan', () => {
  it('prints the schedule, minimum duration and estimated cost', async () => {
    const s = io();
    expect(await main(['plan', 'examples/user-service.yaml'], s)).toBe(0);
    expect(s.out.text).toMatch(/1\s+10%\s+90%\s+\+0s\s+\+5m/);
    expect(s.out.text).toMatch(/4\s+100%\s+0%\s+\+15m\s+\+20m/);
    expect(s.out.text).toContain('Minimum duration: 20m');
    expect(s.out.text).toMatch(/Step Functions\s+21 state transitions/);
    expect(s.out.text).toContain('always-on controller');
    expect(s.out.text).toContain('$7.21 a month');
    expect(s.context).not.toHaveBeenCalled();
  });

  it('says which comparisons are sequential and that the lookout looks into their bakes', async () => {
    // Prepare
    const dir = mkdtempSync(join(tmpdir(), 'canaryctl-plan-'));
    const file = join(dir, 'spec.yaml');
    writeFileSync(
      file,
      JSON.stringify({ ...SPEC, strategy: { steps: [10, 25, 50, 100], bake: { min: '2m', max: '10m', lookInterval: '1m' } }, analysis: { compare: [{ metric: 'errorRate', test: 'sequential', margin: '0.5%' }] } }),
    );
    const s = io();

    // Act
    const code = await main(['plan', file], s);

    // Assess
    expect(code).toBe(0);
    expect(s.out.text).toContain('errorRate vs stable (sequential, α 0.05, margin 0.5 pts: a regression rolls back at once)');
    expect(s.out.text).toMatch(/one judgement per traffic step and 2 lookout look\(s\) \(no state transition\)/);
    expect(s.out.text).toMatch(/Step Functions\s+21 state transitions/); // as with a fixed bake: 3 per step, the approval gate 2
  });

  it('prints plan and cost with --json', async () => {
    const s = io();
    expect(await main(['plan', 'examples/user-service.yaml', '--json', '--per-month', '10'], s)).toBe(0);
    const out = JSON.parse(s.out.text);
    expect(out.plan.minDurationSeconds).toBe(1200);
    expect(out.cost.counts.stateTransitions).toBe(21);
    expect(out.perMonth.rollouts).toBe(10);
    expect(out.perMonth.usd).toBeCloseTo(out.cost.usd.total * 10);
  });

  it('exits 2 on an invalid spec', async () => {
    const s = io();
    const dir = mkdtempSync(join(tmpdir(), 'canaryctl-'));
    writeFileSync(join(dir, 'x.yaml'), 'name: Bad_Name\n');
    expect(await main(['plan', join(dir, 'x.yaml')], s)).toBe(2);
    expect(s.err.text).toContain('name:');
  });
});

describe('estimateRolloutCost', () => {
  const spec = parseSpec(SPEC);

  it('counts transitions and invocations from the state machine shape', () => {
    // 3 steps, beforePromotion gate: Prepare + Choice 2, gate 2, 3×3, final 4, release 1 (test/statemachine checks it against a run).
    const cost = estimateRolloutCost(planRollout(spec), spec);
    expect(cost.counts.stateTransitions).toBe(18);
    expect(cost.counts.lambdaInvocations).toBe(1 + 3 + 1 + 1 + 1 + 2);
    expect(cost.counts.describeAlarmsCalls).toBe(4);
    expect(cost.usd.stepFunctions).toBeCloseTo(18 * 0.000025, 12);
    expect(cost.usd.lambda).toBeCloseTo(9 * 0.25 * 0.3 * 0.0000133334 + 9 * 0.0000002, 12);
    expect(cost.usd.total).toBeCloseTo(cost.usd.stepFunctions + cost.usd.lambda + cost.usd.cloudWatch + cost.usd.dynamoDb + cost.usd.messaging, 12);
  });

  it('charges each lookout look one lookout invocation, one registry Query and its metric reads, and no state transition, through fixed and { min, max } bakes alike', () => {
    // Prepare: 4 steps, no approval gates, one sequential comparison, looked at once a minute for at most 10 minutes per step.
    const analysis = { alarms: ['user-5xx'], compare: [{ metric: 'errorRate', test: 'sequential', margin: '0.5%' }] };
    const ranged = parseSpec({ ...SPEC, strategy: { steps: [10, 25, 50, 100], bake: { min: '1m', max: '10m' } }, approval: {}, analysis });
    const fixed = parseSpec({ ...SPEC, strategy: { steps: [10, 25, 50, 100], bake: '10m' }, approval: {}, analysis });
    const plain = parseSpec({ ...SPEC, strategy: { steps: [10, 25, 50, 100], bake: '10m' }, approval: {}, analysis: { alarms: ['user-5xx'] } });

    // Act
    const base = estimateRolloutCost(planRollout(fixed), fixed);
    const withoutSequential = estimateRolloutCost(planRollout(plain), plain);
    const atMax = estimateRolloutCost(planRollout(ranged), ranged, {}, { lookoutPerStep: 9 });

    // Assess: the same transitions; the fixed bake's lookout looks once a minute for a regression
    // (10 per step), the range's 9 times per step besides the Step's judgement, each 4 metrics
    // (requests and errors per version).
    expect(base.counts.stateTransitions).toBe(2 + 3 * 4 + 5); // …Route, Promote, ReleaseAfterPromotion, Promoted
    expect(atMax.counts.stateTransitions).toBe(base.counts.stateTransitions);
    expect(base.counts.lookoutLooks).toBe(40);
    expect(atMax.counts.lookoutLooks).toBe(36);
    expect(base.counts.metricsRequested).toBe(4 * 4 + 40 * 4);
    expect(atMax.counts.metricsRequested).toBe(4 * 4 + 36 * 4);
    expect(atMax.counts.describeAlarmsCalls).toBe(base.counts.describeAlarmsCalls);
    const perLook = 0.0000002 + 0.25 * 0.3 * 0.0000133334 + 4 * 0.00001 + 0.00000025;
    expect(base.usd.total - atMax.usd.total).toBeCloseTo(4 * perLook - 4 * 0.00000125, 9);
    expect(atMax.usd.total).toBeLessThan(0.005);
    expect(withoutSequential.counts.lookoutLooks).toBe(0);
    expect(withoutSequential.counts.stateTransitions).toBe(base.counts.stateTransitions);
  });

  it('takes assumptions as overrides and lists them', () => {
    const cost = estimateRolloutCost(planRollout(spec), spec, { lambdaMemoryMb: 1024, lambdaSecondsPerInvocation: 1 });
    expect(cost.counts.lambdaGbSeconds).toBe(9);
    expect(cost.notes.join('\n')).toContain('1024 MB');
  });

  it('prices an always-on controller at 0.25 vCPU / 0.5 GB for 730 hours', () => {
    expect(alwaysOnControllerMonthlyCost().usd).toBeCloseTo((0.25 * 0.03238 + 0.5 * 0.00356) * 730, 6);
  });
});
