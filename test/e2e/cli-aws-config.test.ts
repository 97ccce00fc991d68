import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CANARYCTL, runProcess } from '../support/processes';

/**
 * canaryctl on a machine with no AWS configuration, as a new user has it: the SDK's own errors
 * must end in exit 5 with a hint, not exit 1. No request leaves the machine: these fail while
 * the SDK resolves its configuration, and the EC2 metadata lookup is switched off.
 */
const home = mkdtempSync(join(tmpdir(), 'canaryctl-home-'));
const bare = {
  HOME: home,
  AWS_REGION: undefined,
  AWS_DEFAULT_REGION: undefined,
  AWS_PROFILE: undefined,
  AWS_ACCESS_KEY_ID: undefined,
  AWS_SECRET_ACCESS_KEY: undefined,
  AWS_SESSION_TOKEN: undefined,
  AWS_CONFIG_FILE: join(home, 'none'),
  AWS_SHARED_CREDENTIALS_FILE: join(home, 'none'),
  AWS_EC2_METADATA_DISABLED: 'true',
};
const canaryctl = (env: Record<string, string | undefined>, ...args: string[]) => runProcess(CANARYCTL, args, { cwd: home, env: { ...bare, ...env } });

describe('canaryctl without AWS configuration', () => {
  it.each([['status', 'user-service-1'], ['list']])('%s without a region exits 5 with one line saying to set --region or AWS_REGION', async (...args) => {
    const r = await canaryctl({}, ...args);

    expect(r.code).toBe(5);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^canaryctl: AWS configuration problem: Region is missing \(set --region or AWS_REGION/);
  });

  it('list with a region but no credentials exits 5 with the same hint', async () => {
    const r = await canaryctl({ AWS_REGION: 'eu-west-1' }, 'list');

    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(/^canaryctl: AWS access problem: CredentialsProviderError: .*\(set --region or AWS_REGION, and credentials with --profile/);
  });

  it('unlock without --yes exits 2 even without a region: its own input is checked first', async () => {
    const r = await canaryctl({}, 'unlock', 'm/r/route');

    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/without --yes/);
  });
});
