import { versionMetrics, type VersionMetrics } from '../routers/metrics';
import type { RolloutSpec } from '../spec';
import type { MetricCheck } from '../spec/analysis';
import { ConfigurationError } from '../shared/errors';
import { runChecks, type CheckSource } from './alarms';
import { judgeComparison } from './compare';
import { judgeSequential } from './sequential-check';
import { runLambdaCheck, runWebhook, type CheckContext, type CustomCheckPorts } from './custom';
import type { CheckResult } from './judge';
import { MAX_QUERIES, type MetricDataReader, type MetricSeries } from './metric-data';
import { countQueries, metricCheckQueries, QueryBook, type CountReader, type MetricCheckQuery } from './queries';

/** The ports a judgement reads: alarms, metrics (GetMetricData) and custom checks. */
export interface AnalysisPorts {
  alarms: CheckSource;
  metrics?: MetricDataReader;
  custom?: CustomCheckPorts;
}

/** Who and when: the step being judged and its window. */
export interface JudgementContext {
  rolloutId: string;
  specName: string;
  revision?: string;
  step: number;
  weight: number;
  canary: string;
  stable: string;
  /** When the rollout started: the baseline of one-sided comparisons begins here. */
  rolloutStart: Date;
  /** When this step's weight was written: the window judged starts here. */
  stepStart: Date;
  now: Date;
}

/** Most period values kept in a result's evidence. */
const MAX_VALUES = 60;

/**
 * Every check of one judgement: alarms, comparisons and metric checks (all metric queries in one
 * GetMetricData), Lambda checks and webhooks. Results are data; only infrastructure faults throw.
 */
export async function runAnalysis(spec: RolloutSpec, ctx: JudgementContext, ports: AnalysisPorts): Promise<CheckResult[]> {
  const a = spec.analysis;
  const plan = planMetricQueries(spec, { canary: ctx.canary, stable: ctx.stable });
  const [alarms, series, custom] = await Promise.all([
    runChecks(ports.alarms, a.alarms),
    plan.queries.length > 0 ? requireReader(ports.metrics).read(plan.queries, queryStart(ctx.rolloutStart, plan.maxPeriod), ctx.now) : Promise.resolve(new Map<string, MetricSeries>()),
    runCustomChecks(spec, ctx, ports.custom),
  ]);
  const window = { start: ctx.stepStart.getTime(), end: ctx.now.getTime() };
  const compared = a.compare.map((c, i) =>
    c.test === 'sequential' ? judgeSequential(c, plan.counts[i]!(series), window, ctx.rolloutStart.getTime()) : judgeComparison(c, plan.counts[i]!(series), window),
  );
  const measured = a.metrics.map((m, i) => judgeMetric(m, plan.metrics[i]!, series.get(plan.metrics[i]!.id), window));
  return [...alarms, ...compared, ...measured, ...custom];
}

/** The GetMetricData queries of a spec's comparisons and metric checks, and how to read each back. */
export interface MetricQueryPlan {
  queries: ReturnType<QueryBook['queries']>;
  counts: CountReader[];
  metrics: MetricCheckQuery[];
  maxPeriod: number;
  versionMetrics?: VersionMetrics;
}

/**
 * Builds the queries (placeholders filled). Throws ConfigurationError naming the field for an
 * unknown placeholder, a target the router's metrics cannot name, or more queries than one call takes:
 * Prepare calls it so that these fail before any shift.
 */
export function planMetricQueries(spec: RolloutSpec, targets: { canary: string; stable: string }): MetricQueryPlan {
  const a = spec.analysis;
  const book = new QueryBook();
  if (a.compare.length === 0 && a.metrics.length === 0) return { queries: [], counts: [], metrics: [], maxPeriod: 60 };
  const vm = versionMetrics(spec, targets);
  const counts = a.compare.map((c) => countQueries(book, c, vm));
  const metrics = a.metrics.map((m, i) => metricCheckQueries(book, m, i, vm.placeholders));
  const queries = book.queries();
  if (queries.length > MAX_QUERIES) {
    throw new ConfigurationError(`analysis: ${queries.length} CloudWatch queries per judgement; GetMetricData takes at most ${MAX_QUERIES} in one call`);
  }
  const maxPeriod = Math.max(...a.compare.map((c) => c.period), ...a.metrics.map((m) => m.period));
  return { queries, counts, metrics, maxPeriod, versionMetrics: vm };
}

/**
 * A metric check over the window: failed when any period breaks `max` or `min` (the worst is
 * named); no datapoint in the window is no data, which the check's `onNoData` decides.
 */
export function judgeMetric(check: MetricCheck, query: MetricCheckQuery, series: MetricSeries | undefined, window: { start: number; end: number }): CheckResult {
  const values: number[] = [];
  series?.timestamps.forEach((t, i) => {
    if (t + check.period * 1000 > window.start && t < window.end) values.push(series.values[i]!);
  });
  const limit = [check.min !== undefined ? `≥ ${check.min}` : '', check.max !== undefined ? `≤ ${check.max}` : ''].filter(Boolean).join(' and ');
  const evidence = {
    window: { start: new Date(window.start).toISOString(), end: new Date(window.end).toISOString() },
    query: query.describe,
    limit,
    values: values.slice(-MAX_VALUES),
  };
  if (series && !series.complete) {
    return { name: check.name, kind: 'query', state: 'INSUFFICIENT_DATA', onNoData: 'wait', reason: 'CloudWatch returned partial data', evidence };
  }
  if (values.length === 0) {
    return { name: check.name, kind: 'query', state: 'INSUFFICIENT_DATA', onNoData: check.onNoData, reason: 'no datapoint in the window', evidence };
  }
  const above = check.max !== undefined ? values.filter((v) => v > check.max!) : [];
  const below = check.min !== undefined ? values.filter((v) => v < check.min!) : [];
  const worst = above.length ? Math.max(...above) : below.length ? Math.min(...below) : check.max !== undefined ? Math.max(...values) : Math.min(...values);
  const failed = above.length > 0 || below.length > 0;
  const shown = round(worst);
  return {
    name: check.name,
    kind: 'query',
    state: failed ? 'ALARM' : 'OK',
    reason: failed
      ? `${above.length + below.length} of ${values.length} periods outside ${limit} (worst ${shown})`
      : `${values.length} periods within ${limit} (worst ${shown})`,
    evidence: { ...evidence, canary: String(shown) },
  };
}

/** Lambda checks and webhooks of a judgement, in parallel. */
async function runCustomChecks(spec: RolloutSpec, ctx: JudgementContext, ports: CustomCheckPorts | undefined): Promise<CheckResult[]> {
  const { lambdaChecks, webhooks } = spec.analysis;
  if (lambdaChecks.length === 0 && webhooks.length === 0) return [];
  const p = requireCustom(ports);
  const context = (check: string): CheckContext => ({
    phase: 'analysis',
    check,
    rolloutId: ctx.rolloutId,
    specName: ctx.specName,
    revision: ctx.revision,
    step: ctx.step,
    weight: ctx.weight,
    canary: ctx.canary,
    stable: ctx.stable,
    window: { start: ctx.stepStart.toISOString(), end: ctx.now.toISOString() },
  });
  return Promise.all([...lambdaChecks.map((c) => runLambdaCheck(c, context(c.name), p)), ...webhooks.map((w) => runWebhook(w, context(w.name), p))]);
}

/**
 * The `hooks.beforeStep` of a spec before the shift to `step`: every hook runs (in order); the
 * results come back so the caller can refuse the shift when one did not pass.
 */
export async function runBeforeStepHooks(
  spec: RolloutSpec,
  ctx: Omit<CheckContext, 'phase' | 'check' | 'window'>,
  ports: CustomCheckPorts | undefined,
): Promise<CheckResult[]> {
  const hooks = spec.hooks?.beforeStep ?? [];
  const results: CheckResult[] = [];
  for (const hook of hooks) {
    const context: CheckContext = { ...ctx, phase: 'beforeStep', check: hook.name };
    results.push('url' in hook ? await runWebhook(hook, context, requireCustom(ports), 'hook') : await runLambdaCheck(hook, context, requireCustom(ports), 'hook'));
  }
  return results;
}

/** Start of the metric query: the rollout's start, floored to the longest period so periods line up the same way everywhere. */
export function queryStart(rolloutStart: Date, period: number): Date {
  const ms = period * 1000;
  return new Date(Math.floor(rolloutStart.getTime() / ms) * ms);
}

function requireReader(reader: MetricDataReader | undefined): MetricDataReader {
  if (!reader) throw new Error('analysis has comparisons or metric checks but no metric reader is configured');
  return reader;
}

function requireCustom(ports: CustomCheckPorts | undefined): CustomCheckPorts {
  if (!ports) throw new Error('analysis has Lambda checks, webhooks or hooks but no custom check ports are configured');
  return ports;
}

function round(n: number): number {
  return Number(n.toPrecision(6));
}
