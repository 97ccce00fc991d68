import '../test/setup';
import { describeFailure, DEFAULT_SEED, explore } from '../test/fault/explore';
import { ROUTERS } from '../test/fault/routers';

/**
 * `npm run chaos -- --runs N --seed S [--router appmesh|alb|vpc-lattice|lambda|all]`: runs N generated fault schedules
 * through the real state machine and prints the scenarios per outcome and the violations
 * (0 expected). A violation prints the seed and the shrunk schedule; the exit code is 1.
 */
function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

/** `--router` as the demo spells it or as the table does (`app-mesh`, `appmesh`, `vpcLattice`...); `all` or none: every router. */
function routersNamed(name: string | undefined): string[] | undefined {
  if (!name || name === 'all') return undefined;
  const norm = (s: string) => s.replace(/-/g, '').toLowerCase();
  const found = Object.keys(ROUTERS).find((k) => norm(k) === norm(name));
  if (!found) throw new Error(`--router: unknown router "${name}" (known: ${Object.keys(ROUTERS).join(', ')}, all)`);
  return [found];
}

async function main(): Promise<number> {
  const runs = Number(arg('runs') ?? 200);
  const seed = Number(arg('seed') ?? DEFAULT_SEED);
  const router = arg('router');
  if (!Number.isInteger(runs) || runs < 1) throw new Error('--runs must be a positive whole number');
  if (!Number.isInteger(seed)) throw new Error('--seed must be a whole number');
  const routers = routersNamed(router);
  let done = 0;
  const report = await explore({
    runs,
    seed,
    routers,
    onRun: () => {
      if (++done % 100 === 0) process.stderr.write(`${done} scenarios…\n`);
    },
  });
  process.stdout.write(`seed ${report.seed}: ${report.runs} scenarios, ${report.faultsFired} faults fired\n`);
  for (const [outcome, n] of Object.entries(report.outcomes).sort()) process.stdout.write(`  ${outcome.padEnd(12)} ${n}\n`);
  const ended = Object.entries(report.bakesEnded).sort();
  process.stdout.write(`bakes ended early: ${ended.length ? ended.map(([by, n]) => `${by} ${n}`).join(', ') : 'none'}\n`);
  process.stdout.write(`violations: ${report.failure ? 1 : 0}\n`);
  if (report.failure) process.stdout.write(`${describeFailure(report)}\n`);
  return report.failure ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error) => {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exit(2);
  },
);
