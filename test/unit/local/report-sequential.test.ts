import type { SequentialSeries } from '../../../src/analysis/sequential-check';
import { renderReport, type RolloutReport } from '../../../src/local/report';

function report(sequential?: SequentialSeries[]): RolloutReport {
  return {
    title: 'demo',
    specName: 'demo',
    startedAt: '2026-11-29T12:00:00.000Z',
    endedAt: '2026-11-29T12:10:00.000Z',
    outcome: 'rolled back',
    outcomeText: 'Rolled back',
    samples: [],
    events: [],
    steps: [],
    totals: { requests: 0, byVersion: {}, non2xx: 0, injectedFaults: 0 },
    settings: {},
    ...(sequential ? { sequential } : {}),
  };
}

const SERIES: SequentialSeries = {
  name: 'errorRate<b>',
  at: '2026-11-29T12:04:00.000Z',
  decision: 'regression',
  alpha: 0.05,
  margin: 0.005,
  logE: 4.2,
  boundary: Math.log(20),
  upperDifference: null,
  trajectory: [
    [60, 0.1, 0.2],
    [120, 1.5, 0.003],
    [180, 4.2, null],
  ],
};

/** The y of the dashed boundary line and the y values of the statistic's path in one chart. */
function chart(html: string, id: string): { boundaryY: number; pathYs: number[] } {
  const svg = html.slice(html.indexOf(`id="${id}"`));
  const boundaryY = Number(/class="boundary"[^>]*y1="([\d.]+)"/.exec(svg)![1]);
  const d = /class="statistic" d="([^"]+)"/.exec(svg)![1]!;
  return { boundaryY, pathYs: d.split(/[ML]/).filter(Boolean).map((p) => Number(p.split(',')[1])) };
}

describe('renderReport: sequential tests', () => {
  it('plots the evidence over time against the rollback boundary, crossing it at the regression', () => {
    // Act
    const html = renderReport(report([SERIES]));

    // Assess: three points; SVG y grows downwards, so the last point (4.2 > log 20) lies above the line.
    const { boundaryY, pathYs } = chart(html, 'errorRate<b>-evidence'.replace(/</g, '&lt;').replace(/>/g, '&gt;'));
    expect(pathYs).toHaveLength(3);
    expect(pathYs.slice(0, 2).every((y) => y > boundaryY)).toBe(true);
    expect(pathYs[2]!).toBeLessThan(boundaryY);
    expect(html).toContain('rollback boundary log(1/α) = 3.00');
    expect(html).toContain('data-decision="regression"');
  });

  it('plots the bound on canary − stable against the margin, leaving out looks where it was unbounded', () => {
    const html = renderReport(report([SERIES]));
    const { boundaryY, pathYs } = chart(html, 'errorRate&lt;b&gt;-bound');
    expect(pathYs).toHaveLength(2);
    expect(pathYs[0]!).toBeLessThan(boundaryY); // 20 pts: above the 0.5 pts margin
    expect(pathYs[1]!).toBeGreaterThan(boundaryY); // 0.3 pts: below it
    expect(html).toContain('margin 0.5 pts: not worse below');
  });

  it('escapes comparison names and adds no section without sequential comparisons', () => {
    expect(renderReport(report([SERIES]))).not.toContain('errorRate<b>');
    expect(renderReport(report())).not.toContain('Sequential tests');
  });
});
