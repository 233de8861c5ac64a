import { afterEach, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { metricNotFound, serviceUnavailable } from '../../src/api/status.js';
import { loadServingCert } from '../../src/server/serving-cert.js';
import { FakeProvider, statusBody, testApp } from './server/fake-provider.js';

const METRIC_PATH = '/apis/custom.metrics.k8s.io/v1beta2/namespaces/default/pods/worker-1/counter_qps';

let app: FastifyInstance | undefined;
const cleanups: (() => void)[] = [];
afterEach(async () => {
  await app?.close();
  app = undefined;
  for (const cleanup of cleanups.splice(0)) cleanup();
});

function httpsGet(
  port: number,
  path: string,
  ca: string,
): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest({ host: '127.0.0.1', port, path, ca, method: 'GET' }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

/** Captures the JSON log lines fastify's pino writes. */
function logCapture(): { lines: Record<string, unknown>[]; options: object } {
  const lines: Record<string, unknown>[] = [];
  const stream = { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) };
  return { lines, options: { level: 'debug', stream } };
}

describe('buildApp', () => {
  it('serves HTTPS with a certificate from loadServingCert (real TLS request on 127.0.0.1)', async () => {
    const certDir = mkdtempSync(join(tmpdir(), 'app-https-'));
    cleanups.push(() => rmSync(certDir, { recursive: true, force: true }));
    const cert = await loadServingCert({ certDir });
    ({ app } = testApp({ https: { key: cert.key, cert: cert.cert, minVersion: 'TLSv1.2' } }));
    await app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = app.server.address() as AddressInfo;

    const health = await httpsGet(port, '/healthz', cert.cert);
    expect(health).toEqual({ status: 200, type: 'text/plain; charset=utf-8', body: 'ok' });
    const metric = await httpsGet(port, METRIC_PATH, cert.cert);
    expect(metric.status).toBe(200);
    expect(metric.type).toMatch(/^application\/json/);
    expect(JSON.parse(metric.body)).toMatchObject({ kind: 'MetricValueList', items: [{ value: '80500m' }] });
  });

  it('logs an internal error with its stack, request id and component, and sends only the generic message', async () => {
    const { lines, options } = logCapture();
    const provider = new FakeProvider();
    provider.byName = () => Promise.reject(new Error('password=hunter2 rejected'));
    ({ app } = testApp({ provider, logger: options }));
    const response = await app.inject({ url: METRIC_PATH, headers: { 'x-request-id': 'from-client' } });

    expect(response.body).toBe(
      statusBody(500, 'InternalError', 'Internal error occurred: see the adapter log'),
    );
    expect(response.body).not.toContain('hunter2');
    const logged = lines.find((line) => line.msg === 'internal error');
    expect(logged).toMatchObject({ level: 50, component: 'http', code: 500 });
    expect((logged?.err as { stack?: string }).stack).toContain('password=hunter2 rejected');
    expect(typeof logged?.reqId).toBe('string');
    expect(logged?.reqId).not.toBe('from-client');
  });

  it('gives every request its own id and logs one debug line per request', async () => {
    const { lines, options } = logCapture();
    ({ app } = testApp({ logger: options }));
    await app.inject('/healthz');
    await app.inject('/healthz');
    const completed = lines.filter((line) => line.msg === 'request completed');
    expect(completed).toHaveLength(2);
    expect(completed[0]).toMatchObject({
      level: 20,
      component: 'http',
      method: 'GET',
      url: '/healthz',
      statusCode: 200,
    });
    expect(completed[0]?.reqId).not.toBe(completed[1]?.reqId);
    expect(lines.filter((line) => line.msg === 'incoming request')).toHaveLength(0);
  });

  it('logs a 5xx StatusError cause at warn and a 4xx one at debug', async () => {
    const { lines, options } = logCapture();
    const provider = new FakeProvider();
    provider.byName = () =>
      Promise.reject(serviceUnavailable('Prometheus is unavailable', new Error('ECONNREFUSED')));
    provider.bySelector = () => Promise.reject(metricNotFound('m', 'pods'));
    ({ app } = testApp({ provider, logger: options }));
    await app.inject(METRIC_PATH);
    await app.inject('/apis/custom.metrics.k8s.io/v1beta2/namespaces/default/pods/*/m');
    expect(lines.find((line) => line.msg === 'Prometheus is unavailable')).toMatchObject({
      level: 40,
      code: 503,
      err: { message: 'ECONNREFUSED' },
    });
    expect(
      lines.find((line) => line.msg === 'the server could not find the metric m for pods'),
    ).toMatchObject({
      level: 20,
      code: 404,
    });
  });

  it('binds component "http" to a logger instance once', async () => {
    const children: Record<string, unknown>[] = [];
    const make = (bindings: Record<string, unknown>): FastifyBaseLogger => {
      const noop = () => undefined;
      return {
        level: 'info',
        fatal: noop,
        error: noop,
        warn: noop,
        info: noop,
        debug: noop,
        trace: noop,
        silent: noop,
        bindings: () => bindings,
        child: (more: Record<string, unknown>) => {
          children.push(more);
          return make({ ...bindings, ...more });
        },
      } as unknown as FastifyBaseLogger;
    };
    ({ app } = testApp({ logger: make({ component: 'http' }) }));
    expect(children.filter((bindings) => 'component' in bindings)).toHaveLength(0);
    await app.close();
    ({ app } = testApp({ logger: make({}) }));
    expect(children).toContainEqual({ component: 'http' });
  });
});
