import { summaryLine, type TriggerResult } from './result';
import type { Log } from './starter';
import type { StartOutcome } from './starter';

/** Adds one start outcome to a trigger result. */
export function record(result: TriggerResult, outcome: StartOutcome): void {
  switch (outcome.kind) {
    case 'started': {
      const { kind: _kind, ...started } = outcome;
      result.started.push(started);
      return;
    }
    case 'alreadyStarted':
      result.alreadyStarted.push({ specName: outcome.specName, revision: outcome.revision, executionName: outcome.executionName });
      return;
    case 'rejected':
      result.skipped.push({ specName: outcome.specName, reason: `${outcome.specName}: revision ${outcome.revision} rejected: ${outcome.reason}` });
      return;
  }
}

/** Logs the one line that says what the event did (warn when it started nothing and says why) and returns the result. */
export function finish(deps: { log: Log }, what: string, result: TriggerResult): TriggerResult {
  const nothing = result.started.length === 0 && result.alreadyStarted.length === 0;
  const level = result.invalid.length > 0 || (nothing && result.skipped.length > 0) ? 'warn' : 'info';
  deps.log(level, summaryLine(what, result), { result });
  return result;
}
