import { renderReport, type RolloutReport } from '../../../src/local/report';
import { renderStepChecks } from '../../../src/local/report/checks';

const errorRate = {
  name: 'errorRate',
  kind: 'compare',
  state: 'ALARM',
  reason: 'canary errors 2.50% vs stable 0.00%, limit ≤ stable + 1 pts',
  evidence: { canary: '2.50% (2/80)', stable: '0.00% (0/720)', limit: '≤ stable + 1 pts' },
};
const guard = { name: 'slowRequests>250ms', kind: 'compare', state: 'INSUFFICIENT_DATA', reason: '12 canary requests in the window, need 20 to compare', evidence: { canary: '0.00% (0/12)', stable: '1.00% (1/100)', limit: '≤ stable + 20 pts' } };

describe('renderStepChecks (the report table per step)', () => {
  it('shows every judgement of a step with check, canary, stable, limit and result', () => {
    // Act
    const html = renderStepChecks([
      { index: 0, weight: 10, verdict: 'failed', judgements: [{ verdict: 'inconclusive', checks: [guard] }, { verdict: 'failed', checks: [errorRate] }] },
    ]);

    // Assess
    expect(html).toContain('<h3>Step 1 (10%) · judgement 1 of 2: inconclusive</h3>');
    expect(html).toContain('<h3>Step 1 (10%) · judgement 2 of 2: failed</h3>');
    expect(html).toContain(
      '<tr class="check check-Failed"><td>errorRate</td><td>compare</td><td class="num">2.50% (2/80)</td><td class="num">0.00% (0/720)</td><td>≤ stable + 1 pts</td><td><span class="badge bad">Failed</span></td>',
    );
    expect(html).toContain('<span class="badge warn">Inconclusive</span>');
  });

  it('escapes what a webhook or Lambda answered', () => {
    // Act
    const html = renderStepChecks([{ index: 0, weight: 10, judgements: [{ verdict: 'failed', checks: [{ name: 'hook', kind: 'webhook', state: 'ALARM', reason: '<script>alert(1)</script>' }] }] }]);

    // Assess
    expect(html).not.toContain('<script>');
    expect(html).toContain('&lt;script&gt;');
  });

  it('is part of the rendered report, and absent when no step was judged', () => {
    // Prepare
    const base: RolloutReport = {
      title: 'Rollout',
      specName: 'demo',
      startedAt: '2025-01-15T10:00:00.000Z',
      endedAt: '2025-01-15T10:01:00.000Z',
      outcome: 'rolled back',
      outcomeText: 'Rolled back',
      samples: [],
      events: [],
      steps: [{ index: 0, weight: 10, verdict: 'failed', judgements: [{ verdict: 'failed', checks: [errorRate] }] }],
      totals: { requests: 0, byVersion: {}, non2xx: 0, injectedFaults: 0 },
      settings: {},
    };

    // Act
    const judged = renderReport(base);
    const unjudged = renderReport({ ...base, steps: [{ index: 0, weight: 10 }] });

    // Assess
    expect(judged).toContain('<section id="checks"><h2>Checks per step</h2>');
    expect(unjudged).not.toContain('id="checks"');
  });
});
