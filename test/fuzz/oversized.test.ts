/**
 * Oversized requests are refused (issue 8): a path segment over the router's limit (MAX_PARAM_LENGTH, 4096) is a
 * 414, a 100 KB URL and more than 16 KB of headers (Node's default max header size) a 431, each as a Kubernetes
 * Status, without crashing, and the adapter keeps serving. Sent over a real socket to the app listening on
 * 127.0.0.1, since `inject` bypasses Node's HTTP parser and its limits.
 */
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import fc from 'fast-check';
import { buildFuzzApp, type FuzzApp } from './fuzz-app.js';
import { fuzzParameters, fuzzTimeoutMs } from './fuzz-params.js';
import { getRequest, rawRequest, type RawAnswer } from './raw-http.js';

jest.setTimeout(fuzzTimeoutMs());

const METRIC = '/apis/custom.metrics.k8s.io/v1beta2/namespaces/default/pods/worker-1/counter_qps';
const PODS = '/apis/custom.metrics.k8s.io/v1beta2/namespaces/default/pods';

let fuzz: FuzzApp;
let port: number;

beforeAll(async () => {
  fuzz = await buildFuzzApp();
  await fuzz.app.listen({ host: '127.0.0.1', port: 0 });
  port = (fuzz.app.server.address() as AddressInfo).port;
});

afterAll(async () => {
  await fuzz?.close();
});

function expectStatus(answer: RawAnswer, code: number): void {
  expect(answer.status).toBe(code);
  expect(answer.headers['content-type']).toMatch(/^application\/json/);
  expect(JSON.parse(answer.body)).toMatchObject({
    kind: 'Status',
    apiVersion: 'v1',
    status: 'Failure',
    code,
  });
  expect(answer.body).not.toMatch(/ {4}at |\/src\/|node_modules|Error:/);
}

async function expectServing(): Promise<void> {
  const health = await rawRequest(port, getRequest('/healthz'));
  expect(health.status).toBe(200);
  const metric = await rawRequest(port, getRequest(METRIC));
  expect(metric.status).toBe(200);
  expect(JSON.parse(metric.body)).toMatchObject({ kind: 'MetricValueList' });
}

describe('oversized requests are refused (issue 8)', () => {
  it('a path segment over MAX_PARAM_LENGTH (4096) is a 414 Status; one of exactly 4096 is routed', async () => {
    expectStatus(await rawRequest(port, getRequest(`${PODS}/${'a'.repeat(4097)}/counter_qps`)), 414);
    const atLimit = await rawRequest(port, getRequest(`${PODS}/${'a'.repeat(4096)}/counter_qps`));
    expect([200, 404]).toContain(atLimit.status);
    await expectServing();
  });

  it('a 100 KB URL is a 431 Status (request line over the 16 KB header limit)', async () => {
    expectStatus(
      await rawRequest(port, getRequest(`${METRIC}?metricLabelSelector=${'a'.repeat(100 * 1024)}`)),
      431,
    );
    expectStatus(await rawRequest(port, getRequest(`${PODS}/${'b/'.repeat(50 * 1024)}counter_qps`)), 431);
    await expectServing();
  });

  it('headers totalling over 16 KB are a 431 Status, in one header or in many', async () => {
    expectStatus(await rawRequest(port, getRequest(METRIC, { 'x-big': 'v'.repeat(17 * 1024) })), 431);
    const many = Object.fromEntries(Array.from({ length: 400 }, (_, i) => [`x-h${i}`, 'v'.repeat(40)]));
    expectStatus(await rawRequest(port, getRequest(METRIC, many)), 431);
    await expectServing();
  });

  it('requests of random sizes around the limits are answered 200/404/414/431 and never break the server', async () => {
    const size = fc.oneof(
      fc.integer({ min: 0, max: 20 * 1024 }),
      fc.integer({ min: 15 * 1024, max: 17 * 1024 }),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          segment: fc.oneof(fc.integer({ min: 4090, max: 4100 }), fc.integer({ min: 1, max: 12 * 1024 })),
          query: size,
          header: size,
          headers: fc.integer({ min: 0, max: 300 }),
        }),
        async ({ segment, query, header, headers }) => {
          const path = `${PODS}/${'n'.repeat(segment)}/counter_qps${query > 0 ? `?labelSelector=${'q'.repeat(query)}` : ''}`;
          const extra: Record<string, string> = header > 0 ? { 'x-big': 'v'.repeat(header) } : {};
          for (let i = 0; i < headers; i++) extra[`x-h${i}`] = 'v'.repeat(20);
          const answer = await rawRequest(port, getRequest(path, extra));
          expect([200, 404, 414, 431]).toContain(answer.status);
          if (answer.status !== 200) {
            expect(JSON.parse(answer.body)).toMatchObject({ kind: 'Status', code: answer.status });
          }
        },
      ),
      fuzzParameters(150),
    );
    await expectServing();
  });
});
