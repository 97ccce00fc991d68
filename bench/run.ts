/**
 * `npm run bench`: what a rollout costs and how fast the controller reacts, measured offline.
 * Writes bench/report.md and bench/report.json. See docs/benchmarks.md.
 *
 *   npm run bench                               everything (~4-5 min on 2 cores)
 *   npm run bench -- --only counts,bundles       some sections (cost needs counts: it runs them)
 *   npm run bench -- --bakes 3,10 --reps 2       fewer reaction runs
 *   npm run bench -- --update-reference          also replace the checked-in bench/reference/report.{md,json}
 *   npm run bench -- --only judge --judge-runs 1000   the sequential judge alone (~1-2 min)
 */
import './lib/env';
import '../src/local/quiet';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { planRollout } from '../src/plan';
import { alwaysOnControllerMonthlyCost, DEFAULT_COST_ASSUMPTIONS, estimateRolloutCost } from '../src/plan/cost';
import { loadSpecFile } from '../src/spec/load';
import type { RolloutSpec } from '../src/spec';
import { billableCounts, usdOfCounts } from './lib/cost';
import { breakEvenRolloutsPerMonth, memorySizeFromServerlessYml, summarize } from './lib/stats';
import { renderReport, type BenchReport } from './report';
import { bundleComposition, measureBundle, packagedZips, packageFunctions, ROOT, zipsWrittenAt } from './sections/bundles';
import { countRollout, EXAMPLES_DIR, type CountsResult, type Scenario } from './sections/counts';
import { measureReaction, type ReactionRun } from './sections/reaction';
import { measureJudge } from './sections/judge';
import { measureScale, type ScaleRun } from './sections/scale';
import { measureAnalysis } from './sections/analysis';
import { measureRouters } from './sections/routers';

const SECTIONS = ['counts', 'cost', 'bundles', 'reaction', 'scale', 'analysis', 'routers', 'judge'] as const;
type Section = (typeof SECTIONS)[number];

interface Args {
  only: Set<Section>;
  bakes: number[];
  reps: number;
  initReps: number;
  scaleN: number[];
  scaleReps: number;
  judgeRuns: number;
}

function parseArgs(argv: string[]): Args {
  const get = (name: string) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const list = (v: string | undefined, d: number[]) => (v ? v.split(',').map(Number).filter((n) => Number.isFinite(n) && n > 0) : d);
  const only = get('only')?.split(',') ?? [...SECTIONS];
  for (const s of only) if (!SECTIONS.includes(s as Section)) throw new Error(`--only: unknown section ${s} (known: ${SECTIONS.join(', ')})`);
  return {
    only: new Set(only as Section[]),
    bakes: list(get('bakes'), [3, 10, 20]),
    reps: Number(get('reps') ?? 3),
    initReps: Number(get('init-reps') ?? 15),
    scaleN: list(get('scale'), [1, 10, 50]),
    scaleReps: Number(get('scale-reps') ?? 3),
    judgeRuns: Number(get('judge-runs') ?? 1000),
  };
}

const benchStarted = Date.now();
function progress(line: string): void {
  const t = ((Date.now() - benchStarted) / 1000).toFixed(1).padStart(6);
  process.stdout.write(`[bench ${t}s] ${line}\n`);
}

async function main(): Promise<void> {
  if (process.argv.includes('--render-only')) {
    // Re-renders bench/report.md from bench/report.json, e.g. after changing the report's layout.
    const saved = JSON.parse(readFileSync(join(__dirname, 'report.json'), 'utf8')) as BenchReport;
    writeFileSync(join(__dirname, 'report.md'), renderReport(saved));
    progress('re-rendered bench/report.md from bench/report.json');
    return;
  }
  const args = parseArgs(process.argv.slice(2));
  if (process.argv.includes('--update-reference') && args.only.size !== SECTIONS.length) {
    throw new Error('--update-reference replaces the checked-in figures: run every section (no --only)');
  }
  const report: BenchReport = {
    generatedAt: new Date().toISOString(),
    machine: { node: process.version, platform: `${process.platform} ${process.arch}`, cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', loadAverage: [loadavg()[0]!, loadavg()[0]!] },
    args: { ...args, only: [...args.only] },
    sectionsMs: {},
    notes: [],
  };
  const timed = async (section: Section, fn: () => Promise<void>) => {
    const t0 = Date.now();
    progress(`${section}: start`);
    try {
      await fn();
    } catch (error) {
      const message = (error instanceof Error ? error.message : String(error)).split('\n')[0]!;
      report.notes.push(`${section} failed: ${message}`);
      progress(`${section}: FAILED ${message}`);
    }
    report.sectionsMs[section] = Date.now() - t0;
    progress(`${section}: done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  };

  const specFiles = ['demo.yaml', 'user-service.yaml', 'orders-ecs.yaml'].filter((f) => {
    try {
      readFileSync(join(EXAMPLES_DIR, f));
      return true;
    } catch {
      return false;
    }
  });
  const specs = new Map<string, RolloutSpec>();
  for (const f of specFiles) {
    try {
      specs.set(f, await loadSpecFile(join(EXAMPLES_DIR, f)));
    } catch (error) {
      report.notes.push(`examples/${f} does not load: ${(error as Error).message}`);
    }
  }

  if (args.only.has('counts') || args.only.has('cost')) {
    await timed('counts', async () => {
      const results: CountsResult[] = [];
      const skipped: Array<{ spec: string; reason: string }> = [];
      for (const [file, spec] of specs) {
        for (const scenario of ['healthy', 'alarm at step 2'] as Scenario[]) {
          const t0 = Date.now();
          const r = await countRollout(`examples/${file}`, spec, scenario);
          if (r.cycles.length === 0) {
            // Prepare refused the spec: nothing of a rollout to count.
            skipped.push({ spec: `examples/${file}`, reason: `Prepare refused it locally (${r.outcome}): ${r.cause ?? 'no cause'}` });
            progress(`counts: examples/${file} skipped: ${r.outcome}`);
            break;
          }
          results.push(r);
          const perStep = summarize(r.cycles.map((c) => c.transitions));
          progress(`counts: examples/${file} ${scenario}: ${r.outcome}, ${r.transitions} transitions, ${perStep.median} per step cycle, ${Object.values(r.lambdaInvocations).reduce((a, b) => a + b, 0)} Lambda invocations (${Date.now() - t0} ms)`);
        }
      }
      report.counts = {
        results,
        skipped,
        model: [...specs.entries()].map(([file, spec]) => {
          const plan = planRollout(spec);
          const est = estimateRolloutCost(plan, spec);
          return { spec: `examples/${file}`, transitions: est.counts.stateTransitions, lambdaInvocations: est.counts.lambdaInvocations };
        }),
      };
    });
  }

  if (args.only.has('cost') && report.counts) {
    await timed('cost', async () => {
      const yml = readFileSync(join(ROOT, 'serverless.yml'), 'utf8');
      const memory = memorySizeFromServerlessYml(yml);
      if (memory === undefined) report.notes.push('serverless.yml: no memorySize found; cost uses 256 MB');
      const assumptions = { ...DEFAULT_COST_ASSUMPTIONS, lambdaMemoryMb: memory ?? 256 };
      const alwaysOn = alwaysOnControllerMonthlyCost();
      const rows = report.counts!.results.map((r) => {
        const invocations = Object.values(r.lambdaInvocations).reduce((a, b) => a + b, 0);
        const counts = billableCounts({ transitions: r.transitions, lambdaInvocations: invocations, api: r.api, lambdaMemoryMb: assumptions.lambdaMemoryMb, lambdaSecondsPerInvocation: assumptions.lambdaSecondsPerInvocation });
        const usd = usdOfCounts(counts, assumptions);
        return { spec: r.spec, scenario: r.scenario, counts, usd, breakEven: breakEvenRolloutsPerMonth(alwaysOn.usd, usd.total) };
      });
      report.cost = { assumptions, alwaysOn, rows };
      for (const row of rows) progress(`cost: ${row.spec} ${row.scenario}: $${row.usd.total.toPrecision(3)} per rollout; always-on $${alwaysOn.usd.toFixed(2)}/month; break-even ${Math.round(row.breakEven)} rollouts/month`);
    });
  }

  if (args.only.has('bundles')) {
    await timed('bundles', async () => {
      progress('bundles: npm run package (node scripts/package.js) …');
      const pkg = packageFunctions();
      let stale: string | undefined;
      if (!pkg.ok) {
        const why = pkg.output.split('\n').find((l) => /cannot|error/i.test(l) && l.trim().length > 8)?.trim() ?? 'see its output';
        const zips = packagedZips();
        if (!zips.length) throw new Error(`npm run package failed (${why}) and .serverless/ holds no zips`);
        stale = `npm run package failed (${why}); measured the zips already in .serverless/ (written ${zipsWrittenAt()})`;
        report.notes.push(`bundles: ${stale}`);
        progress(`bundles: ${stale}`);
      } else progress(`bundles: packaged in ${(pkg.ms / 1000).toFixed(1)} s`);
      const figures = [];
      for (const zip of packagedZips()) {
        const f = measureBundle(zip, args.initReps);
        figures.push(f);
        progress(`bundles: ${f.fn}: ${(f.zipBytes / 1024).toFixed(0)} KB zipped, init ${f.initMs.median.toFixed(0)} ms median of ${f.initMs.n}${f.error ? ` (error: ${f.error})` : ''}`);
      }
      const composition = await bundleComposition('functions/step.ts').catch((error: Error) => {
        report.notes.push(`bundle composition failed: ${error.message}`);
        return [];
      });
      report.bundles = { packageMs: pkg.ms, stale, figures, composition: { handler: 'functions/step.ts', parts: composition } };
    });
  }

  if (args.only.has('reaction')) {
    await timed('reaction', async () => {
      const base = specs.get('demo.yaml');
      if (!base) throw new Error('examples/demo.yaml is needed for the reaction runs');
      const runs: ReactionRun[] = [];
      for (const bake of args.bakes) {
        for (let rep = 1; rep <= args.reps; rep++) {
          for (const design of ['interruptible', 'baseline'] as const) {
            const r = await measureReaction(base, design, bake, rep);
            runs.push(r);
            progress(`reaction: bake ${bake}s ${design} #${rep}: ${r.outcome}, canary's last request ${r.reactionMs} ms after the fault (alarm at ${r.detectMs ?? '-'} ms), ${(r.wallMs / 1000).toFixed(1)} s`);
          }
        }
      }
      report.reaction = { spec: 'examples/demo.yaml', rps: 200, runs };
    });
  }

  if (args.only.has('scale')) {
    await timed('scale', async () => {
      // Warm the JIT so the first measured run is not charged for it.
      await measureScale(1, 'controller only', 0);
      const runs: ScaleRun[] = [];
      for (const n of args.scaleN) {
        for (let rep = 1; rep <= args.scaleReps; rep++) {
          const r = await measureScale(n, 'controller only', rep);
          runs.push(r);
          progress(`scale: N=${n} controller only #${rep}: ${r.promoted}/${n} promoted in ${(r.wallMs / 1000).toFixed(1)} s, CPU ${r.cpuMs.toFixed(0)} ms (${(r.cpuMs / n).toFixed(1)} ms per rollout)`);
        }
      }
      for (const n of args.scaleN) {
        const r = await measureScale(n, 'with traffic', 1);
        runs.push(r);
        progress(`scale: N=${n} with traffic: ${r.promoted}/${n} promoted in ${(r.wallMs / 1000).toFixed(1)} s, CPU ${r.cpuMs.toFixed(0)} ms, traffic alone ${r.baselineCpuMs?.toFixed(0)} ms`);
      }
      report.scale = { runs };
    });
  }

  if (args.only.has('analysis')) {
    await timed('analysis', async () => {
      report.analysis = await measureAnalysis();
      progress(`analysis: ${report.analysis.getMetricDataCalls} GetMetricData calls for ${report.analysis.judgements} judgements, ${report.analysis.metricsRequested} metrics requested`);
    });
  }
  if (args.only.has('routers')) {
    await timed('routers', async () => {
      report.routers = await measureRouters(args.reps, progress);
    });
  }

  if (args.only.has('judge')) {
    await timed('judge', async () => {
      report.judge = measureJudge({ runs: args.judgeRuns }, progress);
    });
  }

  report.totalMs = Date.now() - benchStarted;
  report.machine.loadAverage = [report.machine.loadAverage![0], loadavg()[0]!];
  const md = renderReport(report);
  writeFileSync(join(__dirname, 'report.md'), md);
  writeFileSync(join(__dirname, 'report.json'), `${JSON.stringify(report, null, 2)}\n`);
  progress(`wrote bench/report.md and bench/report.json (total ${(report.totalMs / 1000).toFixed(1)} s)`);
  if (process.argv.includes('--update-reference')) {
    // The figures the README cites: checked in, with the date and machine in their header.
    mkdirSync(join(__dirname, 'reference'), { recursive: true });
    writeFileSync(join(__dirname, 'reference', 'report.md'), md);
    writeFileSync(join(__dirname, 'reference', 'report.json'), `${JSON.stringify(report, null, 2)}\n`);
    progress('updated the checked-in reference: bench/reference/report.md and bench/reference/report.json');
  }
}

main().then(
  () => process.exit(0),
  (error: Error) => {
    process.stderr.write(`bench: ${error.stack ?? error.message}\n`);
    process.exit(1);
  },
);
