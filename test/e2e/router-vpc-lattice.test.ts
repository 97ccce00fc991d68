import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { runLocal, type LocalRunOptions, type LocalRunResult } from '../../src/local/runner';
import { parseSpecText } from '../../src/spec/load';

/**
 * The VPC Lattice router end to end: the production LatticeRouter against the local VPC Lattice,
 * whose listener default action and `/api/` rule carry real HTTP requests. The latency alarm is
 * made lenient (this machine is shared and loaded); the error alarm is the one under test.
 */
const spec = parseSpecText(readFileSync(join(__dirname, '..', '..', 'examples', 'demo-vpc-lattice.yaml'), 'utf8'), 'examples/demo-vpc-lattice.yaml');

async function run(options: Partial<LocalRunOptions>): Promise<LocalRunResult> {
  const out = new Writable({ write: (_chunk, _enc, done) => done() });
  return runLocal({ spec, bakeSeconds: 3, rps: 150, approve: 'auto', out, tailSeconds: 1, alarms: { p99Ms: 60_000, minRequests: 5, periodMs: 3000 }, ...options });
}

describe('VPC Lattice router in the local world (end to end)', () => {
  it('promotes a healthy canary, each step carrying the share of real requests its weight says (±5 points)', async () => {
    const result = await run({});

    expect(result.outcome).toBe('promoted');
    expect(result.steps.map((s) => s.weight)).toEqual([10, 25, 50, 100]);
    for (const step of result.steps) {
      expect(step.requests).toBeGreaterThan(50);
      expect(Math.abs(step.measuredShare - step.weight)).toBeLessThanOrEqual(5);
      // Both clocks of a shift are measured: the write accepted, then the traffic following it.
      expect(step.controlPlaneMs).toBeGreaterThanOrEqual(0);
      expect(step.dataPlaneMs).toBeGreaterThanOrEqual(0);
    }
  });

  it('rolls back a canary failing 20 % of requests, after which the canary gets no request', async () => {
    const result = await run({ canaryErrors: 0.2 });

    expect(result.outcome).toBe('rolled back');
    expect(result.reason).toMatch(/5xx/);
    expect(result.canaryRequestsAfterRollback).toBe(0);
    expect(result.rollbackWrite?.controlPlaneMs).toBeGreaterThanOrEqual(0);
    expect(result.rollbackWrite?.dataPlaneMs).toBeGreaterThanOrEqual(0);
  });
});
