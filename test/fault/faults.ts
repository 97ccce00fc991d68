import { AsyncLocalStorage } from 'node:async_hooks';
import { serverError, throttled } from '../support/fake-aws';

/**
 * Fault kinds, as the issue lists them. Each hits one call of one port method (the n-th call of
 * that method in the run):
 * - throttle: the call is refused once with a throttling error (retryable).
 * - 5xx: this call and the next two of the same method fail with a 500 (retryable).
 * - permanent: the call is refused with an error nobody retries (AccessDenied), once.
 * - lost: the call is applied, then its answer is lost (a 500 after the effect).
 * - crash: the call is applied, then the Lambda dies before answering (Runtime.ExitError).
 */
export const FAULT_KINDS = ['throttle', '5xx', 'permanent', 'lost', 'crash'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** One scheduled fault: `target` is `port.method` (e.g. `store.flagLocks`), `call` the 0-based call number. */
export interface Fault {
  target: string;
  call: number;
  kind: FaultKind;
}

/** The rollout on whose behalf a handler runs, so port wrappers know who calls. */
export const caller = new AsyncLocalStorage<string>();

function permanent(): Error {
  const e = new Error('User is not authorized to perform this action');
  e.name = 'AccessDeniedException';
  (e as { $metadata?: unknown }).$metadata = { httpStatusCode: 403 };
  return e;
}

export function crash(): Error {
  const e = new Error('Runtime exited with error: signal: killed');
  e.name = 'Runtime.ExitError';
  return e;
}

/** What Lambda answers when it throttles an Invoke (the ASL retries it). */
function lambdaThrottled(): Error {
  const e = new Error('Rate exceeded');
  e.name = 'Lambda.TooManyRequestsException';
  return e;
}

/** Counts calls per target and fires the scheduled faults; remembers which ones fired. */
export class FaultInjector {
  private readonly calls = new Map<string, number>();
  private readonly armed = new Map<string, number>();
  readonly fired: Fault[] = [];

  constructor(private readonly schedule: readonly Fault[]) {}

  /** Runs `call` as the `target` port call, with whatever fault the schedule has for it. */
  async run<T>(target: string, call: () => Promise<T>): Promise<T> {
    const n = this.calls.get(target) ?? 0;
    this.calls.set(target, n + 1);
    const burst = this.armed.get(target) ?? 0;
    if (burst > 0) {
      this.armed.set(target, burst - 1);
      throw serverError();
    }
    const fault = this.schedule.find((f) => f.target === target && f.call === n);
    if (!fault) return call();
    this.fired.push(fault);
    const lambda = target.startsWith('lambda.');
    switch (fault.kind) {
      case 'throttle':
        throw lambda ? lambdaThrottled() : throttled();
      case '5xx':
        this.armed.set(target, 2);
        throw lambda ? Object.assign(new Error('Service error'), { name: 'Lambda.ServiceException' }) : serverError();
      case 'permanent':
        throw lambda ? Object.assign(new Error('function misconfigured'), { name: 'Lambda.InvalidRuntimeException' }) : permanent();
      case 'lost':
        await call();
        throw lambda ? Object.assign(new Error('Service error'), { name: 'Lambda.ServiceException' }) : serverError();
      case 'crash':
        await call();
        throw crash();
    }
  }

  /**
   * Wraps every method of a port (any object: a router, a store, a notifier) so that its calls go
   * through the schedule as `<port>.<method>`. Ports are wrapped as they are, whatever their
   * methods, so a new router or a changed port needs no change here.
   */
  wrap<T extends object>(port: string, target: T): T {
    return new Proxy(target, {
      get: (obj, prop, receiver) => {
        const value = Reflect.get(obj, prop, receiver) as unknown;
        if (typeof value !== 'function' || typeof prop !== 'string' || prop === 'constructor') return value;
        return (...args: unknown[]) => this.run(`${port}.${prop}`, () => Promise.resolve((value as (...a: unknown[]) => unknown).apply(obj, args)));
      },
    });
  }
}
