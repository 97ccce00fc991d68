import { createHmac, timingSafeEqual } from 'node:crypto';
import * as z from '../shared/zod-mini';
import type { GitHubClient } from '../gitops/github';
import { isSafeRepositoryName, isSpecPath, type SpecLocation } from '../gitops/spec-files';
import type { ChangedFile } from '../gitops/sync';
import { applyGitPush, type GitPushDeps } from './git-push';
import { finish } from './record';
import { skippedResult, type TriggerResult } from './result';
import type { Log } from './starter';

/** GitHub refuses to send payloads above 25 MB; a push of spec files is far below 1 MB. */
export const MAX_WEBHOOK_BYTES = 1024 * 1024;

/** The parts of an API Gateway HTTP API (payload 2.0) event we read. */
export interface WebhookRequest {
  headers?: Record<string, string | undefined>;
  body?: string;
  isBase64Encoded?: boolean;
}

export interface WebhookResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

export interface GitHubTriggerDeps extends GitPushDeps {
  /** The webhook secret (SSM SecureString or Secrets Manager). */
  webhookSecret(): Promise<string>;
  /** A client for the REST API (token from Secrets Manager). */
  github(): Promise<GitHubClient>;
  location: SpecLocation;
  branches: string[];
  /** `owner/repo` accepted; empty: none (every push is refused). */
  repositories: string[];
  /** Post a commit status with the sync outcome. */
  reportStatus: boolean;
  log: Log;
}

// zod/mini (src/shared/zod-mini.ts), as is the spec schema, which loads only when a push changes a
// spec file (a lazy require in spec-files.ts); pings, other branches and other files never build it.
const PushSchema = z.looseObject({
  ref: z.string({ error: 'ref is missing' }),
  before: z.optional(z.string()),
  after: z.string({ error: 'after is missing' }).check(z.regex(/^[0-9a-f]{40}$/, { error: 'after is not a commit id' })),
  deleted: z.optional(z.boolean()),
  repository: z.looseObject(
    {
      full_name: z.string({ error: 'repository.full_name is missing' }).check(z.regex(/^[^/]+\/[^/]+$/, { error: 'repository.full_name is not owner/name' }), z.refine(isSafeRepositoryName, { error: 'repository.full_name is not a repository name' })),
      pushed_at: z.optional(z.union([z.number(), z.string()])),
    },
    { error: 'repository is missing' },
  ),
  pusher: z.optional(z.looseObject({ name: z.optional(z.string()) })),
  commits: z._default(z.array(z.looseObject({ added: z._default(z.array(z.string()), []), modified: z._default(z.array(z.string()), []), removed: z._default(z.array(z.string()), []) })), []),
});

function respond(statusCode: number, message: string, result?: TriggerResult): WebhookResponse {
  return { statusCode, headers: { 'content-type': 'application/json' }, body: JSON.stringify(result ? { message, ...result } : { message }) };
}

function header(req: WebhookRequest, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [k, v] of Object.entries(req.headers ?? {})) if (k.toLowerCase() === wanted) return v;
  return undefined;
}

/** Decoded body size without decoding it (base64: 3 bytes per 4 characters, minus padding). */
function bodyBytes(req: WebhookRequest): number {
  const body = req.body ?? '';
  if (!req.isBase64Encoded) return Buffer.byteLength(body, 'utf8');
  const padding = body.endsWith('==') ? 2 : body.endsWith('=') ? 1 : 0;
  return Math.floor((body.length * 3) / 4) - padding;
}

/** `X-Hub-Signature-256: sha256=<hex HMAC of the raw body>`, compared in constant time. */
export function signatureValid(raw: Buffer, signature: string | undefined, secret: string): boolean {
  if (!signature?.startsWith('sha256=')) return false;
  const expected = Buffer.from(`sha256=${createHmac('sha256', secret).update(raw).digest('hex')}`, 'utf8');
  const given = Buffer.from(signature, 'utf8');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** The last change of each spec path over the push's commits, oldest first. */
export function changedSpecPaths(commits: Array<{ added: string[]; modified: string[]; removed: string[] }>, location: SpecLocation): { upsert: string[]; removed: string[] } {
  const last = new Map<string, 'upsert' | 'removed'>();
  for (const c of commits) {
    for (const p of [...c.added, ...c.modified]) if (isSpecPath(p, location)) last.set(p, 'upsert');
    for (const p of c.removed) if (isSpecPath(p, location)) last.set(p, 'removed');
  }
  const upsert = [...last].filter(([, k]) => k === 'upsert').map(([p]) => p).sort();
  const removed = [...last].filter(([, k]) => k === 'removed').map(([p]) => p).sort();
  return { upsert, removed };
}

/**
 * GitHub push webhook: size check, then the signature over the raw bytes (before anything is
 * parsed), then the push goes the same way as a CodeCommit push. `ping` answers 200; other
 * events, other branches and tag pushes are acknowledged with 202 and ignored.
 */
export async function handleGitHubWebhook(req: WebhookRequest, deps: GitHubTriggerDeps): Promise<WebhookResponse> {
  const size = bodyBytes(req);
  if (size > MAX_WEBHOOK_BYTES) {
    deps.log('warn', `GitHub webhook refused: body of ${size} bytes is over ${MAX_WEBHOOK_BYTES}`);
    return respond(413, `payload too large (${size} bytes, limit ${MAX_WEBHOOK_BYTES})`);
  }
  const signature = header(req, 'x-hub-signature-256');
  if (!signature) {
    deps.log('warn', 'GitHub webhook refused: no X-Hub-Signature-256 header');
    return respond(401, 'missing signature');
  }
  const raw = Buffer.from(req.body ?? '', req.isBase64Encoded ? 'base64' : 'utf8');
  if (!signatureValid(raw, signature, await deps.webhookSecret())) {
    deps.log('warn', 'GitHub webhook refused: X-Hub-Signature-256 does not match the configured secret');
    return respond(401, 'invalid signature');
  }

  const kind = header(req, 'x-github-event') ?? '';
  const delivery = header(req, 'x-github-delivery') ?? 'unknown delivery';
  if (kind === 'ping') {
    deps.log('info', `GitHub ping ${delivery}: webhook verified`);
    return respond(200, 'pong');
  }
  const ignore = (why: string): WebhookResponse => {
    finish(deps, `GitHub ${kind || 'event'} ${delivery}`, skippedResult(why));
    return respond(202, `ignored: ${why}`);
  };
  if (kind !== 'push') return ignore(`event ${kind || '(none)'} is not a push`);

  let json: unknown;
  try {
    json = JSON.parse(raw.toString('utf8'));
  } catch {
    deps.log('warn', `GitHub push ${delivery} refused: body is not JSON`);
    return respond(400, 'body is not JSON (set the webhook content type to application/json)');
  }
  const parsed = PushSchema.safeParse(json);
  if (!parsed.success) return ignore(`not a push payload: ${parsed.error.issues[0]?.message ?? 'malformed'}`);
  const p = parsed.data;
  const repo = p.repository.full_name;
  if (!p.ref.startsWith('refs/heads/')) return ignore(`${p.ref} is not a branch`);
  const branch = p.ref.slice('refs/heads/'.length);
  if (p.deleted) return ignore(`branch ${branch} was deleted`);
  // An empty list accepts nothing: knowing the webhook secret must not be enough to feed specs.
  if (deps.repositories.length === 0) return ignore(`no spec repository is configured (deployment parameter githubRepositories): push from ${repo} refused`);
  if (!deps.repositories.includes(repo)) return ignore(`repository ${repo} is not a configured spec repository`);
  if (!deps.branches.includes(branch)) return ignore(`branch ${branch} is not tracked (tracked: ${deps.branches.join(', ')})`);

  const what = `GitHub push ${repo} ${branch}@${p.after.slice(0, 12)}`;
  const paths = changedSpecPaths(p.commits, deps.location);
  if (paths.upsert.length === 0 && paths.removed.length === 0) {
    finish(deps, what, skippedResult(`no file under ${deps.location.folder} changed`));
    return respond(200, `no file under ${deps.location.folder} changed`);
  }

  const github = await deps.github();
  const changed: ChangedFile[] = [];
  for (const path of paths.upsert) changed.push(await github.readFile(repo, path, p.after));
  const result = await applyGitPush(
    { repository: repo, branch, commitId: p.after, pushedAt: pushedAt(p.repository.pushed_at) ?? deps.now().toISOString(), changed, removed: paths.removed },
    `github:${repo}@${branch}`,
    p.pusher?.name ? `github:${p.pusher.name}` : undefined,
    deps,
  );
  finish(deps, what, result);
  if (deps.reportStatus) await reportStatus(github, repo, p.after, result, deps.log);
  return respond(200, result.invalid.length ? `${result.invalid.length} invalid spec file(s)` : 'synced', result);
}

/** `repository.pushed_at` is epoch seconds in push payloads. */
function pushedAt(value: number | string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const date = typeof value === 'number' ? new Date(value * 1000) : new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

async function reportStatus(github: GitHubClient, repo: string, sha: string, r: TriggerResult, log: Log): Promise<void> {
  const state = r.invalid.length ? 'failure' : 'success';
  const description = r.invalid.length
    ? r.invalid.map((i) => i.reason).join('; ')
    : `synced: ${r.started.length} rollout(s) started, ${r.alreadyStarted.length} already started, ${r.updated.length} updated, ${r.removed.length} removed`;
  try {
    await github.setStatus(repo, sha, state, description);
  } catch (error) {
    log('warn', `could not post the commit status on ${repo}@${sha.slice(0, 12)}: ${(error as Error).message}`);
  }
}
