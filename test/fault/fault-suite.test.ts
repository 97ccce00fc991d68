import { describeFailure, explore } from './explore';
import { ROUTERS } from './routers';
import { BAKE_ENDERS, runScenario, type BakeEnder } from './scenario';

/**
 * Generated fault schedules over every port call, through the real ASL with the real handlers:
 * after each, the rollout is promoted, restored byte-exact, or loud with its lock kept and
 * flagged and an alert delivered. A fixed seed keeps `npm test` repeatable; `npm run chaos`
 * explores further (`--runs N --seed S`).
 */
// 40 schedules per router (its known cases included), 160 in all: about as many as the App Mesh-only
// run had (150), so `npm test` stays bounded; `npm run chaos` explores further.
const RUNS = Number(process.env.FAULT_RUNS ?? 40);

describe('fault injection (real ASL, real handlers, every port faulted)', () => {
  it.each(Object.keys(ROUTERS))(`keeps the invariant on the %s router over ${RUNS} generated fault schedules`, async (router) => {
    const report = await explore({ runs: RUNS, routers: [router] });

    if (report.failure) throw new Error(describeFailure(report));
    expect(report.runs).toBe(RUNS);
    // The schedules reach every outcome, so each path of the invariant is exercised.
    expect(Object.keys(report.outcomes).sort()).toEqual(['loud', 'not started', 'promoted', 'rolled back']);
    expect(report.faultsFired).toBeGreaterThan(RUNS);
  }, 600_000);
});

describe('bakes ended early, as in production (the paths the generated schedules race)', () => {
  const expected: Record<BakeEnder, string> = { alarm: 'rolled back', lookout: 'promoted', abort: 'rolled back' };

  it.each(Object.keys(ROUTERS).flatMap((router) => BAKE_ENDERS.map((by) => [router, by] as const)))('on %s, the %s ends the second bake and the rollout ends cleanly', async (router, by) => {
    // The bake's timeout waits for its ender: whatever the machine's speed, the ender ends it.
    const result = await runScenario({ router, start: 'single', bakeEnd: { atBake: 1, by }, faults: [] }, { holdBakeTimeout: true });

    expect(result.violations).toEqual([]);
    expect(result.bakeEnded).toBe(true);
    expect(result.outcome).toBe(expected[by]);
  }, 60_000);
});
