/**
 * Authentication and authorization under load (issue 8, "Security"): the cluster suite's cases, sent at the same time
 * by many concurrent keep-alive clients to the built adapter in cluster mode (fake kube API replaying recorded
 * reviews, real Prometheus, the aggregator front). Every answer must be the one its credentials deserve (never a
 * cached decision of another identity), and the TokenReview/SubjectAccessReview caches must hold under concurrency.
 * Then the Kubernetes API goes away under the same load: everyone answered before keeps the same answer, past the
 * review cache TTL too, and a newcomer gets a 503 at once. Sized by LOAD: LOAD=full (`npm run load`) 200 clients
 * for 60 s, then 30 s without the API; otherwise 40 clients for 8 s, then 12 s.
 */
import { Agent, request } from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DEFAULT_KUBE_TIMEOUT_MS } from '../../src/kube/kube-client.js';
import { QUEUE_WORKER_RULES } from '../support/adapter.js';
import { startClusterHarness, type ClusterHarness } from '../support/cluster-harness.js';
import { kubectlGetRaw } from '../support/kubectl.js';
import { makeCa, makeLeaf, type TestCert } from '../support/pki.js';
import { POD, queueWorkerOpenMetrics } from '../support/queue-worker-data.js';
import { percentile } from '../bench/stats.js';
import { expectNoLeaks, scanLogs, type LogScan } from '../support/secret-scan.js';

const MODE = process.env.LOAD === 'full' ? 'full' : 'quick';
const SIZE = {
  quick: { clients: 40, durationMs: 8000, outageMs: 12_000 },
  full: { clients: 200, durationMs: 60_000, outageMs: 30_000 },
}[MODE];
/** The adapter's review caches: TokenReview and SubjectAccessReview answers live 10 s (upstream's defaults). */
const REVIEW_TTL_MS = 10_000;

const HPA = {
  username: 'system:serviceaccount:kube-system:horizontal-pod-autoscaler',
  groups: ['system:serviceaccounts', 'system:serviceaccounts:kube-system', 'system:authenticated'],
};
const BOB = { username: 'bob', groups: ['system:authenticated'] };
const BASE = '/apis/custom.metrics.k8s.io/v1beta2';
const SELECTED = `${BASE}/namespaces/default/pods/*/counter_qps?labelSelector=${encodeURIComponent('app=example')}`;
const EXPECTED_VALUES = { [POD.a]: '3500m', [POD.b]: '80500m' };
const denied = (user: string) =>
  `pods.custom.metrics.k8s.io "*" is forbidden: User "${user}" cannot get resource "pods/counter_qps" in API group "custom.metrics.k8s.io" in the namespace "default"`;

interface Answer {
  status: number;
  body: unknown;
}

/** One kind of caller: where it sends, with which credentials, and the only answer it may get. */
interface Caller {
  name: string;
  url: string;
  /** A keep-alive agent (with the caller's certificate, if any), or a certificate to present on a new connection per request. */
  via: Agent | { freshConnectionWith: TestCert };
  headers: Record<string, string | string[]>;
  /** A description of what is wrong with `answer`, or undefined when it is the deserved one. */
  check(answer: Answer): string | undefined;
}

async function get(caller: Caller): Promise<Answer> {
  if (caller.via instanceof Agent) return getVia(caller.via, caller);
  const { cert, key } = caller.via.freshConnectionWith;
  const agent = new Agent({ keepAlive: false, rejectUnauthorized: false, cert, key });
  return getVia(agent, caller).finally(() => agent.destroy());
}

function getVia(agent: Agent, caller: Caller): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      caller.url,
      {
        headers: { accept: 'application/json', ...caller.headers },
        rejectUnauthorized: false,
        signal: AbortSignal.timeout(20_000),
        agent,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: unknown;
          try {
            body = JSON.parse(text);
          } catch {
            body = text;
          }
          resolve({ status: res.statusCode ?? 0, body });
        });
      },
    );
    req.on('error', reject);
    req.end();
  });
}

const valuesOf = (body: unknown) =>
  Object.fromEntries(
    ((body as { items?: Array<{ describedObject: { name: string }; value: string }> }).items ?? []).map(
      (i) => [i.describedObject.name, i.value],
    ),
  );

const expectMetrics = (answer: Answer) =>
  answer.status === 200 && JSON.stringify(valuesOf(answer.body)) === JSON.stringify(EXPECTED_VALUES)
    ? undefined
    : `expected 200 with ${JSON.stringify(EXPECTED_VALUES)}`;
const expectStatus = (code: number, message: string | RegExp) => (answer: Answer) => {
  const body = answer.body as { kind?: string; code?: number; message?: string };
  const ok =
    answer.status === code &&
    body.kind === 'Status' &&
    body.code === code &&
    (typeof message === 'string' ? body.message === message : message.test(body.message ?? ''));
  return ok ? undefined : `expected a ${code} Status with message ${String(message)}`;
};
const unauthorized = expectStatus(401, 'Unauthorized');

let cluster: ClusterHarness;
let scan: LogScan;
/** Reviews the adapter logged as failed (one line per failed TokenReview or SubjectAccessReview call). */
let failedReviews = 0;
const agents: Agent[] = [];
let callers: Caller[];
/** A bearer token the adapter has never seen (for the outage). */
let newcomer: Caller;

beforeAll(async () => {
  cluster = await startClusterHarness({
    rulesFile: QUEUE_WORKER_RULES,
    backfill: queueWorkerOpenMetrics(),
    users: { 'hpa-token': HPA, 'bob-token': BOB },
    onAdapterSpawn: (child, pki) => {
      child.onLine((line) => {
        if (/"msg":"(TokenReview|SubjectAccessReview) failed"/.test(line)) failedReviews++;
      });
      scan = scanLogs(child, {
        secrets: ['hpa-token', 'bob-token', 'stolen-token'],
        pems: [pki.proxyClient.key, pki.proxyClient.cert, pki.frontProxyCa.key, pki.clientCa.key],
      });
    },
    // Like RBAC: discovery for every authenticated user, custom metrics for the HPA only.
    allow: (spec) =>
      (spec.nonResourceAttributes !== undefined && (spec.groups ?? []).includes('system:authenticated')) ||
      (spec.user === HPA.username && spec.resourceAttributes?.group === 'custom.metrics.k8s.io'),
    prepare: (api) => {
      for (const name of [POD.a, POD.b])
        api.addPod({ namespace: 'default', name, labels: { app: 'example' } });
      api.addPod({ namespace: 'default', name: POD.c, labels: { app: 'other' } });
    },
  });
  const { pki, front, adapter } = cluster;
  const otherCa = await makeCa('front-proxy-ca');
  const certs = {
    proxy: pki.proxyClient,
    otherCaProxy: await makeLeaf('front-proxy-client', otherCa),
    notAllowedName: await makeLeaf('not-the-front-proxy', pki.frontProxyCa),
    expiredProxy: await makeLeaf('front-proxy-client', pki.frontProxyCa, {
      notBefore: new Date(Date.now() - 48 * 3600_000),
      notAfter: new Date(Date.now() - 24 * 3600_000),
    }),
    hpaClient: await makeLeaf(HPA.username, pki.clientCa, { organizations: ['system:serviceaccounts'] }),
    mallory: await makeLeaf('mallory', pki.clientCa),
    masterClient: await makeLeaf('root', pki.clientCa, { organizations: ['system:masters'] }),
  };
  const agent = (cert?: TestCert) => {
    const a = new Agent({
      keepAlive: true,
      maxSockets: 16,
      rejectUnauthorized: false,
      ...(cert === undefined ? {} : { cert: cert.cert, key: cert.key }),
    });
    agents.push(a);
    return a;
  };
  const masquerade = { 'x-remote-user': 'admin', 'x-remote-group': ['system:masters'] };
  const asHpa = { 'x-remote-user': HPA.username, 'x-remote-group': HPA.groups };
  const asBob = { 'x-remote-user': BOB.username, 'x-remote-group': BOB.groups };
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
  const frontAgent = agent();
  const at = (base: string, path = SELECTED) => `${base}${path}`;
  callers = [
    {
      name: 'kubectl path: front, HPA token',
      url: at(front.url),
      via: frontAgent,
      headers: bearer('hpa-token'),
      check: expectMetrics,
    },
    {
      name: 'front, HPA token, discovery',
      url: at(front.url, BASE),
      via: frontAgent,
      headers: bearer('hpa-token'),
      check: (a) =>
        a.status === 200 && (a.body as { kind?: string }).kind === 'APIResourceList'
          ? undefined
          : 'expected 200 APIResourceList',
    },
    {
      name: 'front, bob token (denied by review)',
      url: at(front.url),
      via: frontAgent,
      headers: bearer('bob-token'),
      check: expectStatus(403, denied('bob')),
    },
    {
      name: 'front-proxy cert, HPA headers',
      url: at(adapter.url),
      via: agent(certs.proxy),
      headers: asHpa,
      check: expectMetrics,
    },
    {
      name: 'front-proxy cert, bob headers',
      url: at(adapter.url),
      via: agent(certs.proxy),
      headers: asBob,
      check: expectStatus(403, denied('bob')),
    },
    {
      name: 'identity headers without a certificate',
      url: at(adapter.url),
      via: agent(),
      headers: masquerade,
      check: unauthorized,
    },
    {
      name: 'front-proxy-shaped cert from another CA, new connection each time',
      url: at(adapter.url),
      via: { freshConnectionWith: certs.otherCaProxy },
      headers: masquerade,
      check: unauthorized,
    },
    {
      name: 'front-proxy CA cert with a CN not allowed',
      url: at(adapter.url),
      via: agent(certs.notAllowedName),
      headers: masquerade,
      check: unauthorized,
    },
    {
      name: 'expired front-proxy cert',
      url: at(adapter.url),
      via: agent(certs.expiredProxy),
      headers: masquerade,
      check: unauthorized,
    },
    {
      name: 'client-CA cert of the HPA user',
      url: at(adapter.url),
      via: agent(certs.hpaClient),
      headers: {},
      check: expectMetrics,
    },
    {
      name: 'client-CA cert of mallory, with HPA identity headers',
      url: at(adapter.url),
      via: agent(certs.mallory),
      headers: asHpa,
      check: expectStatus(403, denied('mallory')),
    },
    {
      name: 'client-CA cert in system:masters (no review)',
      url: at(adapter.url),
      via: agent(certs.masterClient),
      headers: {},
      check: expectMetrics,
    },
    {
      name: 'bearer token accepted by TokenReview',
      url: at(adapter.url),
      via: agent(),
      headers: bearer('hpa-token'),
      check: expectMetrics,
    },
    {
      name: 'bearer token rejected by TokenReview',
      url: at(adapter.url),
      via: agent(),
      headers: bearer('stolen-token'),
      check: unauthorized,
    },
    {
      name: 'bob token with system:masters headers',
      url: at(adapter.url),
      via: agent(),
      headers: { ...bearer('bob-token'), ...masquerade },
      check: expectStatus(403, denied('bob')),
    },
    { name: 'no credentials, metrics', url: at(adapter.url), via: agent(), headers: {}, check: unauthorized },
    {
      name: 'no credentials, /metrics',
      url: at(adapter.url, '/metrics'),
      via: agent(),
      headers: {},
      check: unauthorized,
    },
    {
      name: 'no credentials, /readyz',
      url: at(adapter.url, '/readyz'),
      via: agent(),
      headers: {},
      check: (a) => (a.status === 200 ? undefined : 'expected 200'),
    },
  ];
  newcomer = {
    name: 'a bearer token never seen before',
    url: at(adapter.url),
    via: agent(),
    headers: bearer('newcomer-token'),
    check: expectStatus(
      503,
      'cannot authenticate the request: the Kubernetes TokenReview API is unavailable',
    ),
  };
}, 90_000);

afterAll(async () => {
  for (const a of agents) a.destroy();
  await cluster?.stop();
});

interface Tally {
  sent: number;
  wrong: number;
  firstWrong?: string;
  latenciesMs: number[];
}

interface Run {
  rows: Array<{
    caller: string;
    sent: number;
    wrong: number;
    p50Ms: number;
    p99Ms: number;
    firstWrong?: string;
  }>;
  /** Every latency, ms. */
  all: number[];
  elapsedMs: number;
}

/** `clients` closed-loop clients, each going round `callers` from its own offset, for `durationMs`. */
async function runCallers(of: readonly Caller[], clients: number, durationMs: number): Promise<Run> {
  const tallies = new Map<string, Tally>(of.map((c) => [c.name, { sent: 0, wrong: 0, latenciesMs: [] }]));
  const started = performance.now();
  const deadline = started + durationMs;
  const send = async (caller: Caller, tally: Tally) => {
    tally.sent++;
    const t0 = performance.now();
    try {
      const answer = await get(caller);
      tally.latenciesMs.push(performance.now() - t0);
      const wrong = caller.check(answer);
      if (wrong !== undefined) {
        tally.wrong++;
        tally.firstWrong ??= `${wrong}, got ${answer.status} ${JSON.stringify(answer.body).slice(0, 300)}`;
      }
    } catch (e) {
      tally.wrong++;
      tally.firstWrong ??= `no answer: ${(e as Error).message}`;
    }
  };
  const client = async (index: number) => {
    for (let i = index; performance.now() < deadline; i++) {
      const caller = of[i % of.length]!;
      await send(caller, tallies.get(caller.name)!);
    }
  };
  await Promise.all(Array.from({ length: clients }, (_, i) => client(i)));
  const elapsedMs = performance.now() - started;
  const rows = [...tallies].map(([name, t]) => ({
    caller: name,
    sent: t.sent,
    wrong: t.wrong,
    p50Ms: Math.round(percentile(t.latenciesMs, 50)),
    p99Ms: Math.round(percentile(t.latenciesMs, 99)),
    ...(t.firstWrong === undefined ? {} : { firstWrong: t.firstWrong }),
  }));
  return { rows, all: [...tallies.values()].flatMap((t) => t.latenciesMs), elapsedMs };
}

const summary = (title: string, run: Run, extra: string) =>
  process.stdout.write(
    `${title}: ${run.all.length} answers in ${Math.round(run.elapsedMs)} ms from ${SIZE.clients} clients; ` +
      `p50 ${Math.round(percentile(run.all, 50))} ms, p99 ${Math.round(percentile(run.all, 99))} ms; ${extra}\n` +
      `${JSON.stringify(run.rows, null, 1)}\n`,
  );

describe(`authentication and authorization under load (${SIZE.clients} clients, ${SIZE.durationMs / 1000} s)`, () => {
  it(
    'answers every caller exactly what its credentials deserve, with the review caches holding',
    async () => {
      const reviewsBefore = cluster.auth.reviews.length;
      const tokenReviewsBefore = cluster.auth.tokenReviews;
      // NB: the real kubectl, through the front, in the middle of the load.
      const kubectlRuns = (async () => {
        await new Promise((r) => setTimeout(r, SIZE.durationMs / 3));
        return Promise.all([
          kubectlGetRaw(cluster.front.url, SELECTED, 'hpa-token'),
          kubectlGetRaw(cluster.front.url, SELECTED, 'bob-token'),
        ]);
      })();
      const { rows, elapsedMs, ...run } = await runCallers(callers, SIZE.clients, SIZE.durationMs);
      const [kubectlHpa, kubectlBob] = await kubectlRuns;
      const reviews = cluster.auth.reviews.slice(reviewsBefore);
      const tokenReviews = cluster.auth.tokenReviews - tokenReviewsBefore;
      summary(
        'auth under load',
        { rows, elapsedMs, ...run },
        `${reviews.length} SubjectAccessReviews, ${tokenReviews} TokenReviews`,
      );

      expect(rows.filter((r) => r.wrong > 0)).toEqual([]);
      for (const row of rows) expect(row.sent).toBeGreaterThan(0);
      expect(kubectlHpa.code).toBe(0);
      expect(valuesOf(JSON.parse(kubectlHpa.stdout))).toEqual(EXPECTED_VALUES);
      expect(kubectlBob.code).not.toBe(0);
      expect(kubectlBob.stderr).toContain(denied('bob').replace(/^.*is forbidden: /, ''));

      // Caches under concurrency: each distinct review is sent once per TTL (plus one), however many callers share it.
      const perTtl = Math.ceil(elapsedMs / REVIEW_TTL_MS) + 1;
      const distinct = new Map<string, number>();
      for (const spec of reviews)
        distinct.set(JSON.stringify(spec), (distinct.get(JSON.stringify(spec)) ?? 0) + 1);
      expect([...distinct].filter(([, n]) => n > perTtl)).toEqual([]);
      // NB: three tokens reach the adapter directly (hpa, bob, stolen); the front's callers come with certificates.
      expect(tokenReviews).toBeLessThanOrEqual(3 * perTtl);
      expect(cluster.adapter.child.hasExited()).toBe(false);
      // NB: the refused CN is logged (a warning per request); the tokens and certificates never are.
      expect(cluster.adapter.child.logs()).toContain(
        'front-proxy certificate has a common name that is not allowed',
      );
      expectNoLeaks(scan);
    },
    SIZE.durationMs + 60_000,
  );

  it(
    'with the Kubernetes API gone: everyone answered before keeps the same answer past the cache TTL; a newcomer 503s at once',
    async () => {
      await cluster.api.stop();
      const failedBefore = failedReviews;
      // NB: no kubectl here (its discovery reads /apis from the API); the front proxies the metrics group alone.
      const { rows, ...run } = await runCallers([...callers, newcomer], SIZE.clients, SIZE.outageMs);
      summary('auth under load, kube API gone', { rows, ...run }, `past the ${REVIEW_TTL_MS / 1000} s TTL`);
      expect(SIZE.outageMs).toBeGreaterThan(REVIEW_TTL_MS);
      expect(rows.filter((r) => r.wrong > 0)).toEqual([]);
      for (const row of rows) expect(row.sent).toBeGreaterThan(0);
      // A functional deadline: a refused connection fails the review at once, far within the 10 s kube timeout.
      expect(rows.find((r) => r.caller === newcomer.name)?.p99Ms).toBeLessThan(DEFAULT_KUBE_TIMEOUT_MS / 2);
      // Not hammered: about one probe per second per review cache (tokens, decisions), plus the first failures.
      const failed = failedReviews - failedBefore;
      process.stdout.write(`failed reviews during the outage: ${failed}\n`);
      expect(failed).toBeGreaterThan(0);
      expect(failed).toBeLessThanOrEqual(2 * (Math.ceil(run.elapsedMs / 1000) + 1) + 10);
      expect(cluster.adapter.child.hasExited()).toBe(false);
      expectNoLeaks(scan);
    },
    SIZE.outageMs + 60_000,
  );
});
