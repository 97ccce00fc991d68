import { CodeCommitClient, GetDifferencesCommand, GetFileCommand } from '@aws-sdk/client-codecommit';
import { DescribeExecutionCommand, ExecutionDoesNotExist, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { CodeCommitSpecSource } from '../../../src/gitops/codecommit';
import { contentHash, DEFAULT_SPEC_LOCATION } from '../../../src/gitops/spec-files';
import { gitRevision } from '../../../src/gitops/sync';
import { parseSpecText } from '../../../src/spec/load';
import { handleCodeCommitPush } from '../../../src/triggers/codecommit';
import { executionName } from '../../../src/triggers/names';
import { fixture, harness, seedDesired, spec, specText } from './support';

const codecommit = mockClient(CodeCommitClient);
const sfn = mockClient(SFNClient);
const COMMIT = 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678';
const OLD = '0f1e2d3c4b5a69788796a5b4c3d2e1f098765432';

const files: Record<string, string> = {
  '.canary/user-service.yaml': specText('user-service.yaml').replace('canary: user-service-v2', 'canary: user-service-v3'),
  '.canary/orders.yml': specText('orders.yml').replace('bake: 2m', 'bake: 4m'),
  '.canary/payments.yaml': specText('payments-invalid.yaml'),
  '.canary/search.json': JSON.stringify({ name: 'search', router: { appMesh: { mesh: 'my-mesh', virtualRouter: 'search-router' } }, target: { canary: 'search-v2' }, strategy: { steps: [50, 100] } }),
};

function blob(path: string) {
  return { blobId: contentHash(path).slice(0, 40), path, mode: '100644' };
}

async function setup() {
  const h = harness();
  await seedDesired(h.desired, spec('user-service.yaml'), specText('user-service.yaml'));
  await seedDesired(h.desired, spec('orders.yml'), specText('orders.yml'));
  const legacyText = specText('orders.yml').replace('name: orders', 'name: legacy');
  await seedDesired(h.desired, parseSpecText(legacyText), legacyText);
  const deps = {
    desired: h.desired,
    starter: h.starter,
    log: h.log,
    now: h.now,
    source: new CodeCommitSpecSource(new CodeCommitClient({})),
    location: DEFAULT_SPEC_LOCATION,
    branches: ['main'],
    repositories: ['platform-config'],
  };
  return { h, deps };
}

beforeEach(() => {
  codecommit.reset();
  sfn.reset();
  codecommit
    .on(GetDifferencesCommand, { NextToken: undefined })
    .resolves({
      differences: [
        { changeType: 'M', beforeBlob: blob('.canary/user-service.yaml'), afterBlob: blob('.canary/user-service.yaml') },
        { changeType: 'M', beforeBlob: blob('.canary/orders.yml'), afterBlob: blob('.canary/orders.yml') },
        { changeType: 'M', beforeBlob: blob('README.md'), afterBlob: blob('README.md') },
        { changeType: 'A', afterBlob: blob('.canary/payments.yaml') },
      ],
      NextToken: 'page-2',
    })
    .on(GetDifferencesCommand, { NextToken: 'page-2' })
    .resolves({
      differences: [
        { changeType: 'D', beforeBlob: blob('.canary/legacy.yaml') },
        { changeType: 'A', afterBlob: blob('.canary/search.json') },
        { changeType: 'A', afterBlob: blob('docs/notes.yaml') },
      ],
    });
  codecommit.on(GetFileCommand).callsFake((input: { filePath: string }) => ({
    commitId: COMMIT,
    filePath: input.filePath,
    fileContent: new TextEncoder().encode(files[input.filePath]!),
  }));
  sfn.on(DescribeExecutionCommand).rejects(new ExecutionDoesNotExist({ message: 'no', $metadata: {} }));
  sfn.on(StartExecutionCommand).callsFake((input: { name: string }) => ({ executionArn: `arn:aws:states:us-east-1:123456789012:execution:sm:${input.name}` }));
});

describe('handleCodeCommitPush', () => {
  it('reads every page of differences, syncs the spec files and starts the specs whose target changed or that are new', async () => {
    const { h, deps } = await setup();

    const result = await handleCodeCommitPush(fixture('codecommit-reference-updated.json'), deps);

    expect(codecommit.commandCalls(GetDifferencesCommand).map((c) => c.args[0].input)).toEqual([
      { repositoryName: 'platform-config', beforeCommitSpecifier: OLD, afterCommitSpecifier: COMMIT, NextToken: undefined },
      { repositoryName: 'platform-config', beforeCommitSpecifier: OLD, afterCommitSpecifier: COMMIT, NextToken: 'page-2' },
    ]);
    expect(codecommit.commandCalls(GetFileCommand).map((c) => c.args[0].input)).toEqual(
      ['.canary/orders.yml', '.canary/payments.yaml', '.canary/search.json', '.canary/user-service.yaml'].map((filePath) => ({
        repositoryName: 'platform-config',
        commitSpecifier: COMMIT,
        filePath,
      })),
    );
    const userRevision = gitRevision(COMMIT, contentHash(files['.canary/user-service.yaml']!));
    expect(result.started.map((s) => [s.specName, s.revision, s.executionName])).toEqual([
      ['search', gitRevision(COMMIT, contentHash(files['.canary/search.json']!)), executionName('search', gitRevision(COMMIT, contentHash(files['.canary/search.json']!)))],
      ['user-service', userRevision, executionName('user-service', userRevision)],
    ]);
    expect(result.updated).toEqual([{ specName: 'orders', path: '.canary/orders.yml' }]);
    expect(result.removed).toEqual([{ specName: 'legacy', path: '.canary/legacy.yaml' }]);
    expect(result.invalid).toEqual([{ path: '.canary/payments.yaml', reason: '.canary/payments.yaml: strategy.steps[2]: must be greater than 50' }]);

    const user = await h.desired.get('user-service');
    expect(user).toMatchObject({ commitId: COMMIT, contentHash: contentHash(files['.canary/user-service.yaml']!), latestRevision: userRevision, pushedAt: '2026-03-02T09:00:00Z' });
    expect(user!.spec.target.canary).toBe('user-service-v3');
    expect((await h.desired.get('orders'))!.spec.strategy.bake).toBe(240);
    expect(await h.desired.get('legacy')).toBeUndefined();
    expect(await h.desired.get('payments')).toBeUndefined();

    const input = JSON.parse(sfn.commandCalls(StartExecutionCommand)[1]!.args[0].input.input!);
    expect(input).toMatchObject({
      revision: userRevision,
      source: 'codecommit:platform-config@main:.canary/user-service.yaml',
      requestedBy: 'arn:aws:iam::123456789012:user/alice',
      waitForLock: true,
    });
    expect(h.log.lines).toHaveLength(1);
    expect(h.log.lines[0]!.level).toBe('warn');
    expect(h.log.lines[0]!.message).toContain('.canary/payments.yaml: strategy.steps[2]: must be greater than 50');
  });

  it('starts nothing new when the same push is delivered twice', async () => {
    const { deps } = await setup();
    await handleCodeCommitPush(fixture('codecommit-reference-updated.json'), deps);
    sfn.on(DescribeExecutionCommand).resolves({ status: 'RUNNING' });

    const again = await handleCodeCommitPush(fixture('codecommit-reference-updated.json'), deps);

    expect(again.started).toEqual([]);
    expect(again.alreadyStarted.map((a) => a.specName)).toEqual(['search', 'user-service']);
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(2);
  });

  it('treats a new branch (no oldCommitId) as adding every spec file of the commit', async () => {
    const { deps } = await setup();
    await handleCodeCommitPush(fixture('codecommit-reference-created.json'), deps);
    expect(codecommit.commandCalls(GetDifferencesCommand)[0]!.args[0].input).not.toHaveProperty('beforeCommitSpecifier');
  });

  describe('bad events start nothing and say why in one line', () => {
    it.each([
      ['a tag push', fixture('codecommit-tag-created.json'), /reference type tag is not a branch/],
      ['a push to another branch', { ...fixture('codecommit-reference-updated.json'), detail: { ...fixture('codecommit-reference-updated.json').detail, referenceName: 'feature/x' } }, /branch feature\/x is not tracked \(tracked: main\)/],
      ['an unknown repository', { ...fixture('codecommit-reference-updated.json'), detail: { ...fixture('codecommit-reference-updated.json').detail, repositoryName: 'someone-else' } }, /repository someone-else is not a configured spec repository/],
      ['a deleted branch', { ...fixture('codecommit-reference-updated.json'), detail: { ...fixture('codecommit-reference-updated.json').detail, event: 'referenceDeleted' } }, /event referenceDeleted is not a push/],
      ['a missing detail', { ...fixture('codecommit-reference-updated.json'), detail: undefined }, /not a CodeCommit push event: detail is missing/],
    ])('%s', async (_name, event, reason) => {
      const { h, deps } = await setup();

      const result = await handleCodeCommitPush(event, deps);

      expect(result).toMatchObject({ started: [], skipped: [{ reason: expect.stringMatching(reason) }] });
      expect(h.log.lines.map((l) => l.message)).toEqual([expect.stringMatching(reason)]);
      expect(codecommit.calls()).toHaveLength(0);
      expect(sfn.calls()).toHaveLength(0);
    });
  });
});
