import type { CheckResult } from '../analysis/judge';
import { planMetricQueries, runAnalysis, runBeforeStepHooks } from '../analysis/run';
import type { Deps } from './deps';
import type { RolloutState } from './state';

/**
 * The checks of the step that just baked: alarms, comparisons, metric checks and custom checks,
 * over the window since this step's weight was written (the rollout's start before the first
 * recorded shift time).
 */
export function stepChecks(r: RolloutState, deps: Deps): Promise<CheckResult[]> {
  const now = deps.now();
  return runAnalysis(
    r.spec,
    {
      rolloutId: r.id,
      specName: r.specName,
      revision: r.revision,
      step: r.step,
      weight: r.weight,
      canary: r.snapshot.canary,
      stable: r.snapshot.stable,
      rolloutStart: new Date(r.startedAt),
      stepStart: new Date(r.stepStartedAt ?? r.startedAt),
      now,
    },
    { alarms: deps.checks, metrics: deps.metrics, custom: deps.customChecks },
  );
}

/**
 * Only the `test: sequential` comparisons of the step that bakes (what the lookout judges between
 * judgements): no alarm, metric, Lambda or webhook check runs, so a look costs one GetMetricData.
 */
export function sequentialChecks(r: RolloutState, deps: Deps): Promise<CheckResult[]> {
  const a = r.spec.analysis;
  const compare = a.compare.filter((c) => c.test === 'sequential');
  if (compare.length === 0) return Promise.resolve([]);
  return stepChecks({ ...r, spec: { ...r.spec, analysis: { ...a, alarms: [], metrics: [], lambdaChecks: [], webhooks: [], compare } } }, deps);
}

/**
 * Runs `hooks.beforeStep` before the shift to `step` and records them. Returns why the shift must
 * not happen (a hook that did not pass), or undefined to go on.
 */
export async function hooksBeforeShift(r: RolloutState, deps: Deps, step: number, weight: number): Promise<string | undefined> {
  if (!r.spec.hooks?.beforeStep.length) return undefined;
  const results = await runBeforeStepHooks(
    r.spec,
    { rolloutId: r.id, specName: r.specName, revision: r.revision, step, weight, canary: r.snapshot.canary, stable: r.snapshot.stable },
    deps.customChecks,
  );
  const failed = results.filter((c) => c.state !== 'OK');
  const message = failed.length
    ? `before step ${step + 1} (${weight}%): ${failed.map((c) => `hook ${c.name} did not pass (${c.reason ?? c.state})`).join('; ')}`
    : `before step ${step + 1} (${weight}%): ${results.length} hook(s) passed`;
  await deps.store.appendEvent(r.id, { at: deps.now().toISOString(), kind: 'hooks', step, weight, checks: results, message });
  return failed.length ? message : undefined;
}

/**
 * At Prepare: every metric query can be built (placeholders known, targets nameable as the
 * router's metric dimensions, at most one call's worth), so a typo fails before any shift.
 */
export function requireAnalysis(spec: RolloutState['spec'], snapshot: Pick<RolloutState['snapshot'], 'canary' | 'stable'>): void {
  planMetricQueries(spec, { canary: snapshot.canary, stable: snapshot.stable });
}
