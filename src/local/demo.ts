import './quiet';
import { Command, Option } from 'commander';
import { join } from 'node:path';
import { runLocalCommand } from './command';
import { addLocalRunOptions, type LocalCommandOptions } from './options';

/** The demo spec of each router the local world plays, in examples/. */
const DEMO_SPECS: Record<string, string> = {
  'app-mesh': 'demo.yaml',
  alb: 'demo-alb.yaml',
  'vpc-lattice': 'demo-vpc-lattice.yaml',
  lambda: 'demo-lambda.yaml',
};

/** `npm run demo`: a full canary rollout on this machine, no AWS account needed. */
const program = addLocalRunOptions(
  new Command('demo')
    .description('Run a canary rollout locally: sample services, a local router carrying real traffic, the real state machine.')
    .addOption(new Option('--router <kind>', 'router the demo shifts traffic with, through its real adapter').choices(Object.keys(DEMO_SPECS)).default('app-mesh'))
    .option('--spec <file>', 'rollout spec to run (default: the demo spec of --router in examples/)')
    .addHelpText(
      'after',
      '\nExamples:\n  npm run demo\n  npm run demo -- --router alb\n  npm run demo -- --canary-errors 0.2\n  npm run demo -- --canary-latency 300ms --approve auto\n',
    ),
);

program.parse(process.argv);
const opts = program.opts<LocalCommandOptions & { spec?: string; router: string }>();
const spec = opts.spec ?? join(__dirname, '..', '..', 'examples', DEMO_SPECS[opts.router]!);
runLocalCommand(spec, opts).then(
  (code) => process.exit(code),
  (error: Error) => {
    process.stderr.write(`demo: ${error.message}\n`);
    process.exit(2);
  },
);
