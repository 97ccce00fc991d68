import { judge, type AlarmState, type CheckResult, type JudgeCounters, type JudgePolicy } from '../../../src/analysis/judge';

const FRESH: JudgeCounters = { failedChecks: 0, waitedForData: 0 };

function policy(overrides: Partial<JudgePolicy> = {}): JudgePolicy {
  return { threshold: 1, onInsufficientData: 'wait', insufficientDataLimit: 3, ...overrides };
}

function check(name: string, state: AlarmState): CheckResult {
  return { name, kind: 'metric', state, reason: `${name} is ${state}` };
}

const ok = (name: string) => check(name, 'OK');
const alarm = (name: string) => check(name, 'ALARM');
const noData = (name: string) => check(name, 'INSUFFICIENT_DATA');

describe('judge', () => {
  describe('healthy', () => {
    it('is healthy with no checks configured', () => {
      // Act
      const verdict = judge([], policy(), FRESH);

      // Assess
      expect(verdict.verdict).toBe('healthy');
      expect(verdict.failing).toEqual([]);
      expect(verdict.summary).toBe('no checks configured');
    });

    it('is healthy when every check is OK, and says how many', () => {
      // Act
      const verdict = judge([ok('user-5xx'), ok('user-p99')], policy(), FRESH);

      // Assess
      expect(verdict.verdict).toBe('healthy');
      expect(verdict.failing).toEqual([]);
      expect(verdict.summary).toBe('all 2 checks OK');
    });

    it('resets waitedForData and keeps failedChecks when every check is OK', () => {
      // Act
      const verdict = judge([ok('user-5xx')], policy({ threshold: 3 }), { failedChecks: 2, waitedForData: 2 });

      // Assess
      expect(verdict.counters).toEqual({ failedChecks: 2, waitedForData: 0 });
    });
  });

  describe('failed checks', () => {
    it('rolls back at the first ALARM with threshold 1', () => {
      // Act
      const verdict = judge([ok('user-p99'), alarm('user-5xx')], policy({ threshold: 1 }), FRESH);

      // Assess
      expect(verdict.verdict).toBe('failed');
      expect(verdict.counters.failedChecks).toBe(1);
      expect(verdict.failing.map((c) => [c.name, c.state])).toEqual([['user-5xx', 'ALARM']]);
      expect(verdict.summary).toBe('user-5xx in ALARM (failed check 1 of threshold 1)');
    });

    it('rolls back at the threshold-th failed check, counting across calls', () => {
      // Prepare
      const checks = [alarm('user-5xx')];
      const rules = policy({ threshold: 3 });

      // Act
      const first = judge(checks, rules, FRESH);
      const second = judge(checks, rules, first.counters);
      const third = judge(checks, rules, second.counters);

      // Assess
      expect([first.verdict, second.verdict, third.verdict]).toEqual(['inconclusive', 'inconclusive', 'failed']);
      expect([first.counters.failedChecks, second.counters.failedChecks, third.counters.failedChecks]).toEqual([1, 2, 3]);
      expect(first.summary).toBe('user-5xx in ALARM (failed check 1; rollback at 3)');
      expect(third.summary).toBe('user-5xx in ALARM (failed check 3 of threshold 3)');
    });

    it('rolls back at once on a sequential regression whatever the threshold, which still applies to the other checks', () => {
      // Prepare: a sequential comparison's evidence crossed 1/α; a plain alarm fails beside it in the second case.
      const sequential: CheckResult = {
        name: 'compare errorRate',
        kind: 'compare',
        state: 'ALARM',
        reason: 'sequential: regression',
        evidence: { sequential: { decision: 'regression', alpha: 0.05, logE: 3.2, boundary: 3.0, upperDifference: null, trajectory: [] } },
      };
      const rules = policy({ threshold: 3 });

      // Act
      const regression = judge([ok('user-5xx'), sequential], rules, FRESH);
      const plainAlarm = judge([alarm('user-5xx'), { ...sequential, state: 'OK', evidence: { sequential: { ...sequential.evidence!.sequential!, decision: 'continue' } } }], rules, FRESH);

      // Assess
      expect(regression.verdict).toBe('failed');
      expect(regression.summary).toMatch(/sequential test's regression rolls back at once; threshold 3 is for the other checks/);
      expect(plainAlarm.verdict).toBe('inconclusive');
    });

    it('keeps earlier failed checks after a healthy judgement', () => {
      // Prepare
      const rules = policy({ threshold: 2 });
      const first = judge([alarm('user-5xx')], rules, FRESH);

      // Act
      const healthy = judge([ok('user-5xx')], rules, first.counters);
      const again = judge([alarm('user-5xx')], rules, healthy.counters);

      // Assess
      expect(healthy.verdict).toBe('healthy');
      expect(healthy.counters.failedChecks).toBe(1);
      expect(again.verdict).toBe('failed');
    });

    it('counts several alarms in one judgement as one failed check, naming all of them', () => {
      // Act
      const verdict = judge([alarm('user-5xx'), ok('user-cpu'), alarm('user-p99')], policy({ threshold: 2 }), FRESH);

      // Assess
      expect(verdict.verdict).toBe('inconclusive');
      expect(verdict.counters.failedChecks).toBe(1);
      expect(verdict.failing.map((c) => `${c.name}:${c.state}`)).toEqual(['user-5xx:ALARM', 'user-p99:ALARM']);
      expect(verdict.summary).toContain('user-5xx, user-p99 in ALARM');
    });

    it('lets ALARM win over INSUFFICIENT_DATA', () => {
      // Act
      const verdict = judge([noData('user-p99'), alarm('user-5xx')], policy({ onInsufficientData: 'wait' }), FRESH);

      // Assess
      expect(verdict.verdict).toBe('failed');
      expect(verdict.failing.map((c) => c.name)).toEqual(['user-5xx']);
      expect(verdict.counters.waitedForData).toBe(0);
    });

    it('keeps the failing checks as they were reported', () => {
      // Prepare
      const failing: CheckResult = { name: 'orders-composite', kind: 'composite', state: 'ALARM', reason: 'child in ALARM', updatedAt: '2025-01-01T00:00:00.000Z' };

      // Act
      const verdict = judge([failing], policy(), FRESH);

      // Assess
      expect(verdict.failing).toEqual([failing]);
    });
  });

  describe('insufficient data', () => {
    it('treats missing data as OK with onInsufficientData: pass', () => {
      // Act
      const verdict = judge([noData('user-5xx'), ok('user-p99')], policy({ onInsufficientData: 'pass' }), { failedChecks: 0, waitedForData: 2 });

      // Assess
      expect(verdict.verdict).toBe('healthy');
      expect(verdict.counters).toEqual({ failedChecks: 0, waitedForData: 0 });
    });

    it('counts missing data as a failed check with onInsufficientData: fail', () => {
      // Act
      const verdict = judge([noData('user-5xx'), ok('user-p99')], policy({ onInsufficientData: 'fail' }), FRESH);

      // Assess
      expect(verdict.verdict).toBe('failed');
      expect(verdict.failing.map((c) => [c.name, c.state])).toEqual([['user-5xx', 'INSUFFICIENT_DATA']]);
      expect(verdict.summary).toBe('user-5xx has insufficient data (onInsufficientData: fail) (failed check 1 of threshold 1)');
    });

    it('tolerates missing data under the threshold with onInsufficientData: fail', () => {
      // Act
      const verdict = judge([noData('user-5xx')], policy({ onInsufficientData: 'fail', threshold: 2 }), FRESH);

      // Assess
      expect(verdict.verdict).toBe('inconclusive');
      expect(verdict.counters.failedChecks).toBe(1);
    });

    it('waits for data with onInsufficientData: wait, without counting a failed check', () => {
      // Act
      const verdict = judge([noData('user-5xx'), ok('user-p99')], policy({ onInsufficientData: 'wait', insufficientDataLimit: 3 }), FRESH);

      // Assess
      expect(verdict.verdict).toBe('inconclusive');
      expect(verdict.counters).toEqual({ failedChecks: 0, waitedForData: 1 });
      expect(verdict.failing.map((c) => [c.name, c.state])).toEqual([['user-5xx', 'INSUFFICIENT_DATA']]);
      expect(verdict.summary).toBe('waiting for data from user-5xx (re-check 1 of 3)');
    });

    it('waits up to the limit, then counts the missing data as a failed check', () => {
      // Prepare
      const rules = policy({ onInsufficientData: 'wait', insufficientDataLimit: 3, threshold: 1 });
      const verdicts = [];
      let counters = FRESH;

      // Act
      for (let i = 0; i < 4; i++) {
        const v = judge([noData('user-5xx')], rules, counters);
        verdicts.push(v);
        counters = v.counters;
      }

      // Assess
      expect(verdicts.map((v) => v.verdict)).toEqual(['inconclusive', 'inconclusive', 'inconclusive', 'failed']);
      expect(verdicts.map((v) => v.counters.waitedForData)).toEqual([1, 2, 3, 0]);
      expect(verdicts[3]!.counters.failedChecks).toBe(1);
      expect(verdicts[3]!.summary).toBe('user-5xx still has insufficient data after 3 re-checks (failed check 1 of threshold 1)');
    });

    it('starts waiting again after missing data was counted under the threshold', () => {
      // Prepare
      const rules = policy({ onInsufficientData: 'wait', insufficientDataLimit: 1, threshold: 2 });
      const waited = judge([noData('user-5xx')], rules, FRESH);
      const counted = judge([noData('user-5xx')], rules, waited.counters);

      // Act
      const next = judge([noData('user-5xx')], rules, counted.counters);

      // Assess
      expect(counted.verdict).toBe('inconclusive');
      expect(counted.counters).toEqual({ failedChecks: 1, waitedForData: 0 });
      expect(next.verdict).toBe('inconclusive');
      expect(next.counters).toEqual({ failedChecks: 1, waitedForData: 1 });
    });

    it('resets the wait when the data arrives', () => {
      // Prepare
      const rules = policy({ onInsufficientData: 'wait', insufficientDataLimit: 2 });
      const waited = judge([noData('user-5xx')], rules, FRESH);

      // Act
      const healthy = judge([ok('user-5xx')], rules, waited.counters);
      const waitingAgain = judge([noData('user-5xx')], rules, healthy.counters);

      // Assess
      expect(healthy.counters.waitedForData).toBe(0);
      expect(waitingAgain.counters.waitedForData).toBe(1);
    });

    it('names every alarm without data in the summary', () => {
      // Act
      const verdict = judge([noData('user-5xx'), noData('user-p99')], policy(), FRESH);

      // Assess
      expect(verdict.summary).toBe('waiting for data from user-5xx, user-p99 (re-check 1 of 3)');
    });
  });
});

describe('judge with checks beyond alarms', () => {
  const guard: CheckResult = { name: 'errorRate', kind: 'compare', state: 'INSUFFICIENT_DATA', onNoData: 'wait', reason: '12 canary requests in the window, need 100 to compare' };

  it('waits on a comparison short of traffic even when alarms without data pass (the guard is never healthy)', () => {
    // Act
    const verdict = judge([guard, noData('user-p99')], policy({ onInsufficientData: 'pass' }), FRESH);

    // Assess
    expect(verdict).toMatchObject({ verdict: 'inconclusive', counters: { failedChecks: 0, waitedForData: 1 }, failing: [guard] });
    expect(verdict.summary).toBe('waiting for data from errorRate (re-check 1 of 3)');
  });

  it('fails a metric check whose own onNoData is fail, whatever the analysis default', () => {
    // Prepare
    const query: CheckResult = { name: 'canary-p99', kind: 'query', state: 'INSUFFICIENT_DATA', onNoData: 'fail', reason: 'no datapoint in the window' };

    // Act
    const verdict = judge([query], policy({ onInsufficientData: 'wait' }), FRESH);

    // Assess
    expect(verdict.verdict).toBe('failed');
    expect(verdict.summary).toBe('canary-p99 has insufficient data (onInsufficientData: fail) (failed check 1 of threshold 1)');
  });

  it('names a failed comparison with its numbers, and alarms as in ALARM', () => {
    // Prepare
    const failed: CheckResult = { name: 'errorRate', kind: 'compare', state: 'ALARM', reason: 'canary errors 2.00% vs stable 0.00%, limit ≤ stable + 1 pts' };

    // Act
    const verdict = judge([alarm('user-5xx'), failed], policy(), FRESH);

    // Assess
    expect(verdict.summary).toBe('user-5xx in ALARM; errorRate failed (canary errors 2.00% vs stable 0.00%, limit ≤ stable + 1 pts) (failed check 1 of threshold 1)');
  });
});
