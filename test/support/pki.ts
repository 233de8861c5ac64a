/** Throw-away certificates for tests: CAs and leaves signed by them (the `selfsigned` package, EC P-256). */
import { X509Certificate } from 'node:crypto';
import { generate } from 'selfsigned';

export interface TestCert {
  cert: string;
  key: string;
  x509: X509Certificate;
}

const HOUR = 3600 * 1000;
const DAY = 24 * HOUR;

interface CertOptions {
  organizations?: string[];
  notBefore?: Date;
  notAfter?: Date;
  usage?: 'client' | 'server' | 'none';
}

async function make(
  commonName: string,
  issuer: TestCert | undefined,
  isCa: boolean,
  options: CertOptions = {},
): Promise<TestCert> {
  const now = Date.now();
  const usage = options.usage ?? 'client';
  const pems = await generate(
    [
      { name: 'commonName', value: commonName },
      ...(options.organizations ?? []).map((value) => ({ name: 'organizationName', value })),
    ],
    {
      keyType: 'ec',
      curve: 'P-256',
      algorithm: 'sha256',
      notBeforeDate: options.notBefore ?? new Date(now - HOUR),
      notAfterDate: options.notAfter ?? new Date(now + 30 * DAY),
      ...(issuer === undefined ? {} : { ca: { key: issuer.key, cert: issuer.cert } }),
      extensions: isCa
        ? [
            { name: 'basicConstraints', cA: true, critical: true },
            { name: 'keyUsage', keyCertSign: true, digitalSignature: true, critical: true },
          ]
        : [
            { name: 'basicConstraints', cA: false, critical: true },
            { name: 'keyUsage', digitalSignature: true, critical: true },
            ...(usage === 'none'
              ? []
              : [
                  {
                    name: 'extKeyUsage' as const,
                    clientAuth: usage === 'client',
                    serverAuth: usage === 'server',
                  },
                ]),
            ...(usage === 'server'
              ? [{ name: 'subjectAltName' as const, altNames: [{ type: 7 as const, ip: '127.0.0.1' }] }]
              : []),
          ],
    },
  );
  // NB: selfsigned's PEM has no final newline; TLS wants one between concatenated certificates.
  const cert = `${pems.cert.trim()}\n`;
  return { cert, key: pems.private, x509: new X509Certificate(cert) };
}

export function makeCa(
  commonName: string,
  options: CertOptions & { issuer?: TestCert } = {},
): Promise<TestCert> {
  return make(commonName, options.issuer, true, options);
}

export function makeLeaf(commonName: string, issuer: TestCert, options: CertOptions = {}): Promise<TestCert> {
  return make(commonName, issuer, false, options);
}
