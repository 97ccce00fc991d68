import { existsSync, mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkReportInBrowser, findChromium, writeReport } from '../../src/local/report';
import { mulberry32 } from '../../src/local/sample-service';
import type { ReportEvent, ReportSample, ReportStep, RolloutReport } from '../../src/local/report';

/** Deterministic PRNG so screenshots are comparable between runs. */
const rng = mulberry32;

/** A realistic local rollout: 4 steps (10/25/50/100), ~1 sample per second, optional fault in step 2. */
function rollout(kind: 'promoted' | 'rolled back'): RolloutReport {
  const rand = rng(kind === 'promoted' ? 7 : 11);
  const weights = [10, 25, 50, 100];
  const stepMs = 22_000;
  const firstShift = 6_000;
  const failAt = kind === 'rolled back' ? 1 : -1; // step index (0-based) where canary goes bad
  const samples: ReportSample[] = [];
  const events: ReportEvent[] = [
    { t: 0, kind: 'start', label: 'rollout started', detail: 'checkout v1.4.2 → v1.5.0' },
    { t: 2_500, kind: 'approval', label: 'start approved', detail: 'approved by alice via canaryctl approve' },
  ];
  const steps: ReportStep[] = [];
  let weight = 0;
  let end = 0;
  let rolledBackAt = -1;
  const byVersion = { stable: 0, canary: 0 };
  let non2xx = 0;
  let injected = 0;

  weights.forEach((w, i) => {
    if (rolledBackAt >= 0) return;
    const at = firstShift + i * stepMs;
    events.push({ t: at, kind: 'shift', label: `shift to ${w}%`, step: i + 1 });
    const verdictAt = at + stepMs - 2_000;
    const failed = i === failAt;
    events.push({
      t: verdictAt,
      kind: 'verdict',
      label: failed ? `step ${i + 1} failed` : `step ${i + 1} healthy`,
      detail: failed ? 'alarm canary-5xx in ALARM: error rate 18.2% > 5%' : 'all alarms OK',
      step: i + 1,
      ok: !failed,
    });
    steps.push({
      index: i + 1,
      weight: w,
      verdict: failed ? 'failed' : 'healthy',
      summary: failed ? 'canary-5xx alarm breached (18.2% > 5%)' : '3 alarms OK, p99 within budget',
      measuredCanaryShare: w === 100 ? 100 : w + (rand() - 0.5) * 3,
      requests: 0,
    });
    if (failed) {
      rolledBackAt = verdictAt + 1_000;
      events.push({ t: rolledBackAt, kind: 'rollback', label: 'rolled back to snapshot', detail: 'route restored exactly' });
    }
    end = at + stepMs;
  });
  if (rolledBackAt < 0) {
    events.push({ t: end - 500, kind: 'approval', label: 'promotion approved', detail: 'auto-approved (demo)' });
    events.push({ t: end, kind: 'promote', label: 'promoted v1.5.0' });
    end += 4_000;
  } else {
    end = rolledBackAt + 8_000;
  }
  events.push({ t: firstShift + stepMs / 2, kind: 'info', label: 'fault injection <armed>', detail: 'x-fault: 500 @ 20%' });

  for (let t = 0; t <= end; t += 1_000) {
    const shift = [...events].reverse().find((e) => e.kind === 'shift' && e.t <= t);
    weight = shift ? Number(/(\d+)%/.exec(shift.label)?.[1] ?? 0) : 0;
    if (rolledBackAt >= 0 && t >= rolledBackAt) weight = 0;
    const rps = 80 + rand() * 10;
    const canaryRps = (rps * weight) / 100 + (weight > 0 && weight < 100 ? (rand() - 0.5) * 3 : 0);
    const bad = failAt >= 0 && weight > 0 && t >= firstShift + failAt * stepMs + 3_000;
    const canaryErr = weight === 0 ? 0 : bad ? 0.15 + rand() * 0.08 : rand() < 0.15 ? rand() * 0.01 : 0;
    const stableErr = rand() < 0.1 ? rand() * 0.004 : 0;
    const cReq = Math.round(Math.max(0, canaryRps));
    const sReq = Math.round(Math.max(0, rps - canaryRps));
    samples.push({
      t,
      canaryWeight: weight,
      stable: { rps: rps - canaryRps, errorRate: stableErr, p99: 38 + rand() * 12, requests: sReq },
      canary: { rps: Math.max(0, canaryRps), errorRate: canaryErr, p99: weight === 0 ? 0 : bad ? 140 + rand() * 90 : 42 + rand() * 16, requests: cReq },
    });
    byVersion.stable += sReq;
    byVersion.canary += cReq;
    const faults = Math.round(cReq * canaryErr);
    injected += bad ? faults : 0;
    non2xx += faults + Math.round(sReq * stableErr);
  }
  for (const s of steps) s.requests = Math.round(((byVersion.canary + byVersion.stable) / weights.length) * 0.9);

  const ok = kind === 'promoted';
  return {
    title: `Rollout of checkout v1.5.0`,
    specName: 'checkout-canary',
    startedAt: '2025-01-15T10:00:00.000Z',
    endedAt: new Date(Date.parse('2025-01-15T10:00:00.000Z') + end).toISOString(),
    outcome: kind,
    outcomeText: ok
      ? 'Canary v1.5.0 passed all 4 steps and now serves 100% of traffic.'
      : 'Canary v1.5.0 failed step 2 (error rate 18.2% > 5%); traffic was restored to stable v1.4.2.',
    samples,
    events,
    steps,
    totals: { requests: byVersion.stable + byVersion.canary, byVersion: { 'stable v1.4.2': byVersion.stable, 'canary v1.5.0': byVersion.canary }, non2xx, injectedFaults: injected },
    settings: { mesh: 'local', loadRps: 85, bakeSeconds: 20, faultInjection: !ok, errorRateThreshold: 0.05, stateMachine: 'statemachines/rollout.asl.json' },
  };
}

const chromiumPath = findChromium();
const INSTALL_HINT = 'Chromium is not installed: run scripts/install-chromium.sh (or set CHROMIUM_PATH) before the browser tests.';

if (!chromiumPath && process.env.CI) {
  describe('rollout report in a browser', () => {
    it('needs Chromium', () => {
      throw new Error(INSTALL_HINT);
    });
  });
} else {
  if (!chromiumPath) console.warn(`skipping report browser tests: ${INSTALL_HINT}`);
  const maybe = chromiumPath ? describe : describe.skip;

  maybe('rollout report in a browser', () => {
    jest.setTimeout(120_000);
    const dir = process.env.REPORT_SCREENSHOT_DIR ?? mkdtempSync(join(tmpdir(), 'canary-report-e2e-'));

    it.each([
      ['promoted', 'promoted'],
      ['rolled back', 'rolled-back'],
    ] as const)('renders the %s rollout with a visible timeline', async (kind, file) => {
      const report = rollout(kind);
      expect(report.samples.length).toBeGreaterThanOrEqual(kind === 'promoted' ? 90 : 50);
      const html = await writeReport(join(dir, `${file}.html`), report);
      const png = join(dir, `${file}.png`);
      const result = await checkReportInBrowser(html, png);
      expect(result.hasTimeline).toBe(true);
      expect(result.outcome).toBe(kind);
      expect(result.title).toContain(kind);
      expect(existsSync(png)).toBe(true);
      expect(statSync(png).size).toBe(result.screenshotBytes);
      expect(result.screenshotBytes).toBeGreaterThan(20 * 1024);
    });
  });
}
