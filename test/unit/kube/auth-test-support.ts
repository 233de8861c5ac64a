/**
 * Test support for the authentication and authorization tests: real certificates (a front-proxy CA, a client CA,
 * an untrusted CA, an intermediate chain, expired and misused certificates), the recorded kube-apiserver bodies,
 * and an in-memory KubeClient that replays them.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KubeApiError, type KubeClient, type WatchEvent } from '../../../src/kube/contract.js';
import { makeCa, makeLeaf, type TestCert } from '../../support/pki.js';

export { makeCa, makeLeaf, type TestCert };

const DAY = 24 * 3600 * 1000;

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '../../fixtures/kube');

/** A recorded body, as text (byte-exact, with its trailing newline). */
export function fixtureText(relative: string): string {
  return readFileSync(join(FIXTURES, relative), 'utf8');
}

export function fixtureJson(relative: string): unknown {
  return JSON.parse(fixtureText(relative)) as unknown;
}

export const CONFIGMAP_FIXTURE = 'configmap/extension-apiserver-authentication.kubeadm-1.27.json';
export const TOKEN_REVIEW_FIXTURE = 'auth/tokenreview.v1.response.sa-bob.kind-2025-06.json';
export const SAR_REQUEST_BOB_FIXTURE = 'auth/subjectaccessreview.v1.request.sa-bob.kind-2025-06.json';
export const SAR_REQUEST_ALICE_FIXTURE = 'auth/subjectaccessreview.v1.request.oidc-alice.kind-2025-06.json';
export const SAR_RESPONSE_ALICE_FIXTURE =
  'auth/subjectaccessreview.v1.response.oidc-alice.allowed.kind-2025-06.json';

// ---------------------------------------------------------------------------------------------------------------
// Certificates

/** Every certificate the auth tests use, made once per test file. */
export interface TestPki {
  frontProxyCa: TestCert;
  /** CN front-proxy-client, from the front-proxy CA. */
  frontProxyClient: TestCert;
  /** From the front-proxy CA, with a CN that is not in the allowed names. */
  frontProxyOtherCn: TestCert;
  clientCa: TestCert;
  /** CN alice, O team-a and team-b, from the client CA. */
  alice: TestCert;
  /** CN root-admin, O system:masters, from the client CA. */
  admin: TestCert;
  /** A CA with the same name as the front-proxy CA but another key. */
  rogueCa: TestCert;
  /** CN front-proxy-client, from the rogue CA. */
  rogueClient: TestCert;
  /** CN front-proxy-client, from the front-proxy CA, expired yesterday. */
  expiredClient: TestCert;
  rootCa: TestCert;
  intermediateCa: TestCert;
  /** CN front-proxy-client, from the intermediate CA. */
  chainedClient: TestCert;
  /** From the front-proxy CA, for server authentication only. */
  serverOnly: TestCert;
  /** A non-CA certificate (from the front-proxy CA) that signed `signedByLeaf`. */
  notACa: TestCert;
  signedByLeaf: TestCert;
  /** A CA that expired yesterday, and a certificate it issued before. */
  expiredCa: TestCert;
  leafOfExpiredCa: TestCert;
  /** The serving certificate for 127.0.0.1. */
  server: TestCert;
}

let pki: Promise<TestPki> | undefined;

export function testPki(): Promise<TestPki> {
  pki ??= (async () => {
    const now = Date.now();
    const frontProxyCa = await makeCa('front-proxy-ca');
    const clientCa = await makeCa('kubernetes');
    const rogueCa = await makeCa('front-proxy-ca');
    const rootCa = await makeCa('root-ca');
    const intermediateCa = await makeCa('intermediate-ca', { issuer: rootCa });
    const notACa = await makeLeaf('not-a-ca', frontProxyCa);
    const expiredCa = await makeCa('expired-ca', {
      notBefore: new Date(now - 30 * DAY),
      notAfter: new Date(now - DAY),
    });
    return {
      frontProxyCa,
      frontProxyClient: await makeLeaf('front-proxy-client', frontProxyCa),
      frontProxyOtherCn: await makeLeaf('someone-else', frontProxyCa),
      clientCa,
      alice: await makeLeaf('alice', clientCa, { organizations: ['team-a', 'team-b'] }),
      admin: await makeLeaf('root-admin', clientCa, { organizations: ['system:masters'] }),
      rogueCa,
      rogueClient: await makeLeaf('front-proxy-client', rogueCa),
      expiredClient: await makeLeaf('front-proxy-client', frontProxyCa, {
        notBefore: new Date(now - 30 * DAY),
        notAfter: new Date(now - DAY),
      }),
      rootCa,
      intermediateCa,
      chainedClient: await makeLeaf('front-proxy-client', intermediateCa),
      serverOnly: await makeLeaf('front-proxy-client', frontProxyCa, { usage: 'server' }),
      notACa,
      signedByLeaf: await makeLeaf('front-proxy-client', notACa),
      expiredCa,
      leafOfExpiredCa: await makeLeaf('front-proxy-client', expiredCa, {
        notBefore: new Date(now - 20 * DAY),
        notAfter: new Date(now + DAY),
      }),
      server: await makeLeaf('localhost', await makeCa('serving-ca'), { usage: 'server' }),
    };
  })();
  return pki;
}

// ---------------------------------------------------------------------------------------------------------------
// A KubeClient that replays recorded bodies

export type FakeHandler = (body: unknown) => unknown;

/** Records every call; answers from per-path handlers (a handler that throws makes the call reject with it). */
export class FakeKubeClient implements KubeClient {
  readonly gets: string[] = [];
  readonly posts: Array<{ path: string; body: unknown }> = [];
  readonly getHandlers = new Map<string, () => unknown>();
  readonly postHandlers = new Map<string, FakeHandler>();
  /** When set, every POST waits for it before answering. */
  gate: Promise<void> | undefined;

  getJson(path: string): Promise<unknown> {
    this.gets.push(path);
    const handler = this.getHandlers.get(path);
    if (handler === undefined) {
      return Promise.reject(new KubeApiError('http', `GET ${path}: 404 Not Found`, 404));
    }
    return new Promise((resolve) => resolve(handler()));
  }

  async postJson(path: string, body: unknown): Promise<unknown> {
    // NB: a deep copy, as the wire would make it.
    this.posts.push({ path, body: JSON.parse(JSON.stringify(body)) as unknown });
    if (this.gate !== undefined) await this.gate;
    const handler = this.postHandlers.get(path);
    if (handler === undefined) throw new KubeApiError('http', `POST ${path}: 404 Not Found`, 404);
    return handler(body);
  }

  watch(_path: string, _query: Record<string, string>, _onEvent: (event: WatchEvent) => void): Promise<void> {
    return Promise.reject(new Error('not used by these tests'));
  }

  postsTo(path: string): unknown[] {
    return this.posts.filter((post) => post.path === path).map((post) => post.body);
  }
}

/** A logger that keeps every line, to assert on what is (and is not) logged. */
export class RecordingLogger {
  readonly lines: Array<{ level: string; obj: object; msg: string }> = [];
  debug = (obj: object, msg: string): void => void this.lines.push({ level: 'debug', obj, msg });
  info = (obj: object, msg: string): void => void this.lines.push({ level: 'info', obj, msg });
  warn = (obj: object, msg: string): void => void this.lines.push({ level: 'warn', obj, msg });
  error = (obj: object, msg: string): void => void this.lines.push({ level: 'error', obj, msg });

  text(): string {
    return JSON.stringify(this.lines, (_key, value: unknown) =>
      value instanceof Error ? { message: value.message, cause: String(value.cause) } : value,
    );
  }
}
