import { TransientError } from '../shared/errors';
import type { ChangedFile } from './sync';

/** The HTTP calls the GitHub client makes; Node's fetch by default, a fake in tests. */
export interface HttpClient {
  request(url: string, init: { method: 'GET' | 'POST'; headers: Record<string, string>; body?: string }): Promise<{ status: number; body: string }>;
}

/** Node's built-in fetch (not the undici package: it would triple the bundle), with a timeout so a slow GitHub never eats the Lambda's budget. */
export const fetchHttpClient: HttpClient = {
  async request(url, init) {
    const res = await fetch(url, { method: init.method, headers: init.headers, body: init.body, signal: AbortSignal.timeout(10_000) });
    return { status: res.status, body: await res.text() };
  },
};

export type CommitState = 'pending' | 'success' | 'failure' | 'error';

/** The GitHub REST API calls we need: file contents at a commit, and commit statuses. */
export class GitHubClient {
  constructor(
    private readonly token: string | undefined,
    private readonly http: HttpClient = fetchHttpClient,
    private readonly apiUrl = 'https://api.github.com',
  ) {}

  private headers(accept: string): Record<string, string> {
    return {
      accept,
      'user-agent': 'canary-controller',
      'x-github-api-version': '2022-11-28',
      ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
    };
  }

  /** `GET /repos/{owner}/{repo}/contents/{path}?ref={sha}` as raw text. */
  async readFile(fullName: string, path: string, ref: string): Promise<ChangedFile> {
    const url = `${this.apiUrl}/repos/${repoPath(fullName)}/contents/${path.split('/').map(encodeURIComponent).join('/')}?ref=${encodeURIComponent(ref)}`;
    const res = await this.http.request(url, { method: 'GET', headers: this.headers('application/vnd.github.raw+json') });
    if (res.status === 200) return { path, text: res.body };
    if (res.status === 429 || res.status >= 500) throw new TransientError(`GitHub GET contents ${fullName}/${path}@${ref}: HTTP ${res.status}`);
    return { path, readError: `cannot be read at ${ref}: GitHub answered HTTP ${res.status}${res.status === 404 ? ' (not found; does the token see the repository?)' : ''}` };
  }

  /** `POST /repos/{owner}/{repo}/statuses/{sha}`: shows the sync outcome on the commit. */
  async setStatus(fullName: string, sha: string, state: CommitState, description: string, context = 'canary-controller'): Promise<void> {
    const res = await this.http.request(`${this.apiUrl}/repos/${repoPath(fullName)}/statuses/${encodeURIComponent(sha)}`, {
      method: 'POST',
      headers: { ...this.headers('application/vnd.github+json'), 'content-type': 'application/json' },
      body: JSON.stringify({ state, description: description.length > 140 ? `${description.slice(0, 137)}...` : description, context }),
    });
    if (res.status !== 201) throw new Error(`GitHub POST status ${fullName}@${sha}: HTTP ${res.status}`);
  }
}

function repoPath(fullName: string): string {
  return fullName.split('/').map(encodeURIComponent).join('/');
}
