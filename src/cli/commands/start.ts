import { DescribeExecutionCommand, ExecutionAlreadyExists, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { createHash } from 'node:crypto';
import type { RolloutRecord } from '../../rollouts/records';
import type { StartInput } from '../../rollouts/state';
import { parseSpec } from '../../spec';
import { loadSpecFile } from '../../spec/load';
import { printJson, write, type CliContext } from '../context';
import { CliError, ExitCode } from '../errors';

const MAX_NAME = 80;

/** `<spec>-<8 hex>`: a valid execution name (≤ 80 chars of [A-Za-z0-9-_]) that differs per start. */
export function rolloutName(specName: string, seed: string): string {
  const hash = createHash('sha256').update(seed).digest('hex').slice(0, 8);
  return `${sanitize(specName).slice(0, MAX_NAME - 9)}-${hash}`;
}

function sanitize(s: string): string {
  return s.replace(/[^A-Za-z0-9_-]/g, '-');
}

function requireStateMachine(ctx: CliContext): string {
  if (!ctx.stateMachineArn) throw new CliError('no state machine ARN: deploy the stack or pass --state-machine-arn', ExitCode.usage);
  return ctx.stateMachineArn;
}

async function startExecution(ctx: CliContext, name: string, input: StartInput): Promise<string> {
  const out = await ctx.sfn.send(new StartExecutionCommand({ stateMachineArn: requireStateMachine(ctx), name, input: JSON.stringify(input) }));
  return out.executionArn ?? '';
}

export interface StartOptions {
  json?: boolean;
  file?: string;
  image?: string;
  node?: string;
  revision?: string;
}

/**
 * `canaryctl start <spec>`: starts a rollout of a spec, from a file (--file) or from the spec
 * stored with the newest rollout of that name; --node sets target.canary, --image the image.
 */
export async function startCommand(ctx: CliContext, specName: string | undefined, opts: StartOptions = {}): Promise<number> {
  let spec: Record<string, unknown>;
  let revision = opts.revision;
  const fromFile = await checkStartInput(specName, opts);
  if (fromFile) {
    spec = fromFile;
  } else {
    const [newest] = await ctx.store.listRollouts({ specName, limit: 1 });
    if (!newest?.spec) throw new CliError(`spec ${specName} not found: no rollout of it is recorded; pass --file <spec.yaml>`, ExitCode.notFound);
    spec = structuredClone(newest.spec) as Record<string, unknown>;
    revision ??= newest.revision;
  }
  spec = withCanary(spec, opts.node);
  // Fail here, with the field named, rather than in Prepare.
  const valid = parseSpec(spec, opts.file ?? `spec of ${specName}`);
  const by = ctx.user ?? 'canaryctl';
  const input: StartInput = {
    spec,
    ...(revision ? { revision } : {}),
    ...(opts.image ? { image: opts.image } : {}),
    requestedBy: by,
    source: 'canaryctl start',
  };
  const name = rolloutName(valid.name, JSON.stringify([input, ctx.now().toISOString()]));
  const executionArn = await startExecution(ctx, name, input);
  if (opts.json) printJson(ctx, { rolloutId: name, executionArn, specName: valid.name, revision: revision ?? null, image: opts.image ?? null });
  else write(ctx.out, `Started rollout ${name} of ${valid.name}${revision ? ` at ${revision}` : ''}${opts.image ? ` with ${opts.image}` : ''}. Follow with: canaryctl status ${name}`);
  return ExitCode.ok;
}

/**
 * What `start` can check without AWS: a spec name or --file, and the file's spec (valid, with
 * --canary applied, and named as asked). Runs before any AWS call; returns the file's spec.
 */
export async function checkStartInput(specName: string | undefined, opts: StartOptions): Promise<Record<string, unknown> | undefined> {
  if (!opts.file) {
    if (!specName) throw new CliError('name a spec, or pass --file <spec.yaml>', ExitCode.usage);
    return undefined;
  }
  const spec = (await loadSpecFile(opts.file)) as unknown as Record<string, unknown>;
  if (specName && spec.name !== specName) {
    throw new CliError(`${opts.file} defines spec ${String(spec.name)}, not ${specName}`, ExitCode.usage);
  }
  parseSpec(withCanary(spec, opts.node), opts.file);
  return spec;
}

function withCanary(spec: Record<string, unknown>, canary: string | undefined): Record<string, unknown> {
  return canary ? { ...spec, target: { ...(spec.target as Record<string, unknown>), canary } } : spec;
}

const FAILED = new Set(['rolled back', 'failed']);
const ACTIVE = new Set(['running', 'waiting']);
const RETRY = /-retry-(\d+)$/;

/**
 * `canaryctl retry <spec>`: runs the newest failed rollout of a spec again, with the same input
 * (spec, revision, image) under `<original>-retry-N`. Refuses when a rollout of the spec runs, or
 * when a newer rollout promoted since (retrying would deploy older code).
 */
export async function retryCommand(ctx: CliContext, specName: string, opts: { json?: boolean } = {}): Promise<number> {
  const records = await ctx.store.listRollouts({ specName, limit: 50 });
  if (records.length === 0) throw new CliError(`no rollouts of spec ${specName} found`, ExitCode.notFound);
  const running = records.find((r) => ACTIVE.has(r.status));
  if (running) throw new CliError(`rollout ${running.rolloutId} of ${specName} is still ${running.status}; retry once it ends`, ExitCode.conflict);
  const failedIndex = records.findIndex((r) => FAILED.has(r.status));
  if (failedIndex < 0) throw new CliError(`no failed or rolled-back rollout of ${specName} to retry`, ExitCode.notFound);
  const failed = records[failedIndex]!;
  const promotedSince = records.slice(0, failedIndex).find((r) => r.status === 'promoted');
  if (promotedSince) {
    throw new CliError(
      `rollout ${promotedSince.rolloutId} of ${specName} promoted after ${failed.rolloutId} failed; retrying would deploy older code (use start instead)`,
      ExitCode.conflict,
    );
  }

  const input = await originalInput(ctx, failed);
  const base = failed.rolloutId.replace(RETRY, '');
  let n = 1 + Math.max(0, ...records.map((r) => (r.rolloutId.startsWith(`${base}-retry-`) ? Number(RETRY.exec(r.rolloutId)?.[1] ?? 0) : 0)));
  for (let attempt = 0; ; attempt++) {
    const suffix = `-retry-${n}`;
    const name = `${base.slice(0, MAX_NAME - suffix.length)}${suffix}`;
    try {
      const executionArn = await startExecution(ctx, name, input);
      if (opts.json) printJson(ctx, { rolloutId: name, executionArn, retryOf: failed.rolloutId, revision: input.revision ?? null });
      else write(ctx.out, `Retrying ${failed.rolloutId} (${failed.status}) as ${name}${input.revision ? ` at ${input.revision}` : ''}. Follow with: canaryctl status ${name}`);
      return ExitCode.ok;
    } catch (error) {
      if (!(error instanceof ExecutionAlreadyExists || (error as Error).name === 'ExecutionAlreadyExists') || attempt >= 4) throw error;
      n++;
    }
  }
}

/** The failed execution's own input (spec, revision, image); the history record if the execution has aged out. */
async function originalInput(ctx: CliContext, failed: RolloutRecord): Promise<StartInput> {
  const by = ctx.user ?? 'canaryctl';
  let original: Partial<StartInput> | undefined;
  try {
    const out = await ctx.sfn.send(new DescribeExecutionCommand({ executionArn: failed.executionArn }));
    if (out.input) original = JSON.parse(out.input) as Partial<StartInput>;
  } catch (error) {
    if ((error as Error).name !== 'ExecutionDoesNotExist') throw error;
  }
  const spec = (original?.spec ?? failed.spec) as Record<string, unknown> | undefined;
  if (!spec) throw new CliError(`rollout ${failed.rolloutId} has no recorded spec to retry with`, ExitCode.notFound);
  const revision = original?.revision ?? failed.revision;
  return {
    spec,
    ...(revision ? { revision } : {}),
    ...(original?.image ? { image: original.image } : {}),
    requestedBy: by,
    source: `canaryctl retry of ${failed.rolloutId}`,
  };
}
