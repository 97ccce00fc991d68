import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../../src/cli/main';
import { harness } from './support';

/** Commands check what they can check on this machine before they build an AWS context. */
describe('canaryctl checks local input before contacting AWS', () => {
  const dir = mkdtempSync(join(tmpdir(), 'canaryctl-input-'));

  function withContextSpy() {
    const h = harness();
    const context = jest.fn(h.io.context!);
    return { ...h, io: { ...h.io, context }, context };
  }

  it('unlock without --yes exits 2 without building the AWS context', async () => {
    const h = withContextSpy();

    expect(await main(['unlock', 'my-mesh/user-router/user-route'], h.io)).toBe(2);

    expect(h.context).not.toHaveBeenCalled();
    expect(h.err.text).toMatch(/refusing to clear the lock of my-mesh\/user-router\/user-route without --yes/);
  });

  it('start --file with an invalid spec exits 2 naming the field, without building the AWS context', async () => {
    const h = withContextSpy();
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'name: s\nrouter: { appMesh: { mesh: m, virtualRouter: r } }\ntarget: { canary: c }\nstrategy: { steps: [10, 5, 100], bake: 1m }\n');

    expect(await main(['start', '--file', file], h.io)).toBe(2);

    expect(h.context).not.toHaveBeenCalled();
    expect(h.err.text).toMatch(/strategy\.steps\[1\]/);
  });

  it('start with neither a spec name nor --file exits 2 without building the AWS context', async () => {
    const h = withContextSpy();

    expect(await main(['start'], h.io)).toBe(2);

    expect(h.context).not.toHaveBeenCalled();
  });

  it('start --file with a valid spec goes on to AWS', async () => {
    const h = withContextSpy();
    const file = join(dir, 'good.yaml');
    writeFileSync(file, 'name: s\nrouter: { appMesh: { mesh: m, virtualRouter: r } }\ntarget: { canary: c }\nstrategy: { steps: [10, 100], bake: 1m }\n');
    h.sfnMock.on(require('@aws-sdk/client-sfn').StartExecutionCommand).resolves({ executionArn: 'arn:aws:states:us-east-1:123456789012:execution:x:s-1' });

    expect(await main(['start', '--file', file], h.io)).toBe(0);

    expect(h.context).toHaveBeenCalledTimes(1);
    h.sfnMock.restore();
  });
});
