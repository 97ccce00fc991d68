import type { SequentialSeries } from '../../analysis/sequential-check';

/**
 * Data contract for the rollout report written at the end of `npm run demo`.
 * The demo produces a RolloutReport; render.ts turns it into one self-contained HTML file.
 */

/** One point of the timeline, typically one per second of load. */
export interface ReportSample {
  /** ms since start */
  t: number;
  /** 0-100, as set on the route */
  canaryWeight: number;
  stable: VersionStats;
  canary: VersionStats;
}

export interface VersionStats {
  rps: number;
  /** 0..1 */
  errorRate: number;
  /** ms */
  p99: number;
  requests: number;
}

export type ReportEventKind = 'start' | 'approval' | 'shift' | 'verdict' | 'rollback' | 'promote' | 'info';

export interface ReportEvent {
  /** ms since start */
  t: number;
  kind: ReportEventKind;
  label: string;
  detail?: string;
  /** 0-based, as in the rollout's events; shown 1-based, as "step 1" in labels and the CLI. */
  step?: number;
  /** for verdicts: true = healthy, false = failed, undefined = inconclusive */
  ok?: boolean;
}

export interface ReportStep {
  /** 0-based; shown 1-based ("step 1" is the first). */
  index: number;
  /** 0-100 */
  weight: number;
  verdict?: 'healthy' | 'failed' | 'inconclusive';
  summary?: string;
  /** percent 0-100 of requests the canary actually served during the step (same unit as weight) */
  measuredCanaryShare?: number;
  requests?: number;
  /** ms the weight write took until the router's API accepted it (control plane) */
  controlPlaneMs?: number;
  /** ms from that acceptance until the measured canary share was within ±5 points of the weight (data plane) */
  dataPlaneMs?: number;
  /** Every judgement of the step (re-checks included), with the checks and their evidence. */
  judgements?: Array<{ verdict: string; checks: ReportCheck[] }>;
}

/** One check of a judgement as the report shows it: a row of the step's checks table. */
export interface ReportCheck {
  name: string;
  kind: string;
  /** OK, ALARM or INSUFFICIENT_DATA: shown as Successful, Failed, Inconclusive. */
  state: string;
  reason?: string;
  evidence?: { canary?: string; stable?: string; limit?: string };
}

export interface RolloutReport {
  title: string;
  specName: string;
  /** ISO 8601 */
  startedAt: string;
  /** ISO 8601 */
  endedAt: string;
  outcome: 'promoted' | 'rolled back' | 'failed' | 'aborted';
  outcomeText: string;
  samples: ReportSample[];
  events: ReportEvent[];
  steps: ReportStep[];
  totals: { requests: number; byVersion: Record<string, number>; non2xx: number; injectedFaults: number };
  settings: Record<string, string | number | boolean>;
  /** Sequential comparisons: statistic and bound over time against their boundaries. */
  sequential?: SequentialSeries[];
}
