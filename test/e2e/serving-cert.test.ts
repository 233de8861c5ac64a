/**
 * Real TLS against the built adapter: a given certificate is served, replaced files are picked up without a
 * restart, a broken replacement keeps the old certificate, and --tls-min-version / --tls-cipher-suites apply.
 */
import { X509Certificate } from 'node:crypto';
import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type PeerCertificate } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { AdapterProcess } from '../../src/cli/demo/adapter-process.js';
import { loadServingCert } from '../../src/server/serving-cert.js';
import { startStandaloneAdapter } from '../support/adapter.js';

const dir = mkdtempSync(join(tmpdir(), 'pma-tls-'));
let adapter: AdapterProcess;
let first: { certPath: string; keyPath: string; cert: string };
let second: { certPath: string; keyPath: string; cert: string };

function peer(
  port: number,
  options: {
    minVersion?: 'TLSv1';
    maxVersion?: 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3';
    ciphers?: string;
  } = {},
) {
  return new Promise<{ cert: PeerCertificate; protocol: string | null; cipher: string }>(
    (resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port, rejectUnauthorized: false, ...options }, () => {
        const result = {
          cert: socket.getPeerCertificate(),
          protocol: socket.getProtocol(),
          cipher: socket.getCipher().name,
        };
        socket.end();
        resolve(result);
      });
      socket.on('error', reject);
      socket.setTimeout(5000, () => socket.destroy(new Error('TLS handshake timed out')));
    },
  );
}

const fingerprintOf = (pem: string) => new X509Certificate(pem).fingerprint256;

beforeAll(async () => {
  first = await loadServingCert({ certDir: join(dir, 'first'), hosts: ['first.example'] });
  second = await loadServingCert({ certDir: join(dir, 'second'), hosts: ['second.example'] });
  copyFileSync(first.certPath, join(dir, 'tls.crt'));
  copyFileSync(first.keyPath, join(dir, 'tls.key'));
  adapter = await startStandaloneAdapter('http://127.0.0.1:9', [
    `--tls-cert-file=${join(dir, 'tls.crt')}`,
    `--tls-private-key-file=${join(dir, 'tls.key')}`,
    '--tls-cipher-suites=TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256',
    '--prometheus-timeout=1s',
  ]);
}, 60_000);

afterAll(async () => {
  await adapter?.child.stop();
});

describe('serving certificate', () => {
  it('serves the certificate given by --tls-cert-file', async () => {
    const { cert } = await peer(adapter.port);
    expect(cert.fingerprint256).toBe(fingerprintOf(first.cert));
  });

  it('refuses TLS below 1.2 by default (--tls-min-version=VersionTLS12)', async () => {
    // NB: a client that really offers TLS 1.1 (OpenSSL 3 refuses it at the default security level): the refusal is
    // the server's protocol_version alert. test/security/tls.test.ts goes further.
    await expect(
      peer(adapter.port, { minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT@SECLEVEL=0' }),
    ).rejects.toMatchObject({ code: 'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION' });
    expect((await peer(adapter.port, { maxVersion: 'TLSv1.2' })).protocol).toBe('TLSv1.2');
  });

  it('applies --tls-cipher-suites (Go names) to TLS 1.2', async () => {
    const { cipher } = await peer(adapter.port, { maxVersion: 'TLSv1.2' });
    expect(['ECDHE-ECDSA-AES128-GCM-SHA256', 'ECDHE-RSA-AES128-GCM-SHA256']).toContain(cipher);
    await expect(
      peer(adapter.port, { maxVersion: 'TLSv1.2', ciphers: 'ECDHE-ECDSA-AES256-GCM-SHA384' }),
    ).rejects.toThrow();
  });

  it('keeps the old certificate when the new files do not load, and picks up a valid replacement', async () => {
    writeFileSync(join(dir, 'tls.crt'), 'not a certificate\n');
    await new Promise((r) => setTimeout(r, 2500));
    expect((await peer(adapter.port)).cert.fingerprint256).toBe(fingerprintOf(first.cert));
    expect(adapter.child.logs()).toContain('previous one keeps serving');

    copyFileSync(second.keyPath, join(dir, 'tls.key'));
    copyFileSync(second.certPath, join(dir, 'tls.crt'));
    const deadline = Date.now() + 10_000;
    let seen = '';
    while (Date.now() < deadline) {
      seen = (await peer(adapter.port)).cert.fingerprint256;
      if (seen === fingerprintOf(second.cert)) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(seen).toBe(fingerprintOf(second.cert));
    expect(adapter.child.logs()).toContain('serving certificate reloaded');
  }, 30_000);
});
