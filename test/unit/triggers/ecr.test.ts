import { DescribeExecutionCommand, ExecutionDoesNotExist, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { handleEcrPush } from '../../../src/triggers/ecr';
import { executionName } from '../../../src/triggers/names';
import { fixture, harness, seedDesired, spec, specText } from './support';

const sfn = mockClient(SFNClient);
const DIGEST = 'sha256:7f5b2640fe6fb4f46592dfd3410c4a79dac4f89e4782432e0378abcd1234';

async function setup() {
  const h = harness();
  await seedDesired(h.desired, spec('user-service.yaml'), specText('user-service.yaml'));
  await seedDesired(h.desired, spec('orders.yml'), specText('orders.yml'));
  const deps = { desired: h.desired, starter: h.starter, log: h.log, now: h.now };
  return { h, deps };
}

beforeEach(() => {
  sfn.reset();
  sfn.on(DescribeExecutionCommand).rejects(new ExecutionDoesNotExist({ message: 'no', $metadata: {} }));
  sfn.on(StartExecutionCommand).callsFake((input: { name: string }) => ({ executionArn: `arn:aws:states:us-east-1:123456789012:execution:sm:${input.name}` }));
});

describe('handleEcrPush', () => {
  it('starts a rollout of each spec tracking the repository, image pinned by digest on the registry of the event', async () => {
    const { h, deps } = await setup();

    const result = await handleEcrPush(fixture('ecr-image-push.json'), deps);

    expect(result.started).toEqual([expect.objectContaining({ specName: 'user-service', revision: DIGEST, executionName: executionName('user-service', DIGEST) })]);
    const input = JSON.parse(sfn.commandCalls(StartExecutionCommand)[0]!.args[0].input.input!);
    expect(input).toMatchObject({
      revision: DIGEST,
      image: `123456789012.dkr.ecr.us-west-2.amazonaws.com/user-service@${DIGEST}`,
      source: 'ecr:user-service:v1.3.0',
      waitForLock: true,
    });
    expect(input.spec.name).toBe('user-service');
    const desired = await h.desired.get('user-service');
    expect(desired).toMatchObject({ latestRevision: DIGEST, latestImage: input.image, imagePushedAt: '2026-03-02T10:15:00Z' });
    expect(await h.desired.isLatest('user-service', DIGEST)).toBe(true);
    expect(h.log.lines).toHaveLength(1);
  });

  it('starts one rollout when the same event is delivered twice', async () => {
    const { deps } = await setup();
    await handleEcrPush(fixture('ecr-image-push.json'), deps);
    sfn.on(DescribeExecutionCommand).resolves({ status: 'RUNNING' });

    const second = await handleEcrPush(fixture('ecr-image-push.json'), deps);

    expect(second.started).toEqual([]);
    expect(second.alreadyStarted).toEqual([{ specName: 'user-service', revision: DIGEST, executionName: executionName('user-service', DIGEST) }]);
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(1);
  });

  it('ignores an image pushed before the one already recorded (events delivered out of order)', async () => {
    const { h, deps } = await setup();
    const newer = fixture('ecr-image-push.json');
    newer.detail['image-digest'] = 'sha256:' + 'b'.repeat(64);
    newer.time = '2026-03-02T10:16:00Z';
    await handleEcrPush(newer, deps);
    sfn.resetHistory();

    const late = await handleEcrPush(fixture('ecr-image-push.json'), deps);

    expect(late.started).toEqual([]);
    expect(late.skipped[0]!.reason).toMatch(/an image pushed later is already the desired one/);
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
    expect(await h.desired.isLatest('user-service', DIGEST)).toBe(false);
  });

  describe('tag filters', () => {
    it.each([
      ['latest', /tag "latest" is ignored unless triggers.tags lists it/],
      ['', /untagged push/],
      ['build-17', /tag "build-17" matches none of triggers.tags \[v\*\]/],
    ])('skips tag %p with its reason', async (tag, reason) => {
      const { deps } = await setup();
      const event = fixture('ecr-image-push.json');
      if (tag) event.detail['image-tag'] = tag;
      else delete event.detail['image-tag'];

      const result = await handleEcrPush(event, deps);

      expect(result.started).toEqual([]);
      expect(result.skipped[0]!.reason).toMatch(reason);
      expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
    });
  });

  describe('bad events start nothing and say why in one line', () => {
    it.each([
      ['a missing detail', (e: Record<string, any>) => delete e.detail, /not an ECR push event: detail is missing/],
      ['a FAILED push', (e: Record<string, any>) => (e.detail.result = 'FAILED'), /result is FAILED, only SUCCESS/],
      ['a DELETE action', (e: Record<string, any>) => Object.assign(e, require('../../fixtures/events/ecr-image-delete.json')), /action-type is DELETE, only PUSH/],
      ['an unknown repository', (e: Record<string, any>) => (e.detail['repository-name'] = 'nobody-tracks-me'), /no synced spec tracks ECR repository nobody-tracks-me/],
      ['another source', (e: Record<string, any>) => (e.source = 'aws.s3'), /source is not aws.ecr/],
    ])('%s', async (_name, mutate, reason) => {
      const { h, deps } = await setup();
      const event = fixture('ecr-image-push.json');
      mutate(event);

      const result = await handleEcrPush(event, deps);

      expect(result).toMatchObject({ started: [], alreadyStarted: [] });
      expect(result.skipped).toEqual([{ reason: expect.stringMatching(reason) }]);
      expect(h.log.lines).toHaveLength(1);
      expect(h.log.lines[0]!.message).toMatch(reason);
      expect(sfn.calls()).toHaveLength(0);
    });

    it('handles a non-object event', async () => {
      const { deps } = await setup();
      expect((await handleEcrPush(undefined, deps)).skipped[0]!.reason).toMatch(/not an ECR push event/);
    });
  });
});
