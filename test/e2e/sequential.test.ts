import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { runLocal, type LocalRunOptions, type LocalRunResult } from '../../src/local/runner';
import { parseSpecText } from '../../src/spec/load';

/**
 * `npm run demo -- --judge sequential` end to end: real requests through the local mesh,
 * per-version counts through the local GetMetricData facade, the sequential test in the real
 * state machine looking once a second during `{ min, max }` bakes.
 */
const demo = parseSpecText(readFileSync(join(__dirname, '..', '..', 'examples', 'demo.yaml'), 'utf8'), 'examples/demo.yaml');

class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer, _enc: string, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

async function run(options: Partial<LocalRunOptions>): Promise<LocalRunResult> {
  return runLocal({ spec: demo, approve: 'auto', out: new Capture(), tailSeconds: 1, judge: 'sequential', ...options });
}

/** Looks (judgements) per step, from the verdict events: a look happens once a second of bake. */
function looksPerStep(result: LocalRunResult): Map<number, number> {
  const looks = new Map<number, number>();
  for (const e of result.events) if (e.kind === 'verdict' && e.step !== undefined) looks.set(e.step, (looks.get(e.step) ?? 0) + 1);
  return looks;
}

describe('demo with --judge sequential (end to end)', () => {
  it('rolls back a canary failing 2 % of requests at a look inside the bake, before the bake would have ended', async () => {
    // Act: bakes of { min: 2s, max: 8s }, a look every second.
    const result = await run({ canaryErrors: 0.02, bakeSeconds: 8, rps: 250 });

    // Assess
    expect(result.outcome).toBe('rolled back');
    expect(result.reason).toMatch(/errorRate failed \(sequential \(α 0\.05\) .* regression: evidence .* ≥ 1\/α = 20\)/);
    const failed = result.events.find((e) => e.kind === 'verdict' && e.verdict === 'failed')!;
    // Fewer looks at the failing step than its 8 s bake holds: it did not wait for the bake to end.
    expect(looksPerStep(result).get(failed.step!)!).toBeLessThan(8);
    expect(failed.checks!.find((c) => c.name === 'errorRate')!.evidence!.sequential!.decision).toBe('regression');
    expect(result.canaryRequestsAfterRollback).toBe(0);
  }, 120_000);

  it('promotes a healthy canary, moving steps on when "not worse" instead of baking every step to max', async () => {
    // Prepare: the error-rate comparison alone, 5-point margin (a loaded CI machine answers some
    // requests of both versions with errors; latency is too noisy there to call "not worse" quickly).
    const spec = { ...demo, analysis: { ...demo.analysis, compare: [{ metric: 'errorRate' as const, maxIncrease: 0.05, minRequests: 20, period: 1 }] } };

    // Act: bakes of { min: 3s, max: 12s }.
    const result = await run({ spec, bakeSeconds: 12, rps: 150 });

    // Assess
    expect(result.outcome).toBe('promoted');
    // A step whose last look said "not worse" moved on there (after min); one that reached max ends on "continue".
    const endedEarly = [0, 1, 2, 3].filter((s) => {
      const last = result.events.filter((e) => e.kind === 'verdict' && e.step === s).at(-1);
      return last?.checks?.filter((c) => c.kind === 'compare').every((c) => c.evidence?.sequential?.decision === 'not-worse');
    });
    expect(endedEarly.length).toBeGreaterThanOrEqual(2);
    // Every one of the 4 steps was judged (looked at) before the rollout moved past it.
    expect([...looksPerStep(result).keys()].sort()).toEqual([0, 1, 2, 3]);
  }, 240_000);
});
