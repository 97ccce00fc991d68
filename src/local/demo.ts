import './quiet';
import { Command } from 'commander';
import { join } from 'node:path';
import { runLocalCommand } from './command';
import { addLocalRunOptions, type LocalCommandOptions } from './options';


/** `npm run demo`: a full canary rollout on this machine, no AWS account needed. */
const program = addLocalRunOptions(
  new Command('demo')
    .description('Run a canary rollout locally: sample services, local mesh, real traffic, the real state machine.')
    .option('--spec <file>', 'rollout spec to run', join(__dirname, '..', '..', 'examples', 'demo.yaml'))
    .addHelpText('after', '\nExamples:\n  npm run demo\n  npm run demo -- --canary-errors 0.2\n  npm run demo -- --canary-latency 300ms --approve auto\n'),
);

program.parse(process.argv);
const opts = program.opts<LocalCommandOptions & { spec: string }>();
runLocalCommand(opts.spec, opts).then(
  (code) => process.exit(code),
  (error: Error) => {
    process.stderr.write(`demo: ${error.message}\n`);
    process.exit(2);
  },
);
