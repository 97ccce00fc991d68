import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { runLocal, type LocalRunOptions, type LocalRunResult } from '../../src/local/runner';
import { parseSpecText } from '../../src/spec/load';

/**
 * The ALB router end to end: real HTTP requests through the local listener, the real AlbRouter
 * against the local ELBv2 API, the real state machine and handlers. This test is about where
 * requests go, not about latency: the alarms' latency limit is raised and their window widened so
 * that a loaded machine (load average 16 on 2 cores when this was written) trips neither the
 * absolute p99 alarm nor an insufficient-data verdict.
 */
const spec = parseSpecText(readFileSync(join(__dirname, '..', '..', 'examples', 'demo-alb.yaml'), 'utf8'), 'examples/demo-alb.yaml');

class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer, _enc: string, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

async function run(options: Partial<LocalRunOptions>): Promise<{ result: LocalRunResult; output: string }> {
  const out = new Capture();
  const result = await runLocal({ spec, bakeSeconds: 3, rps: 150, approve: 'auto', out, tailSeconds: 1, alarms: { p99Ms: 5_000, periodMs: 3_000, minRequests: 5 }, ...options });
  return { result, output: out.text };
}

describe('ALB router (local end to end)', () => {
  it('promotes a healthy canary with each step carrying the share of real requests its weight says (±5 points)', async () => {
    // Act
    const { result } = await run({});

    // Assess
    expect(result.outcome).toBe('promoted');
    expect(result.steps.map((s) => s.weight)).toEqual([10, 25, 50, 100]);
    for (const step of result.steps) {
      expect(step.requests).toBeGreaterThan(40);
      expect(Math.abs(step.measuredShare - step.weight)).toBeLessThanOrEqual(5);
    }
    // No request answered with an error by the routing itself (a weight change never drops one);
    // client-side timeouts of a starved machine (status 0) are not routing failures.
    expect(result.load.failures.filter((f) => f.status !== 0)).toEqual([]);
  });

  it('rolls back when the canary fails 20 % of requests, after which the canary gets no request', async () => {
    // Act
    const { result } = await run({ canaryErrors: 0.2 });

    // Assess
    expect(result.outcome).toBe('rolled back');
    expect(result.exitCode).not.toBe(0);
    expect(result.reason).toContain('demo-canary-5xx in ALARM');
    expect(result.canaryRequestsAfterRollback).toBe(0);
    expect(result.load.failures.filter((f) => f.status !== 0 && !f.injected)).toEqual([]);
  });
});
