import type { RolloutStore } from '../rollouts/store';
import type { ExecutionControl } from '../rollouts/executions';
import { decide, GateNotWaitingError, RolloutNotFoundError } from './gates';
import { verifyLink, type KeyProvider, type LinkClaims } from './links';

/**
 * The approval endpoint behind the links in notifications (API Gateway HTTP API → Lambda).
 * GET only shows a confirmation page, so a chat client's link preview or a mail scanner can
 * never decide; POST decides, recording who (identity header or form field) and why.
 */

/** The parts of an API Gateway HTTP API (payload 2.0) event we read. */
export interface HttpRequest {
  requestContext?: { http?: { method?: string }; authorizer?: { jwt?: { claims?: Record<string, unknown> } } };
  pathParameters?: Record<string, string | undefined>;
  headers?: Record<string, string | undefined>;
  body?: string;
  isBase64Encoded?: boolean;
}

export interface HttpResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

export interface ApprovalApiDeps {
  store: RolloutStore;
  executions: ExecutionControl;
  key: KeyProvider;
  now(): Date;
  /**
   * Header carrying the caller's identity, trusted only when set: the deployment opts in
   * (parameter approvalIdentityHeader) because an authenticating proxy in front of the endpoint
   * sets it and strips it from clients. Unset by default: on the public HTTP API anyone can send
   * `x-amzn-oidc-identity: ceo@example.com`.
   */
  identityHeader?: string;
}

const SECURITY_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  // The token is in the URL: never send it on as a referrer.
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
};

/** Handles GET (confirmation page) and POST (decision) of `/approvals/{token}`. */
export async function handleApprovalRequest(req: HttpRequest, deps: ApprovalApiDeps): Promise<HttpResponse> {
  const method = (req.requestContext?.http?.method ?? 'GET').toUpperCase();
  if (method !== 'GET' && method !== 'POST') return page(405, 'Method not allowed', 'Use the link from the notification.');
  const token = req.pathParameters?.token ?? '';
  const verdict = verifyLink(token, await deps.key(), deps.now());
  if (!verdict.ok) {
    if (verdict.reason === 'expired') return page(410, 'Link expired', `This link expired at ${new Date(verdict.claims!.expiresAt * 1000).toISOString()}; the gate follows its onTimeout policy.`);
    return page(403, 'Invalid link', 'This approval link is not valid. Use the link from the notification as it was sent.');
  }
  const claims = verdict.claims;
  const record = await deps.store.getRollout(claims.rolloutId);
  if (!record) return page(404, 'Rollout not found', `Rollout ${claims.rolloutId} does not exist.`);
  if (!record.gate || record.gate.gate !== claims.gate) return alreadyDecided(claims, record.status);

  if (method === 'GET') return confirmationPage(claims, record.specName, record.gate.expiresAt, identityOf(req, deps));

  const form = parseForm(req);
  // A name typed into the form is recorded as what it is: a claim, not an identity.
  const verified = identityOf(req, deps);
  const by = verified ?? `${clean(form.get('by'), 128) ?? 'anonymous'} (unverified)`;
  const reason = clean(form.get('reason'), 1024);
  try {
    await decide({ rolloutId: claims.rolloutId, gate: claims.gate, decision: claims.decision, by: `${by} (approval link)`, reason }, deps);
  } catch (error) {
    if (error instanceof GateNotWaitingError) return alreadyDecided(claims, 'decided');
    if (error instanceof RolloutNotFoundError) return page(404, 'Rollout not found', `Rollout ${claims.rolloutId} does not exist.`);
    throw error;
  }
  const verb = claims.decision === 'approve' ? 'approved' : 'rejected';
  return page(
    200,
    `Rollout ${verb}`,
    `${claims.gate} of rollout ${claims.rolloutId} (${record.specName}) was ${verb} by ${by}${reason ? `: ${reason}` : ''}.` +
      (claims.decision === 'reject' ? ' The rollout rolls back now.' : ''),
  );
}

/** The caller's verified identity: JWT authorizer claims (checked by API Gateway), else the opted-in proxy header. */
function identityOf(req: HttpRequest, deps: ApprovalApiDeps): string | undefined {
  const claims = req.requestContext?.authorizer?.jwt?.claims;
  const claim = claims?.email ?? claims?.sub;
  if (typeof claim === 'string' && clean(claim, 256)) return clean(claim, 256);
  if (!deps.identityHeader) return undefined;
  const name = deps.identityHeader.toLowerCase();
  const header = Object.entries(req.headers ?? {}).find(([k]) => k.toLowerCase() === name)?.[1];
  return clean(header, 256);
}

function parseForm(req: HttpRequest): URLSearchParams {
  const raw = req.body ? (req.isBase64Encoded ? Buffer.from(req.body, 'base64').toString('utf8') : req.body) : '';
  return new URLSearchParams(raw);
}

function clean(value: string | null | undefined, max: number): string | undefined {
  const v = value?.replace(/[\u0000-\u001f\u007f]/g, ' ').trim();
  return v ? v.slice(0, max) : undefined;
}

function alreadyDecided(claims: LinkClaims, status: string): HttpResponse {
  return page(
    403,
    'Already decided',
    `The ${claims.gate} gate of rollout ${claims.rolloutId} is not waiting any more: it was already decided or has timed out (status: ${status}). Nothing was changed.`,
  );
}

function confirmationPage(claims: LinkClaims, specName: string, expiresAt: string, identity: string | undefined): HttpResponse {
  const verb = claims.decision === 'approve' ? 'Approve' : 'Reject';
  const who = identity
    ? `<p>You are signed in as <b>${esc(identity)}</b>.</p>`
    : '<p><label>Your name or e-mail<br><input name="by" required maxlength="128" autocomplete="email"></label></p>';
  const body =
    `<p>${verb} the <b>${esc(claims.gate)}</b> gate of rollout <b>${esc(claims.rolloutId)}</b> (${esc(specName)})?</p>` +
    `<p>The gate waits until ${esc(expiresAt)}.${claims.decision === 'reject' ? ' Rejecting rolls the rollout back.' : ''}</p>` +
    `<form method="post">${who}` +
    `<p><label>Reason${claims.decision === 'reject' ? '' : ' (optional)'}<br><textarea name="reason" rows="3" cols="50" maxlength="1024"${claims.decision === 'reject' ? ' required' : ''}></textarea></label></p>` +
    `<p><button type="submit">${verb}</button></p></form>`;
  return { statusCode: 200, headers: SECURITY_HEADERS, body: html(`${verb} rollout ${claims.rolloutId}`, body) };
}

function page(statusCode: number, title: string, text: string): HttpResponse {
  return { statusCode, headers: SECURITY_HEADERS, body: html(title, `<p>${esc(text)}</p>`) };
}

function html(title: string, body: string): string {
  return (
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">` +
    `<meta name="robots" content="noindex"><title>${esc(title)}</title>` +
    `<style>body{font:16px system-ui,sans-serif;max-width:40em;margin:3em auto;padding:0 1em}button{font-size:1em;padding:.4em 1.2em}</style>` +
    `</head><body><h1>${esc(title)}</h1>${body}<p><small>canary-controller</small></p></body></html>`
  );
}

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
