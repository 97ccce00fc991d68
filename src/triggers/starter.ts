import type { SFNClient } from '@aws-sdk/client-sfn';
import type { Notifier } from '../approvals/notifier';
import type { ExecutionControl } from '../rollouts/executions';
import { TaskNotWaitingError } from '../rollouts/executions';
import type { RolloutRecord } from '../rollouts/records';
import type { StartInput } from '../rollouts/state';
import type { RolloutStore } from '../rollouts/store';
import type { RolloutSpec } from '../spec';
import { classifyAwsError, ErrorNames } from '../shared/errors';
import { executionArnFor, executionName } from './names';
import type { StartedRollout } from './result';

export interface StartRequest {
  spec: RolloutSpec;
  /** Image digest (ECR) or `<commit>:<content hash>` (git). */
  revision: string;
  image?: string;
  /** Where the request came from (`ecr:repo:tag`, `codecommit:repo@branch`…). Deterministic per event. */
  source: string;
  requestedBy?: string;
}

export type StartOutcome =
  | ({ kind: 'started' } & StartedRollout)
  | { kind: 'alreadyStarted'; specName: string; revision: string; executionName: string }
  | { kind: 'rejected'; specName: string; revision: string; executionName: string; reason: string };

export type Log = (level: 'info' | 'warn' | 'error', message: string, extra?: Record<string, unknown>) => void;

export interface StarterDeps {
  sfn: SFNClient;
  stateMachineArn: string;
  store: RolloutStore;
  executions: ExecutionControl;
  notifier: Notifier;
  now(): Date;
  log: Log;
  /** Pause between attempts to find the running rollout's waiting token. */
  sleep?: (ms: number) => Promise<void>;
  /** Attempts to find a token to abort (the rollout may be between two waits). Default 3. */
  abortAttempts?: number;
}

const ACTIVE = new Set<RolloutRecord['status']>(['running', 'waiting']);

/** The Step Functions SDK, required when a rollout starts: most events a trigger sees (images no spec tracks, pushes that change no target) start none. */
function sfnSdk(): typeof import('@aws-sdk/client-sfn') {
  return require('@aws-sdk/client-sfn') as typeof import('@aws-sdk/client-sfn');
}

/**
 * Starts a rollout exactly once per (spec, revision) and applies `strategy.onNewRevision` when
 * another rollout of the same spec runs:
 * - supersede: start the new one with `waitForLock`, then abort the running one
 *   (SendTaskFailure `Canary.Aborted` on its bake or approval token), which rolls it back and
 *   frees the lock for the new one.
 * - queue: start the new one with `waitForLock`; it runs when the running one ends.
 * - reject: start nothing; log and notify one line.
 * Prepare's revision check (isLatest) makes sure a queued revision that is no longer the newest never runs.
 */
export class RolloutStarter {
  constructor(private readonly deps: StarterDeps) {}

  async start(req: StartRequest): Promise<StartOutcome> {
    const { spec, revision } = req;
    const name = executionName(spec.name, revision);
    const arn = executionArnFor(this.deps.stateMachineArn, name);
    if (await this.exists(arn)) return { kind: 'alreadyStarted', specName: spec.name, revision, executionName: name };

    const running = await this.runningRollouts(spec.name, name);
    const policy = spec.strategy.onNewRevision;
    if (policy === 'reject' && running.length > 0) {
      const holder = running[0]!;
      const reason = `onNewRevision is reject and rollout ${holder.rolloutId} (revision ${holder.revision ?? 'unknown'}) is still running; push again or run canaryctl start when it ends`;
      this.deps.log('warn', `${spec.name}: revision ${revision} rejected: ${reason}`);
      await this.deps.notifier.notify({ type: 'failed-to-start', rolloutId: name, specName: spec.name, at: this.deps.now().toISOString(), revision, reason: `revision rejected: ${reason}` });
      return { kind: 'rejected', specName: spec.name, revision, executionName: name, reason };
    }

    const waitForLock = policy !== 'reject';
    const input: StartInput = {
      spec: spec as unknown as Record<string, unknown>,
      revision,
      ...(req.image ? { image: req.image } : {}),
      ...(req.requestedBy ? { requestedBy: req.requestedBy.slice(0, 256) } : {}),
      source: req.source.slice(0, 256),
      ...(waitForLock ? { waitForLock: true } : {}),
    };
    let executionArn: string;
    try {
      const out = await this.deps.sfn.send(new (sfnSdk().StartExecutionCommand)({ stateMachineArn: this.deps.stateMachineArn, name, input: JSON.stringify(input) }));
      executionArn = out.executionArn ?? arn;
    } catch (error) {
      // A concurrent delivery of the same event won the race: that is the exactly-once we want.
      if ((error as Error).name === 'ExecutionAlreadyExists') return { kind: 'alreadyStarted', specName: spec.name, revision, executionName: name };
      throw classifyAwsError(error, `StartExecution ${name}`);
    }

    const aborted: string[] = [];
    const waitsFor: string[] = [];
    for (const r of running) {
      if (policy === 'supersede' && (await this.abort(r, name, revision))) aborted.push(r.rolloutId);
      else waitsFor.push(r.rolloutId);
    }
    return { kind: 'started', specName: spec.name, revision, executionName: name, executionArn, waitForLock, aborted, waitsFor };
  }

  private async exists(executionArn: string): Promise<boolean> {
    try {
      await this.deps.sfn.send(new (sfnSdk().DescribeExecutionCommand)({ executionArn }));
      return true;
    } catch (error) {
      if ((error as Error).name === 'ExecutionDoesNotExist') return false;
      throw classifyAwsError(error, `DescribeExecution ${executionArn}`);
    }
  }

  /** Rollouts of the spec that hold their routes now (a record exists from Prepare on) and still run. */
  private async runningRollouts(specName: string, except: string): Promise<RolloutRecord[]> {
    const records = await this.deps.store.listRollouts({ specName, limit: 20 });
    const out: RolloutRecord[] = [];
    for (const r of records) {
      if (r.rolloutId === except || !ACTIVE.has(r.status)) continue;
      if (await this.deps.executions.isRunning(r.executionArn)) out.push(r);
    }
    return out;
  }

  /**
   * Fails the task the rollout waits in with `Canary.Aborted` (the ASL rolls back on it). A
   * rollout between two waits (inside a Step Lambda) has no token for a moment: try again a few
   * times. If none is found, the new rollout still waits for the lock and runs after this one.
   */
  private async abort(r: RolloutRecord, by: string, revision: string): Promise<boolean> {
    const attempts = this.deps.abortAttempts ?? 3;
    const sleep = this.deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
    const cause = `superseded by revision ${revision} (rollout ${by})`;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      const gate = attempt === 1 ? r.gate?.token : (await this.deps.store.getRollout(r.rolloutId))?.gate?.token;
      const token = gate ?? (await this.deps.executions.findBakeToken(r.executionArn));
      if (token) {
        try {
          await this.deps.executions.sendTaskFailure(token, ErrorNames.aborted, cause);
          this.deps.log('info', `${r.specName}: rollout ${r.rolloutId} aborted: ${cause}`);
          return true;
        } catch (error) {
          if (!(error instanceof TaskNotWaitingError)) throw error;
        }
      }
      if (attempt < attempts) await sleep(2000);
    }
    this.deps.log('warn', `${r.specName}: rollout ${r.rolloutId} is not waiting at a bake or gate; ${by} waits for it to finish instead of aborting it`);
    return false;
  }
}
