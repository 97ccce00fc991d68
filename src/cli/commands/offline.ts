import { describeBake, planRollout } from '../../plan';
import { alwaysOnControllerMonthlyCost, estimateRolloutCost, formatUsd } from '../../plan/cost';
import { compareName, formatDuration, SpecValidationError, type RolloutSpec, type SpecIssue } from '../../spec';
import { loadSpecFile } from '../../spec/load';
import { printJson, write, type OutputContext } from '../context';
import { CliError, ExitCode } from '../errors';
import { paint, table } from '../format';

async function load(file: string): Promise<{ spec?: RolloutSpec; issues?: SpecIssue[] }> {
  try {
    return { spec: await loadSpecFile(file) };
  } catch (error) {
    if (error instanceof SpecValidationError) return { issues: error.issues };
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EISDIR' || code === 'EACCES') return { issues: [{ path: '', message: `cannot read the file (${code})` }] };
    throw error;
  }
}

/** `canaryctl validate <file...>`: offline; exit 2 when any file is invalid, every issue named by its field. */
export async function validateCommand(ctx: OutputContext, files: string[], opts: { json?: boolean } = {}): Promise<number> {
  const results: Array<{ file: string; ok: boolean; name?: string; steps?: number[]; issues?: SpecIssue[] }> = [];
  for (const file of files) {
    const { spec, issues } = await load(file);
    if (spec) {
      const plan = planRollout(spec);
      results.push({ file, ok: true, name: spec.name, steps: plan.steps.map((s) => s.weight) });
    } else results.push({ file, ok: false, issues });
  }
  const failed = results.filter((r) => !r.ok).length;
  if (opts.json) printJson(ctx, { valid: failed === 0, results });
  else {
    const p = paint(ctx.isTTY);
    for (const r of results) {
      if (r.ok) write(ctx.out, `${p.green('ok')}       ${r.file} (${r.name}: steps ${r.steps!.join(' → ')}%)`);
      else {
        write(ctx.out, `${p.red('invalid')}  ${r.file}`);
        for (const i of r.issues ?? []) write(ctx.out, `  ${i.path ? `${p.bold(i.path)}: ` : ''}${i.message}`);
      }
    }
    if (failed > 0) write(ctx.err, `canaryctl: ${failed} of ${results.length} spec file(s) invalid`);
  }
  return failed > 0 ? ExitCode.usage : ExitCode.ok;
}

export interface PlanOptions {
  json?: boolean;
  /** Rollouts per month, for the monthly comparison. */
  perMonth?: number;
  /** Routes the router has (locks); unknown offline. */
  routes?: number;
}

/** `canaryctl plan <file>`: offline; the schedule, minimum duration and an estimated AWS cost. */
export async function planCommand(ctx: OutputContext, file: string, opts: PlanOptions = {}): Promise<number> {
  const { spec, issues } = await load(file);
  if (!spec) {
    throw new CliError(`${file}: invalid rollout spec:\n${(issues ?? []).map((i) => `  ${i.path ? `${i.path}: ` : ''}${i.message}`).join('\n')}`, ExitCode.usage);
  }
  const plan = planRollout(spec);
  const cost = estimateRolloutCost(plan, spec, opts.routes ? { routes: opts.routes } : {});
  const controller = alwaysOnControllerMonthlyCost();
  const perMonth = opts.perMonth ?? 100;
  if (opts.json) {
    printJson(ctx, {
      spec: spec.name,
      plan,
      cost,
      perMonth: { rollouts: perMonth, usd: cost.usd.total * perMonth },
      alwaysOnController: controller,
    });
    return ExitCode.ok;
  }
  const p = paint(ctx.isTTY);
  const lines: string[] = [];
  lines.push(`${p.bold(spec.name)}: ${plan.steps.length} step(s), bake ${describeBake(spec.strategy.bake)} each`);
  lines.push('');
  lines.push(
    table(
      ['STEP', 'CANARY', 'STABLE', 'SHIFT AT', 'JUDGED AT'],
      plan.steps.map((s) => [String(s.index + 1), `${s.weight}%`, `${100 - s.weight}%`, `+${formatDuration(s.startsAt)}`, `+${formatDuration(s.judgedAt)}`]),
      p,
    ),
  );
  if (plan.promotionShiftsRest) lines.push(`then promotion moves the remaining ${100 - plan.steps[plan.steps.length - 1]!.weight}% to the canary`);
  lines.push('');
  lines.push(`Minimum duration: ${formatDuration(plan.minDurationSeconds)} (every check passes at the first try)`);
  if (plan.maxApprovalSeconds > 0) {
    const gates = [spec.approval.beforeStart && 'beforeStart', spec.approval.beforePromotion && 'beforePromotion'].filter(Boolean).join(', ');
    lines.push(`Approvals: ${gates}; each may wait up to ${formatDuration(spec.approval.timeout)} (on timeout: ${spec.approval.onTimeout})`);
  }
  lines.push(`Analysis: ${analysisLine(spec.analysis)}; threshold ${spec.strategy.threshold}`);
  lines.push('');
  lines.push(p.bold('Estimated AWS cost of one rollout'));
  const c = cost.counts;
  lines.push(
    table(
      ['  SERVICE', 'USAGE', 'COST'],
      [
        ['  Step Functions', `${c.stateTransitions} state transitions`, formatUsd(cost.usd.stepFunctions)],
        ['  Lambda', `${c.lambdaInvocations} invocations, ${round(c.lambdaGbSeconds)} GB-s`, formatUsd(cost.usd.lambda)],
        ['  CloudWatch', `${c.describeAlarmsCalls} DescribeAlarms calls${c.metricsRequested ? `, ${c.metricsRequested} metrics requested (GetMetricData)` : ''}`, formatUsd(cost.usd.cloudWatch)],
        ['  DynamoDB', `${c.dynamoWrites} writes, ${c.dynamoReads} reads`, formatUsd(cost.usd.dynamoDb)],
        ['  SNS + EventBridge', `${c.messages} messages`, formatUsd(cost.usd.messaging)],
        ['  Total', '', p.bold(formatUsd(cost.usd.total))],
      ],
    ),
  );
  lines.push(`  ${perMonth} rollouts a month: ${formatUsd(cost.usd.total * perMonth)}; an always-on controller (Fargate arm64, ${controller.assumptions.vcpu} vCPU / ${controller.assumptions.memoryGb} GB): ${formatUsd(controller.usd)} a month`);
  lines.push(p.dim('  Assumptions:'));
  for (const n of cost.notes) lines.push(p.dim(`    - ${n}`));
  write(ctx.out, lines.join('\n'));
  return ExitCode.ok;
}

function round(n: number): string {
  return (Math.round(n * 100) / 100).toString();
}

/** Every check a step is judged by, named; "no checks" says plainly that every step passes on its bake. */
function analysisLine(a: RolloutSpec['analysis']): string {
  const names = [
    ...a.alarms,
    ...a.compare.map((c) => `${compareName(c)} vs stable${c.test === 'sequential' ? ` (sequential, α ${c.alpha ?? 0.05}${c.margin !== undefined ? `, margin ${Number((c.margin * 100).toPrecision(3))} pts` : ''}: a regression rolls back at once)` : ''}`),
    ...a.metrics.map((m) => m.name),
    ...a.lambdaChecks.map((l) => l.name),
    ...a.webhooks.map((w) => w.name),
  ];
  return names.length ? names.join(', ') : 'no checks (every step passes)';
}
