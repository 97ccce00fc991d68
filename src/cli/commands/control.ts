import { decide } from '../../approvals/gates';
import { TaskNotWaitingError } from '../../rollouts/executions';
import type { RolloutRecord } from '../../rollouts/records';
import { printJson, write, type CliContext } from '../context';
import { CliError, ExitCode } from '../errors';
import { requireRollout } from './inspect';

const ENDED = new Set(['promoted', 'rolled back', 'rollback failed', 'failed']);

function actor(ctx: CliContext, by?: string): string {
  return by ?? ctx.user ?? 'canaryctl';
}

function requireActive(record: RolloutRecord, doing: string): void {
  if (ENDED.has(record.status)) {
    throw new CliError(`cannot ${doing} rollout ${record.rolloutId}: it already ended (${record.status})`, ExitCode.conflict);
  }
}

export interface DecideOptions {
  json?: boolean;
  reason?: string;
  by?: string;
  gate?: 'beforeStart' | 'beforePromotion';
}

/** `canaryctl approve|reject <rollout>`: answers the waiting gate; a gate that is not waiting changes nothing (exit 4). */
export async function decideCommand(ctx: CliContext, decision: 'approve' | 'reject', rolloutId: string, opts: DecideOptions = {}): Promise<number> {
  await requireRollout(ctx, rolloutId);
  const by = actor(ctx, opts.by);
  const result = await decide({ rolloutId, decision, reason: opts.reason, by, gate: opts.gate }, ctx);
  if (opts.json) printJson(ctx, { ...result, by, reason: opts.reason ?? null });
  else
    write(
      ctx.out,
      `${decision === 'approve' ? 'Approved' : 'Rejected'} the ${result.gate} gate of ${rolloutId}${decision === 'reject' ? ': the rollout rolls back' : ''}.`,
    );
  return ExitCode.ok;
}

export interface AbortOptions {
  json?: boolean;
  reason?: string;
  by?: string;
  /** How long to keep looking for a wait to interrupt while a task runs. */
  waitSeconds?: number;
  pollSeconds?: number;
}

/**
 * `canaryctl abort <rollout>`: fails whatever the execution waits on (approval gate or bake) with
 * Canary.Aborted, which the state machine turns into a rollback. It never merely stops the
 * execution: a stopped execution would leave traffic split.
 */
export async function abortCommand(ctx: CliContext, rolloutId: string, opts: AbortOptions = {}): Promise<number> {
  let record = await requireRollout(ctx, rolloutId);
  requireActive(record, 'abort');
  const by = actor(ctx, opts.by);
  const cause = `${opts.reason ?? 'no reason given'} (by ${by})`;
  const deadline = ctx.now().getTime() + (opts.waitSeconds ?? 20) * 1000;
  const sleep = ctx.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));

  for (;;) {
    const target = record.gate ? { kind: `${record.gate.gate} approval`, token: record.gate.token } : await bakeTarget(ctx, record);
    if (target) {
      try {
        await ctx.executions.sendTaskFailure(target.token, 'Canary.Aborted', cause);
        if (opts.json) printJson(ctx, { rolloutId, aborted: true, interrupted: target.kind, by, reason: opts.reason ?? null });
        else write(ctx.out, `Aborted ${rolloutId} (interrupted its ${target.kind}): it rolls back now. Follow with: canaryctl status ${rolloutId}`);
        return ExitCode.ok;
      } catch (error) {
        // The wait ended between our read and our call: look again.
        if (!(error instanceof TaskNotWaitingError)) throw error;
      }
    }
    if (!(await ctx.executions.isRunning(record.executionArn))) {
      throw new CliError(`cannot abort rollout ${rolloutId}: its execution is not running (status ${record.status})`, ExitCode.conflict);
    }
    if (ctx.now().getTime() >= deadline) break;
    await sleep((opts.pollSeconds ?? 4) * 1000);
    record = await requireRollout(ctx, rolloutId);
    requireActive(record, 'abort');
  }
  throw new CliError(
    `cannot abort rollout ${rolloutId} right now: a task (shift, judgement or rollback) is running and nothing waits to be interrupted; try again in a few seconds`,
    ExitCode.conflict,
  );
}

async function bakeTarget(ctx: CliContext, record: RolloutRecord): Promise<{ kind: string; token: string } | undefined> {
  const token = await ctx.executions.findBakeToken(record.executionArn);
  return token ? { kind: 'bake', token } : undefined;
}

export interface PromoteOptions {
  json?: boolean;
  full?: boolean;
  by?: string;
  reason?: string;
}

/**
 * `canaryctl promote <rollout>`: while baking, ends the bake with `skip: steps` (the current
 * step is still judged) or, with --full, `skip: analysis` (no judgement); the step handler
 * goes straight to promotion and records the skip. At the beforePromotion gate it approves it.
 */
export async function promoteCommand(ctx: CliContext, rolloutId: string, opts: PromoteOptions = {}): Promise<number> {
  const record = await requireRollout(ctx, rolloutId);
  requireActive(record, 'promote');
  const by = actor(ctx, opts.by);
  if (record.gate?.gate === 'beforePromotion') {
    const reason = opts.reason ?? 'promoted by an operator';
    await decide({ rolloutId, decision: 'approve', gate: 'beforePromotion', by, reason }, ctx);
    if (opts.json) printJson(ctx, { rolloutId, promoted: true, via: 'beforePromotion approval', by });
    else write(ctx.out, `Approved the beforePromotion gate of ${rolloutId}: it promotes now.`);
    return ExitCode.ok;
  }
  if (record.gate) {
    throw new CliError(`cannot promote rollout ${rolloutId} now: it waits at the ${record.gate.gate} gate; approve that first`, ExitCode.conflict);
  }
  const token = await ctx.executions.findBakeToken(record.executionArn);
  if (!token) {
    throw new CliError(`cannot skip ahead in rollout ${rolloutId} now: it is not baking (a task is running); try again in a few seconds`, ExitCode.conflict);
  }
  const skip = opts.full ? 'analysis' : 'steps';
  try {
    await ctx.executions.sendTaskSuccess(token, { skip, by });
  } catch (error) {
    if (error instanceof TaskNotWaitingError) {
      throw new CliError(`cannot skip ahead in rollout ${rolloutId} now: its bake just ended; try again in a few seconds`, ExitCode.conflict);
    }
    throw error;
  }
  if (opts.json) printJson(ctx, { rolloutId, promoted: true, via: 'bake', skip, by });
  else
    write(
      ctx.out,
      opts.full
        ? `Skipping the remaining steps and analysis of ${rolloutId}: it promotes now (recorded as skipped by ${by}).`
        : `Skipping the remaining steps of ${rolloutId}: the current step is judged, then it promotes (recorded as skipped by ${by}).`,
    );
  return ExitCode.ok;
}

export interface UnlockOptions {
  json?: boolean;
  yes?: boolean;
  force?: boolean;
}

/** What `unlock` checks before any AWS call: clearing a lock needs --yes. */
export function checkUnlockInput(key: string, opts: UnlockOptions): void {
  if (!opts.yes) {
    throw new CliError(`refusing to clear the lock of ${key} without --yes (check the route's weights first)`, ExitCode.usage);
  }
}

/**
 * `canaryctl unlock <route-key>`: clears a route lock, normally one flagged after a failed
 * rollback once an operator has checked the route. Refuses a lock held by a running rollout
 * unless --force.
 */
export async function unlockCommand(ctx: CliContext, key: string, opts: UnlockOptions = {}): Promise<number> {
  checkUnlockInput(key, opts);
  const lock = await ctx.store.getLock(key);
  if (!lock) throw new CliError(`no lock on route ${key}`, ExitCode.notFound);
  if (!lock.needsAttention && !opts.force && (await ctx.executions.isRunning(lock.executionArn))) {
    throw new CliError(
      `route ${key} is locked by running rollout ${lock.rolloutId}; abort it instead (or pass --force to clear the lock anyway)`,
      ExitCode.conflict,
    );
  }
  const cleared = await ctx.store.clearLock(key);
  if (opts.json) printJson(ctx, { key, cleared: Boolean(cleared), holder: cleared ?? null });
  else
    write(
      ctx.out,
      `Cleared the lock of ${key} (held by ${lock.rolloutId} of ${lock.specName} since ${lock.acquiredAt}${lock.needsAttention ? `; flagged: ${lock.needsAttention}` : ''}).`,
    );
  return ExitCode.ok;
}

