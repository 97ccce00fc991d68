import { createHash } from 'node:crypto';

/**
 * The execution name of a rollout: the spec name and a hash of the revision, so the same event
 * delivered twice asks for the same name and Step Functions starts it once. At most 57
 * characters of [a-z0-9-] (Step Functions allows 80 of [A-Za-z0-9-_]).
 */
export function executionName(specName: string, revision: string): string {
  const safe = specName.replace(/[^A-Za-z0-9-_]/g, '-').slice(0, 40);
  return `${safe}-${createHash('sha256').update(revision, 'utf8').digest('hex').slice(0, 16)}`;
}

/** `arn:…:stateMachine:<sm>` + name → `arn:…:execution:<sm>:<name>`. */
export function executionArnFor(stateMachineArn: string, name: string): string {
  return `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
}
