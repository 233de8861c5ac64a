/** A CustomMetricsProvider that records requests and answers from test-supplied functions. */
import type {
  CustomMetricByNameRequest,
  CustomMetricBySelectorRequest,
  CustomMetricInfo,
  CustomMetricValue,
  CustomMetricsProvider,
  Readiness,
} from '../../../src/providers/contract.js';
import { buildApp, type AppDeps } from '../../../src/app.js';
import type { FastifyInstance } from 'fastify';

export const SAMPLE_TIME = new Date('2026-11-22T10:00:00.750Z');

/** The value the fake answers by default: the requested object, 80.5 (`80500m`), at SAMPLE_TIME. */
export function sampleValue(request: {
  namespace?: string;
  name?: string;
  metric: string;
}): CustomMetricValue {
  return {
    describedObject: {
      kind: 'Pod',
      ...(request.namespace === undefined ? {} : { namespace: request.namespace }),
      name: request.name ?? 'worker-1',
      apiVersion: '/v1',
    },
    metric: request.metric,
    timestamp: SAMPLE_TIME,
    value: 80.5,
  };
}

export class FakeProvider implements CustomMetricsProvider {
  metrics: readonly CustomMetricInfo[] = [];
  listCalls = 0;
  readonly byNameRequests: CustomMetricByNameRequest[] = [];
  readonly bySelectorRequests: CustomMetricBySelectorRequest[] = [];
  byName: (request: CustomMetricByNameRequest) => Promise<CustomMetricValue> = (request) =>
    Promise.resolve(sampleValue(request));
  bySelector: (request: CustomMetricBySelectorRequest) => Promise<CustomMetricValue[]> = (request) =>
    Promise.resolve([
      sampleValue({ ...request, name: 'worker-1' }),
      sampleValue({ ...request, name: 'worker-2' }),
    ]);

  listAllMetrics(): readonly CustomMetricInfo[] {
    this.listCalls += 1;
    return this.metrics;
  }

  getMetricByName(request: CustomMetricByNameRequest): Promise<CustomMetricValue> {
    this.byNameRequests.push(request);
    return this.byName(request);
  }

  getMetricBySelector(request: CustomMetricBySelectorRequest): Promise<CustomMetricValue[]> {
    this.bySelectorRequests.push(request);
    return this.bySelector(request);
  }
}

export class FakeReadiness implements Readiness {
  ready = true;
  isReady(): boolean {
    return this.ready;
  }
}

/** Builds the app around a fresh FakeProvider (or the given one); no logging unless asked. */
export function testApp(
  overrides: Partial<AppDeps> & { provider?: FakeProvider; readiness?: FakeReadiness } = {},
): { app: FastifyInstance; provider: FakeProvider; readiness: FakeReadiness } {
  const provider = overrides.provider ?? new FakeProvider();
  const readiness = overrides.readiness ?? new FakeReadiness();
  const app = buildApp({ ...overrides, customMetrics: provider, readiness });
  return { app, provider, readiness };
}

/** The exact Status body the adapter sends. */
export function statusBody(code: number, reason: string, message: string): string {
  return JSON.stringify({
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason,
    code,
  });
}
