import { ErrorNames } from '../shared/errors';
import { judge } from '../analysis/judge';
import { hooksBeforeShift, stepChecks } from './analysis';
import { afterHealthyLook, firstWaitSeconds } from './bake';
import { bestEffort } from './best-effort';
import type { Deps } from './deps';
import type { ExecutionState, RolloutState } from './state';
import { describeVerification, verifyShift } from './verify';

/**
 * One traffic step in one Lambda invocation: judge the step that just baked, then shift to the
 * next weight (absolute) or decide to promote or roll back. Three state transitions per step
 * (Step → Route → Bake) and one Lambda invocation.
 */
export async function step(state: ExecutionState, deps: Deps): Promise<RolloutState> {
  const r = state.rollout;
  const now = deps.now().toISOString();
  const bake = readBake(state.bake);
  const skip = bake.skip;
  let next = r.step + 1;
  let counters = r.counters;
  let lastVerdict = r.lastVerdict;

  if (r.step >= 0 && skip !== 'analysis') {
    const checks = await stepChecks(r, deps);
    const verdict = judge(checks, { ...r.spec.analysis, threshold: r.spec.strategy.threshold }, r.counters);
    counters = verdict.counters;
    lastVerdict = { step: r.step, verdict: verdict.verdict, summary: verdict.summary, checks };
    await deps.store.appendEvent(r.id, { at: now, kind: 'verdict', step: r.step, weight: r.weight, verdict: verdict.verdict, checks, message: verdict.summary });
    if (verdict.verdict === 'failed') {
      return { ...r, counters, lastVerdict, action: 'rollback', reason: `step ${r.step + 1} (${r.weight}%): ${verdict.summary}` };
    }
    if (verdict.verdict === 'inconclusive') {
      return { ...r, counters, lastVerdict, action: 'bake', waitSeconds: r.recheckSeconds };
    }
    const look = afterHealthyLook(r, checks, deps.now());
    if (look && !look.moveOn) return { ...r, counters, lastVerdict, action: 'bake', waitSeconds: look.waitSeconds };
    if (bake.interrupted && !look) {
      // The alarm that cut the bake short is OK again: bake this step again in full rather than move on early.
      return { ...r, counters, lastVerdict, action: 'bake', waitSeconds: r.bakeSeconds };
    }
    await deps.notifier.notify({ type: 'step-passed', rolloutId: r.id, specName: r.specName, at: now, step: r.step, steps: r.weights.length, weight: r.weight, checks });
  }
  if (skip) {
    // An operator's `canaryctl promote`: the rest of the steps (and with --full, this judgement) are skipped.
    next = r.weights.length;
    await deps.store.appendEvent(r.id, {
      at: now,
      kind: 'shifted',
      step: r.step,
      weight: r.weight,
      message: `operator skipped the remaining steps${skip === 'analysis' ? ' and analysis' : ''}${bake.by ? ` (${bake.by})` : ''}`,
    });
  }

  if (next >= r.weights.length) {
    return { ...r, counters, lastVerdict, action: r.spec.approval.beforePromotion ? 'approvePromotion' : 'promote' };
  }

  const weight = r.weights[next]!;
  const refused = await hooksBeforeShift(r, deps, next, weight);
  if (refused) return { ...r, counters, lastVerdict, action: 'rollback', reason: refused };
  const router = deps.routerFor(r.spec);
  const versions = await router.setCanaryWeight(r.snapshot, weight, r.versions);
  // Read back before baking: a write the control plane accepted but does not show fails the step loudly.
  const verified = await verifyShift(router, r.snapshot, weight);
  // From here the Task must return the new versions: a failure now would leave the state machine
  // believing in the old weight and versions.
  await bestEffort('record the shift', r.id, async () => {
    await deps.store.appendEvent(r.id, { at: now, kind: 'shifted', step: next, weight, message: `canary weight ${weight}% on ${r.snapshot.routes.length} route(s), ${describeVerification(verified)}` });
    await deps.store.updateRollout(r.id, { step: next, canaryWeight: weight, status: 'running', gate: undefined });
  });
  return { ...r, versions, step: next, weight, stepStartedAt: now, counters: { ...counters, waitedForData: 0 }, lastVerdict, action: 'bake', waitSeconds: firstWaitSeconds(r) };
}

/** How the last bake ended: timed out, interrupted (an alarm or the lookout's regression), or an operator's skip. Anything else (the lookout's Canary.BakeEndedEarly too) counts as a bake that ran out. */
function readBake(bake: unknown): { interrupted: boolean; skip?: 'steps' | 'analysis'; by?: string } {
  if (!bake || typeof bake !== 'object') return { interrupted: false };
  const b = bake as { Error?: unknown; skip?: unknown; by?: unknown };
  return {
    interrupted: b.Error === ErrorNames.bakeInterrupted,
    skip: b.skip === 'steps' || b.skip === 'analysis' ? b.skip : undefined,
    by: typeof b.by === 'string' ? b.by : undefined,
  };
}
