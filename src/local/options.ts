import { Command, InvalidArgumentError, Option } from 'commander';
import type { ApprovalMode } from './runner';

/** Bad input to the local runner (a flag or the spec file), found before anything starts: exit 2. */
export class LocalUsageError extends Error {
  override readonly name = 'LocalUsageError';
}

/** Options of `npm run demo` and `canaryctl run --local`; kept free of the runner so the CLI starts fast. */
export interface LocalCommandOptions {
  bake?: string;
  rps?: number;
  canaryErrors?: number;
  canaryLatency?: number;
  approve?: ApprovalMode;
  judge?: 'threshold' | 'sequential';
  report?: string | false;
  store?: 'memory' | 'dynamo';
  out?: NodeJS.WritableStream & { isTTY?: boolean };
  /** Whether stdin is a terminal (default: process.stdin.isTTY); tests set it. */
  stdinIsTTY?: boolean;
  /** The image a target.ecs or target.lambda spec deploys as the canary. */
  image?: string;
  /** Print the handlers' structured Lambda logs between the status lines. */
  verbose?: boolean;
}

function rate(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || n > 1) throw new InvalidArgumentError('must be a rate between 0 and 1, e.g. 0.2');
  return n;
}

function milliseconds(value: string): number {
  const m = /^(\d+)(ms|s)?$/.exec(value.trim());
  if (!m) throw new InvalidArgumentError('must be a latency such as 300ms or 1s');
  return Number(m[1]) * (m[2] === 's' ? 1000 : 1);
}

function positive(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 5000) throw new InvalidArgumentError('must be a whole number from 1 to 5000');
  return n;
}

/** The local runner's options, shared by `npm run demo` and `canaryctl run --local`. */
export function addLocalRunOptions(command: Command): Command {
  return command
    .option('--bake <duration>', 'bake time per step, overriding the spec (e.g. 4s); compresses the rollout', '4s')
    .option('--rps <n>', 'requests per second through the local mesh', positive, 200)
    .option('--canary-errors <rate>', 'share of canary requests that fail with 500 (0..1)', rate, 0)
    .option('--canary-latency <ms>', 'latency added to every canary response (e.g. 300ms)', milliseconds, 0)
    .addOption(new Option('--judge <kind>', 'how comparisons are judged: threshold (the spec as written) or sequential (anytime-valid test, bakes of { min: bake/4, max: bake } looked at every second)').choices(['threshold', 'sequential']))
    .addOption(new Option('--approve <mode>', 'answer approval gates: auto, reject, prompt (ask here), wait (answer with canaryctl approve --local)').choices(['auto', 'reject', 'prompt', 'wait']))
    .option('--report <path>', 'where to write the HTML report', 'rollout-report.html')
    .option('--no-report', 'write no report')
    .option('--image <uri>', 'image a target.ecs or target.lambda spec deploys, pinned by digest (default: a local sample image)')
    .option('--verbose', "print the handlers' structured Lambda logs between the status lines")
    .addOption(new Option('--store <kind>', 'where locks and history live: memory, or dynamo (the real DynamoDB store on an in-process engine)').choices(['memory', 'dynamo']).default('memory'));
}

