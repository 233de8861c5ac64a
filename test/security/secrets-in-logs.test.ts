/**
 * No secrets in logs (issue 8, security): two built adapters in cluster mode at --v=10 (every query and every
 * Prometheus response body logged), holding every kind of credential, are driven through the logged failure
 * paths: rejected tokens, forbidden users, a front-proxy certificate whose CN is not allowed, identity headers
 * without a certificate, Prometheus answering 401/403/500/HTML, hanging and refusing, the kube API refusing and
 * hanging; and the adapter is started with malformed credentials. Every log line is scanned as it is printed
 * (test/support/secret-scan.ts).
 *
 * Credentials held: the kube API token (kubeconfig); the user tokens; the serving key; the front-proxy and
 * client-CA client certificates; for Prometheus, A a token file and a client certificate and key, B basic auth in
 * the URL and other basic auth plus a client certificate and key in `--prometheus-auth-config`.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  startAdapterProcess,
  waitUntilReady,
  type AdapterProcess,
} from '../../src/cli/demo/adapter-process.js';
import { spawnManaged } from '../../src/cli/demo/child.js';
import { startPrometheus } from '../../src/cli/demo/prometheus-process.js';
import { UNAVAILABLE_RETRY_MS } from '../../src/kube/auth-cache.js';
import { loadServingCert } from '../../src/server/serving-cert.js';
import { ADAPTER_ENTRY, QUEUE_WORKER_RULES } from '../support/adapter.js';
import { countLines } from '../support/fault-checks.js';
import {
  startFaultProxy,
  startTcpFaultProxy,
  type FaultMode,
  type FaultProxy,
} from '../support/fault-proxy.js';
import type { TcpFaultProxy } from '../support/fault-proxy.js';
import { startFakeKubeApi } from '../support/fake-kube-api.js';
import { addFakeAuth } from '../support/fake-kube-auth.js';
import { makeCa, makeLeaf, type TestCert } from '../support/pki.js';
import { POD, queueWorkerOpenMetrics } from '../support/queue-worker-data.js';
import { startRecordingProxy, type RecordingProxy } from '../support/recording-proxy.js';
import { expectNoLeaks, scanLogs, type LogScan, type SecretsToFind } from '../support/secret-scan.js';
import { waitFor } from '../support/wait.js';

const BASE = '/apis/custom.metrics.k8s.io/v1beta2/namespaces/default/pods';
const SELECTED = `${BASE}/*/counter_qps?labelSelector=app%3Dexample`;
const HPA = 'system:serviceaccount:kube-system:horizontal-pod-autoscaler';
const secret = () => randomBytes(24).toString('base64url');
const TOKEN = { hpa: secret(), nobody: secret(), bad: secret(), late: [secret(), secret(), secret()] };
const PROM = { token: secret(), urlPassword: secret(), authPassword: secret() };
const basic = (user: string, password: string) => Buffer.from(`${user}:${password}`).toString('base64');

interface Get {
  token?: string;
  cert?: TestCert;
  headers?: Record<string, string>;
}
/** GET over HTTPS with an optional bearer token, client certificate and headers; resolves with the status. */
function get(url: string, { token, cert, headers }: Get = {}): Promise<number> {
  const options = {
    headers: { ...headers, ...(token === undefined ? {} : { authorization: `Bearer ${token}` }) },
    ...(cert === undefined ? {} : { cert: cert.cert, key: cert.key }),
    rejectUnauthorized: false,
    agent: false,
    timeout: 30_000,
  };
  return new Promise((resolve, reject) => {
    const req = request(url, options, (res) => res.resume().on('end', () => resolve(res.statusCode ?? 0)));
    req.on('timeout', () => req.destroy(new Error(`GET ${url}: no answer within 30 s`)));
    req.on('error', reject);
    req.end();
  });
}

const dir = mkdtempSync(join(tmpdir(), 'pma-secrets-'));
const file = (name: string, text: string) => {
  writeFileSync(join(dir, name), text, { mode: 0o600 });
  return join(dir, name);
};
const cleanups: Array<() => Promise<unknown>> = [];
let adapters: Array<{ name: string; adapter: AdapterProcess; scan: LogScan }>;
let promFaults: FaultProxy;
let kubeFaults: TcpFaultProxy;
let recorder: RecordingProxy;
let find: Required<SecretsToFind>;
let pki: Record<'proxyClient' | 'rogueProxy' | 'clientUser', TestCert>;

beforeAll(async () => {
  const api = await startFakeKubeApi();
  cleanups.push(() => api.stop());
  const frontProxyCa = await makeCa('front-proxy-ca');
  const clientCa = await makeCa('kubernetes');
  pki = {
    proxyClient: await makeLeaf('front-proxy-client', frontProxyCa),
    rogueProxy: await makeLeaf('rogue-proxy', frontProxyCa),
    clientUser: await makeLeaf('carol', clientCa),
  };
  const promClient = await makeLeaf('adapter', await makeCa('prometheus-ca'));
  const user = (username: string) => ({ username, groups: ['system:serviceaccounts'] });
  addFakeAuth(api, {
    requestheaderCa: frontProxyCa.cert,
    clientCa: clientCa.cert,
    tokens: Object.fromEntries(
      [TOKEN.nobody, TOKEN.hpa, ...TOKEN.late].map((t, i) => [t, user(i ? HPA : 'nobody')]),
    ),
    allow: (spec) => spec.nonResourceAttributes !== undefined || spec.user === HPA,
  });
  for (const name of [POD.a, POD.b]) api.addPod({ namespace: 'default', name, labels: { app: 'example' } });
  kubeFaults = await startTcpFaultProxy(api.url);
  cleanups.push(() => kubeFaults.stop());
  const kubeconfig = readFileSync(api.kubeconfigPath, 'utf8').replace(
    api.url,
    `https://127.0.0.1:${kubeFaults.port}`,
  );

  const prometheus = await startPrometheus({ dir: join(dir, 'prom'), backfill: queueWorkerOpenMetrics() });
  cleanups.push(() => prometheus.stop());
  // NB: the recorder sees what passes the fault proxy, with the Authorization header.
  recorder = await startRecordingProxy(prometheus.url);
  cleanups.push(() => recorder.stop());
  promFaults = await startFaultProxy(recorder.url);
  cleanups.push(() => promFaults.stop());

  const certDir = join(dir, 'cert');
  const serving = await loadServingCert({ certDir });
  const b64 = (text: string) => Buffer.from(text).toString('base64');
  const authConfig = [
    'current-context: p',
    'contexts: [{name: p, context: {cluster: p, user: p}}]',
    'clusters: [{name: p, cluster: {server: "http://ignored"}}]',
    `users: [{name: p, user: {username: auth-user, password: "${PROM.authPassword}",`,
    `  client-certificate-data: ${b64(promClient.cert)}, client-key-data: ${b64(promClient.key)}}}]`,
  ].join('\n');
  const common = [
    `--config=${QUEUE_WORKER_RULES}`,
    `--lister-kubeconfig=${file('kubeconfig.json', kubeconfig)}`,
    '--bind-address=127.0.0.1',
    '--secure-port=0',
    `--cert-dir=${certDir}`,
    '--prometheus-timeout=1s',
    '--metrics-relist-interval=1s',
    '--v=10',
  ];
  const urlWithPassword = promFaults.url.replace('//', `//url-user:${PROM.urlPassword}@`);
  const flags = {
    A: [
      `--prometheus-url=${promFaults.url}`,
      `--prometheus-token-file=${file('prom-token', `${PROM.token}\n`)}`,
      `--prometheus-client-tls-cert-file=${file('prom-client.crt', promClient.cert)}`,
      `--prometheus-client-tls-key-file=${file('prom-client.key', promClient.key)}`,
    ],
    B: [
      `--prometheus-url=${urlWithPassword}`,
      `--prometheus-auth-config=${file('prom-auth.yaml', authConfig)}`,
    ],
  };
  find = {
    secrets: [
      ...[api.token, TOKEN.hpa, TOKEN.nobody, TOKEN.bad, ...TOKEN.late],
      ...[PROM.token, PROM.urlPassword, PROM.authPassword],
      ...[basic('url-user', PROM.urlPassword), basic('auth-user', PROM.authPassword)],
    ],
    pems: [
      serving.key,
      ...Object.values(pki).flatMap((c) => [c.key, c.cert]),
      promClient.key,
      promClient.cert,
    ],
  };
  adapters = await Promise.all(
    Object.entries(flags).map(async ([name, own]) => {
      let scan: LogScan | undefined;
      const adapter = await startAdapterProcess(ADAPTER_ENTRY, [...common, ...own], {
        onSpawn: (child) => (scan = scanLogs(child, find)),
      });
      cleanups.push(() => adapter.child.stop());
      await waitUntilReady(adapter.url);
      return { name, adapter, scan: scan as LogScan };
    }),
  );
}, 60_000);

afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

/** GETs `path` from every adapter, expecting `status`. */
const getAll = (path: string, opts: Get, status: number) => () =>
  Promise.all(
    adapters.map(async ({ adapter }) => expect(await get(`${adapter.url}${path}`, opts)).toBe(status)),
  );

/** Runs `action`, then waits until every adapter has printed a line with all of `texts`. */
async function expectLogged(action: () => Promise<unknown>, ...texts: string[]): Promise<void> {
  const counts = adapters.map((a) => countLines(a.adapter.child, ...texts));
  await action();
  const logged = () => (counts.every((count) => count() > 0) ? true : undefined);
  await waitFor(`both adapters to log ${JSON.stringify(texts)}`, logged, 15_000);
}

it("the scanner flags each of this test's credentials in a real child's output, and only those", async () => {
  const lines = [
    { msg: 'bearer token not authenticated by TokenReview', user: HPA },
    { token: find.secrets[0] },
    { err: { headers: { Authorization: `Bearer ${TOKEN.bad}` } } },
    { url: `http://url-user:${encodeURIComponent(PROM.urlPassword)}@host` },
    { key: pki.clientUser.key.replace(/-----(BEGIN|END)[^\n]*\n?/g, '') },
    { agent: { key: Buffer.from(pki.proxyClient.key) } },
    { cert: pki.rogueProxy.x509.raw.toString('base64') },
  ].map((line) => JSON.stringify(line));
  const child = await spawnManaged(process.execPath, [
    '-e',
    `console.log(${JSON.stringify(lines.join('\n'))})`,
  ]);
  const scan = scanLogs(child, find);
  await child.exited;
  expect(scan.lines()).toBe(lines.length);
  expect(scan.leaks().map((l) => l.slice(0, l.indexOf(':')))).toEqual([
    'secret #0',
    'secret #3, Bearer credential',
    'secret #8',
    'body of PEM #5',
    'PEM armour, body of PEM #1',
    'body of PEM #4',
  ]);
  for (const s of find.secrets) expect(scan.leaks().join('\n')).not.toContain(s);
});

it('startup errors about a malformed kubeconfig, --prometheus-url or --prometheus-header print no credential', async () => {
  const malformed = file(
    'malformed.yaml',
    `users:\n- user:\n    token: ${TOKEN.hpa}: x\n    password: ${PROM.authPassword}\n`,
  );
  const runs = [
    [`--lister-kubeconfig=${malformed}`, '--prometheus-url=http://127.0.0.1:1'],
    ['--standalone', `--prometheus-auth-config=${malformed}`, '--prometheus-url=http://127.0.0.1:1'],
    ['--standalone', `--prometheus-url=ftp://url-user:${PROM.urlPassword}@127.0.0.1:1`],
    [
      '--standalone',
      '--prometheus-url=http://127.0.0.1:1',
      `--prometheus-header=Authorization: Bearer ${PROM.token}`,
    ],
  ];
  await Promise.all(
    runs.map(async (args) => {
      const child = await spawnManaged(process.execPath, [
        ADAPTER_ENTRY,
        `--config=${QUEUE_WORKER_RULES}`,
        ...args,
      ]);
      const scan = scanLogs(child, find);
      expect((await child.exited).code).toBe(2);
      expect(child.logs()).toMatch(/^error: (cannot load|--prometheus-auth-config|invalid --prometheus)/);
      expectNoLeaks(scan);
    }),
  );
});

describe('adapters at --v=10 holding credentials', () => {
  it('log the authentication paths: good, bad and forbidden tokens, a rogue front proxy, bare identity headers', async () => {
    const remote = { 'x-remote-user': HPA, 'x-remote-group': 'system:masters' };
    await getAll(SELECTED, { token: TOKEN.hpa }, 200)();
    await getAll(SELECTED, { token: TOKEN.nobody }, 403)();
    await getAll(SELECTED, { cert: pki.proxyClient, headers: remote }, 200)();
    await getAll(SELECTED, { cert: pki.clientUser }, 403)();
    await getAll(SELECTED, { headers: remote }, 401)();
    await expectLogged(getAll(SELECTED, { token: TOKEN.bad }, 401), 'not authenticated by TokenReview');
    await expectLogged(
      getAll(SELECTED, { cert: pki.rogueProxy, headers: remote }, 401),
      '"level":40',
      'front-proxy certificate has a common name that is not allowed',
      'rogue-proxy',
    );
  });

  /** The fault, what the relists' and the queries' error lines say about it, and the answer to a query. */
  const faults: Array<[string, FaultMode, string, string, number]> = [
    ['401', { kind: 'status', code: 401 }, 'HTTP 401', 'HTTP 401', 503],
    ['403', { kind: 'status', code: 403 }, 'HTTP 403', 'HTTP 403', 503],
    ['500', { kind: 'status', code: 500 }, 'HTTP 500', 'HTTP 500', 503],
    ['an HTML page', { kind: 'html' }, 'the answer is not JSON', 'not a Prometheus API response', 500],
    ['a hang', { kind: 'hang' }, 'no answer within 1000ms', 'no answer within 1000ms', 503],
    ['refused connections', { kind: 'refuse' }, 'ECONNREFUSED', 'ECONNREFUSED', 503],
  ];
  it.each(faults)(
    'log Prometheus answering %s on relists and queries',
    async (_, mode, relist, query, status) => {
      try {
        await expectLogged(() => promFaults.setMode(mode), 'relist failed for a seriesQuery', relist);
        await expectLogged(
          getAll(`${BASE}/${POD.a}/counter_qps`, { token: TOKEN.hpa }, status),
          'counter_qps',
          query,
        );
      } finally {
        await promFaults.setMode({ kind: 'pass' });
      }
    },
  );

  it('sent the Prometheus credentials they hold (so the scan is not of adapters without them)', () => {
    const sent = new Set(recorder.requests().map((r) => r.headers.authorization));
    expect(sent).toEqual(new Set([`Bearer ${PROM.token}`, `Basic ${basic('auth-user', PROM.authPassword)}`]));
  });

  it('log the kube API refusing and hanging with the TokenReview and SubjectAccessReview errors', async () => {
    const [first, second, third] = TOKEN.late as [string, string, string];
    await getAll(`${BASE}/${POD.a}/counter_qps`, { token: first }, 200)();
    try {
      await kubeFaults.setMode({ kind: 'refuse' });
      // The token's review is cached; the new path needs a new SubjectAccessReview.
      const sar = getAll(`${BASE}/${POD.b}/counter_qps`, { token: first }, 503);
      await expectLogged(sar, 'SubjectAccessReview failed', 'ECONNREFUSED');
      const tokenReview = getAll(`${BASE}/${POD.a}/counter_qps`, { token: second }, 503);
      await expectLogged(tokenReview, 'TokenReview failed', 'ECONNREFUSED');
      await kubeFaults.setMode({ kind: 'hang' });
      // NB: the API known to be down, a new token fails at once unless its review is the once-a-second probe.
      await new Promise((r) => setTimeout(r, UNAVAILABLE_RETRY_MS + 200));
      // NB: the request's deadline (--prometheus-timeout + 5 s) comes before the kube client's 10 s.
      const hung = getAll(`${BASE}/${POD.a}/counter_qps`, { token: third }, 504);
      await expectLogged(hung, 'TokenReview failed', 'timed out after 10000 ms');
    } finally {
      await kubeFaults.setMode({ kind: 'pass' });
    }
  }, 40_000);

  it('printed many lines, and none with a credential', () => {
    for (const { scan } of adapters) {
      expect(scan.lines()).toBeGreaterThan(50);
      expectNoLeaks(scan);
    }
  });
});
