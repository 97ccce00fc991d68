import type { CheckResult } from '../analysis/judge';
import type { LifecycleEvent } from '../approvals/notifier';
import { headline } from '../approvals/notifier';
import { describeBake } from '../plan';
import type { RolloutSpec } from '../spec';
import type { ReportSample } from './report';
import type { LocalRunResult } from './runner';

type Out = NodeJS.WritableStream & { isTTY?: boolean };

/**
 * What the demo shows while it runs. On a terminal: a status block redrawn in place plus one
 * line per event. Elsewhere (CI, pipes): plain lines only, a status line every two seconds.
 */
export class LiveView {
  private readonly tty: boolean;
  private readonly started = Date.now();
  private drawn = 0;
  private lastPlain = 0;
  private last: ReportSample | undefined;
  private state = 'Prepare';
  /** Lines that arrive while a question is open: printed once it is answered, so nothing redraws over the question. */
  private held: string[] | undefined;

  constructor(
    private readonly out: Out,
    private readonly ctx: { spec: RolloutSpec; stable: string; canary: string; rps: number },
  ) {
    this.tty = Boolean(out.isTTY) && process.env.TERM !== 'dumb';
  }

  start(rolloutId: string, meshUrl: string, controlUrl?: string): void {
    const s = this.ctx.spec;
    this.line(`canary-controller local run: ${s.name} (rollout ${rolloutId})`);
    const canary = s.target.lambda ? `${this.ctx.canary} (the version the deploy publishes)` : this.ctx.canary;
    this.line(`  stable ${this.ctx.stable} → canary ${canary}; steps ${s.strategy.steps?.join(' → ') ?? `+${s.strategy.stepWeight}`}%, bake ${describeBake(s.strategy.bake)}; alarms ${s.analysis.alarms.join(', ') || 'none'}`);
    this.line(`  load: ${this.ctx.rps} requests/s through the local mesh at ${meshUrl}`);
    if (controlUrl) this.line(`  approvals from another terminal: npx canaryctl approve ${rolloutId} --local`);
  }

  event(e: LifecycleEvent): void {
    const text = e.type === 'step-passed' ? `✔ ${headline(e)}` : e.type === 'rolled-back' || e.type === 'rollback-failed' ? `✘ ${headline(e)}` : `• ${headline(e)}`;
    this.line(text);
    for (const c of e.checks ?? []) if (c.state !== 'OK' || e.type !== 'step-passed') this.line(`    ${c.name}: ${c.state}${c.reason ? ` (${c.reason})` : ''}`);
  }

  /** A line of what the controller did that is neither a lifecycle event nor an alarm (e.g. a deploy step). */
  note(text: string): void {
    this.line(`• ${text}`);
  }

  alarm(change: CheckResult): void {
    if (change.state === 'INSUFFICIENT_DATA') return;
    this.line(`${change.state === 'ALARM' ? '!' : '·'} alarm ${change.name} → ${change.state}: ${change.reason ?? ''}`);
  }

  warn(message: string): void {
    this.line(`warning: ${message}`);
  }

  /**
   * Asks a question at the terminal. While it is open the view does not redraw and holds event
   * lines back, so the question stays on the screen until it is answered.
   */
  async ask(question: string, ask: (question: string) => Promise<string>): Promise<string> {
    this.clear();
    if (this.tty) this.out.write(`${this.status()}\n`);
    this.held = [];
    try {
      return await ask(question);
    } finally {
      const held = this.held;
      this.held = undefined;
      for (const text of held) this.line(text);
      if (this.tty) this.redraw();
    }
  }

  sample(sample: ReportSample, state: string | undefined): void {
    this.last = sample;
    if (state) this.state = state;
    if (this.held) return;
    if (this.tty) this.redraw();
    else if (Date.now() - this.lastPlain >= 2000) {
      this.lastPlain = Date.now();
      this.out.write(`${this.status()}\n`);
    }
  }

  finish(result: LocalRunResult): void {
    this.clear();
    const share = result.steps.map((s) => `${s.weight}%→${s.measuredShare.toFixed(1)}%`).join(', ');
    this.out.write(`\nrequests: ${result.load.completed} carried, ${result.load.failures.length} non-2xx (${result.unexplainedFailures} not explained by injected faults)\n`);
    if (share) this.out.write(`canary share per step (set→measured): ${share}\n`);
    const ms = (v: number | undefined) => (v === undefined ? 'never' : `${Math.round(v)} ms`);
    const convergence = result.steps.filter((s) => s.controlPlaneMs !== undefined).map((s) => `${s.weight}%: ${ms(s.controlPlaneMs)} / ${ms(s.dataPlaneMs)}`);
    if (convergence.length) this.out.write(`write accepted / traffic within ±5 points, per step: ${convergence.join(', ')}\n`);
    const rb = result.rollbackWrite;
    if (rb) this.out.write(`rollback write accepted in ${ms(rb.controlPlaneMs)}; canary at 0 % of traffic ${ms(rb.dataPlaneMs)} later\n`);
    if (result.canaryRequestsAfterRollback !== undefined) this.out.write(`canary requests after rollback: ${result.canaryRequestsAfterRollback}\n`);
    this.out.write(`state transitions: ${result.transitions}; Lambda invocations: ${describeInvocations(result.lambdaInvocations)}\n`);
    if (result.reportPath) this.out.write(`report: ${result.reportPath}\n`);
    const seconds = (result.durationMs / 1000).toFixed(1);
    const last =
      result.outcome === 'promoted'
        ? this.ctx.spec.target.ecs
          ? `PROMOTED: ${this.ctx.spec.target.ecs.primaryService} now runs the canary's version and takes all traffic (${seconds}s)`
          : `PROMOTED: ${this.ctx.canary} now takes all traffic (${seconds}s)`
        : `${result.outcome === 'rolled back' ? 'ROLLED BACK' : 'FAILED'}: ${result.reason ?? 'unknown reason'} (${seconds}s)`;
    this.out.write(`${this.tty ? (result.outcome === 'promoted' ? '\x1b[32m' : '\x1b[31m') : ''}${last}${this.tty ? '\x1b[0m' : ''}\n`);
  }

  private status(): string {
    const s = this.last;
    const t = ((Date.now() - this.started) / 1000).toFixed(1).padStart(5);
    if (!s) return `[${t}s] ${this.state}`;
    const v = (name: string, x: ReportSample['stable']) =>
      `${name} ${x.rps.toFixed(0).padStart(4)} rps ${(x.errorRate * 100).toFixed(1).padStart(5)}% err p99 ${Math.round(x.p99).toString().padStart(4)}ms`;
    return `[${t}s] ${this.state.padEnd(16)} canary weight ${String(s.canaryWeight).padStart(3)}% | ${v('stable', s.stable)} | ${v('canary', s.canary)}`;
  }

  private line(text: string): void {
    if (this.held) {
      this.held.push(text);
      return;
    }
    this.clear();
    this.out.write(`${text}\n`);
    if (this.tty) this.redraw();
  }

  private redraw(): void {
    this.clear();
    const bar = this.last ? weightBar(this.last.canaryWeight) : '';
    // A row wider than the terminal wraps, and moving up `drawn` rows would then leave a stale copy behind.
    const width = (this.out as { columns?: number }).columns;
    const status = this.status();
    const lines = [width && status.length >= width ? `${status.slice(0, width - 2)}…` : status, bar];
    this.out.write(`${lines.join('\n')}\n`);
    this.drawn = lines.length;
  }

  private clear(): void {
    if (!this.tty || this.drawn === 0) return;
    this.out.write(`\x1b[${this.drawn}A\x1b[0J`);
    this.drawn = 0;
  }
}

/**
 * "9 (prepare 1, step 5, requestApproval 1, promote 1, release 1)": what the count counts. An approval answered
 * here or with canaryctl needs no Lambda; through a signed link it adds one approvalApi invocation
 * (the figure `canaryctl plan` and the README count).
 */
export function describeInvocations(byFunction: Record<string, number>): string {
  const total = Object.values(byFunction).reduce((a, b) => a + b, 0);
  const parts = Object.entries(byFunction)
    .filter(([, n]) => n > 0)
    .map(([fn, n]) => `${fn} ${n}`);
  return parts.length ? `${total} (${parts.join(', ')})` : String(total);
}

/** The approval question of the prompt mode; it says what a bare Enter does. */
export function approvalQuestion(gate: 'beforeStart' | 'beforePromotion', specName: string): string {
  return gate === 'beforeStart'
    ? `Approve starting ${specName}? y = start, Enter = reject (nothing shifts) [y/N] `
    : `Approve promoting ${specName}? y = promote, Enter = reject and roll back [y/N] `;
}

function weightBar(canaryWeight: number): string {
  const width = 40;
  const c = Math.round((canaryWeight / 100) * width);
  return `  stable [\x1b[34m${'█'.repeat(width - c)}\x1b[33m${'█'.repeat(c)}\x1b[0m] canary`;
}
