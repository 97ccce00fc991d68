import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const DEFINITION_PATH = join(__dirname, '..', '..', 'statemachines', 'rollout.asl.json');

/** Region and account used for local ARNs; they never reach AWS. */
export const LOCAL_REGION = 'us-east-1';
export const LOCAL_ACCOUNT = '000000000000';

export function localFunctionArn(name: string): string {
  return `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT}:function:${name}`;
}

/**
 * Loads the state machine file exactly as deployed and resolves its CloudFormation references
 * the way a deploy would: `{"Fn::GetAtt": [fn, "Arn"]}` → a Lambda ARN, `{"Ref": X}` → X's name.
 */
export function loadDefinition(path: string = DEFINITION_PATH): Record<string, unknown> {
  const raw = JSON.parse(readFileSync(path, 'utf8')) as unknown;
  return resolveIntrinsics(raw) as Record<string, unknown>;
}

function resolveIntrinsics(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(resolveIntrinsics);
  if (node && typeof node === 'object') {
    const obj = node as Record<string, unknown>;
    const getAtt = obj['Fn::GetAtt'];
    if (Array.isArray(getAtt) && Object.keys(obj).length === 1) return localFunctionArn(String(getAtt[0]));
    if (typeof obj.Ref === 'string' && Object.keys(obj).length === 1) return `local-${obj.Ref}`;
    return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, resolveIntrinsics(v)]));
  }
  return node;
}

/** The Lambda function name of a resolved Task resource, or undefined for service integrations. */
export function functionNameOf(resource: string): string | undefined {
  const m = /^arn:aws:lambda:[^:]+:[^:]+:function:([^:]+)$/.exec(resource);
  return m?.[1];
}
