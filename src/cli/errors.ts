import { GateNotWaitingError, RolloutNotFoundError } from '../approvals/gates';
import { TaskNotWaitingError } from '../rollouts/executions';
import { LocalUsageError } from '../local/options';
import { SpecValidationError } from '../spec';
import { RouteLockedError } from '../shared/errors';

/** canaryctl's exit codes: a contract with scripts (documented in --help and docs/operations.md). */
export const ExitCode = {
  ok: 0,
  unexpected: 1,
  usage: 2,
  notFound: 3,
  conflict: 4,
  awsAccess: 5,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** An error whose message is meant for the operator, with the exit code it ends the command with. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

const ACCESS = new Set([
  'CredentialsProviderError',
  'AccessDenied',
  'AccessDeniedException',
  'UnrecognizedClientException',
  'InvalidClientTokenId',
  'ExpiredToken',
  'ExpiredTokenException',
  'InvalidSignatureException',
  'SignatureDoesNotMatch',
  'NotAuthorized',
  'UnauthorizedOperation',
  'UnauthorizedException',
  'MissingAuthenticationToken',
  'TokenRefreshRequired',
]);

/** True for errors that mean "you cannot reach or may not use this AWS account". */
export function isAwsAccessError(error: unknown): boolean {
  let e: unknown = error;
  for (let depth = 0; e instanceof Error && depth < 4; depth++) {
    if (ACCESS.has(e.name) || ACCESS.has((e as { Code?: string }).Code ?? '')) return true;
    if (/could not load credentials|unable to locate credentials|profile .* could not be found/i.test(e.message)) return true;
    e = e.cause;
  }
  return false;
}

/** True for SDK errors that mean the AWS configuration is incomplete (no region, a bad region), before any request. */
export function isAwsConfigError(error: unknown): boolean {
  return error instanceof Error && /^(Region is missing|Invalid region in client config)/i.test(error.message);
}

const AWS_HINT = 'set --region or AWS_REGION, and credentials with --profile, AWS_PROFILE or AWS_ACCESS_KEY_ID';

/** The exit code and the one line to print for any error a command throws. */
export function describeError(error: unknown): { exitCode: ExitCode; message: string } {
  if (error instanceof CliError) return { exitCode: error.exitCode, message: error.message };
  if (error instanceof SpecValidationError || error instanceof LocalUsageError) return { exitCode: ExitCode.usage, message: error.message };
  if (error instanceof RolloutNotFoundError) return { exitCode: ExitCode.notFound, message: error.message };
  if (error instanceof GateNotWaitingError || error instanceof TaskNotWaitingError || error instanceof RouteLockedError) {
    return { exitCode: ExitCode.conflict, message: error.message };
  }
  if (isAwsConfigError(error)) {
    return { exitCode: ExitCode.awsAccess, message: `AWS configuration problem: ${(error as Error).message.split('\n')[0]} (${AWS_HINT})` };
  }
  if (isAwsAccessError(error)) {
    const e = error as Error;
    return { exitCode: ExitCode.awsAccess, message: `AWS access problem: ${e.name}: ${e.message.split('\n')[0]} (${AWS_HINT})` };
  }
  const e = error instanceof Error ? error : new Error(String(error));
  return { exitCode: ExitCode.unexpected, message: `${e.name === 'Error' ? '' : `${e.name}: `}${e.message.split('\n')[0]}` };
}

export const EXIT_CODES_HELP = `Exit codes:
  0  ok
  1  unexpected error
  2  usage error or invalid spec
  3  not found (unknown rollout, spec, lock or stack)
  4  conflict (gate not waiting, cannot abort or promote now, rollout already ended)
  5  AWS access problem (no region, no credentials, access denied)`;
