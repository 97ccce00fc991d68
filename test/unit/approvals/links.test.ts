import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { approvalLinks, signLink, ssmKeyProvider, verifyLink, type LinkClaims } from '../../../src/approvals/links';

const KEY = Buffer.from('0123456789abcdef0123456789abcdef');
const NOW = new Date('2025-06-01T12:00:00.000Z');
const claims: LinkClaims = { rolloutId: 'user-service-aaaa1111', gate: 'beforePromotion', decision: 'approve', expiresAt: Date.parse('2025-06-02T12:00:00Z') / 1000 };

/** Re-encodes the claims part of a token with one field changed, keeping the original signature. */
function tamper(token: string, change: Record<string, unknown>): string {
  const [body, sig] = token.split('.');
  const raw = JSON.parse(Buffer.from(body!, 'base64url').toString());
  return `${Buffer.from(JSON.stringify({ ...raw, ...change })).toString('base64url')}.${sig}`;
}

describe('approval links', () => {
  it('verifies a link it signed', () => {
    expect(verifyLink(signLink(claims, KEY), KEY, NOW)).toEqual({ ok: true, claims });
  });

  it.each([
    ['rollout', { r: 'user-service-bbbb2222' }],
    ['gate', { g: 'beforeStart' }],
    ['decision', { d: 'reject' }],
    ['expiry', { e: claims.expiresAt + 86400 }],
  ])('rejects a link whose %s was changed', (_field, change) => {
    expect(verifyLink(tamper(signLink(claims, KEY), change), KEY, NOW)).toMatchObject({ ok: false, reason: 'bad-signature' });
  });

  it('rejects a link signed with another key or with a changed signature', () => {
    const token = signLink(claims, KEY);
    expect(verifyLink(token, Buffer.from('another key of 32 bytes........'), NOW)).toMatchObject({ ok: false, reason: 'bad-signature' });
    const [body, sig] = token.split('.');
    const flipped = Buffer.from(sig!, 'base64url');
    flipped[0] = flipped[0]! ^ 1;
    expect(verifyLink(`${body}.${flipped.toString('base64url')}`, KEY, NOW)).toMatchObject({ ok: false, reason: 'bad-signature' });
    expect(verifyLink(`${body}.${sig!.slice(0, 10)}`, KEY, NOW)).toMatchObject({ ok: false, reason: 'bad-signature' });
  });

  it('rejects an expired link (at the gate expiry)', () => {
    const token = signLink(claims, KEY);
    expect(verifyLink(token, KEY, new Date(claims.expiresAt * 1000))).toMatchObject({ ok: false, reason: 'expired' });
  });

  it.each(['', 'abc', 'a.b.c', `${Buffer.from('{"r":1}').toString('base64url')}.x`, `${Buffer.from('not json').toString('base64url')}.x`])(
    'rejects the malformed token %p',
    (token) => {
      expect(verifyLink(token, KEY, NOW)).toMatchObject({ ok: false, reason: 'malformed' });
    },
  );

  it('builds approve and reject URLs under /approvals that expire with the gate', () => {
    const links = approvalLinks('https://api.example.com/', KEY, { rolloutId: claims.rolloutId, gate: 'beforePromotion', expiresAt: '2025-06-02T12:00:00.000Z' });
    expect(links.map((l) => l.label)).toEqual(['approve', 'reject']);
    for (const l of links) {
      expect(l.url).toMatch(/^https:\/\/api\.example\.com\/approvals\/[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
      const result = verifyLink(l.url.split('/').pop()!, KEY, NOW);
      expect(result).toEqual({ ok: true, claims: { ...claims, decision: l.label } });
    }
  });

  it('reads the key from an SSM SecureString once and caches it', async () => {
    const ssm = mockClient(SSMClient);
    ssm.on(GetParameterCommand).resolves({ Parameter: { Value: KEY.toString() } });
    let t = 0;
    const key = ssmKeyProvider('/canary-controller/approval-key', new SSMClient({}), () => t);
    expect(await key()).toEqual(KEY);
    t += 60_000;
    await key();
    expect(ssm.commandCalls(GetParameterCommand)).toHaveLength(1);
    expect(ssm.commandCalls(GetParameterCommand)[0]!.args[0].input).toEqual({ Name: '/canary-controller/approval-key', WithDecryption: true });
    ssm.restore();
  });
});
