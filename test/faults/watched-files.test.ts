/**
 * Faults of the files the adapter watches (issue 8, "Faults survived"), against the built adapter and a real
 * Prometheus: the rules file replaced by garbage, emptied or half-written (hot reload keeps the last good rules),
 * and the serving certificate rotated with requests in flight.
 *
 * Covered elsewhere, not repeated: a valid rules change served within 2 s and an invalid one (a misspelt key)
 * rejected with its YAML path and counted on /metrics (test/e2e/operate.test.ts); a broken certificate keeping the
 * old one, and TLS options (test/e2e/serving-cert.test.ts).
 */
import { X509Certificate } from 'node:crypto';
import {
  closeSync,
  copyFileSync,
  mkdtempSync,
  openSync,
  readFileSync,
  renameSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { AdapterProcess } from '../../src/cli/demo/adapter-process.js';
import { startPrometheus, type PrometheusProcess } from '../../src/cli/demo/prometheus-process.js';
import { loadServingCert } from '../../src/server/serving-cert.js';
import { QUEUE_WORKER_RULES, startStandaloneAdapter } from '../support/adapter.js';
import { countLines, reportFault, timeToRecover } from '../support/fault-checks.js';
import { getJson } from '../support/https.js';
import { queueWorkerOpenMetrics } from '../support/queue-worker-data.js';
import { waitFor } from '../support/wait.js';

const BASE = '/apis/custom.metrics.k8s.io/v1beta2';
const metricPath = (metric: string) => `${BASE}/namespaces/default/pods/*/${metric}`;
const RULES = readFileSync(QUEUE_WORKER_RULES, 'utf8');
/** The same rules under other names, so that the version in service can be told apart. */
const renamed = (prefix: string) =>
  RULES.replaceAll('counter_${1}', `${prefix}_counter_\${1}`).replaceAll(
    'gauge_${1}',
    `${prefix}_gauge_\${1}`,
  );
/** How long a broken state is left in place: longer than the reloader's debounce (100 ms) and poll (1 s). */
const BROKEN_FOR_MS = 1500;

const dir = mkdtempSync(join(tmpdir(), 'pma-faults-files-'));
const config = join(dir, 'config.yaml');
let prometheus: PrometheusProcess;
let adapter: AdapterProcess;
let reloadFailures: () => number;
let certs: { certPath: string; keyPath: string; cert: string }[];

beforeAll(async () => {
  copyFileSync(QUEUE_WORKER_RULES, config);
  certs = await Promise.all(
    ['first', 'second'].map((name) =>
      loadServingCert({ certDir: join(dir, name), hosts: [`${name}.example`] }),
    ),
  );
  const [first] = certs;
  if (first === undefined) throw new Error('no certificate');
  copyFileSync(first.certPath, join(dir, 'tls.crt'));
  copyFileSync(first.keyPath, join(dir, 'tls.key'));
  prometheus = await startPrometheus({ dir: join(dir, 'prom'), backfill: queueWorkerOpenMetrics() });
  adapter = await startStandaloneAdapter(
    prometheus.url,
    [
      '--metrics-relist-interval=1h',
      `--tls-cert-file=${join(dir, 'tls.crt')}`,
      `--tls-private-key-file=${join(dir, 'tls.key')}`,
    ],
    { config },
  );
  reloadFailures = countLines(adapter.child, 'rules reload failed');
}, 60_000);

afterAll(async () => {
  await adapter?.child.stop();
  await prometheus?.stop();
});

async function metricNames(): Promise<string[]> {
  const res = await getJson(`${adapter.url}${BASE}`);
  return ((res.body as { resources?: { name: string }[] }).resources ?? []).map((r) => r.name);
}

/** Asserts that the rules whose metrics start with `prefix` serve: discovery and a query. */
async function expectServing(prefix: string): Promise<void> {
  expect(await metricNames()).toContain(`pods/${prefix}counter_qps`);
  expect((await getJson(`${adapter.url}${metricPath(`${prefix}counter_qps`)}`)).status).toBe(200);
}

/** Writes `text` in place as an atomic replacement (write aside, rename), as a ConfigMap update does. */
function replaceAtomically(text: string): void {
  writeFileSync(`${config}.tmp`, text);
  renameSync(`${config}.tmp`, config);
}

/** The time from an atomic write of valid rules with `prefix` to their being served. */
async function recoverWith(prefix: string): Promise<number> {
  replaceAtomically(renamed(prefix));
  return timeToRecover(
    'the valid rules',
    async () => (await metricNames()).includes(`pods/${prefix}_counter_qps`),
    10_000,
  );
}

describe('rules file faults (hot reload keeps the last good rules)', () => {
  it('replaced by garbage: the old rules keep serving, the failure is logged; a valid file is picked up', async () => {
    const before = reloadFailures();
    writeFileSync(config, Buffer.from([0x00, 0xff, 0x13, 0x37, 0x7b, 0x0a, 0xde, 0xad, 0xbe, 0xef]));
    await waitFor('the failed reload', () => (reloadFailures() > before ? true : undefined), 10_000);
    await new Promise((r) => setTimeout(r, BROKEN_FOR_MS));
    await expectServing('');
    expect(adapter.child.hasExited()).toBe(false);
    const ms = await recoverWith('a');
    reportFault(
      'Rules file replaced by garbage',
      'reload refused and logged (`rules reload failed`); the previous rules keep serving',
      `${ms} ms after a valid file is written`,
    );
  }, 30_000);

  it('emptied (truncated for a rewrite in place): the old rules keep serving', async () => {
    const before = reloadFailures();
    writeFileSync(config, '');
    await waitFor('the refused reload', () => (reloadFailures() > before ? true : undefined), 10_000);
    await new Promise((r) => setTimeout(r, BROKEN_FOR_MS));
    await expectServing('a_');
    expect(adapter.child.hasExited()).toBe(false);
    const ms = await recoverWith('b');
    reportFault(
      'Rules file emptied (truncated for a rewrite in place)',
      'reload refused and logged (`defines no rules`); the previous rules keep serving',
      `${ms} ms after the file is written`,
    );
  }, 30_000);

  it('half-written in place: the old rules keep serving until the write completes', async () => {
    const text = renamed('c');
    // NB: cut inside the second rule, before its metricsQuery.
    const cut = text.indexOf('metricsQuery', text.indexOf('seriesQuery', text.indexOf('seriesQuery') + 1));
    const before = reloadFailures();
    const fd = openSync(config, 'w');
    try {
      writeSync(fd, text.slice(0, cut));
      await waitFor('the failed reload', () => (reloadFailures() > before ? true : undefined), 10_000);
      await new Promise((r) => setTimeout(r, BROKEN_FOR_MS));
      await expectServing('b_');
      writeSync(fd, text.slice(cut));
    } finally {
      closeSync(fd);
    }
    const ms = await timeToRecover(
      'the completed rules',
      async () => (await metricNames()).includes('pods/c_counter_qps'),
      10_000,
    );
    expect(adapter.child.hasExited()).toBe(false);
    reportFault(
      'Rules file half-written in place',
      'reload refused and logged while half-written; the previous rules keep serving',
      `${ms} ms after the write completes`,
    );
  }, 30_000);
});

describe('serving certificate rotated (see also test/e2e/serving-cert.test.ts)', () => {
  const servedFingerprint = () =>
    new Promise<string>((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port: adapter.port, rejectUnauthorized: false }, () => {
        resolve(socket.getPeerCertificate().fingerprint256);
        socket.end();
      });
      socket.on('error', reject);
      socket.setTimeout(5000, () => socket.destroy(new Error('TLS handshake timed out')));
    });

  it('rotated in place, key first, with requests flowing: every request is answered, the new one serves', async () => {
    const [first, second] = certs;
    if (first === undefined || second === undefined) throw new Error('no certificates');
    expect(await servedFingerprint()).toBe(new X509Certificate(first.cert).fingerprint256);
    let stop = false;
    const statuses: number[] = [];
    const load = (async () => {
      while (!stop) statuses.push((await getJson(`${adapter.url}${BASE}`)).status);
    })();
    const written = performance.now();
    // NB: key before certificate, as a naive copy does: for a moment the pair does not match.
    copyFileSync(second.keyPath, join(dir, 'tls.key'));
    copyFileSync(second.certPath, join(dir, 'tls.crt'));
    const target = new X509Certificate(second.cert).fingerprint256;
    await waitFor(
      'the new certificate',
      async () => ((await servedFingerprint()) === target ? true : undefined),
      10_000,
    );
    const ms = Math.round(performance.now() - written);
    stop = true;
    await load;
    expect(statuses.length).toBeGreaterThan(0);
    expect(statuses.every((s) => s === 200)).toBe(true);
    expect(adapter.child.hasExited()).toBe(false);
    reportFault(
      'Serving certificate rotated in place (key first)',
      `new certificate served; ${statuses.length} requests during the rotation all answered 200`,
      `${ms} ms after the write`,
    );
  }, 30_000);
});
