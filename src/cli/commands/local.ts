import { pastTense } from '../../approvals/gates';
import type { OutputContext } from '../context';
import { CliError, ExitCode } from '../errors';

/** `canaryctl approve|reject --local`: answers the gate of the rollout the local runner runs here. */
export async function decideLocalCommand(
  ctx: OutputContext,
  decision: 'approve' | 'reject',
  rollout: string,
  opts: { json?: boolean; reason?: string; by?: string },
): Promise<number> {
  // Loaded on use: the control client pulls in the engine's modules. require, not import(): tsx runs the CLI as CommonJS.
  const { decideLocally } = require('../../local/control') as typeof import('../../local/control');
  try {
    const result = await decideLocally({ rolloutId: rollout, decision, reason: opts.reason, by: opts.by });
    ctx.out.write(opts.json ? `${JSON.stringify(result)}\n` : `${result.rolloutId}: ${result.gate} ${pastTense(decision)}\n`);
    return ExitCode.ok;
  } catch (error) {
    const status = (error as { statusCode?: number }).statusCode;
    throw new CliError((error as Error).message, status === 404 ? ExitCode.notFound : status ? ExitCode.conflict : ExitCode.notFound);
  }
}
