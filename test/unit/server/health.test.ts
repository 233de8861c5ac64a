import { afterEach, describe, expect, it } from '@jest/globals';
import type { FastifyInstance } from 'fastify';
import { NOT_READY_MESSAGE } from '../../../src/server/health.js';
import { FakeReadiness, testApp } from './fake-provider.js';

let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

describe('health probes (SPEC 10)', () => {
  it.each(['/healthz', '/livez'])('%s answers 200 "ok" as text/plain, ready or not', async (url) => {
    const readiness = new FakeReadiness();
    readiness.ready = false;
    ({ app } = testApp({ readiness }));
    const response = await app.inject(url);
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(response.body).toBe('ok');
  });

  it('/readyz follows readiness.isReady(): 503 with the reason, then 200 "ok"', async () => {
    const readiness = new FakeReadiness();
    readiness.ready = false;
    ({ app } = testApp({ readiness }));
    const before = await app.inject('/readyz');
    expect(before.statusCode).toBe(503);
    expect(before.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(before.body).toBe(NOT_READY_MESSAGE);

    readiness.ready = true;
    const after = await app.inject('/readyz');
    expect(after.statusCode).toBe(200);
    expect(after.body).toBe('ok');
  });

  it('HEAD /healthz is served like GET without a body', async () => {
    ({ app } = testApp());
    const response = await app.inject({ method: 'HEAD', url: '/healthz' });
    expect(response.statusCode).toBe(200);
    expect(response.body).toBe('');
  });
});
