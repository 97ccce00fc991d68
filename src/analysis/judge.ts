/** States a CloudWatch alarm (metric or composite) can be in. */
export type AlarmState = 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';

/** One measurement: an alarm's state when the step was judged. Data, not an exception. */
export interface CheckResult {
  name: string;
  kind: 'metric' | 'composite' | 'local';
  state: AlarmState;
  reason?: string;
  updatedAt?: string;
}

export interface JudgePolicy {
  /** The rollout rolls back when this many checks have failed. */
  threshold: number;
  onInsufficientData: 'wait' | 'pass' | 'fail';
  /** Consecutive re-checks waiting for data before missing data counts as a failed check. */
  insufficientDataLimit: number;
}

/** Counters carried from one judgement to the next (in the execution's state). */
export interface JudgeCounters {
  failedChecks: number;
  /** Consecutive judgements that waited for data. */
  waitedForData: number;
}

export type VerdictKind = 'healthy' | 'failed' | 'inconclusive';

export interface Verdict {
  verdict: VerdictKind;
  counters: JudgeCounters;
  /** Checks that made this judgement fail or wait, with their states. */
  failing: CheckResult[];
  summary: string;
}

/**
 * Turns check results into a verdict. `healthy`: move on. `inconclusive`: judge again at the
 * same weight (missing data under the limit, or a failed check the threshold still tolerates).
 * `failed`: roll back.
 */
export function judge(checks: CheckResult[], policy: JudgePolicy, previous: JudgeCounters): Verdict {
  const alarming = checks.filter((c) => c.state === 'ALARM');
  const noData = checks.filter((c) => c.state === 'INSUFFICIENT_DATA');

  let failedThisTime = alarming.length > 0;
  let waitedForData = 0;
  let failing = alarming;
  let why = alarming.length > 0 ? `${names(alarming)} in ALARM` : '';

  if (!failedThisTime && noData.length > 0) {
    if (policy.onInsufficientData === 'fail') {
      failedThisTime = true;
      failing = noData;
      why = `${names(noData)} has insufficient data (onInsufficientData: fail)`;
    } else if (policy.onInsufficientData === 'wait') {
      waitedForData = previous.waitedForData + 1;
      failing = noData;
      if (waitedForData > policy.insufficientDataLimit) {
        failedThisTime = true;
        waitedForData = 0;
        why = `${names(noData)} still has insufficient data after ${policy.insufficientDataLimit} re-checks`;
      } else {
        return {
          verdict: 'inconclusive',
          counters: { failedChecks: previous.failedChecks, waitedForData },
          failing,
          summary: `waiting for data from ${names(noData)} (re-check ${waitedForData} of ${policy.insufficientDataLimit})`,
        };
      }
    }
  }

  if (!failedThisTime) {
    return {
      verdict: 'healthy',
      counters: { failedChecks: previous.failedChecks, waitedForData: 0 },
      failing: [],
      summary: checks.length === 0 ? 'no checks configured' : `all ${checks.length} checks OK`,
    };
  }

  const failedChecks = previous.failedChecks + 1;
  const counters = { failedChecks, waitedForData };
  if (failedChecks >= policy.threshold) {
    return { verdict: 'failed', counters, failing, summary: `${why} (failed check ${failedChecks} of threshold ${policy.threshold})` };
  }
  return {
    verdict: 'inconclusive',
    counters,
    failing,
    summary: `${why} (failed check ${failedChecks}; rollback at ${policy.threshold})`,
  };
}

function names(checks: CheckResult[]): string {
  return checks.map((c) => c.name).join(', ');
}
