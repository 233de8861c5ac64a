import { afterEach, describe, expect, it } from '@jest/globals';
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { StatusError } from '../../../src/api/status.js';
import {
  clientErrorStatus,
  rawStatusResponse,
  reasonForCode,
  toStatusError,
} from '../../../src/server/errors.js';
import { statusBody, testApp } from './fake-provider.js';

const NOT_FOUND = statusBody(404, 'NotFound', 'the server could not find the requested resource');
const METRIC_PATH = '/apis/custom.metrics.k8s.io/v1beta2/namespaces/default/pods/worker-1/counter_qps';

let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

function start(): FastifyInstance {
  ({ app } = testApp());
  return app;
}

/** Sends raw bytes to a listening app and returns everything it answers before closing. */
async function rawExchange(server: FastifyInstance, payload: string): Promise<string> {
  await server.listen({ host: '127.0.0.1', port: 0 });
  const { port } = server.server.address() as AddressInfo;
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(payload));
    let answer = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (answer += chunk));
    socket.on('close', () => resolve(answer));
    socket.on('error', reject);
  });
}

function bodyOf(rawResponse: string): string {
  return rawResponse.slice(rawResponse.indexOf('\r\n\r\n') + 4);
}

describe('errors are metav1.Status bodies (SPEC 5.5)', () => {
  it.each([
    ['/'],
    ['/apis/unknown.example.com'],
    ['/apis/custom.metrics.k8s.io/v1'],
    ['/apis/custom.metrics.k8s.io/v1/namespaces/default/pods/worker-1/counter_qps'],
    ['/apis/custom.metrics.k8s.io/v1beta2/namespaces/default/pods/worker-1/counter_qps/extra'],
    ['/api/v1'],
  ])('an unknown path (%s) answers 404 NotFound', async (url) => {
    const response = await start().inject(url);
    expect(response.statusCode).toBe(404);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    expect(response.body).toBe(NOT_FOUND);
  });

  it.each([
    ['POST', METRIC_PATH],
    ['PUT', '/apis'],
    ['DELETE', '/apis/custom.metrics.k8s.io'],
    ['PATCH', '/apis/custom.metrics.k8s.io/v1beta1'],
    ['OPTIONS', '/apis/custom.metrics.k8s.io/v1beta1/nodes/*/node_load'],
    ['POST', '/apis/custom.metrics.k8s.io/v1beta2/namespaces/default/metrics/queue_length'],
    ['POST', '/healthz'],
    ['DELETE', '/readyz'],
  ] as Array<['POST' | 'PUT' | 'DELETE' | 'PATCH' | 'OPTIONS', string]>)(
    '%s %s answers 405 MethodNotAllowed with Allow: GET, HEAD',
    async (method, url) => {
      const response = await start().inject({ method, url });
      expect(response.statusCode).toBe(405);
      expect(response.headers.allow).toBe('GET, HEAD');
      expect(response.body).toBe(
        statusBody(
          405,
          'MethodNotAllowed',
          'the server does not allow this method on the requested resource',
        ),
      );
    },
  );

  it('answers 405 before reading a body, so bad JSON cannot turn it into 400', async () => {
    const response = await start().inject({
      method: 'POST',
      url: '/apis',
      headers: { 'content-type': 'application/json' },
      payload: '{not json',
    });
    expect(response.statusCode).toBe(405);
  });

  it('a path with broken percent-encoding answers 400 BadRequest', async () => {
    const response = await start().inject('/apis/custom.metrics.k8s.io/v1beta2/nodes/%zz/node_load');
    expect(response.statusCode).toBe(400);
    expect(JSON.parse(response.body)).toMatchObject({ kind: 'Status', reason: 'BadRequest', code: 400 });
  });

  it('a path segment longer than the router accepts answers 414 with a Status body', async () => {
    const response = await start().inject(`/apis/custom.metrics.k8s.io/v1beta2/nodes/n/${'m'.repeat(5000)}`);
    expect(response.statusCode).toBe(414);
    expect(JSON.parse(response.body)).toMatchObject({ kind: 'Status', status: 'Failure', code: 414 });
  });

  it('a metric name longer than fastify default (100) is still routed', async () => {
    const response = await start().inject(`/apis/custom.metrics.k8s.io/v1beta2/nodes/n/${'m'.repeat(300)}`);
    expect(response.statusCode).toBe(200);
  });

  it('request headers over the size limit answer 431 with a Status body (Node parser error)', async () => {
    const answer = await rawExchange(
      start(),
      `GET /apis HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
    );
    expect(answer.startsWith('HTTP/1.1 431 ')).toBe(true);
    expect(bodyOf(answer)).toBe(
      statusBody(431, 'BadRequest', 'the request line and headers are larger than the server accepts'),
    );
  });

  it('garbage instead of HTTP answers 400 with a Status body', async () => {
    const answer = await rawExchange(start(), 'NOT HTTP AT ALL\r\n\r\n');
    expect(answer.startsWith('HTTP/1.1 400 ')).toBe(true);
    expect(bodyOf(answer)).toBe(statusBody(400, 'BadRequest', 'the request is not valid HTTP'));
  });
});

describe('toStatusError', () => {
  it('keeps a StatusError as it is', () => {
    const error = new StatusError(404, 'NotFound', 'gone');
    expect(toStatusError(error)).toBe(error);
  });

  it('maps a fastify client error to its code and message, keeping it as the cause', () => {
    const error = Object.assign(new Error('Unsupported Media Type: text/xml'), {
      statusCode: 415,
      code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE',
    });
    const status = toStatusError(error);
    expect(status.toBody()).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'Unsupported Media Type: text/xml',
      reason: 'BadRequest',
      code: 415,
    });
    expect(status.cause).toBe(error);
  });

  it.each([
    new Error('boom with secrets'),
    'a string',
    undefined,
    Object.assign(new Error('x'), { statusCode: 503 }),
  ])('maps anything else (%p) to 500 with the generic message and the original as cause', (error) => {
    const status = toStatusError(error);
    expect(status.code).toBe(500);
    expect(status.reason).toBe('InternalError');
    expect(status.message).toBe('Internal error occurred: see the adapter log');
    expect(status.cause).toBe(error);
  });

  it.each([
    [400, 'BadRequest'],
    [401, 'Unauthorized'],
    [403, 'Forbidden'],
    [404, 'NotFound'],
    [405, 'MethodNotAllowed'],
    [406, 'NotAcceptable'],
    [408, 'Timeout'],
    [413, 'RequestEntityTooLarge'],
    [414, 'BadRequest'],
    [500, 'InternalError'],
    [502, 'InternalError'],
    [503, 'ServiceUnavailable'],
    [504, 'Timeout'],
  ])('reasonForCode(%d) is %s', (code, reason) => {
    expect(reasonForCode(code)).toBe(reason);
  });
});

describe('clientErrorStatus: Node parser errors become Status answers', () => {
  it.each([
    ['ERR_HTTP_REQUEST_TIMEOUT', 408, 'Timeout', 'the request was not received in time'],
    [
      'HPE_HEADER_OVERFLOW',
      431,
      'BadRequest',
      'the request line and headers are larger than the server accepts',
    ],
    ['HPE_INVALID_METHOD', 400, 'BadRequest', 'the request is not valid HTTP'],
  ])('%s → %d %s', (code, status, reason, message) => {
    const error = Object.assign(new Error(code), { code });
    const result = clientErrorStatus(error);
    expect([result.code, result.reason, result.message]).toEqual([status, reason, message]);
    expect(result.cause).toBe(error);
  });

  it('rawStatusResponse writes a complete HTTP/1.1 response that closes the connection', () => {
    const status = new StatusError(408, 'Timeout', 'the request was not received in time');
    const body = statusBody(408, 'Timeout', 'the request was not received in time');
    expect(rawStatusResponse(status)).toBe(
      'HTTP/1.1 408 Request Timeout\r\nContent-Type: application/json; charset=utf-8\r\n' +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  });
});
