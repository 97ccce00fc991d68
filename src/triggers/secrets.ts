import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SSMClient } from '@aws-sdk/client-ssm';
import { classifyAwsError, ConfigurationError } from '../shared/errors';
import { registerSecret } from '../shared/redact';

/** Reads secrets from SSM Parameter Store (SecureString) or Secrets Manager, cached for a few minutes. */
export class SecretReader {
  private readonly cache = new Map<string, { value: string; until: number }>();

  /**
   * Each client is built (and its SDK loaded) on first use: a deployment reads its webhook secret
   * from SSM or from Secrets Manager, rarely both, and each SDK client costs tens of ms of cold start.
   */
  constructor(
    private ssmClient?: SSMClient,
    private secretsClient?: SecretsManagerClient,
    private readonly ttlMs = 5 * 60_000,
    private readonly now: () => number = () => Date.now(),
  ) {}

  private get ssm(): SSMClient {
    return (this.ssmClient ??= new (ssmSdk().SSMClient)({}));
  }

  private get secrets(): SecretsManagerClient {
    return (this.secretsClient ??= new (secretsSdk().SecretsManagerClient)({}));
  }

  private async cached(key: string, load: () => Promise<string>): Promise<string> {
    const hit = this.cache.get(key);
    if (hit && hit.until > this.now()) return hit.value;
    const value = await load();
    registerSecret(value);
    this.cache.set(key, { value, until: this.now() + this.ttlMs });
    return value;
  }

  parameter(name: string): Promise<string> {
    return this.cached(`ssm:${name}`, async () => {
      const out = await this.ssm.send(new (ssmSdk().GetParameterCommand)({ Name: name, WithDecryption: true })).catch((error: unknown) => {
        throw classifyAwsError(error, `GetParameter ${name}`);
      });
      const value = out.Parameter?.Value;
      if (!value) throw new ConfigurationError(`SSM parameter ${name} is empty`);
      return value;
    });
  }

  secret(arn: string): Promise<string> {
    return this.cached(`sm:${arn}`, async () => {
      const out = await this.secrets.send(new (secretsSdk().GetSecretValueCommand)({ SecretId: arn })).catch((error: unknown) => {
        throw classifyAwsError(error, `GetSecretValue ${arn}`);
      });
      const value = unwrapSecret(out.SecretString);
      if (!value) throw new ConfigurationError(`secret ${arn} has no SecretString`);
      return value;
    });
  }
}

function ssmSdk(): typeof import('@aws-sdk/client-ssm') {
  return require('@aws-sdk/client-ssm') as typeof import('@aws-sdk/client-ssm');
}

function secretsSdk(): typeof import('@aws-sdk/client-secrets-manager') {
  return require('@aws-sdk/client-secrets-manager') as typeof import('@aws-sdk/client-secrets-manager');
}

/** A secret is the plain string, or JSON with one of `secret`, `token`, `value` (what consoles tend to create). */
export function unwrapSecret(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  const trimmed = text.trim();
  if (trimmed.startsWith('{')) {
    try {
      const json = JSON.parse(trimmed) as Record<string, unknown>;
      for (const key of ['secret', 'token', 'value']) if (typeof json[key] === 'string') return json[key] as string;
    } catch {
      // not JSON: the secret itself starts with a brace
    }
  }
  return trimmed;
}
