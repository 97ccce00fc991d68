import fc from 'fast-check';
import { ROUTERS } from './routers';
import { runScenario, scenarioArbitrary, type Outcome, type RunResult, type Scenario } from './scenario';

/** The seed `npm test` uses, so its bounded run is the same every time. */
export const DEFAULT_SEED = 20261129;

/** The issue's classes, always run first (fast-check `examples`) whatever the seed, on each router run. */
export const KNOWN_CASES: Scenario[] = [
  // Prepare crashes right after taking its locks.
  { router: 'appmesh', start: 'single', faults: [{ target: 'store.acquireLocks', call: 0, kind: 'crash' }] },
  // The final release fails (5xx burst, then a permanent refusal).
  { router: 'appmesh', start: 'single', faults: [{ target: 'store.releaseLocks', call: 0, kind: '5xx' }, { target: 'store.releaseLocks', call: 3, kind: 'permanent' }] },
  { router: 'appmesh', start: 'single', failAt: 50, faults: [{ target: 'store.releaseLocks', call: 0, kind: 'crash' }] },
  // A loud end under a second fault: flagging fails, the reporting Lambda crashes, both channels fail; then the next rollout.
  { router: 'appmesh', start: 'then-again', meddleAt: 1, faults: [{ target: 'store.flagLocks', call: 0, kind: 'permanent' }, { target: 'lambda.reportFailure', call: 0, kind: 'crash' }] },
  { router: 'appmesh', start: 'then-again', meddleAt: 0, faults: [{ target: 'notifier.sns', call: 0, kind: '5xx' }, { target: 'notifier.eventbridge', call: 0, kind: '5xx' }, { target: 'store.appendEvent', call: 2, kind: 'permanent' }] },
  // Promote crashes after its write (and after the release, in the old design).
  { router: 'appmesh', start: 'queued', faults: [{ target: 'router.promote', call: 0, kind: 'crash' }] },
  { router: 'appmesh', start: 'concurrent', faults: [{ target: 'lambda.promote', call: 0, kind: 'crash' }, { target: 'store.releaseLocks', call: 0, kind: 'lost' }] },
  // Found by the suite (seed 20261129): a Step retried after its answer was lost took another
  // writer's change for its own write because the weights matched.
  { router: 'appmesh', start: 'single', meddleAt: 0, faults: [{ target: 'lambda.step', call: 0, kind: 'lost' }] },
  // Bakes ended early. The alarm interrupt ends the bake but its answer is lost: the retried function finds no bake.
  { router: 'appmesh', start: 'single', bakeEnd: { atBake: 1, by: 'alarm' }, faults: [{ target: 'executions.sendTaskFailure', call: 0, kind: 'lost' }] },
  // The lookout ends a healthy bake early, then the Step that judges it crashes after its shift.
  { router: 'appmesh', start: 'queued', bakeEnd: { atBake: 0, by: 'lookout' }, faults: [{ target: 'lambda.step', call: 1, kind: 'crash' }] },
  // An operator aborts the last bake while the restore is failing.
  { router: 'appmesh', start: 'single', failAt: 50, bakeEnd: { atBake: 2, by: 'abort' }, faults: [{ target: 'router.restore', call: 0, kind: '5xx' }] },
  // The alarm interrupt cannot read its watchers at first, and its Lambda crashes once.
  { router: 'appmesh', start: 'concurrent', bakeEnd: { atBake: 0, by: 'alarm' }, faults: [{ target: 'store.watchersOf', call: 0, kind: 'throttle' }, { target: 'lambda.alarmInterrupt', call: 1, kind: 'crash' }] },
];

export interface ExploreReport {
  seed: number;
  runs: number;
  /** The routers run (undefined: all). */
  routers?: string[];
  outcomes: Record<string, number>;
  /** Fault kinds that fired, counted over the runs. */
  faultsFired: number;
  /** Bakes ended early by each ender (alarm interrupt, lookout, abort), over the runs. */
  bakesEnded: Record<string, number>;
  failure?: { scenario: Scenario; violations: string[]; shrinks: number; path?: string };
}

/**
 * Runs `runs` generated scenarios (the known cases first) and checks the invariant after each.
 * On a violation fast-check shrinks the schedule to a minimal one, reported with the seed.
 */
export async function explore(options: { runs: number; seed?: number; routers?: string[]; onRun?: (scenario: Scenario, result: RunResult) => void }): Promise<ExploreReport> {
  const seed = options.seed ?? DEFAULT_SEED;
  const outcomes: Record<Outcome | string, number> = {};
  let faultsFired = 0;
  const bakesEnded: Record<string, number> = {};
  let shrinking = false;
  let last: { scenario: Scenario; violations: string[] } | undefined;
  const routers = options.routers;
  // The known cases are router-agnostic schedules: each runs on every router selected.
  const examples = KNOWN_CASES.flatMap((c) => (routers ?? Object.keys(ROUTERS)).map((router): [Scenario] => [{ ...c, router }]));
  const details = await fc.check(
    fc.asyncProperty(scenarioArbitrary(routers), async (scenario) => {
      const result = await runScenario(scenario);
      if (!shrinking) {
        outcomes[result.outcome] = (outcomes[result.outcome] ?? 0) + 1;
        faultsFired += result.fired.length;
        if (result.bakeEnded && scenario.bakeEnd) bakesEnded[scenario.bakeEnd.by] = (bakesEnded[scenario.bakeEnd.by] ?? 0) + 1;
        options.onRun?.(scenario, result);
      }
      if (result.violations.length > 0) {
        shrinking = true;
        last = { scenario, violations: result.violations };
        return false;
      }
      return true;
    }),
    { seed, numRuns: options.runs, examples, endOnFailure: false },
  );
  const report: ExploreReport = { seed, routers, runs: Object.values(outcomes).reduce((a, b) => a + b, 0), outcomes, faultsFired, bakesEnded };
  if (details.failed && details.counterexample) {
    const [scenario] = details.counterexample;
    // The last failing run during shrinking is the shrunk counterexample's.
    const again = await runScenario(scenario);
    report.failure = { scenario, violations: again.violations.length ? again.violations : (last?.violations ?? []), shrinks: details.numShrinks, path: details.counterexamplePath ?? undefined };
  }
  return report;
}

/** The failure as a person reads it: seed, how to replay, the minimal schedule and what broke. */
export function describeFailure(report: ExploreReport): string {
  const f = report.failure;
  if (!f) return '';
  return [
    `invariant violated (seed ${report.seed}, shrunk ${f.shrinks} times${f.path ? `, path ${f.path}` : ''})`,
    `replay: npm run chaos -- --runs ${report.runs} --seed ${report.seed}${report.routers?.length === 1 ? ` --router ${report.routers[0]}` : ''}`,
    `minimal scenario: ${JSON.stringify(f.scenario)}`,
    ...f.violations.map((v) => `  - ${v}`),
  ].join('\n');
}
