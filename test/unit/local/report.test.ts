import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { downsample, MAX_POINTS, renderReport, writeReport } from '../../../src/local/report';
import type { ReportEvent, ReportEventKind, ReportSample, RolloutReport } from '../../../src/local/report';

function sample(t: number, canaryWeight: number, canaryErr = 0): ReportSample {
  const rps = 100;
  const c = (rps * canaryWeight) / 100;
  return {
    t,
    canaryWeight,
    stable: { rps: rps - c, errorRate: 0.001, p99: 40, requests: Math.round(rps - c) },
    canary: { rps: c, errorRate: canaryErr, p99: canaryWeight ? 55 : 0, requests: Math.round(c) },
  };
}

/** Samples every second; weight follows `schedule` (each weight held for `hold` seconds). */
function samplesFor(schedule: number[], hold = 10): ReportSample[] {
  return schedule.flatMap((w, i) => Array.from({ length: hold }, (_, k) => sample((i * hold + k) * 1000, w)));
}

function report(overrides: Partial<RolloutReport> = {}): RolloutReport {
  return {
    title: 'Rollout of web v2',
    specName: 'web-canary',
    startedAt: '2025-01-15T10:00:00.000Z',
    endedAt: '2025-01-15T10:01:00.000Z',
    outcome: 'promoted',
    outcomeText: 'Canary v2 passed all steps and now serves all traffic.',
    samples: samplesFor([0, 10, 25, 50, 100]),
    events: [
      { t: 0, kind: 'start', label: 'start' },
      { t: 10_000, kind: 'shift', label: 'shift to 10%', step: 0 },
      { t: 19_000, kind: 'verdict', label: 'step 1 healthy', ok: true, step: 0 },
    ],
    steps: [
      { index: 0, weight: 10, verdict: 'healthy', summary: 'alarms OK', measuredCanaryShare: 9.7, requests: 1000 },
      { index: 1, weight: 25, verdict: 'healthy', summary: 'alarms OK', measuredCanaryShare: 25.2, requests: 1000 },
    ],
    totals: { requests: 5000, byVersion: { stable: 4000, canary: 1000 }, non2xx: 3, injectedFaults: 3 },
    settings: { mesh: 'local', bakeSeconds: 10, faultInjection: false },
    ...overrides,
  };
}

/** Attribute values of every element with the given class (first matching tag). */
function elementsWithClass(html: string, cls: string): string[] {
  const re = new RegExp(`<[a-z]+[^>]*class="(?:[^"]*\\s)?${cls}(?:\\s[^"]*)?"[^>]*>`, 'g');
  return html.match(re) ?? [];
}

function attr(tag: string, name: string): string | undefined {
  return new RegExp(`\\s${name}="([^"]*)"`).exec(tag)?.[1];
}

function pointsOf(tag: string): Array<[number, number]> {
  const raw = attr(tag, 'points') ?? '';
  return raw
    .trim()
    .split(/\s+/)
    .filter(Boolean)
    .map((p) => p.split(',').map(Number) as [number, number]);
}

function pathPointCount(tag: string): number {
  return (attr(tag, 'd') ?? '').match(/[ML]/g)?.length ?? 0;
}

describe('renderReport', () => {
  it('is one self-contained document with the outcome, accessible chart and key figures', () => {
    const html = renderReport(report());
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).toContain('<body data-outcome="promoted">');
    expect(html).toContain('Canary v2 passed all steps and now serves all traffic.');
    expect(html).toMatch(/class="outcome good"[^>]*>promoted</);
    expect(html).toMatch(/id="timeline"><svg [^>]*role="img" aria-label="[^"]+"/);
    expect(html).toContain('5,000'); // total requests
    expect(html).toContain('Served by canary');
    expect(html).toContain('Non-2xx / injected');
    // No external resources.
    expect(html).not.toMatch(/\s(src|href)=/);
    expect(html).not.toMatch(/https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
    expect(html).not.toContain('@import');
  });

  it('shows a rolled-back outcome in red', () => {
    const html = renderReport(report({ outcome: 'rolled back', outcomeText: 'Step 2 failed; traffic restored.' }));
    expect(html).toContain('data-outcome="rolled back"');
    expect(html).toMatch(/class="outcome bad"[^>]*>rolled back</);
    expect(html).toContain('Step 2 failed; traffic restored.');
  });

  it('draws a marker for each event kind given, coloured by verdict', () => {
    const kinds: ReportEventKind[] = ['start', 'approval', 'shift', 'verdict', 'rollback', 'promote', 'info'];
    const events: ReportEvent[] = kinds.map((kind, i) => ({ t: i * 5000, kind, label: `${kind} happened`, ok: kind === 'verdict' ? true : undefined }));
    events.push({ t: 36_000, kind: 'verdict', label: 'step 2 failed', ok: false });
    events.push({ t: 37_000, kind: 'verdict', label: 'step 2 unsure' });
    const html = renderReport(report({ events }));
    for (const kind of kinds) {
      const markers = elementsWithClass(html, `marker-${kind}`);
      expect(markers.length).toBeGreaterThanOrEqual(1);
      expect(markers.every((m) => attr(m, 'data-kind') === kind)).toBe(true);
    }
    expect(elementsWithClass(html, 'marker')).toHaveLength(events.length);
    expect(elementsWithClass(html, 'verdict-healthy').filter((m) => m.startsWith('<g'))).toHaveLength(1);
    expect(elementsWithClass(html, 'verdict-failed').filter((m) => m.startsWith('<g'))).toHaveLength(1);
    expect(elementsWithClass(html, 'verdict-inconclusive').filter((m) => m.startsWith('<g'))).toHaveLength(1);
    // Marker labels are on the chart and events are in the log.
    expect(html).toContain('>rollback happened</text>');
    expect(html).toMatch(/<td>promote happened<\/td>/);
  });

  it('escapes text from the report everywhere', () => {
    const evil = '<script>alert("x")</script>';
    const html = renderReport(
      report({
        title: `T ${evil}`,
        specName: `s ${evil}`,
        outcomeText: `o ${evil}`,
        events: [{ t: 1000, kind: 'info', label: evil, detail: `d ${evil}` }],
        steps: [{ index: 0, weight: 10, summary: evil }],
        totals: { requests: 1, byVersion: { [evil]: 1 }, non2xx: 0, injectedFaults: 0 },
        settings: { [evil]: evil },
      }),
    );
    expect(html).not.toContain(evil);
    expect(html).not.toContain('<script>alert');
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
    // Only our own two script elements (JSON data + tooltip) exist.
    expect(html.match(/<script/g)).toHaveLength(2);
    expect(html.match(/<\/script>/g)).toHaveLength(2);
  });

  it('draws the configured weight as a step line through every weight given', () => {
    const schedule = [0, 10, 25, 50, 100];
    const html = renderReport(report({ samples: samplesFor(schedule) }));
    const [line] = elementsWithClass(html, 'series-weight');
    expect(line).toBeDefined();
    const [panel] = elementsWithClass(html, 'panel-weight');
    const top = Number(attr(panel!, 'data-top'));
    const height = Number(attr(panel!, 'data-height'));
    const pts = pointsOf(line!);
    const weights = pts.map(([, y]) => Math.round(((top + height - y) / height) * 100));

    // Levels visited, in order, with consecutive duplicates collapsed.
    const levels = weights.filter((w, i) => i === 0 || w !== weights[i - 1]);
    expect(levels).toEqual(schedule);
    // A step line: every segment is horizontal or vertical, and time never goes backwards.
    for (let i = 1; i < pts.length; i++) {
      const [x0, y0] = pts[i - 1]!;
      const [x1, y1] = pts[i]!;
      expect(x0 === x1 || y0 === y1).toBe(true);
      expect(x1).toBeGreaterThanOrEqual(x0);
    }
    // The weight changes exactly where the samples change (x of the 10% step == x of t=10s).
    const svgTag = /<svg [^>]*data-span="[^"]*"[^>]*>/.exec(html)![0];
    const left = Number(attr(svgTag, 'data-left'));
    const plotW = Number(attr(svgTag, 'data-plot-width'));
    const spanMs = Number(attr(svgTag, 'data-span'));
    const firstRise = pts.findIndex(([, y], i) => i > 0 && y < pts[i - 1]![1]);
    expect(pts[firstRise]![0]).toBeCloseTo(left + (10_000 / spanMs) * plotW, 0);
  });

  it('plots measured share, error rates and p99 for both versions', () => {
    const html = renderReport(report());
    for (const cls of ['series-share', 'series-error-canary', 'series-error-stable', 'series-p99-canary', 'series-p99-stable']) {
      expect(elementsWithClass(html, cls)).toHaveLength(1);
    }
  });

  it(`downsamples long runs to at most ${MAX_POINTS} points per series`, () => {
    // 3 hours at 1 sample/s, with the weight moving every 5 minutes.
    const samples: ReportSample[] = Array.from({ length: 10_800 }, (_, i) =>
      sample(i * 1000, [0, 5, 10, 20, 40, 60, 80, 100][Math.floor(i / 300) % 8]!, i % 97 === 0 ? 0.2 : 0),
    );
    const html = renderReport(report({ samples }));
    const series = elementsWithClass(html, 'series');
    expect(series.length).toBeGreaterThanOrEqual(6);
    for (const tag of series) {
      const count = tag.startsWith('<polyline') ? pointsOf(tag).length : pathPointCount(tag);
      expect(count).toBeGreaterThan(0);
      expect(count).toBeLessThanOrEqual(MAX_POINTS);
      expect(Number(attr(tag, 'data-points'))).toBe(count);
    }
    const data = JSON.parse(/<script type="application\/json" id="timeline-data">([\s\S]*?)<\/script>/.exec(html)![1]!) as unknown[];
    expect(data.length).toBeLessThanOrEqual(MAX_POINTS);
    expect(html.length).toBeLessThan(400_000);
  });

  it('downsample() keeps spikes and the time range', () => {
    const samples = Array.from({ length: 5000 }, (_, i) => sample(i * 100, 50, 0));
    samples[2500]!.canary.p99 = 999;
    const ds = downsample(samples, 600);
    expect(ds).toHaveLength(600);
    expect(Math.max(...ds.map((s) => s.canary.p99))).toBe(999);
    expect(ds[0]!.t).toBeLessThan(1000);
    expect(ds[ds.length - 1]!.t).toBeGreaterThan(499_000);
    expect(ds.reduce((a, s) => a + s.canary.requests, 0)).toBe(samples.reduce((a, s) => a + s.canary.requests, 0));
    expect(downsample(samples.slice(0, 10), 600)).toHaveLength(10);
  });

  it('handles zero samples: says no traffic was recorded and still draws markers', () => {
    const html = renderReport(report({ samples: [], steps: [], totals: { requests: 0, byVersion: {}, non2xx: 0, injectedFaults: 0 } }));
    expect(html).toContain('no traffic recorded');
    expect(html).toMatch(/id="timeline"><svg [^>]*role="img"/);
    expect(elementsWithClass(html, 'series')).toHaveLength(0);
    expect(elementsWithClass(html, 'marker-shift')).toHaveLength(1);
    expect(html).toContain('No steps were run.');
    expect(html).not.toMatch(/NaN|Infinity|undefined/);
  });

  it('handles nothing at all', () => {
    const html = renderReport(report({ samples: [], events: [], steps: [], settings: {}, startedAt: 'bogus', endedAt: '' }));
    expect(html).toContain('no traffic recorded');
    expect(html).toContain('No events were recorded.');
    expect(html).not.toMatch(/NaN|Infinity|undefined/);
  });

  it('lists steps with verdict and measured share, and flags a share far from the weight', () => {
    const html = renderReport(
      report({
        steps: [
          { index: 0, weight: 10, verdict: 'healthy', summary: 'ok', measuredCanaryShare: 10.4 },
          { index: 1, weight: 25, verdict: 'failed', summary: 'canary-5xx in ALARM', measuredCanaryShare: 40 },
        ],
      }),
    );
    expect(html).toMatch(/<span class="badge good">healthy<\/span>/);
    expect(html).toMatch(/<span class="badge bad">failed<\/span>/);
    expect(html).toContain('canary-5xx in ALARM');
    expect(html).toContain('10.4%');
    expect(html).toContain('(+15 pts)');
  });

  it('numbers steps from 1 in the steps table and the event log, as the labels and the CLI do', () => {
    const html = renderReport(report());

    const stepCells = [...html.matchAll(/<tr class="step [^"]*"><td class="num">(\d+)<\/td>/g)].map((m) => m[1]);
    expect(stepCells).toEqual(['1', '2']);
    const verdictRow = /<tr class="event event-verdict[^"]*">(.*?)<\/tr>/.exec(html)![1]!;
    expect(verdictRow).toMatch(/<td class="num">1<\/td><td>step 1 healthy/);
  });

  it('gives every marker label its own place: no two overlap, none is cut short', () => {
    // Twelve events within two seconds, with long labels (alarm changes, inconclusive verdicts).
    const events: ReportEvent[] = Array.from({ length: 12 }, (_, i) => ({
      t: 20_000 + i * 150,
      kind: i % 3 === 0 ? 'verdict' : 'info',
      label: i % 3 === 0 ? `step ${i} inconclusive` : `web-canary-p99 INSUFFICIENT_DATA #${i}`,
    }));
    events.push({ t: 49_900, kind: 'promote', label: 'promoted at the very end of the chart' });

    const html = renderReport(report({ events }));

    const pills = [...html.matchAll(/<rect class="marker-pill" data-lane="(\d+)" x="([\d.]+)" y="[\d.]+" width="([\d.]+)"/g)].map((m) => ({ lane: Number(m[1]), x: Number(m[2]), w: Number(m[3]) }));
    // Ten rows of labels at most: the two labels that find no room keep their line and tooltip.
    expect(pills).toHaveLength(events.length - 2);
    expect(elementsWithClass(html, 'marker')).toHaveLength(events.length);
    for (const a of pills)
      for (const b of pills) if (a !== b && a.lane === b.lane) expect(a.x + a.w <= b.x || b.x + b.w <= a.x).toBe(true);
    const svgWidth = Number(/<svg [^>]*viewBox="0 0 (\d+) /.exec(html)![1]);
    for (const p of pills) expect(p.x + p.w).toBeLessThanOrEqual(svgWidth);
    const labels = [...html.matchAll(/<text class="marker-label" x="([\d.]+)"[^>]*textLength="([\d.]+)"[^>]*>([^<]*)<\/text>/g)];
    expect(labels).toHaveLength(pills.length);
    for (const m of labels) expect(events.map((e) => e.label)).toContain(m[3]);
    // Each label is drawn inside its pill.
    labels.forEach((m, i) => expect(Number(m[1]) + Number(m[2])).toBeLessThanOrEqual(pills[i]!.x + pills[i]!.w));
  });

  it("breaks the canary's error-rate and p99 lines where the canary had (almost) no requests, as after a rollback", () => {
    // 20 s at 10 %, then rolled back: the canary gets nothing, while a stale figure lingers in the samples.
    const samples = samplesFor([10, 10], 10).concat(
      Array.from({ length: 20 }, (_, k) => {
        const s = sample(20_000 + k * 1000, 0);
        s.canary = { rps: 0, requests: k < 3 ? 2 : 0, errorRate: 0.5 + k / 50, p99: 900 };
        return s;
      }),
    );
    const html = renderReport(report({ samples, events: [{ t: 20_000, kind: 'rollback', label: 'rolled back', ok: false }] }));

    const svgTag = /<svg [^>]*data-span="[^"]*"[^>]*>/.exec(html)![0];
    const xAt = (t: number) => Number(attr(svgTag, 'data-left')) + (t / Number(attr(svgTag, 'data-span'))) * Number(attr(svgTag, 'data-plot-width'));
    for (const cls of ['series-error-canary', 'series-p99-canary']) {
      const [path] = elementsWithClass(html, cls);
      const xs = [...(attr(path!, 'd') ?? '').matchAll(/[ML]([\d.]+),/g)].map((m) => Number(m[1]));
      expect(xs.length).toBeGreaterThan(0);
      expect(Math.max(...xs)).toBeLessThan(xAt(20_000));
    }
    // Nor do those windows stretch the error-rate axis (every drawn rate here is below 1 %).
    expect(Number(attr(elementsWithClass(html, 'panel-errors')[0]!, 'data-max'))).toBeLessThanOrEqual(0.1);
    // The stable version kept its traffic: its lines go on to the end.
    const [stable] = elementsWithClass(html, 'series-error-stable');
    expect(Math.max(...[...(attr(stable!, 'd') ?? '').matchAll(/[ML]([\d.]+),/g)].map((m) => Number(m[1])))).toBeGreaterThan(xAt(38_000));
  });
});

describe('writeReport', () => {
  it('creates directories and returns the absolute path', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'report-unit-'));
    try {
      const written = await writeReport(join(dir, 'a', 'b', 'rollout-report.html'), report());
      expect(isAbsolute(written)).toBe(true);
      expect(written).toBe(join(dir, 'a', 'b', 'rollout-report.html'));
      expect(await readFile(written, 'utf8')).toContain('data-outcome="promoted"');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
