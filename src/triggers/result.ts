/** A rollout a trigger started. */
export interface StartedRollout {
  specName: string;
  revision: string;
  executionName: string;
  executionArn: string;
  /** Started to wait for the route lock (onNewRevision supersede or queue). */
  waitForLock: boolean;
  /** Running rollouts of the same spec told to abort (supersede). */
  aborted: string[];
  /** Running rollouts it waits behind without aborting them (queue, or an abort that found nothing waiting). */
  waitsFor: string[];
}

/** What a trigger did with one event. Every event gets one, even a malformed one. */
export interface TriggerResult {
  started: StartedRollout[];
  /** Same spec and revision already started (a duplicate delivery): nothing new. */
  alreadyStarted: Array<{ specName: string; revision: string; executionName: string }>;
  skipped: Array<{ reason: string; specName?: string; path?: string }>;
  /** Spec files that failed to read or validate; each reason names the file and the field. */
  invalid: Array<{ path: string; reason: string }>;
  /** Desired states changed without a rollout (only fields other than `target` changed). */
  updated: Array<{ specName: string; path: string }>;
  /** Desired states removed because their file was deleted. */
  removed: Array<{ specName: string; path: string }>;
}

export function emptyResult(): TriggerResult {
  return { started: [], alreadyStarted: [], skipped: [], invalid: [], updated: [], removed: [] };
}

/** A result that only says why nothing happened. */
export function skippedResult(reason: string): TriggerResult {
  return { ...emptyResult(), skipped: [{ reason }] };
}

/** One line a person reads in the logs: what happened, and why when nothing did. */
export function summaryLine(what: string, r: TriggerResult): string {
  const parts: string[] = [];
  if (r.started.length) parts.push(`started ${r.started.map((s) => `${s.specName} (${s.executionName})`).join(', ')}`);
  if (r.alreadyStarted.length) parts.push(`already started ${r.alreadyStarted.map((s) => s.executionName).join(', ')}`);
  if (r.updated.length) parts.push(`desired state updated without rollout: ${r.updated.map((u) => u.specName).join(', ')}`);
  if (r.removed.length) parts.push(`removed ${r.removed.map((u) => u.specName).join(', ')}`);
  if (r.invalid.length) parts.push(`invalid: ${r.invalid.map((i) => i.reason).join('; ')}`);
  if (r.skipped.length) parts.push(`skipped: ${r.skipped.map((s) => s.reason).join('; ')}`);
  const nothing = r.started.length === 0 && r.alreadyStarted.length === 0 ? 'started nothing; ' : '';
  return `${what}: ${nothing}${parts.join('; ') || 'nothing to do'}`;
}
