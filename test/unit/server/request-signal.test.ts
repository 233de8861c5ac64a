import { afterEach, describe, expect, it } from '@jest/globals';
import { get } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { StatusError } from '../../../src/api/status.js';
import { CLIENT_CLOSED_REQUEST, deadlineExceeded, untilAborted } from '../../../src/server/request-signal.js';
import { FakeProvider, sampleValue, statusBody, testApp } from './fake-provider.js';

const METRIC_PATH = '/apis/custom.metrics.k8s.io/v1beta2/namespaces/default/pods/worker-1/counter_qps';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

/** Resolves with the signal's reason once it aborts. */
function whenAborted(signal: AbortSignal): Promise<unknown> {
  return new Promise((resolve) =>
    signal.addEventListener('abort', () => resolve(signal.reason), { once: true }),
  );
}

describe('per-request AbortSignal', () => {
  it('aborts the provider signal at the deadline and answers 504 Timeout', async () => {
    const provider = new FakeProvider();
    let seen: unknown;
    provider.byName = async (request) => {
      seen = await whenAborted(request.signal);
      throw new Error('aborted by the signal');
    };
    ({ app } = testApp({ provider, requestTimeoutMs: 50 }));
    const response = await app.inject(METRIC_PATH);
    expect(response.statusCode).toBe(504);
    expect(response.body).toBe(statusBody(504, 'Timeout', 'the request did not complete within 50ms'));
    expect(seen).toBeInstanceOf(StatusError);
    expect((seen as StatusError).code).toBe(504);
  });

  it('answers 504 at the deadline even when the provider ignores its signal', async () => {
    const provider = new FakeProvider();
    provider.bySelector = () => new Promise(() => undefined);
    ({ app } = testApp({ provider, requestTimeoutMs: 1000 }));
    const started = Date.now();
    const response = await app.inject('/apis/custom.metrics.k8s.io/v1beta1/nodes/*/node_load');
    expect(response.statusCode).toBe(504);
    expect(response.body).toBe(statusBody(504, 'Timeout', 'the request did not complete within 1s'));
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('does not abort the signal of a request that answered in time', async () => {
    const provider = new FakeProvider();
    let signal: AbortSignal | undefined;
    provider.byName = (request) => {
      signal = request.signal;
      return Promise.resolve(sampleValue(request));
    };
    ({ app } = testApp({ provider, requestTimeoutMs: 30 }));
    const response = await app.inject(METRIC_PATH);
    expect(response.statusCode).toBe(200);
    await sleep(80);
    expect(signal?.aborted).toBe(false);
  });

  it('aborts the provider signal when the client disconnects', async () => {
    const provider = new FakeProvider();
    let called!: () => void;
    const providerCalled = new Promise<void>((resolve) => (called = resolve));
    let reason: Promise<unknown> | undefined;
    provider.byName = (request) => {
      reason = whenAborted(request.signal);
      called();
      return new Promise(() => undefined);
    };
    ({ app } = testApp({ provider }));
    await app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = app.server.address() as AddressInfo;
    const client = get(`http://127.0.0.1:${port}${METRIC_PATH}`);
    client.on('error', () => undefined);
    await providerCalled;
    client.destroy();
    const aborted = (await reason) as StatusError;
    expect(aborted).toBeInstanceOf(StatusError);
    expect(aborted.code).toBe(CLIENT_CLOSED_REQUEST);
  });
});

describe('untilAborted', () => {
  it('settles like the work when the signal stays quiet', async () => {
    await expect(untilAborted(Promise.resolve(7), new AbortController().signal)).resolves.toBe(7);
    await expect(untilAborted(Promise.reject(new Error('no')), new AbortController().signal)).rejects.toThrow(
      'no',
    );
  });

  it('rejects with the abort reason at once, ignoring a later settlement', async () => {
    const controller = new AbortController();
    let fail!: (error: Error) => void;
    const work = new Promise<number>((_resolve, reject) => (fail = reject));
    const raced = untilAborted(work, controller.signal);
    const reason = deadlineExceeded(1500);
    controller.abort(reason);
    fail(new Error('late'));
    await expect(raced).rejects.toBe(reason);
    expect(reason.message).toBe('the request did not complete within 1500ms');
  });

  it('rejects with the reason of an already aborted signal', async () => {
    const controller = new AbortController();
    const reason = deadlineExceeded(1000);
    controller.abort(reason);
    await expect(untilAborted(Promise.reject(new Error('ignored')), controller.signal)).rejects.toBe(reason);
  });
});
