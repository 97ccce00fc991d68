import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { userInfo } from 'node:os';
import type { Writable } from 'node:stream';
import { awsContext, type AwsOptions } from './aws';
import { abortCommand, checkUnlockInput, decideCommand, promoteCommand, unlockCommand } from './commands/control';
import { historyCommand, listCommand, statusCommand } from './commands/inspect';
import { planCommand, validateCommand } from './commands/offline';
import { decideLocalCommand } from './commands/local';
import { checkStartInput, retryCommand, startCommand } from './commands/start';
import { addLocalRunOptions } from '../local/options';
import type { CliContext, OutputContext } from './context';
import { CliError, describeError, EXIT_CODES_HELP, ExitCode } from './errors';

export interface GlobalOptions extends AwsOptions {
  json?: boolean;
  debug?: boolean;
  color?: boolean;
}

export interface MainIo {
  out: Writable;
  err: Writable;
  isTTY: boolean;
  env: NodeJS.ProcessEnv;
  /** Builds the AWS-backed context; tests pass one over mocks. */
  context?: (options: GlobalOptions, io: OutputContext & { user?: string }) => Promise<CliContext>;
  now?: () => Date;
}

const EXAMPLES = `
Examples:
  $ canaryctl list                                 running and recent rollouts
  $ canaryctl status user-service-1a2b3c4d         step, weights, last verdict, waiting gate
  $ canaryctl approve user-service-1a2b3c4d --reason "dashboards look good"
  $ canaryctl abort user-service-1a2b3c4d --reason "bad p99"     (rolls back)
  $ canaryctl promote user-service-1a2b3c4d --full               (skip steps and analysis)
  $ canaryctl retry user-service                   re-run the last failed revision
  $ canaryctl start user-service --image 1234.dkr.ecr.us-east-1.amazonaws.com/user:v2
  $ canaryctl validate .canary/*.yaml              offline
  $ canaryctl plan .canary/user-service.yaml       offline: schedule and cost
  $ canaryctl --stage prod --region eu-west-1 list --json

The stack is canary-controller-<stage> (outputs RolloutStateMachineArn, RolloutTableName);
--state-machine-arn and --table skip the lookup.

${EXIT_CODES_HELP}`;

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive whole number');
  return n;
}

function currentUser(env: NodeJS.ProcessEnv): string {
  if (env.CANARYCTL_USER) return env.CANARYCTL_USER;
  try {
    return userInfo().username;
  } catch {
    return env.USER ?? 'canaryctl';
  }
}

/** Builds the program. Each action stores its exit code in `result.code`. */
export function buildProgram(io: MainIo, result: { code: number }): Command {
  const program = new Command('canaryctl');
  const now = io.now ?? (() => new Date());
  const globals = (cmd: Command) => cmd.optsWithGlobals<GlobalOptions>();
  const output = (cmd: Command): OutputContext & { user: string } => ({
    out: io.out,
    err: io.err,
    isTTY: io.isTTY && globals(cmd).color !== false && !io.env.NO_COLOR,
    now,
    user: currentUser(io.env),
  });
  const context = async (cmd: Command): Promise<CliContext> => (io.context ?? awsContext)(globals(cmd), output(cmd));
  const run = (fn: (cmd: Command, ...args: any[]) => Promise<number>) =>
    async function (this: Command, ...args: unknown[]) {
      result.code = await fn(this, ...args);
    };

  program
    .description('Operate canary-controller rollouts: see, approve, abort, promote, retry and plan them.')
    .option('--region <region>', 'AWS region (default: from the environment or profile)')
    .option('--profile <profile>', 'AWS shared-config profile')
    .option('--stage <stage>', 'stage of the deployed stack canary-controller-<stage>', 'dev')
    .option('--state-machine-arn <arn>', 'rollout state machine (skips the stack lookup)')
    .option('--table <name>', 'rollout table (skips the stack lookup)')
    .option('--json', 'machine-readable output')
    .option('--no-color', 'no colours (also NO_COLOR; colours are used only on a terminal)')
    .option('--debug', 'print stack traces')
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText('after', EXAMPLES)
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out.write(s), writeErr: (s) => io.err.write(s) });

  program
    .command('list')
    .description('running and recent rollouts (running first)')
    .option('--spec <name>', 'only rollouts of this spec')
    .option('--running', 'only running and waiting rollouts')
    .option('--limit <n>', 'how many', positiveInt, 20)
    .action(
      run(async (cmd) => {
        const o = globals(cmd) as GlobalOptions & { spec?: string; running?: boolean; limit: number };
        return listCommand(await context(cmd), { json: o.json, spec: o.spec, active: o.running, limit: o.limit });
      }),
    );

  program
    .command('status')
    .description('one rollout: step, weights, last verdict with alarm states, waiting gate, recent events')
    .argument('<rollout>', 'rollout id (the execution name)')
    .option('--events <n>', 'recent events to show', positiveInt, 10)
    .action(run(async (cmd, rollout: string) => statusCommand(await context(cmd), rollout, { json: globals(cmd).json, events: cmd.opts().events })));

  program
    .command('history')
    .description('recent rollouts of one spec, newest first')
    .argument('<spec>', 'spec name')
    .option('--limit <n>', 'how many', positiveInt, 20)
    .action(run(async (cmd, spec: string) => historyCommand(await context(cmd), spec, { json: globals(cmd).json, limit: cmd.opts().limit })));

  for (const decision of ['approve', 'reject'] as const) {
    program
      .command(decision)
      .description(`${decision} the approval gate the rollout waits at${decision === 'reject' ? ' (rolls back)' : ''}`)
      .argument('<rollout>', 'rollout id')
      .option('--reason <text>', 'why (recorded)')
      .option('--by <name>', 'who (default: CANARYCTL_USER or your OS user)')
      .addOption(new Option('--gate <gate>', 'only if waiting at this gate').choices(['beforeStart', 'beforePromotion']))
      .option('--local', 'answer the rollout the local runner (npm run demo, run --local) is running on this machine')
      .action(
        run(async (cmd, rollout: string) => {
          const o = cmd.opts();
          if (o.local) return decideLocalCommand(output(cmd), decision, rollout, { json: globals(cmd).json, reason: o.reason, by: o.by ?? output(cmd).user });
          return decideCommand(await context(cmd), decision, rollout, { json: globals(cmd).json, reason: o.reason, by: o.by, gate: o.gate });
        }),
      );
  }

  program
    .command('abort')
    .description('stop a rollout by rolling it back (never just stops the execution)')
    .argument('<rollout>', 'rollout id')
    .option('--reason <text>', 'why (recorded in the rollback reason)')
    .option('--by <name>', 'who')
    .action(
      run(async (cmd, rollout: string) => {
        const o = cmd.opts();
        return abortCommand(await context(cmd), rollout, { json: globals(cmd).json, reason: o.reason, by: o.by });
      }),
    );

  program
    .command('promote')
    .description('skip the remaining steps (the current one is still judged); at the beforePromotion gate, approve it')
    .argument('<rollout>', 'rollout id')
    .option('--full', 'skip the analysis of the current step too')
    .option('--by <name>', 'who')
    .option('--reason <text>', 'why (recorded when approving the gate)')
    .action(
      run(async (cmd, rollout: string) => {
        const o = cmd.opts();
        return promoteCommand(await context(cmd), rollout, { json: globals(cmd).json, full: o.full, by: o.by, reason: o.reason });
      }),
    );

  program
    .command('retry')
    .description('re-run the newest failed or rolled-back rollout of a spec (same spec, revision and image)')
    .argument('<spec>', 'spec name')
    .action(run(async (cmd, spec: string) => retryCommand(await context(cmd), spec, { json: globals(cmd).json })));

  program
    .command('start')
    .description('start a rollout of a spec (the spec recorded with its newest rollout, or --file)')
    .argument('[spec]', 'spec name')
    .option('--file <spec.yaml>', 'read the spec from this file')
    .option('--image <uri>', 'container image to deploy (ECS targets)')
    .option('--canary <name>', "canary in the router's vocabulary: virtual node, target group, Lambda version (overrides target.canary)")
    .option('--node <name>', 'same as --canary (the name it had when only App Mesh existed)')
    .option('--revision <rev>', 'revision to record (default: the recorded one)')
    .action(
      run(async (cmd, spec: string | undefined) => {
        const o = cmd.opts();
        const opts = { json: globals(cmd).json, file: o.file, image: o.image, node: o.canary ?? o.node, revision: o.revision };
        await checkStartInput(spec, opts); // local input first: a bad file fails without AWS
        return startCommand(await context(cmd), spec, opts);
      }),
    );

  program
    .command('unlock')
    .description('clear a route lock (after a failed rollback, once the route is checked)')
    .argument('<route-key>', 'route key as shown in the lock error or `status` Routes')
    .option('--yes', 'really clear it')
    .option('--force', 'clear it even though a running rollout holds it')
    .action(
      run(async (cmd, key: string) => {
        const o = cmd.opts();
        const opts = { json: globals(cmd).json, yes: o.yes, force: o.force };
        checkUnlockInput(key, opts); // local input first: no AWS call without --yes
        return unlockCommand(await context(cmd), key, opts);
      }),
    );

  program
    .command('validate')
    .description('check spec files offline; every issue names its field')
    .argument('<spec-file...>', 'YAML or JSON spec files')
    .action(run(async (cmd, files: string[]) => validateCommand(output(cmd), files, { json: globals(cmd).json })));

  program
    .command('plan')
    .description('offline: the schedule, minimum duration and estimated AWS cost of a rollout')
    .argument('<spec-file>', 'YAML or JSON spec file')
    .option('--per-month <n>', 'rollouts a month, for the monthly figure', positiveInt, 100)
    .option('--routes <n>', 'routes the router shifts (locks)', positiveInt, 1)
    .action(
      run(async (cmd, file: string) => {
        const o = cmd.opts();
        return planCommand(output(cmd), file, { json: globals(cmd).json, perMonth: o.perMonth, routes: o.routes });
      }),
    );

  addLocalRunOptions(
    program
      .command('run')
      .description('run a rollout on this machine (--local: the local runner, local mesh and sample apps)')
      .argument('<spec>', 'spec file')
      .option('--local', 'use the local runner'),
  ).action(
      run(async (cmd, spec: string) => {
        if (!cmd.opts().local) throw new CliError('run needs --local (deployed rollouts start with `canaryctl start`)', ExitCode.usage);
        // Quiet like the demo: the handlers' Lambda logs only with --verbose (read when the runner loads).
        process.env.POWERTOOLS_LOG_LEVEL ??= cmd.opts().verbose ? 'INFO' : 'SILENT';
        const runner = loadLocalRunner();
        const code = await runner.runLocalCommand(spec, { ...cmd.opts(), out: io.out });
        return typeof code === 'number' ? code : ExitCode.ok;
      }),
    );

  return program;
}

type LocalRunner = { runLocalCommand(specPath: string, options: Record<string, unknown>): Promise<number | void> };

/** The local runner is loaded only for `run --local`: it pulls in the local mesh and the ASL engine. */
function loadLocalRunner(): LocalRunner {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require('../local/command') as Partial<LocalRunner>;
    if (typeof mod.runLocalCommand !== 'function') throw new CliError('src/local/runner does not export runLocalCommand', ExitCode.unexpected);
    return mod as LocalRunner;
  } catch (error) {
    if (error instanceof CliError) throw error;
    const e = error as NodeJS.ErrnoException;
    if (e.code === 'MODULE_NOT_FOUND' && /local[\\/]runner/.test(e.message)) {
      throw new CliError('the local runner is not available in this build (src/local/runner is missing)', ExitCode.unexpected);
    }
    throw error;
  }
}

/** Runs canaryctl with arguments (without `node` and the script); resolves with the exit code. */
export async function main(argv: string[], io: MainIo): Promise<number> {
  const result = { code: ExitCode.ok as number };
  const program = buildProgram(io, result);
  const debug = argv.includes('--debug');
  try {
    await program.parseAsync(argv, { from: 'user' });
    return result.code;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version are not errors; commander already printed its message.
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.help' || error.code === 'commander.version') return ExitCode.ok;
      return ExitCode.usage;
    }
    const { exitCode, message } = describeError(error);
    io.err.write(`canaryctl: ${message}\n`);
    if (debug && error instanceof Error && error.stack) io.err.write(`${error.stack}\n`);
    return exitCode;
  }
}

if (require.main === module) {
  void main(process.argv.slice(2), { out: process.stdout, err: process.stderr, isTTY: Boolean(process.stdout.isTTY), env: process.env }).then((code) => {
    process.exitCode = code;
  });
}
