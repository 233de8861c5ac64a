/**
 * TLS 1.2+ only (issue 8), with real TLS against the built adapter: a client that really offers TLS 1.0/1.1 gets
 * the adapter's protocol_version alert, TLS 1.2/1.3 serve, `--tls-min-version=VersionTLS10/11` is a startup error,
 * and the adapter's Prometheus client does not talk TLS 1.0/1.1 to a server that offers nothing newer.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer as createHttpsServer, get, type Server as HttpsServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type SecureVersion, type TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  startAdapterProcess,
  waitUntilReady,
  type AdapterProcess,
} from '../../src/cli/demo/adapter-process.js';
import { startPrometheus, type PrometheusProcess } from '../../src/cli/demo/prometheus-process.js';
import {
  ADAPTER_ENTRY,
  QUEUE_WORKER_RULES,
  runAdapterToExit,
  startStandaloneAdapter,
} from '../support/adapter.js';
import { queueWorkerOpenMetrics } from '../support/queue-worker-data.js';
import { waitFor } from '../support/wait.js';

/** NB: OpenSSL 3 refuses TLS < 1.2 at its default security level on its own; level 0 makes the client honest. */
const LEGACY_CIPHERS = 'DEFAULT@SECLEVEL=0';
/**
 * NB: RSA key transport has no signed key exchange, which OpenSSL 3's default security level would refuse under
 * TLS < 1.2 (SHA-1 signatures): with it, only the adapter's protocol floor stands between it and TLS 1.1.
 */
const LEGACY_SERVER_CIPHERS = 'AES128-SHA:@SECLEVEL=0';
const LEGACY = [
  { version: 'TLSv1', openssl: '-tls1' },
  { version: 'TLSv1.1', openssl: '-tls1_1' },
] as const;
const DISCOVERY = '/apis/custom.metrics.k8s.io/v1beta2';

const dir = mkdtempSync(join(tmpdir(), 'pma-security-tls-'));
let prometheus: PrometheusProcess;
let adapter: AdapterProcess;
let adapter13: AdapterProcess;
/** A server that speaks TLS 1.0 and 1.1 only: the honest client's control, and the outbound test's "Prometheus". */
let legacy: HttpsServer;
let legacyPort: number;
let legacyCert: string;
const seenByLegacy = { handshakes: 0, requests: 0, handshakeErrors: [] as string[] };

/** A TLS handshake offering exactly `min`..`max`; resolves with the protocol agreed, rejects with the TLS error. */
function handshake(port: number, min: SecureVersion, max: SecureVersion): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const socket = connect(
      {
        host: '127.0.0.1',
        port,
        minVersion: min,
        maxVersion: max,
        ciphers: LEGACY_CIPHERS,
        rejectUnauthorized: false,
      },
      () => {
        resolve(socket.getProtocol());
        socket.end();
      },
    );
    socket.on('error', reject);
    socket.setTimeout(5000, () => socket.destroy(new Error('TLS handshake timed out')));
  });
}

/** A real GET over exactly TLS `version`: the status and the protocol the response came over. */
function getOver(port: number, path: string, version: SecureVersion) {
  return new Promise<{ status: number; protocol: string | null; body: string }>((resolve, reject) => {
    const options = { minVersion: version, maxVersion: version, rejectUnauthorized: false, agent: false };
    const req = get({ host: '127.0.0.1', port, path, ...options, timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, protocol: (res.socket as TLSSocket).getProtocol(), body });
      });
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${path} timed out`)));
    req.on('error', reject);
  });
}

/** `openssl s_client` offering only `flag` (e.g. -tls1_1); resolves with its exit status and output. */
function sClient(port: number, flag: string): Promise<{ failed: boolean; output: string }> {
  return new Promise((resolve) => {
    const args = ['s_client', '-connect', `127.0.0.1:${port}`, flag, '-cipher', LEGACY_CIPHERS];
    const child = execFile('openssl', args, { timeout: 10_000 }, (err, stdout, stderr) => {
      resolve({ failed: err !== null, output: `${stdout}${stderr}` });
    });
    child.stdin?.end();
  });
}

/** The built adapter's arguments in standalone mode, without a certificate on disk. */
const standalone = (prometheusUrl: string, ...extra: string[]) => [
  '--standalone',
  `--config=${QUEUE_WORKER_RULES}`,
  `--prometheus-url=${prometheusUrl}`,
  '--secure-port=0',
  '--cert-dir=',
  ...extra,
];

const runToExit = (args: string[]) => runAdapterToExit(args, 30_000);

beforeAll(async () => {
  legacyCert = join(dir, 'legacy.crt');
  const legacyKey = join(dir, 'legacy.key');
  // NB: self-signed RSA (it is its own CA); the test PKI (test/support/pki.ts) makes EC keys only.
  const req =
    'req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1';
  execFileSync('openssl', [...req.split(' '), '-keyout', legacyKey, '-out', legacyCert], {
    stdio: 'ignore',
    timeout: 10_000,
  });
  const tlsOptions = { minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: LEGACY_SERVER_CIPHERS } as const;
  legacy = createHttpsServer(
    { key: readFileSync(legacyKey), cert: readFileSync(legacyCert), ...tlsOptions },
    (_req, res) => {
      seenByLegacy.requests += 1;
      res.end('{"status":"success","data":[]}');
    },
  );
  legacy.on('secureConnection', () => (seenByLegacy.handshakes += 1));
  legacy.on('tlsClientError', (e: NodeJS.ErrnoException) =>
    seenByLegacy.handshakeErrors.push(e.code ?? e.message),
  );
  await new Promise<void>((resolve) => legacy.listen(0, '127.0.0.1', resolve));
  legacyPort = (legacy.address() as { port: number }).port;

  prometheus = await startPrometheus({ dir: join(dir, 'prom'), backfill: queueWorkerOpenMetrics() });
  [adapter, adapter13] = await Promise.all([
    startStandaloneAdapter(prometheus.url),
    startStandaloneAdapter(prometheus.url, ['--tls-min-version=VersionTLS13']),
  ]);
}, 60_000);

afterAll(async () => {
  await Promise.all([adapter?.child.stop(), adapter13?.child.stop(), prometheus?.stop()]);
  legacy?.closeAllConnections();
  await new Promise((resolve) => legacy?.close(resolve));
});

describe('serving: TLS 1.2 and newer only', () => {
  it.each(LEGACY)(
    'the honest client completes a $version handshake with a server that allows it',
    async (v) => {
      await expect(handshake(legacyPort, v.version, v.version)).resolves.toBe(v.version);
      const { failed, output } = await sClient(legacyPort, v.openssl);
      expect(output).toMatch(new RegExp(`Protocol\\s*: ${v.version.replace('.', '\\.')}\\n`));
      expect(output).not.toContain('Cipher is (NONE)');
      expect(failed).toBe(false);
    },
  );

  it.each(LEGACY)('the adapter answers a $version ClientHello with a protocol_version alert', async (v) => {
    await expect(handshake(adapter.port, v.version, v.version)).rejects.toMatchObject({
      code: 'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION',
    });
    const { failed, output } = await sClient(adapter.port, v.openssl);
    expect(failed).toBe(true);
    // NB: "alert protocol version ... SSL alert number 70" is the alert received from the peer, not a local refusal.
    expect(output).toMatch(/alert protocol version.*SSL alert number 70/);
    expect(output).toContain('Cipher is (NONE)');
  });

  it.each(['TLSv1.2', 'TLSv1.3'] as const)('serves the metrics API over %s by default', async (version) => {
    const res = await getOver(adapter.port, DISCOVERY, version);
    expect(res).toMatchObject({ status: 200, protocol: version });
    expect(res.body).toContain('pods/counter_qps');
  });

  it('with --tls-min-version=VersionTLS13 alerts a TLS 1.2 client and serves TLS 1.3', async () => {
    await expect(handshake(adapter13.port, 'TLSv1.2', 'TLSv1.2')).rejects.toMatchObject({
      code: 'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION',
    });
    expect(await sClient(adapter13.port, '-tls1_2')).toMatchObject({
      failed: true,
      output: expect.stringMatching(/alert protocol version.*SSL alert number 70/),
    });
    await expect(getOver(adapter13.port, DISCOVERY, 'TLSv1.3')).resolves.toMatchObject({
      status: 200,
      protocol: 'TLSv1.3',
    });
  });

  it.each(['VersionTLS10', 'VersionTLS11'])(
    '--tls-min-version=%s is a startup error (exit 2)',
    async (value) => {
      const { code, stderr } = await runToExit(standalone(prometheus.url, `--tls-min-version=${value}`));
      expect(code).toBe(2);
      expect(stderr).toBe(
        `error: invalid --tls-min-version "${value}": TLS 1.0 and 1.1 are not supported (deprecated by RFC 8996); ` +
          'use VersionTLS12 or VersionTLS13\n',
      );
    },
  );
});

describe('outbound: the Prometheus client', () => {
  /** Starts the adapter against the TLS ≤ 1.1 server; resolves once its first relist has finished, failed or not. */
  async function againstLegacy(env: NodeJS.ProcessEnv): Promise<AdapterProcess> {
    const args = standalone(
      `https://127.0.0.1:${legacyPort}`,
      `--prometheus-ca-file=${legacyCert}`,
      '--prometheus-timeout=2s',
    );
    const started = await startAdapterProcess(ADAPTER_ENTRY, args, { env: { ...process.env, ...env } });
    try {
      await waitUntilReady(started.url);
      await waitFor(
        'the first relist',
        () => (started.child.logs().includes('"relist finished"') ? true : undefined),
        10_000,
      );
      return started;
    } catch (e) {
      await started.child.stop();
      throw e;
    }
  }

  it.each([
    ['by default', {}],
    // NB: a process-wide Node flag an operator can set in the pod's env; it lowers Node's default floor to TLS 1.0.
    ['with NODE_OPTIONS=--tls-min-v1.0', { NODE_OPTIONS: '--tls-min-v1.0' }],
  ])('never completes a handshake with a Prometheus that speaks only TLS 1.0/1.1, %s', async (_name, env) => {
    const before = { ...seenByLegacy, handshakeErrors: seenByLegacy.handshakeErrors.length };
    const outbound = await againstLegacy(env);
    try {
      // NB: the server saw the adapter's ClientHello and found no version in common: it offered nothing below 1.2.
      expect(seenByLegacy.handshakeErrors.slice(before.handshakeErrors)).toContain(
        'ERR_SSL_UNSUPPORTED_PROTOCOL',
      );
      expect(seenByLegacy.handshakes).toBe(before.handshakes);
      expect(seenByLegacy.requests).toBe(before.requests);
      const failure = outbound.child
        .logs()
        .split('\n')
        .find((l) => l.includes('relist failed for a seriesQuery'));
      expect(failure).toMatch(/alert protocol version/);
      expect(outbound.child.hasExited()).toBe(false);
      // The serving side keeps its own floor under the same environment.
      await expect(handshake(outbound.port, 'TLSv1.1', 'TLSv1.1')).rejects.toMatchObject({
        code: 'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION',
      });
    } finally {
      await outbound.child.stop();
    }
  });
});
