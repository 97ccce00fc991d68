import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { minVersion, satisfies } from 'semver';

/**
 * The project runs on Node 20.19+ (package.json engines). Two dev dependencies declare Node >= 22
 * and make `npm ci` warn (EBADENGINE); no version of them both supports Node 20 and keeps npm
 * from pulling in serverless v4 (see README "Node versions"). This pins the list, so a new
 * dependency that needs Node 22 is a decision, not a surprise.
 */
const ROOT = join(__dirname, '..', '..', '..');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { engines: { node: string } };
const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { version?: string; engines?: unknown; dev?: boolean }> };
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');

const ourMinimum = minVersion(pkg.engines.node)!.version;
const needNewer = Object.entries(lock.packages)
  .filter(([path, p]) => path && typeof p.engines === 'object' && p.engines && typeof (p.engines as { node?: unknown }).node === 'string')
  .filter(([, p]) => !satisfies(ourMinimum, (p.engines as { node: string }).node))
  .map(([path, p]) => ({ name: path.replace(/^.*node_modules\//, ''), version: p.version!, dev: Boolean(p.dev) }));

describe('Node version requirement', () => {
  it('is Node 20.19 or newer', () => {
    expect(ourMinimum).toBe('20.19.0');
  });

  it('has exactly the two known dev dependencies that declare a newer Node, both named in the README', () => {
    expect(needNewer.map((p) => `${p.name}@${p.version}`).sort()).toEqual(['aws-local-stepfunctions@3.0.0', 'serverless-step-functions@3.31.2']);
    expect(needNewer.every((p) => p.dev)).toBe(true); // nothing a deployed Lambda or canaryctl needs
    for (const p of needNewer) expect(README).toContain(`${p.name}@${p.version}`);
  });

  it('gives aws-local-stepfunctions the Promise.withResolvers it needs from Node 22', async () => {
    await import('../../../src/shared/polyfills');
    const { promise, resolve } = (Promise as unknown as { withResolvers<T>(): { promise: Promise<T>; resolve(v: T): void } }).withResolvers<number>();
    resolve(7);

    expect(await promise).toBe(7);
  });
});
