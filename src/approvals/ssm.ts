import type { SSMClient } from '@aws-sdk/client-ssm';

let shared: SSMClient | undefined;

/**
 * The value of an SSM SecureString parameter (undefined when it has none). The SSM client is
 * required on first use, not at module load: the rollout functions bundle the notifiers but read
 * a parameter only when a spec has Slack/Teams or approval links, and loading the client costs
 * tens of ms of every cold start.
 */
export async function getSecureParameter(name: string, client?: SSMClient): Promise<string | undefined> {
  const ssm = require('@aws-sdk/client-ssm') as typeof import('@aws-sdk/client-ssm');
  const c = client ?? (shared ??= new ssm.SSMClient({}));
  const out = await c.send(new ssm.GetParameterCommand({ Name: name, WithDecryption: true }));
  return out.Parameter?.Value;
}
