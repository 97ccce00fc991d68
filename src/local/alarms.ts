import type { CheckSource } from '../analysis/alarms';
import type { AlarmState, CheckResult } from '../analysis/judge';
import type { MeshStats } from './mesh';

/** A local stand-in for a CloudWatch metric alarm, computed from the real requests through the local mesh. */
export interface LocalAlarmRule {
  name: string;
  metric: 'errorRate' | 'p99';
  /** The virtual node whose requests are measured (the canary). */
  target: string;
  /** ALARM when the metric is above this: a 0..1 rate, or milliseconds. */
  threshold: number;
  /** Evaluation period: the last `periodMs` of requests. */
  periodMs: number;
  /** Fewer requests than this in the period is INSUFFICIENT_DATA, as CloudWatch says with no datapoints. */
  minRequests: number;
}

export interface LocalAlarmDefaults {
  errorRate: number;
  p99Ms: number;
  periodMs: number;
  minRequests: number;
}

// 5 s, not 2 s: at a 10 % step a 2 s window holds ~40 canary requests, where two errors already read as 5 %.
export const LOCAL_ALARM_DEFAULTS: LocalAlarmDefaults = { errorRate: 0.05, p99Ms: 250, periodMs: 5000, minRequests: 10 };

/**
 * Locally, an alarm's meaning comes from its name: `*5xx*` or `*error*` is the canary's error
 * rate, `*p99*` or `*latency*` its p99 latency. Any other name does not exist here, which
 * Prepare reports as a missing alarm, as CloudWatch would.
 */
export function localAlarmRules(names: string[], canary: string, defaults: LocalAlarmDefaults = LOCAL_ALARM_DEFAULTS): LocalAlarmRule[] {
  const rules: LocalAlarmRule[] = [];
  for (const name of names) {
    const lower = name.toLowerCase();
    const base = { name, target: canary, periodMs: defaults.periodMs, minRequests: defaults.minRequests };
    if (/5xx|error/.test(lower)) rules.push({ ...base, metric: 'errorRate', threshold: defaults.errorRate });
    else if (/p99|latency/.test(lower)) rules.push({ ...base, metric: 'p99', threshold: defaults.p99Ms });
  }
  return rules;
}

/** Alarms over the local mesh's request stats; also reports state changes, like EventBridge does for CloudWatch. */
export class LocalAlarms implements CheckSource {
  private readonly states = new Map<string, AlarmState>();
  calls = 0;

  constructor(
    private readonly stats: MeshStats,
    readonly rules: LocalAlarmRule[],
    private readonly now: () => number = Date.now,
  ) {}

  evaluate(rule: LocalAlarmRule): CheckResult {
    const to = this.now();
    const window = this.stats.window(to - rule.periodMs, to)[rule.target];
    const requests = window?.requests ?? 0;
    const seconds = rule.periodMs / 1000;
    if (!window || requests < rule.minRequests) {
      return { name: rule.name, kind: 'local', state: 'INSUFFICIENT_DATA', reason: `${requests} requests to ${rule.target} in the last ${seconds}s (need ${rule.minRequests})` };
    }
    const value = rule.metric === 'errorRate' ? window.errorRate : window.p99;
    const shown = rule.metric === 'errorRate' ? `error rate ${(value * 100).toFixed(1)}%` : `p99 ${Math.round(value)}ms`;
    const limit = rule.metric === 'errorRate' ? `${(rule.threshold * 100).toFixed(1)}%` : `${rule.threshold}ms`;
    const state: AlarmState = value > rule.threshold ? 'ALARM' : 'OK';
    return {
      name: rule.name,
      kind: 'local',
      state,
      reason: `${rule.target} ${shown} ${state === 'ALARM' ? '>' : '<='} ${limit} over the last ${seconds}s (${requests} requests)`,
      updatedAt: new Date(to).toISOString(),
    };
  }

  async describe(names: string[]): Promise<{ results: CheckResult[]; missing: string[] }> {
    this.calls++;
    const results: CheckResult[] = [];
    const missing: string[] = [];
    for (const name of names) {
      const rule = this.rules.find((r) => r.name === name);
      if (rule) results.push(this.evaluate(rule));
      else missing.push(name);
    }
    return { results, missing };
  }

  /** Evaluates every alarm and returns those whose state changed since the last call. */
  changes(): CheckResult[] {
    const changed: CheckResult[] = [];
    for (const rule of this.rules) {
      const result = this.evaluate(rule);
      if (this.states.get(rule.name) !== result.state) {
        this.states.set(rule.name, result.state);
        changed.push(result);
      }
    }
    return changed;
  }
}
