import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ServingCertError, loadServingCert } from '../../../src/server/serving-cert.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'serving-cert-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('loadServingCert: self-signed in the cert dir (as upstream --cert-dir)', () => {
  it('generates apiserver.crt and apiserver.key (mkdir -p, key 0600) for localhost, loopback IPs and hosts', async () => {
    const certDir = join(dir, 'apiserver.local.config', 'certificates');
    const before = Math.floor(Date.now() / 1000);
    const result = await loadServingCert({ certDir, hosts: ['adapter.monitoring.svc', '10.1.2.3'] });

    expect(result.generated).toBe(true);
    expect(result.certPath).toBe(join(certDir, 'apiserver.crt'));
    expect(result.keyPath).toBe(join(certDir, 'apiserver.key'));
    expect(readFileSync(result.certPath, 'utf8')).toBe(result.cert);
    expect(readFileSync(result.keyPath, 'utf8')).toBe(result.key);
    expect(statSync(result.keyPath).mode & 0o777).toBe(0o600);

    const x509 = new X509Certificate(result.cert);
    const cn = /CN=localhost@(\d+)/.exec(x509.subject);
    expect(Number(cn?.[1])).toBeGreaterThanOrEqual(before);
    for (const host of ['localhost', 'adapter.monitoring.svc']) expect(x509.checkHost(host)).toBe(host);
    for (const ip of ['127.0.0.1', '::1', '10.1.2.3']) expect(x509.checkIP(ip)).toBe(ip);
    const lifetimeDays = (Date.parse(x509.validTo) - Date.now()) / 86_400_000;
    expect(lifetimeDays).toBeGreaterThan(364);
    expect(lifetimeDays).toBeLessThan(366);
  });

  it('keeps the generated pair in memory only when --cert-dir is empty', async () => {
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      const result = await loadServingCert({ certDir: '' });
      expect(result.generated).toBe(true);
      expect(new X509Certificate(result.cert).checkHost('localhost')).toBe('localhost');
      expect(readdirSync(dir)).toEqual([]);
    } finally {
      process.chdir(cwd);
    }
  });

  it('reuses a valid pair on the next start', async () => {
    const first = await loadServingCert({ certDir: dir });
    const second = await loadServingCert({ certDir: dir });
    expect(second.generated).toBe(false);
    expect(second.cert).toBe(first.cert);
    expect(second.key).toBe(first.key);
  });

  it('regenerates when a requested host is not in the existing certificate', async () => {
    const first = await loadServingCert({ certDir: dir });
    const second = await loadServingCert({ certDir: dir, hosts: ['adapter.example.com'] });
    expect(second.generated).toBe(true);
    expect(second.cert).not.toBe(first.cert);
    expect(new X509Certificate(second.cert).checkHost('adapter.example.com')).toBe('adapter.example.com');
  });

  it('replaces a damaged pair', async () => {
    writeFileSync(join(dir, 'apiserver.crt'), 'garbage');
    writeFileSync(join(dir, 'apiserver.key'), 'garbage');
    const result = await loadServingCert({ certDir: dir });
    expect(result.generated).toBe(true);
    expect(() => new X509Certificate(readFileSync(result.certPath))).not.toThrow();
  });

  it('names the directory when it cannot write there', async () => {
    const file = join(dir, 'not-a-dir');
    writeFileSync(file, '');
    await expect(loadServingCert({ certDir: join(file, 'certs') })).rejects.toThrow(
      new RegExp(`^cannot write the self-signed serving certificate to ${file}/certs: `),
    );
  });
});

describe('loadServingCert: given files', () => {
  let certFile: string;
  let keyFile: string;
  beforeEach(async () => {
    const generated = await loadServingCert({ certDir: join(dir, 'source') });
    certFile = join(dir, 'tls.crt');
    keyFile = join(dir, 'tls.key');
    writeFileSync(certFile, generated.cert);
    writeFileSync(keyFile, generated.key);
  });

  it('reads and returns them, generating nothing', async () => {
    const result = await loadServingCert({ certDir: join(dir, 'unused'), certFile, keyFile });
    expect(result).toEqual({
      cert: readFileSync(certFile, 'utf8'),
      key: readFileSync(keyFile, 'utf8'),
      certPath: certFile,
      keyPath: keyFile,
      generated: false,
    });
  });

  it.each([
    [
      'an unreadable certificate',
      () => ({ certFile: join(dir, 'missing.crt') }),
      /^cannot read the certificate file .*missing\.crt: /,
    ],
    ['a certificate that is not PEM', () => ({ certFile: keyFile }), /tls\.key is not a PEM certificate/],
    ['a key that is not PEM', () => ({ keyFile: certFile }), /tls\.crt is not a PEM private key/],
  ])('rejects %s, naming the file', async (_what, override, message) => {
    const error = await loadServingCert({ certDir: dir, certFile, keyFile, ...override() }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ServingCertError);
    expect((error as Error).message).toMatch(message);
  });

  it('rejects a key that does not belong to the certificate', async () => {
    const other = await loadServingCert({ certDir: join(dir, 'other') });
    writeFileSync(keyFile, other.key);
    await expect(loadServingCert({ certDir: dir, certFile, keyFile })).rejects.toThrow(
      `the private key in ${keyFile} does not belong to the certificate in ${certFile}`,
    );
  });

  it('rejects a certificate without its key', async () => {
    await expect(loadServingCert({ certDir: dir, certFile })).rejects.toThrow(
      'a serving certificate needs both a certificate file and a key file; only the certificate file was given',
    );
  });
});
