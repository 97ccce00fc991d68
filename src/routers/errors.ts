import { CanaryError, TransientError } from '../shared/errors';

/**
 * One error for a restore in which some routes failed. It keeps the class (and so the `name`
 * the state machine matches on) of the first failure, names every failed route in its message,
 * and lists all failures in `errors`: a partial restore must never look like a clean one.
 */
export function partialRestoreError(failures: Array<{ route: string; error: unknown }>, total: number): Error {
  // A route that failed transiently can still be restored: the whole error is retryable then, even
  // if another route is a conflict (the retry restores what it can and fails loudly on the rest).
  const first = failures.find((f) => f.error instanceof TransientError)?.error ?? failures[0]?.error;
  const detail = failures.map((f) => `route "${f.route}": ${f.error instanceof Error ? f.error.message : String(f.error)}`).join('; ');
  const restored = total - failures.length;
  const message = `restore failed for ${failures.length} of ${total} route(s) (${restored} restored): ${detail}`;
  let result: Error;
  if (first instanceof CanaryError) {
    const Ctor = first.constructor as new (message: string, options?: { cause?: unknown }) => CanaryError;
    result = new Ctor(message, { cause: first });
  } else {
    result = new Error(message, { cause: first });
    if (first instanceof Error) result.name = first.name;
  }
  Object.defineProperty(result, 'errors', { value: failures.map((f) => f.error), enumerable: false });
  return result;
}
