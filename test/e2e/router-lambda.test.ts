import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { LocalLambdaFunction, localLambdaImages } from '../../src/local/aws/lambda';
import { runLocal, type LocalRunOptions, type LocalRunResult } from '../../src/local/runner';
import { parseSpecText } from '../../src/spec/load';

/**
 * The Lambda alias router and the Lambda workload end to end: the pushed image is deployed
 * through the production LambdaWorkload against the local Lambda facade (UpdateFunctionCode →
 * InProgress → Successful → PublishVersion), and the production LambdaAliasRouter splits real HTTP
 * requests between the stable version and the published one through the local mesh. Alarms are
 * relaxed on latency, and request timeouts are not asserted on (the machine is shared and loaded:
 * the App Mesh demo times out as many requests here); the 5xx alarm is what these runs judge.
 */
const spec = parseSpecText(readFileSync(join(__dirname, '..', '..', 'examples', 'demo-lambda.yaml'), 'utf8'), 'examples/demo-lambda.yaml');
const IMAGE = localLambdaImages(spec.name).canary;
const DIGEST = IMAGE.split('@sha256:')[1]!;

class Sink extends Writable {
  text = '';
  override _write(chunk: Buffer, _enc: string, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

async function run(options: Partial<LocalRunOptions>): Promise<LocalRunResult & { output: string }> {
  const out = new Sink();
  const result = await runLocal({ spec, bakeSeconds: 3, rps: 150, approve: 'auto', out, tailSeconds: 1, alarms: { p99Ms: 5000 }, ...options });
  return { ...result, output: out.text };
}

const messages = (result: LocalRunResult) => result.events.map((e) => `${e.kind}: ${e.message}`);

afterEach(() => jest.restoreAllMocks());

describe('Lambda alias router with the Lambda workload (local end to end)', () => {
  it('deploys the image, publishes version 2 and promotes it with each step carrying its share of invocations (±5 points)', async () => {
    const aliasWrites = jest.spyOn(LocalLambdaFunction.prototype, 'updateAlias');
    const result = await run({});

    expect({ outcome: result.outcome, reason: result.reason }).toEqual({ outcome: 'promoted', reason: undefined });
    // The deploy came first: the image pinned by digest, then the version Lambda published, then traffic.
    const log = messages(result);
    const deployed = log.findIndex((m) => m.startsWith(`workload: function demo-fn → ${IMAGE} (CodeSha256 ${DIGEST})`));
    const published = log.findIndex((m) => m.startsWith(`workload: function demo-fn: published version 2 (CodeSha256 ${DIGEST})`));
    const firstShift = log.findIndex((m) => m.startsWith('shifted'));
    expect(deployed).toBeGreaterThanOrEqual(0);
    expect(published).toBeGreaterThan(deployed);
    expect(firstShift).toBeGreaterThan(published);
    expect(result.lambdaInvocations.deployCanary).toBe(1);
    expect(result.output).toContain(`workload: function demo-fn: published version 2 (CodeSha256 ${DIGEST})`);
    expect(result.steps.map((s) => s.weight)).toEqual([10, 25, 50, 100]);
    // Four steps and the promotion, all to the published version.
    expect(aliasWrites.mock.calls.map(([input]) => input.FunctionVersion === '2' ? 100 : (input.RoutingConfig?.AdditionalVersionWeights?.['2'] ?? 0) * 100)).toEqual([10, 25, 50, 100, 100]);
    for (const step of result.steps) {
      expect(step.requests).toBeGreaterThan(100);
      expect(Math.abs(step.measuredShare - step.weight)).toBeLessThanOrEqual(5);
    }
    // Version 2's invocations were served by the new code: the canary sample service.
    expect(result.load.byServedBy.canary).toBeGreaterThan(0);
    expect(result.output.trim().split('\n').at(-1)).toMatch(/^PROMOTED: 2 now takes all traffic/);
  });

  it('rolls back when version 2 fails 20 % of invocations, and version 2 gets none after the rollback', async () => {
    const result = await run({ canaryErrors: 0.2 });

    expect(result.outcome).toBe('rolled back');
    expect(result.exitCode).not.toBe(0);
    expect(result.reason).toContain('demo-fn-canary-5xx in ALARM');
    expect(result.canaryRequestsAfterRollback).toBe(0);
  });

  it("fails at deploy, naming Lambda's LastUpdateStatusReason, and moves no traffic when the update ends Failed", async () => {
    const aliasWrites = jest.spyOn(LocalLambdaFunction.prototype, 'updateAlias');
    const result = await run({ image: `111122223333.dkr.ecr.eu-west-1.amazonaws.com/demo@sha256:${'c'.repeat(64)}` });

    expect(result.outcome).not.toBe('promoted');
    expect(result.exitCode).not.toBe(0);
    expect(result.reason).toContain('LastUpdateStatus Failed: ImageAccessDenied: Lambda does not have permission to access the ECR image');
    expect(result.steps).toEqual([]);
    expect(aliasWrites).not.toHaveBeenCalled();
    expect(result.load.byServedBy.canary ?? 0).toBe(0);
    expect(messages(result).some((m) => m.startsWith('workload: function demo-fn: published'))).toBe(false);
  });
});
