import { describeFailure, explore } from './explore';

/**
 * Generated fault schedules over every port call, through the real ASL with the real handlers:
 * after each, the rollout is promoted, restored byte-exact, or loud with its lock kept and
 * flagged and an alert delivered. A fixed seed keeps `npm test` repeatable; `npm run chaos`
 * explores further (`--runs N --seed S`).
 */
const RUNS = Number(process.env.FAULT_RUNS ?? 150);

describe('fault injection (real ASL, real handlers, every port faulted)', () => {
  it(`keeps the invariant over ${RUNS} generated fault schedules`, async () => {
    const report = await explore({ runs: RUNS });

    if (report.failure) throw new Error(describeFailure(report));
    expect(report.runs).toBe(RUNS);
    // The schedules reach every outcome, so each path of the invariant is exercised.
    expect(Object.keys(report.outcomes).sort()).toEqual(['loud', 'not started', 'promoted', 'rolled back']);
    expect(report.faultsFired).toBeGreaterThan(RUNS);
  }, 600_000);
});
