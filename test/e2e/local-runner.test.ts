import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { checkReportInBrowser, findChromium } from '../../src/local/report';
import { decideLocally } from '../../src/local/control';
import { runLocal, type LocalRunOptions, type LocalRunResult } from '../../src/local/runner';
import { parseSpecText } from '../../src/spec/load';

/**
 * The honesty checks of the local runner: real HTTP requests through the local mesh, the real
 * state machine and handlers. Bakes are 2 s so each step carries a few hundred requests.
 */
const demo = parseSpecText(readFileSync(join(__dirname, '..', '..', 'examples', 'demo.yaml'), 'utf8'), 'examples/demo.yaml');
const dir = mkdtempSync(join(tmpdir(), 'canary-local-e2e-'));

class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer, _enc: string, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

async function run(options: Partial<LocalRunOptions>): Promise<{ result: LocalRunResult; output: string }> {
  const out = new Capture();
  const result = await runLocal({ spec: demo, bakeSeconds: 2, rps: 250, approve: 'auto', out, tailSeconds: 1, ...options });
  return { result, output: out.text };
}

describe('local runner (end to end)', () => {
  let healthy: { result: LocalRunResult; output: string };
  const report = join(dir, 'healthy.html');

  beforeAll(async () => {
    healthy = await run({ reportPath: report });
  });

  it('promotes a healthy canary, step by step, and says so on the last line', () => {
    expect(healthy.result.outcome).toBe('promoted');
    expect(healthy.result.exitCode).toBe(0);
    expect(healthy.result.steps.map((s) => s.weight)).toEqual([10, 25, 50, 100]);
    expect(healthy.output.trim().split('\n').at(-1)).toMatch(/^PROMOTED: demo-canary now takes all traffic/);
  });

  it('sends each step the share of real requests its weight says (±5 points)', () => {
    for (const step of healthy.result.steps) {
      // ~500 requests per step on an idle machine; the balancer is deterministic, so 100 already pins the share.
      expect(step.requests).toBeGreaterThanOrEqual(100);
      expect(Math.abs(step.measuredShare - step.weight)).toBeLessThanOrEqual(5);
    }
  });

  it('drops or fails no request because of a weight change', () => {
    expect(healthy.result.load.failures).toEqual([]);
    expect(healthy.result.unexplainedFailures).toBe(0);
    expect(healthy.result.load.completed).toBeGreaterThan(1000);
  });

  it('shows the live view as plain lines when stdout is not a terminal', () => {
    expect(healthy.output).not.toContain('\x1b[');
    expect(healthy.output).toMatch(/canary weight +25% \| stable +\d+ rps/);
    expect(healthy.output).toContain('step passed at step 1/4 (10%)');
  });

  it('costs three transitions and one Lambda invocation per traffic step', () => {
    // Prepare, Choice, 4 × (Step, Route, Bake), Step, Route, ApprovePromotion, Choice, Promote, ReleaseAfterPromotion, Promoted.
    expect(healthy.result.transitions).toBe(2 + 4 * 3 + 2 + 2 + 3);
    expect(healthy.result.lambdaInvocations.step).toBe(5);
    // The summary line says what it counts (the plan's 10 adds the approval link's approvalApi).
    expect(healthy.output).toContain('Lambda invocations: 9 (prepare 1, step 5, requestApproval 1, promote 1, release 1)');
  });

  it('writes a self-contained report that renders in Chromium with the timeline', async () => {
    const html = readFileSync(report, 'utf8');
    expect(html).toContain('id="timeline"');
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href="http/);
    const chromium = findChromium();
    if (!chromium) {
      if (process.env.CI) throw new Error('Chromium is not installed: run scripts/install-chromium.sh');
      console.warn('skipping the browser check of the local report: Chromium is not installed');
      return;
    }
    const shot = await checkReportInBrowser(report, join(dir, 'healthy.png'));
    expect(shot.hasTimeline).toBe(true);
    expect(shot.outcome).toBe('promoted');
    expect(shot.screenshotBytes).toBeGreaterThan(20_000);
  });

  it('rolls back at the first judgement when the canary fails 20 % of requests, naming the alarm and step', async () => {
    const { result, output } = await run({ canaryErrors: 0.2, reportPath: join(dir, 'errors.html') });

    expect(result.outcome).toBe('rolled back');
    expect(result.exitCode).toBe(1);
    expect(result.reason).toContain('step 1 (10%)');
    expect(result.reason).toContain('demo-canary-5xx in ALARM');
    expect(output.trim().split('\n').at(-1)).toMatch(/^ROLLED BACK: step 1 \(10%\): demo-canary-5xx in ALARM/);
    // After the rollback the canary gets no new request, and every failure was an injected one.
    expect(result.canaryRequestsAfterRollback).toBe(0);
    expect(result.load.failures.length).toBeGreaterThan(0);
    expect(result.unexplainedFailures).toBe(0);
    expect(existsSync(join(dir, 'errors.html'))).toBe(true);
  });

  it('rolls back on latency when the canary is 300 ms slower, by comparing its slow requests with stable', async () => {
    const { result } = await run({ canaryLatencyMs: 300 });

    expect(result.outcome).toBe('rolled back');
    expect(result.reason).toContain('slowRequests>250ms failed (canary slower than 250ms 100.00% vs stable');
    expect(result.canaryRequestsAfterRollback).toBe(0);
  });

  it('asks at the terminal in prompt mode and promotes on "y"', async () => {
    const questions: string[] = [];
    const { result } = await run({ approve: 'prompt', ask: async (q) => (questions.push(q), 'y') });

    expect(questions).toEqual(['Approve promoting demo? y = promote, Enter = reject and roll back [y/N] ']);
    expect(result.outcome).toBe('promoted');
    expect(result.events.find((e) => e.kind === 'approval-decided')?.message).toContain('approved by terminal prompt');
  });

  it('takes the approval from another terminal (canaryctl approve --local) through the control endpoint', async () => {
    const running = run({ approve: 'wait', control: true });
    let answer: { rolloutId: string; gate: string; decision: string } | undefined;
    let refusals = 0;
    while (!answer) {
      await new Promise((r) => setTimeout(r, 100));
      answer = await decideLocally({ rolloutId: 'local', decision: 'approve', by: 'second terminal' }).catch(() => {
        refusals++; // no runner yet, or the gate is not waiting yet: the runner refuses and nothing is decided
        return undefined;
      });
    }
    const { result } = await running;

    expect(refusals).toBeGreaterThan(0);
    expect(answer).toMatchObject({ gate: 'beforePromotion', decision: 'approve' });
    expect(result.outcome).toBe('promoted');
    expect(result.events.find((e) => e.kind === 'approval-decided')?.message).toContain('approved by second terminal');
    await expect(decideLocally({ decision: 'approve' })).rejects.toThrow('no local rollout is running');
  });

  it('runs on the real DynamoDB store (--store dynamo): same outcome, history read back from the engine', async () => {
    const { result } = await run({ store: 'dynamo' });

    expect(result.outcome).toBe('promoted');
    expect(result.events.map((e) => e.kind)).toEqual(expect.arrayContaining(['started', 'shifted', 'verdict', 'promoted']));
  });

  it('rolls back when the approval is rejected, after every step passed', async () => {
    const { result } = await run({ approve: 'reject' });

    expect(result.outcome).toBe('rolled back');
    expect(result.reason).toContain('approval rejected');
    expect(result.events.find((e) => e.kind === 'approval-decided')?.message).toContain('beforePromotion: rejected by demo --approve reject');
    expect(result.steps.map((s) => s.verdict)).toEqual(['healthy', 'healthy', 'healthy', 'healthy']);
    expect(result.canaryRequestsAfterRollback).toBe(0);
  });
});
