import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { runLocal, type LocalRunOptions, type LocalRunResult } from '../../src/local/runner';
import { parseSpecText } from '../../src/spec/load';

/**
 * The Lambda alias router end to end: the production LambdaAliasRouter against the local Lambda
 * facade, whose alias splits real HTTP requests through the local mesh. Alarms are relaxed on
 * latency, and request timeouts are not asserted on (the machine is shared and loaded: the App
 * Mesh demo times out as many requests here); the 5xx alarm is what these runs judge.
 */
const spec = parseSpecText(readFileSync(join(__dirname, '..', '..', 'examples', 'demo-lambda.yaml'), 'utf8'), 'examples/demo-lambda.yaml');

class Sink extends Writable {
  text = '';
  override _write(chunk: Buffer, _enc: string, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

async function run(options: Partial<LocalRunOptions>): Promise<LocalRunResult> {
  return runLocal({ spec, bakeSeconds: 3, rps: 150, approve: 'auto', out: new Sink(), tailSeconds: 1, alarms: { p99Ms: 5000 }, ...options });
}

describe('Lambda alias router (local end to end)', () => {
  it('promotes a healthy canary version with each step carrying its share of invocations (±5 points)', async () => {
    const result = await run({});
    expect({ outcome: result.outcome, reason: result.reason }).toEqual({ outcome: 'promoted', reason: undefined });
    expect(result.steps.map((s) => s.weight)).toEqual([10, 25, 50, 100]);
    for (const step of result.steps) {
      expect(step.requests).toBeGreaterThan(100);
      expect(Math.abs(step.measuredShare - step.weight)).toBeLessThanOrEqual(5);
    }
  });

  it('rolls back when version 2 fails 20 % of invocations, and version 2 gets none after the rollback', async () => {
    const result = await run({ canaryErrors: 0.2 });
    expect(result.outcome).toBe('rolled back');
    expect(result.exitCode).not.toBe(0);
    expect(result.reason).toContain('demo-fn-canary-5xx in ALARM');
    expect(result.canaryRequestsAfterRollback).toBe(0);
  });
});
