import { billableCounts, usdOfCounts } from '../../../bench/lib/cost';
import { countingStore, dynamoCallsOf } from '../../../bench/lib/counting';
import { lambdaTaskStates, trafficStepCycles } from '../../../bench/lib/history';
import {
  addCounts,
  breakEvenRolloutsPerMonth,
  diffCounts,
  formatSummary,
  linearFit,
  markdownTable,
  median,
  memorySizeFromServerlessYml,
  summarize,
  versusTarget,
} from '../../../bench/lib/stats';
import { DEFAULT_COST_ASSUMPTIONS } from '../../../src/plan/cost';
import { MemoryStore } from '../../../src/rollouts/store';

describe('bench helpers', () => {
  describe('median and summarize', () => {
    it('takes the middle value of an odd count and the mean of the two middle ones of an even count', () => {
      expect(median([5, 1, 3])).toBe(3);
      expect(median([4, 1, 3, 2])).toBe(2.5);
    });

    it('says NaN for no values instead of inventing one', () => {
      expect(median([])).toBeNaN();
      expect(summarize([]).n).toBe(0);
    });

    it('reports the median with the min–max spread', () => {
      expect(summarize([120, 100, 300])).toEqual({ n: 3, median: 120, min: 100, max: 300 });
    });
  });

  describe('formatSummary', () => {
    it('shows median and spread with a unit', () => {
      expect(formatSummary({ n: 3, median: 120.4, min: 100, max: 300.2 }, 'ms')).toBe('120 ms (100–300)');
    });

    it('shows one value when there is no spread', () => {
      expect(formatSummary({ n: 3, median: 3, min: 3, max: 3 }, '')).toBe('3');
      expect(formatSummary({ n: 0, median: NaN, min: NaN, max: NaN }, 'ms')).toBe('n/a');
    });
  });

  describe('versusTarget', () => {
    it('passes at or under the target and says by how much it is over', () => {
      expect(versusTarget(3, 3)).toBe('PASS');
      expect(versusTarget(2, 3)).toBe('PASS');
      expect(versusTarget(5, 3)).toBe('over (+2)');
      expect(versusTarget(3.5, 3)).toBe('over (+0.5)');
    });
  });

  describe('breakEvenRolloutsPerMonth', () => {
    it('is the always-on monthly cost divided by the cost of one rollout', () => {
      expect(breakEvenRolloutsPerMonth(7.2, 0.0006)).toBeCloseTo(12_000, 6);
    });

    it('is infinite when a rollout costs nothing and refuses negative costs', () => {
      expect(breakEvenRolloutsPerMonth(7.2, 0)).toBe(Number.POSITIVE_INFINITY);
      expect(() => breakEvenRolloutsPerMonth(-1, 1)).toThrow(RangeError);
    });
  });

  describe('markdownTable', () => {
    it('writes a header, a separator and padded rows, escaping pipes', () => {
      const table = markdownTable(['a', 'bee'], [[1, 'x|y'], ['long value', 2]]);
      expect(table.split('\n')).toEqual([
        '| a          | bee  |',
        '| ---------- | ---- |',
        '| 1          | x\\|y |',
        '| long value | 2    |',
      ]);
    });
  });

  describe('count maps', () => {
    it('adds and diffs key by key, keeping only keys that moved', () => {
      expect(addCounts({ a: 1 }, { a: 2, b: 1 })).toEqual({ a: 3, b: 1 });
      expect(diffCounts({ a: 1, b: 1 }, { a: 3, b: 1, c: 2 })).toEqual({ a: 2, c: 2 });
    });
  });

  describe('linearFit', () => {
    it('finds slope, intercept and R² of a line', () => {
      const fit = linearFit([1, 10, 50], [12, 30, 110]);
      expect(fit.slope).toBeCloseTo(2, 6);
      expect(fit.intercept).toBeCloseTo(10, 6);
      expect(fit.r2).toBeCloseTo(1, 6);
    });

    it('refuses fewer than two points or a single x', () => {
      expect(() => linearFit([1], [1])).toThrow(RangeError);
      expect(() => linearFit([2, 2], [1, 3])).toThrow(RangeError);
    });
  });

  describe('memorySizeFromServerlessYml', () => {
    it('reads the provider memorySize', () => {
      expect(memorySizeFromServerlessYml('provider:\n  name: aws\n  memorySize: 256\n  timeout: 30\n')).toBe(256);
      expect(memorySizeFromServerlessYml('provider:\n  name: aws\n')).toBeUndefined();
    });
  });

  describe('trafficStepCycles', () => {
    const lambdas = new Set(['Prepare', 'Step', 'Promote', 'Rollback']);

    it('cuts Step → Route → Bake cycles and leaves out the last Step that promotes', () => {
      const states = ['Prepare', 'Step', 'Route', 'Bake', 'Step', 'Route', 'Bake', 'Step', 'Route', 'Promote', 'Promoted'];
      expect(trafficStepCycles(states, lambdas)).toEqual([
        { states: ['Step', 'Route', 'Bake'], transitions: 3, lambdaInvocations: 1 },
        { states: ['Step', 'Route', 'Bake'], transitions: 3, lambdaInvocations: 1 },
      ]);
    });

    it('finds no cycle when the execution never baked', () => {
      expect(trafficStepCycles(['Prepare', 'ReportFailedToStart', 'FailedToStart'], lambdas)).toEqual([]);
    });
  });

  describe('lambdaTaskStates', () => {
    it('names Task states whose resource is a function or lambda:invoke, not service integrations or Choices', () => {
      const states = lambdaTaskStates({
        States: {
          Step: { Type: 'Task', Resource: { 'Fn::GetAtt': ['step', 'Arn'] } },
          Approve: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken' },
          Local: { Type: 'Task', Resource: 'arn:aws:lambda:us-east-1:000000000000:function:step' },
          Bake: { Type: 'Task', Resource: 'arn:aws:states:::events:putEvents.waitForTaskToken' },
          Route: { Type: 'Choice' },
        },
      });
      expect([...states].sort()).toEqual(['Approve', 'Local', 'Step']);
    });
  });

  describe('countingStore', () => {
    it('counts the DynamoDB calls of each store method and still stores', async () => {
      const counts: Record<string, number> = {};
      const store = countingStore(new MemoryStore(), counts);
      await store.watchAlarms('r1', 'arn', ['a', 'b']);
      await store.appendEvent('r1', { at: new Date(0).toISOString(), kind: 'started', message: 'm' } as never);
      await store.listEvents('r1');
      expect(counts).toEqual({ 'DynamoDB.PutItem': 3, 'DynamoDB.Query': 1 });
      expect(await store.watchersOf('a')).toEqual([{ rolloutId: 'r1', executionArn: 'arn' }]);
    });

    it('maps lock methods to one call per route key', () => {
      expect(dynamoCallsOf('acquireLocks', [['k1', 'k2']])).toEqual([['DynamoDB.PutItem', 2]]);
      expect(dynamoCallsOf('releaseLocks', [['k1'], 'r'])).toEqual([['DynamoDB.DeleteItem', 1]]);
    });
  });

  describe('billableCounts and usdOfCounts', () => {
    it('prices measured counts at the cost model prices', () => {
      const counts = billableCounts({
        transitions: 1000,
        lambdaInvocations: 10,
        api: { 'CloudWatch.DescribeAlarms': 1000, 'DynamoDB.PutItem': 2, 'DynamoDB.UpdateItem': 1, 'DynamoDB.Query': 4, 'SNS.Publish': 1, 'EventBridge.PutEvents': 2, 'AppMesh.UpdateRoute': 9 },
        lambdaMemoryMb: 512,
        lambdaSecondsPerInvocation: 0.2,
      });
      expect(counts).toEqual({ stateTransitions: 1000, lambdaInvocations: 10, lambdaGbSeconds: 1, describeAlarmsCalls: 1000, metricsRequested: 0, dynamoWrites: 3, dynamoReads: 4, messages: 3 });
      const usd = usdOfCounts(counts, DEFAULT_COST_ASSUMPTIONS);
      expect(usd.stepFunctions).toBeCloseTo(0.025, 10);
      expect(usd.cloudWatch).toBeCloseTo(0.01, 10);
      expect(usd.total).toBeCloseTo(usd.stepFunctions + usd.lambda + usd.cloudWatch + usd.dynamoDb + usd.messaging, 12);
    });
  });
});
