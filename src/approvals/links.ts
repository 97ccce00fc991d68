import type { SSMClient } from '@aws-sdk/client-ssm';
import { getSecureParameter } from './ssm';
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { GateName } from './gates';
import { redactingReplacer, registerSecret } from '../shared/redact';

/**
 * Signed approval links. A link names one decision (approve or reject) of one gate of one
 * rollout and expires with the gate. The token in the URL is
 * `base64url(JSON claims) "." base64url(HMAC-SHA256(key, canonical claims))`; the HMAC covers
 * rollout, gate, decision and expiry, so changing any of them breaks the signature. Links are
 * single-use because a decided gate is no longer waiting (the record says so), not because we
 * remember links.
 */
export interface LinkClaims {
  rolloutId: string;
  gate: GateName;
  decision: 'approve' | 'reject';
  /** Expiry, epoch seconds (the gate's expiresAt). */
  expiresAt: number;
}

export type LinkVerdict =
  | { ok: true; claims: LinkClaims }
  | { ok: false; reason: 'malformed' | 'bad-signature' | 'expired'; claims?: LinkClaims };

/** Returns the HMAC key; cached by the caller's provider. */
export type KeyProvider = () => Promise<Buffer>;

const VERSION = 'v1';

function canonical(c: LinkClaims): string {
  return [VERSION, c.rolloutId, c.gate, c.decision, String(c.expiresAt)].join('\n');
}

function mac(key: Buffer, c: LinkClaims): Buffer {
  return createHmac('sha256', key).update(canonical(c)).digest();
}

/** The token that goes into the link's path. */
export function signLink(claims: LinkClaims, key: Buffer): string {
  const body = Buffer.from(JSON.stringify({ r: claims.rolloutId, g: claims.gate, d: claims.decision, e: claims.expiresAt })).toString('base64url');
  return `${body}.${mac(key, claims).toString('base64url')}`;
}

/** Checks a token: well-formed, signature in constant time, then expiry. */
export function verifyLink(token: string, key: Buffer, now: Date): LinkVerdict {
  const [body, signature, extra] = token.split('.');
  if (!body || !signature || extra !== undefined) return { ok: false, reason: 'malformed' };
  let claims: LinkClaims;
  try {
    const raw = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as { r?: unknown; g?: unknown; d?: unknown; e?: unknown };
    if (
      typeof raw.r !== 'string' ||
      (raw.g !== 'beforeStart' && raw.g !== 'beforePromotion') ||
      (raw.d !== 'approve' && raw.d !== 'reject') ||
      typeof raw.e !== 'number' ||
      !Number.isInteger(raw.e)
    ) {
      return { ok: false, reason: 'malformed' };
    }
    claims = { rolloutId: raw.r, gate: raw.g, decision: raw.d, expiresAt: raw.e };
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  const expected = mac(key, claims);
  const given = Buffer.from(signature, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: 'bad-signature' };
  if (now.getTime() >= claims.expiresAt * 1000) return { ok: false, reason: 'expired', claims };
  return { ok: true, claims };
}

/** The approve and reject links of a waiting gate, as notification actions. */
export function approvalLinks(
  baseUrl: string,
  key: Buffer,
  gate: { rolloutId: string; gate: GateName; expiresAt: string },
): Array<{ label: 'approve' | 'reject'; url: string }> {
  const expiresAt = Math.floor(new Date(gate.expiresAt).getTime() / 1000);
  const base = baseUrl.replace(/\/+$/, '');
  return (['approve', 'reject'] as const).map((decision) => ({
    label: decision,
    url: `${base}/approvals/${signLink({ rolloutId: gate.rolloutId, gate: gate.gate, decision, expiresAt }, key)}`,
  }));
}

const KEY_TTL_MS = 5 * 60 * 1000;

/**
 * The signing key from an SSM SecureString parameter, cached for five minutes per process
 * (a rotated key takes effect within that time; links signed with the old key stop working).
 */
export function ssmKeyProvider(parameterName: string, client?: SSMClient, now: () => number = Date.now): KeyProvider {
  let cached: { key: Buffer; at: number } | undefined;
  return async () => {
    if (cached && now() - cached.at < KEY_TTL_MS) return cached.key;
    const value = await getSecureParameter(parameterName, client);
    if (!value || value.length < 16) throw new Error(`approval key parameter ${parameterName} is missing or shorter than 16 characters`);
    registerSecret(value);
    cached = { key: Buffer.from(value, 'utf8'), at: now() };
    return cached.key;
  };
}

/** Builds the links for a gate, or none when links are not configured. Replaceable for tests and the local runner. */
export type GateLinkFactory = (gate: { rolloutId: string; gate: GateName; expiresAt: string }) => Promise<Array<{ label: string; url: string }>>;

let factory: GateLinkFactory | undefined;
let factoryFromEnv = true;

/** Sets how approval notifications get their links (`undefined`: no links). Tests and the local runner call this. */
export function configureGateLinks(f: GateLinkFactory | undefined): void {
  factory = f;
  factoryFromEnv = false;
}

/**
 * The links for a waiting gate: from APPROVAL_API_URL and APPROVAL_KEY_PARAMETER in AWS.
 * Never throws: without links the notification still carries the canaryctl commands.
 */
export async function gateLinks(gate: { rolloutId: string; gate: GateName; expiresAt: string }, env: NodeJS.ProcessEnv = process.env): Promise<Array<{ label: string; url: string }>> {
  if (factoryFromEnv) {
    factoryFromEnv = false;
    const url = env.APPROVAL_API_URL;
    const parameter = env.APPROVAL_KEY_PARAMETER;
    if (url && parameter) {
      const key = ssmKeyProvider(parameter);
      factory = async (g) => approvalLinks(url, await key(), g);
    }
  }
  if (!factory) return [];
  try {
    return await factory(gate);
  } catch (error) {
    console.error(JSON.stringify({ level: 'WARN', message: 'approval links unavailable', rolloutId: gate.rolloutId, error: String(error) }, redactingReplacer));
    return [];
  }
}
