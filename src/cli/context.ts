import type { SFNClient } from '@aws-sdk/client-sfn';
import type { Writable } from 'node:stream';
import type { ExecutionControl } from '../rollouts/executions';
import type { RolloutStore } from '../rollouts/store';

/** What every command prints with. Offline commands (validate, plan) need only this. */
export interface OutputContext {
  out: Writable;
  err: Writable;
  /** Colours only on a terminal (and not with NO_COLOR or --no-color). */
  isTTY: boolean;
  now(): Date;
}

/** What commands that talk to the deployed stack get: injected, so tests drive them without a process. */
export interface CliContext extends OutputContext {
  store: RolloutStore;
  sfn: SFNClient;
  executions: ExecutionControl;
  /** Needed by start and retry. */
  stateMachineArn?: string;
  /** Who acts, recorded with approvals and skips (default: the OS user). */
  user?: string;
  /** Waits between polls (abort); tests pass a fake. */
  sleep?(ms: number): Promise<void>;
}

export function write(stream: Writable, text: string): void {
  stream.write(text.endsWith('\n') ? text : `${text}\n`);
}

export function printJson(ctx: OutputContext, value: unknown): void {
  write(ctx.out, JSON.stringify(value, null, 2));
}

