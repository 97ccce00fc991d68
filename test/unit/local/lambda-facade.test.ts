import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  GetAliasCommand,
  GetFunctionCommand,
  GetFunctionConfigurationCommand,
  PublishVersionCommand,
  UpdateAliasCommand,
  UpdateFunctionCodeCommand,
  type LambdaClient,
} from '@aws-sdk/client-lambda';
import { LocalLambdaFunction, localLambdaClient, localLambdaImages, localLambdaRouting } from '../../../src/local/aws/lambda';
import { createRouter } from '../../../src/routers';
import { parseSpecText } from '../../../src/spec/load';
import { LambdaWorkload } from '../../../src/workloads/lambda';

/** examples/demo-lambda.yaml: target.lambda, so the canary is the version its deploy publishes. */
const deploySpec = parseSpecText(readFileSync(join(__dirname, '../../../examples/demo-lambda.yaml'), 'utf8'), 'examples/demo-lambda.yaml');
/** The same function with an already-published canary version named in the spec. */
const publishedSpec = { ...deploySpec, target: { canary: '2', stable: '1' } };
const UPSTREAMS = { stable: 'http://127.0.0.1:1', canary: 'http://127.0.0.1:2' };
const IMAGES = localLambdaImages(deploySpec.name);
const DIGEST = (image: string) => image.split('@sha256:')[1]!;
const FOREIGN_IMAGE = `111122223333.dkr.ecr.eu-west-1.amazonaws.com/demo@sha256:${'c'.repeat(64)}`;

function forwards(routing: ReturnType<typeof localLambdaRouting>): Array<{ virtualNode: string; weight: number }> {
  return routing.mesh.describeRoute('demo-fn:live').spec.httpRoute!.action.weightedTargets as Array<{ virtualNode: string; weight: number }>;
}

/** A function with version 1 on the stable image, an update taking 1000 ms of a clock the test moves. */
function localFunction(): { fn: LocalLambdaFunction; client: LambdaClient; clock: { now: number }; ready: string[]; published: string[] } {
  const clock = { now: 1_000_000 };
  const fn = new LocalLambdaFunction('demo-fn', { versionImages: [IMAGES.stable], runs: () => true, updateDelayMs: 1000, now: () => clock.now });
  fn.createAlias('live', '1', 'live traffic');
  const ready: string[] = [];
  const published: string[] = [];
  fn.onCodeReady = (image) => {
    ready.push(image);
  };
  fn.onPublish = (version, image) => published.push(`${version} ${image}`);
  return { fn, client: localLambdaClient(fn), clock, ready, published };
}

describe('local Lambda facade', () => {
  describe('alias (an already-published canary version)', () => {
    it('starts with every invocation of the alias on the stable version', () => {
      const routing = localLambdaRouting(publishedSpec, UPSTREAMS);
      expect(routing).toMatchObject({ kind: 'lambda', stable: '1', canary: '2', paths: ['/'] });
      expect(forwards(routing)).toEqual([{ virtualNode: '1', weight: 1_000_000 }]);
      expect(routing.canaryWeight()).toBe(0);
    });

    it('applies every alias write of the production router to the mesh, the fractional weight scaled exactly', async () => {
      const routing = localLambdaRouting(publishedSpec, UPSTREAMS);
      const router = createRouter(publishedSpec, routing.clients);
      const snapshot = await router.snapshot();
      let versions = await router.setCanaryWeight(snapshot, 25, { [snapshot.routes[0]!.key]: snapshot.routes[0]!.version });
      expect(forwards(routing)).toEqual([{ virtualNode: '1', weight: 750_000 }, { virtualNode: '2', weight: 250_000 }]);
      expect(routing.canaryWeight()).toBe(25);
      versions = await router.promote(snapshot, versions);
      expect(forwards(routing)).toEqual([{ virtualNode: '2', weight: 1_000_000 }]);
      await router.restore(snapshot, versions);
      expect(forwards(routing)).toEqual([{ virtualNode: '1', weight: 1_000_000 }]);
      expect(routing.calls()).toMatchObject({ UpdateAlias: 3 });
    });

    it('answers as Lambda does: a stale RevisionId is PreconditionFailedException, an unknown version ResourceNotFoundException', async () => {
      const routing = localLambdaRouting(publishedSpec, UPSTREAMS);
      const client = routing.clients.lambda!;
      const alias = await client.send(new GetAliasCommand({ FunctionName: 'demo-fn', Name: 'live' }));
      await client.send(new UpdateAliasCommand({ FunctionName: 'demo-fn', Name: 'live', Description: 'x', RevisionId: alias.RevisionId }));
      await expect(client.send(new UpdateAliasCommand({ FunctionName: 'demo-fn', Name: 'live', Description: 'y', RevisionId: alias.RevisionId }))).rejects.toMatchObject({
        name: 'PreconditionFailedException',
      });
      await expect(client.send(new UpdateAliasCommand({ FunctionName: 'demo-fn', Name: 'live', FunctionVersion: '7' }))).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
      expect(forwards(routing)).toEqual([{ virtualNode: '1', weight: 1_000_000 }]);
    });
  });

  describe('UpdateFunctionCode and GetFunction(Configuration)', () => {
    it('takes the image at once as InProgress, then reports Successful once the local delay has passed', async () => {
      const { client, clock, ready } = localFunction();
      const before = await client.send(new GetFunctionConfigurationCommand({ FunctionName: 'demo-fn' }));

      const updated = await client.send(new UpdateFunctionCodeCommand({ FunctionName: 'demo-fn', ImageUri: IMAGES.canary, RevisionId: before.RevisionId }));
      expect(updated).toMatchObject({
        FunctionName: 'demo-fn',
        Version: '$LATEST',
        PackageType: 'Image',
        State: 'Active',
        CodeSha256: DIGEST(IMAGES.canary),
        LastUpdateStatus: 'InProgress',
        LastUpdateStatusReason: 'The function is being created.',
      });
      // The model's LastUpdateStatusReasonCode enum has no code for an update in progress.
      expect(updated.LastUpdateStatusReasonCode).toBeUndefined();
      expect(updated.RevisionId).not.toBe(before.RevisionId);

      clock.now += 999;
      expect(await client.send(new GetFunctionConfigurationCommand({ FunctionName: 'demo-fn' }))).toMatchObject({ LastUpdateStatus: 'InProgress' });
      expect(ready).toEqual([]);
      clock.now += 1;
      const settled = await client.send(new GetFunctionConfigurationCommand({ FunctionName: 'demo-fn' }));
      expect(settled).toMatchObject({ LastUpdateStatus: 'Successful', State: 'Active', CodeSha256: DIGEST(IMAGES.canary) });
      expect(settled).not.toHaveProperty('LastUpdateStatusReason');
      expect(settled).not.toHaveProperty('LastUpdateStatusReasonCode');
      expect(ready).toEqual([IMAGES.canary]);
    });

    it('stays InProgress until the local world has started the new code, as Lambda is Successful only once invocable', async () => {
      const { fn, client, clock } = localFunction();
      let started!: () => void;
      fn.onCodeReady = () => new Promise<void>((resolve) => (started = resolve));
      await client.send(new UpdateFunctionCodeCommand({ FunctionName: 'demo-fn', ImageUri: IMAGES.canary }));
      clock.now += 1000;

      const starting = await client.send(new GetFunctionConfigurationCommand({ FunctionName: 'demo-fn' }));
      await expect(client.send(new PublishVersionCommand({ FunctionName: 'demo-fn' }))).rejects.toMatchObject({ name: 'ResourceConflictException' });
      started();
      await new Promise((resolve) => setImmediate(resolve));
      const settled = await client.send(new GetFunctionConfigurationCommand({ FunctionName: 'demo-fn' }));

      expect(starting).toMatchObject({ LastUpdateStatus: 'InProgress' });
      expect(settled).toMatchObject({ LastUpdateStatus: 'Successful', CodeSha256: DIGEST(IMAGES.canary) });
    });

    it('ends Failed with FunctionError.RuntimeInitError, naming why, when the new code does not start', async () => {
      const { fn, client, clock } = localFunction();
      fn.onCodeReady = () => Promise.reject(new Error('port 0 refused'));
      await client.send(new UpdateFunctionCodeCommand({ FunctionName: 'demo-fn', ImageUri: IMAGES.canary }));
      clock.now += 1000;

      await client.send(new GetFunctionConfigurationCommand({ FunctionName: 'demo-fn' }));
      await new Promise((resolve) => setImmediate(resolve));
      const failed = await client.send(new GetFunctionConfigurationCommand({ FunctionName: 'demo-fn' }));

      expect(failed).toMatchObject({
        LastUpdateStatus: 'Failed',
        LastUpdateStatusReasonCode: 'FunctionError.RuntimeInitError',
        LastUpdateStatusReason: 'The new code did not start: port 0 refused',
      });
    });

    it("answers GetFunction with the code's ImageUri as given and ResolvedImageUri pinned by digest, per qualifier", async () => {
      const { client, clock } = localFunction();
      const tagged = '000000000000.dkr.ecr.local.amazonaws.com/demo-lambda:v2';
      await client.send(new UpdateFunctionCodeCommand({ FunctionName: 'demo-fn', ImageUri: tagged }));
      clock.now += 1000;

      const latest = await client.send(new GetFunctionCommand({ FunctionName: 'demo-fn' }));
      expect(latest.Code).toEqual({ RepositoryType: 'ECR', ImageUri: tagged, ResolvedImageUri: expect.stringMatching(/^000000000000\.dkr\.ecr\.local\.amazonaws\.com\/demo-lambda@sha256:[a-f0-9]{64}$/) });
      expect(latest.Configuration).toMatchObject({ Version: '$LATEST', CodeSha256: latest.Code!.ResolvedImageUri!.split('@sha256:')[1] });
      const v1 = await client.send(new GetFunctionCommand({ FunctionName: 'demo-fn', Qualifier: 'live' }));
      expect(v1.Code).toEqual({ RepositoryType: 'ECR', ImageUri: IMAGES.stable, ResolvedImageUri: IMAGES.stable });
      expect(v1.Configuration).toMatchObject({ Version: '1', FunctionArn: 'arn:aws:lambda:local-1:000000000000:function:demo-fn:1' });
    });

    it('refuses a stale RevisionId, a second update while one runs, and an image URI that is not an ECR image', async () => {
      const { client } = localFunction();
      await expect(client.send(new UpdateFunctionCodeCommand({ FunctionName: 'demo-fn', ImageUri: IMAGES.canary, RevisionId: 'stale' }))).rejects.toMatchObject({ name: 'PreconditionFailedException' });
      await expect(client.send(new UpdateFunctionCodeCommand({ FunctionName: 'demo-fn', ImageUri: 'demo-lambda:latest' }))).rejects.toMatchObject({
        name: 'InvalidParameterValueException',
        message: expect.stringContaining('demo-lambda:latest'),
      });
      expect(await client.send(new GetFunctionConfigurationCommand({ FunctionName: 'demo-fn' }))).toMatchObject({ LastUpdateStatus: 'Successful', CodeSha256: DIGEST(IMAGES.stable) });
      await client.send(new UpdateFunctionCodeCommand({ FunctionName: 'demo-fn', ImageUri: IMAGES.canary }));
      await expect(client.send(new UpdateFunctionCodeCommand({ FunctionName: 'demo-fn', ImageUri: IMAGES.canary }))).rejects.toMatchObject({ name: 'ResourceConflictException' });
    });

    it('ends Failed with ImageAccessDenied and its reason for an image in a repository Lambda may not pull from, and starts no code', async () => {
      const { client, clock, ready } = localFunction();
      await client.send(new UpdateFunctionCodeCommand({ FunctionName: 'demo-fn', ImageUri: FOREIGN_IMAGE }));
      clock.now += 1000;

      expect(await client.send(new GetFunctionConfigurationCommand({ FunctionName: 'demo-fn' }))).toMatchObject({
        LastUpdateStatus: 'Failed',
        LastUpdateStatusReasonCode: 'ImageAccessDenied',
        LastUpdateStatusReason: 'Lambda does not have permission to access the ECR image. Check the ECR permissions.',
      });
      expect(ready).toEqual([]);
      await expect(client.send(new PublishVersionCommand({ FunctionName: 'demo-fn' }))).rejects.toMatchObject({ name: 'InvalidParameterValueException' });
    });
  });

  describe('PublishVersion', () => {
    async function deployed(): Promise<ReturnType<typeof localFunction>> {
      const world = localFunction();
      await world.client.send(new UpdateFunctionCodeCommand({ FunctionName: 'demo-fn', ImageUri: IMAGES.canary }));
      return world;
    }

    it('is refused while the update is in progress, then publishes the next version from $LATEST', async () => {
      const { client, clock, published } = await deployed();
      await expect(client.send(new PublishVersionCommand({ FunctionName: 'demo-fn' }))).rejects.toMatchObject({ name: 'ResourceConflictException' });
      clock.now += 1000;
      const latest = await client.send(new GetFunctionConfigurationCommand({ FunctionName: 'demo-fn' }));

      const version = await client.send(new PublishVersionCommand({ FunctionName: 'demo-fn', CodeSha256: latest.CodeSha256, RevisionId: latest.RevisionId, Description: 'canary' }));
      expect(version).toMatchObject({ Version: '2', FunctionArn: 'arn:aws:lambda:local-1:000000000000:function:demo-fn:2', CodeSha256: DIGEST(IMAGES.canary), Description: 'canary', LastUpdateStatus: 'Successful' });
      expect(version.RevisionId).not.toBe(latest.RevisionId);
      expect(published).toEqual([`2 ${IMAGES.canary}`]);
      expect((await client.send(new GetFunctionCommand({ FunctionName: 'demo-fn', Qualifier: '2' }))).Code?.ImageUri).toBe(IMAGES.canary);
    });

    it('refuses a CodeSha256 that is not $LATEST\'s (InvalidParameterValueException, as Lambda) and a stale RevisionId (PreconditionFailedException), publishing nothing', async () => {
      const { client, clock, published } = await deployed();
      clock.now += 1000;
      const latest = await client.send(new GetFunctionConfigurationCommand({ FunctionName: 'demo-fn' }));

      await expect(client.send(new PublishVersionCommand({ FunctionName: 'demo-fn', CodeSha256: DIGEST(IMAGES.stable) }))).rejects.toMatchObject({
        name: 'InvalidParameterValueException',
        message: `CodeSHA256 (${DIGEST(IMAGES.stable)}) is different from current CodeSHA256 in $LATEST (${latest.CodeSha256}). Please try again with the CodeSHA256 in $LATEST.`,
      });
      await expect(client.send(new PublishVersionCommand({ FunctionName: 'demo-fn', CodeSha256: latest.CodeSha256, RevisionId: 'stale' }))).rejects.toMatchObject({ name: 'PreconditionFailedException' });
      expect(published).toEqual([]);
      await expect(client.send(new GetFunctionConfigurationCommand({ FunctionName: 'demo-fn', Qualifier: '2' }))).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
    });

    it('returns the existing latest version when the code has not changed since it was published', async () => {
      const { client, clock, published } = await deployed();
      clock.now += 1000;
      const first = await client.send(new PublishVersionCommand({ FunctionName: 'demo-fn' }));
      const again = await client.send(new PublishVersionCommand({ FunctionName: 'demo-fn' }));

      expect([first.Version, again.Version]).toEqual(['2', '2']);
      expect(again.RevisionId).toBe(first.RevisionId);
      expect(published).toHaveLength(1);
      // Nothing deployed at all: the stable version is what Lambda hands back.
      const untouched = localFunction();
      expect((await untouched.client.send(new PublishVersionCommand({ FunctionName: 'demo-fn' }))).Version).toBe('1');
    });
  });

  describe('deploying the canary (target.lambda)', () => {
    it('runs the production Lambda workload: the published version joins the mesh on the canary service, started when the update succeeded', async () => {
      const started: string[] = [];
      const routing = localLambdaRouting(deploySpec, { ...UPSTREAMS, canaryTasks: { start: async (image) => void started.push(image), stop: async () => undefined } }, { updateDelayMs: 0 });
      expect(routing).toMatchObject({ stable: '1', canary: '2' });
      expect(routing.mesh.hasNode('2')).toBe(false);
      const workload = new LambdaWorkload('demo-fn', routing.clients.lambda);

      await workload.validate({ image: IMAGES.canary });
      const deployment = await workload.deployCanary({ image: IMAGES.canary });
      // As the state machine's CheckWorkload loop: the update is InProgress until the canary service has started.
      const phases: string[] = [];
      let status = await workload.canaryStatus(deployment);
      for (let i = 0; status.phase === 'progressing' && i < 10; i++) {
        phases.push(status.phase);
        await new Promise((resolve) => setImmediate(resolve));
        status = await workload.canaryStatus(deployment);
      }

      expect(phases).toEqual(['progressing']);
      expect(status).toMatchObject({ phase: 'steady', version: '2' });
      expect(started).toEqual([IMAGES.canary]);
      expect(routing.mesh.hasNode('2')).toBe(true);
      expect(routing.calls()).toMatchObject({ GetFunction: 1, UpdateFunctionCode: 1, PublishVersion: 1 });
      // The alias router can now split to the published version, and the mesh carries it.
      const router = createRouter(deploySpec, routing.clients);
      const snapshot = { ...(await router.snapshot()), canary: '2' };
      await router.setCanaryWeight(snapshot, 10, { [snapshot.routes[0]!.key]: snapshot.routes[0]!.version });
      expect(forwards(routing)).toEqual([{ virtualNode: '1', weight: 900_000 }, { virtualNode: '2', weight: 100_000 }]);
    });

    it('refuses an alias split to a version not published yet or to an older version whose code does not run locally', async () => {
      const routing = localLambdaRouting({ ...deploySpec, target: { ...deploySpec.target, stable: '3' } }, UPSTREAMS, { updateDelayMs: 0 });
      const client = routing.clients.lambda!;
      const split = (version: string) => client.send(new UpdateAliasCommand({ FunctionName: 'demo-fn', Name: 'live', RoutingConfig: { AdditionalVersionWeights: { [version]: 0.1 } } }));

      expect(routing).toMatchObject({ stable: '3', canary: '4' });
      await expect(split('4')).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
      await expect(split('2')).rejects.toMatchObject({ name: 'InvalidParameterValueException', message: expect.stringContaining('does not run in the local world') });
      expect(forwards(routing)).toEqual([{ virtualNode: '3', weight: 1_000_000 }]);
    });

    it('adds no version to the mesh when the update fails', async () => {
      const routing = localLambdaRouting(deploySpec, UPSTREAMS, { updateDelayMs: 0 });
      const workload = new LambdaWorkload('demo-fn', routing.clients.lambda);

      const status = await workload.canaryStatus(await workload.deployCanary({ image: FOREIGN_IMAGE }));

      expect(status).toMatchObject({ phase: 'failed', reason: expect.stringContaining('ImageAccessDenied') });
      expect(routing.calls()).toMatchObject({ PublishVersion: 0, UpdateAlias: 0 });
      expect(routing.mesh.hasNode('2')).toBe(false);
    });
  });
});
