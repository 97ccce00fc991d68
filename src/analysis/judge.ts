import type { SequentialCheckEvidence } from './sequential-check';
/** States a CloudWatch alarm (metric or composite) can be in. */
export type AlarmState = 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';

/**
 * One measurement when the step was judged: data, not an exception. `state` reads like an alarm's
 * for every kind: OK = Successful, ALARM = Failed, INSUFFICIENT_DATA = Inconclusive (see `outcomeOf`).
 */
export interface CheckResult {
  name: string;
  /** Alarms: metric, composite, local. Analysis checks: compare, query (analysis.metrics), lambda, webhook, hook. */
  kind: 'metric' | 'composite' | 'local' | 'compare' | 'query' | 'lambda' | 'webhook' | 'hook';
  state: AlarmState;
  reason?: string;
  updatedAt?: string;
  /** What INSUFFICIENT_DATA means for this check; default: the analysis' onInsufficientData. */
  onNoData?: 'wait' | 'pass' | 'fail';
  /** The inputs, numbers and limit the result was decided on. */
  evidence?: CheckEvidence;
}

/** Why a check came out as it did, small enough for the execution state and a history item. */
export interface CheckEvidence {
  /** The window judged (ISO times). */
  window?: { start: string; end: string };
  /** The query as sent, in short (metric and statistic, or expression). */
  query?: string;
  /** Display values: the canary's measure, stable's, and the limit applied. */
  canary?: string;
  stable?: string;
  limit?: string;
  /** Raw numbers: counts per version, the values of the periods judged (at most 60). */
  counts?: { canary: { requests: number; errors: number; slow?: number }; stable: { requests: number; errors: number; slow?: number }; stableFrom?: 'window' | 'rollout' };
  values?: number[];
  /** A custom check's answer (a webhook's body truncated). */
  response?: string;
  /** A `test: sequential` comparison: its statistic, boundary and trajectory (src/analysis/sequential-check.ts). */
  sequential?: SequentialCheckEvidence;
}

/** The Argo-style name of a result: Successful, Failed or Inconclusive. */
export function outcomeOf(check: Pick<CheckResult, 'state'>): 'Successful' | 'Failed' | 'Inconclusive' {
  return check.state === 'OK' ? 'Successful' : check.state === 'ALARM' ? 'Failed' : 'Inconclusive';
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
  // Each check may say what its missing data means; a comparison's traffic guard always waits.
  const noDataAs = (c: CheckResult) => c.onNoData ?? policy.onInsufficientData;
  const noDataFails = checks.filter((c) => c.state === 'INSUFFICIENT_DATA' && noDataAs(c) === 'fail');
  const noDataWaits = checks.filter((c) => c.state === 'INSUFFICIENT_DATA' && noDataAs(c) === 'wait');

  let failedThisTime = alarming.length > 0;
  let waitedForData = 0;
  let failing = alarming;
  let why = failedReasons(alarming);

  if (!failedThisTime && noDataFails.length > 0) {
    failedThisTime = true;
    failing = noDataFails;
    why = `${names(noDataFails)} has insufficient data (onInsufficientData: fail)`;
  } else if (!failedThisTime && noDataWaits.length > 0) {
    waitedForData = previous.waitedForData + 1;
    failing = noDataWaits;
    if (waitedForData > policy.insufficientDataLimit) {
      failedThisTime = true;
      waitedForData = 0;
      why = `${names(noDataWaits)} still has insufficient data after ${policy.insufficientDataLimit} re-checks`;
    } else {
      return {
        verdict: 'inconclusive',
        counters: { failedChecks: previous.failedChecks, waitedForData },
        failing,
        summary: `waiting for data from ${names(noDataWaits)} (re-check ${waitedForData} of ${policy.insufficientDataLimit})`,
      };
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
  // A sequential test's regression is already the decision at level α, however often it was
  // looked at: re-checking it `threshold` times would only delay the rollback it calls for.
  const decisive = alarming.filter((c) => c.evidence?.sequential?.decision === 'regression');
  if (decisive.length > 0 && failedChecks < policy.threshold) {
    return { verdict: 'failed', counters, failing, summary: `${why} (a sequential test's regression rolls back at once; threshold ${policy.threshold} is for the other checks)` };
  }
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

const ALARM_KINDS = new Set<CheckResult['kind']>(['metric', 'composite', 'local']);

/** Alarms read "x, y in ALARM"; every other check names itself with its reason, so a verdict explains itself. */
function failedReasons(failed: CheckResult[]): string {
  const alarms = failed.filter((c) => ALARM_KINDS.has(c.kind));
  const others = failed.filter((c) => !ALARM_KINDS.has(c.kind));
  return [...(alarms.length ? [`${names(alarms)} in ALARM`] : []), ...others.map((c) => `${c.name} failed${c.reason ? ` (${c.reason})` : ''}`)].join('; ');
}

function names(checks: CheckResult[]): string {
  return checks.map((c) => c.name).join(', ');
}
