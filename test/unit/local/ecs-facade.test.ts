import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LocalEcs, localSampleImage, type CanaryTasks } from '../../../src/local/aws/ecs';
import { ResourceNotFoundError } from '../../../src/shared/errors';
import { parseSpecText } from '../../../src/spec/load';
import { createWorkload } from '../../../src/workloads';

/** The production ECS adapter, unchanged, against the local ECS API of examples/orders-ecs.yaml. */
const spec = parseSpecText(readFileSync(join(__dirname, '..', '..', '..', 'examples', 'orders-ecs.yaml'), 'utf8'), 'orders-ecs.yaml');
const image = localSampleImage('orders');

/** Canary tasks that start only when the test lets them. */
function gatedTasks() {
  const log: string[] = [];
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const tasks: CanaryTasks = {
    start: async (img) => {
      log.push(`start ${img}`);
      await gate;
    },
    stop: async () => void log.push('stop'),
  };
  return { tasks, log, release };
}

async function settle(): Promise<void> {
  await new Promise((r) => setImmediate(r));
}

describe('LocalEcs (the ECS API played locally)', () => {
  it('lets EcsWorkload validate, deploy the canary, wait for its tasks, promote the primary and scale the canary down', async () => {
    // Prepare
    const { tasks, log, release } = gatedTasks();
    const ecs = new LocalEcs(spec, tasks);
    const workload = createWorkload(spec, { ecs: ecs.client });

    // Act / Assess: Prepare's read-only check passes on the local cluster.
    await workload.validate({ image });

    // DeployCanary starts the canary's tasks with the image; until they run, the deployment progresses.
    const canary = await workload.deployCanary({ image });
    expect(log).toEqual([`start ${image}`]);
    expect((await workload.canaryStatus(canary)).phase).toBe('progressing');
    release();
    await settle();
    const steady = await workload.canaryStatus(canary);
    expect(steady).toMatchObject({ phase: 'steady', running: 2, desired: 2 });

    // The canary's task definition is the primary's with the new image and the canary node.
    const registered = ecs.service('orders-canary')!;
    expect(registered.taskDefinition).toBe(canary.taskDefinitionArn);

    // PromotePrimary: the primary runs the same image, as the primary node again.
    const promoted = await workload.promotePrimary(canary);
    await settle();
    expect((await workload.primaryStatus(promoted)).phase).toBe('steady');
    expect(ecs.service('orders-primary')!.taskDefinition).toBe(promoted.taskDefinitionArn);

    await workload.scaleCanaryToZero();
    await settle();
    expect(log).toEqual([`start ${image}`, 'stop']);
    expect(ecs.service('orders-canary')).toMatchObject({ desiredCount: 0, runningCount: 0 });
    expect(ecs.calls()).toMatchObject({ DescribeServices: 5, DescribeTaskDefinition: 3, RegisterTaskDefinition: 2, UpdateService: 3 });
  });

  it('answers a service that does not exist as ECS does, so the adapter names it', async () => {
    const ecs = new LocalEcs(spec, gatedTasks().tasks);
    const typo = { ...spec, target: { ...spec.target, ecs: { ...spec.target.ecs!, canaryService: 'orders-canray' } } };

    const error = await createWorkload(typo, { ecs: ecs.client }).validate({ image }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ResourceNotFoundError);
    expect((error as Error).message).toContain('ECS service "orders-canray" not found in cluster "prod" (MISSING)');
  });

  it('marks the deployment FAILED when the canary tasks cannot start, and the adapter reports it as failed', async () => {
    const ecs = new LocalEcs(spec, { start: async () => Promise.reject(new Error('port in use')), stop: async () => undefined });
    const workload = createWorkload(spec, { ecs: ecs.client });

    const canary = await workload.deployCanary({ image });
    await settle();

    expect(await workload.canaryStatus(canary)).toMatchObject({ phase: 'failed', reason: expect.stringContaining('tasks failed to start: port in use') });
  });
});
