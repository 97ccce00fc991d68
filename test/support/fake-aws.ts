import {
  AppMeshClient,
  DescribeRouteCommand,
  DescribeVirtualNodeCommand,
  DescribeVirtualRouterCommand,
  ListRoutesCommand,
  NotFoundException,
  TooManyRequestsException,
  UpdateRouteCommand,
  type RouteData,
  type RouteSpec,
} from '@aws-sdk/client-app-mesh';
import { CloudWatchClient, DescribeAlarmsCommand, GetMetricDataCommand, type GetMetricDataCommandInput, type MetricAlarm, type MetricDataResult } from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';

/**
 * A stateful App Mesh behind aws-sdk-client-mock: routes keep their spec and version, UpdateRoute
 * bumps the version, and failures can be queued per command. Only the calls our adapter makes.
 */
export class FakeAppMesh {
  readonly mock = mockClient(AppMeshClient);
  readonly client = new AppMeshClient({ region: 'us-east-1' });
  readonly routes = new Map<string, RouteData>();
  readonly nodes = new Set<string>();
  readonly updates: Array<{ routeName: string; spec: RouteSpec }> = [];
  private readonly failures: Record<string, Error[]> = {};
  /** Called after each successful UpdateRoute, e.g. to flip an alarm when a weight is reached. */
  onUpdate: (routeName: string, spec: RouteSpec) => void = () => undefined;

  constructor(readonly mesh = 'my-mesh', readonly router = 'user-router') {
    this.mock.on(DescribeVirtualRouterCommand).callsFake((input: { virtualRouterName: string }) => {
      if (input.virtualRouterName !== this.router) throw notFound(`VirtualRouter ${input.virtualRouterName} not found`);
      return { virtualRouter: { meshName: this.mesh, virtualRouterName: this.router, spec: {}, metadata: meta(1), status: { status: 'ACTIVE' } } };
    });
    this.mock.on(DescribeVirtualNodeCommand).callsFake((input: { virtualNodeName: string }) => {
      if (!this.nodes.has(input.virtualNodeName)) throw notFound(`VirtualNode ${input.virtualNodeName} not found`);
      return { virtualNode: { meshName: this.mesh, virtualNodeName: input.virtualNodeName, spec: {}, metadata: meta(1), status: { status: 'ACTIVE' } } };
    });
    this.mock.on(ListRoutesCommand).callsFake(() => ({
      routes: [...this.routes.keys()].map((routeName) => ({ routeName, meshName: this.mesh, virtualRouterName: this.router })),
    }));
    this.mock.on(DescribeRouteCommand).callsFake((input: { routeName: string }) => {
      this.fail('DescribeRoute');
      const route = this.routes.get(input.routeName);
      if (!route) throw notFound(`Route ${input.routeName} not found`);
      return { route: structuredClone(route) };
    });
    this.mock.on(UpdateRouteCommand).callsFake((input: { routeName: string; spec: RouteSpec }) => {
      this.fail('UpdateRoute');
      const route = this.routes.get(input.routeName);
      if (!route) throw notFound(`Route ${input.routeName} not found`);
      route.spec = structuredClone(input.spec);
      route.metadata = { ...route.metadata!, version: (route.metadata?.version ?? 0) + 1 };
      this.updates.push({ routeName: input.routeName, spec: structuredClone(input.spec) });
      this.onUpdate(input.routeName, input.spec);
      return { route: structuredClone(route) };
    });
  }

  addNode(...names: string[]): this {
    for (const n of names) this.nodes.add(n);
    return this;
  }

  addRoute(routeName: string, spec: RouteSpec, version = 1): this {
    this.routes.set(routeName, { meshName: this.mesh, virtualRouterName: this.router, routeName, spec: structuredClone(spec), metadata: meta(version), status: { status: 'ACTIVE' } });
    return this;
  }

  /** Queues errors thrown by the next calls of a command. */
  failNext(command: 'DescribeRoute' | 'UpdateRoute', ...errors: Error[]): void {
    (this.failures[command] ??= []).push(...errors);
  }

  /** Another writer changes a route behind our back (its version moves). */
  externalWrite(routeName: string, spec: RouteSpec): void {
    const route = this.routes.get(routeName)!;
    route.spec = structuredClone(spec);
    route.metadata = { ...route.metadata!, version: (route.metadata?.version ?? 0) + 1 };
  }

  spec(routeName: string): RouteSpec {
    return structuredClone(this.routes.get(routeName)!.spec!);
  }

  /** Canary weights written, in order, for one route. */
  weightsWritten(routeName: string, canary: string): number[] {
    return this.updates
      .filter((u) => u.routeName === routeName)
      .map((u) => u.spec.httpRoute?.action?.weightedTargets?.find((t) => t.virtualNode === canary)?.weight ?? 0);
  }

  private fail(command: string): void {
    const next = this.failures[command]?.shift();
    if (next) throw next;
  }

  restore(): void {
    this.mock.restore();
  }
}

export function throttled(): Error {
  return new TooManyRequestsException({ message: 'Rate exceeded', $metadata: { httpStatusCode: 429 } });
}

export function serverError(): Error {
  const e = new Error('Internal failure');
  e.name = 'InternalServerErrorException';
  (e as { $metadata?: unknown }).$metadata = { httpStatusCode: 500 };
  return e;
}

function notFound(message: string): Error {
  return new NotFoundException({ message, $metadata: { httpStatusCode: 404 } });
}

function meta(version: number) {
  return { version, arn: 'arn:aws:appmesh:us-east-1:123456789012:mesh/my-mesh/x', uid: 'uid', createdAt: new Date(0), lastUpdatedAt: new Date(0), meshOwner: '123456789012', resourceOwner: '123456789012' };
}

/** CloudWatch alarms whose states a test sets. DescribeAlarms answers from them. */
export class FakeAlarms {
  readonly mock = mockClient(CloudWatchClient);
  readonly client = new CloudWatchClient({ region: 'us-east-1' });
  readonly states = new Map<string, { state: 'OK' | 'ALARM' | 'INSUFFICIENT_DATA'; reason?: string }>();
  describeCalls = 0;
  /** GetMetricData calls and the metrics they requested (what GetMetricData is billed on). */
  getMetricDataCalls = 0;
  metricsRequested = 0;
  /**
   * The value of one metric query in the current minute, or undefined for no datapoint. Default:
   * every version serves 1,000 requests a minute with no 5xx and nothing slow (a healthy canary).
   */
  metricValue: (metricName: string, stat: string, dimensions: Record<string, string>) => number | undefined = (metricName) =>
    /RequestCount|Invocations/.test(metricName) ? 1000 : /Response|Duration|RequestTime/.test(metricName) ? 0 : undefined;
  /**
   * Called after each DescribeAlarms has been answered, with the call's number (1-based). Tests
   * change alarm states here, so a change lands between two judgements however slow the machine.
   */
  onDescribe: (call: number) => void = () => undefined;

  constructor() {
    this.mock.on(GetMetricDataCommand).callsFake((input: GetMetricDataCommandInput) => {
      this.getMetricDataCalls++;
      this.metricsRequested += (input.MetricDataQueries ?? []).filter((q) => q.MetricStat).length;
      const minute = new Date(Math.floor(Date.now() / 60_000) * 60_000);
      const MetricDataResults: MetricDataResult[] = (input.MetricDataQueries ?? [])
        .filter((q) => q.MetricStat)
        .map((q) => {
          const m = q.MetricStat!;
          const dims = Object.fromEntries((m.Metric?.Dimensions ?? []).map((d) => [d.Name!, d.Value!]));
          const value = this.metricValue(m.Metric!.MetricName!, m.Stat!, dims);
          return { Id: q.Id, Label: m.Metric!.MetricName, Timestamps: value === undefined ? [] : [minute], Values: value === undefined ? [] : [value], StatusCode: 'Complete' };
        });
      return { MetricDataResults, Messages: [] };
    });
    this.mock.on(DescribeAlarmsCommand).callsFake((input: { AlarmNames?: string[] }) => {
      this.describeCalls++;
      const MetricAlarms: MetricAlarm[] = (input.AlarmNames ?? [])
        .filter((n) => this.states.has(n))
        .map((n) => ({ AlarmName: n, StateValue: this.states.get(n)!.state, StateReason: this.states.get(n)!.reason ?? `set by test` }));
      this.onDescribe(this.describeCalls);
      return { MetricAlarms, CompositeAlarms: [] };
    });
  }

  set(name: string, state: 'OK' | 'ALARM' | 'INSUFFICIENT_DATA', reason?: string): void {
    this.states.set(name, { state, reason });
  }

  restore(): void {
    this.mock.restore();
  }
}
