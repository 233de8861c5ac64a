import { beforeAll, describe, expect, it } from '@jest/globals';
import type { X509Certificate } from 'node:crypto';
import {
  CertificateBundleError,
  parseCertificateBundle,
  parseDistinguishedName,
  subjectIdentity,
  verifyClientChain,
} from '../../../src/kube/cert-chain.js';
import { CONFIGMAP_FIXTURE, fixtureJson, testPki, type TestPki } from './auth-test-support.js';

let pki: TestPki;
beforeAll(async () => {
  pki = await testPki();
});

describe('parseCertificateBundle', () => {
  it('reads every certificate of a bundle, skipping other PEM blocks', () => {
    const bundle = [
      pki.frontProxyCa.cert,
      '-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n',
      pki.clientCa.cert,
    ].join('');
    const certs = parseCertificateBundle(bundle, 'test bundle');
    expect(certs.map((cert) => cert.subject)).toEqual(['CN=front-proxy-ca', 'CN=kubernetes']);
  });

  it('reads the CA certificates of the recorded kubeadm ConfigMap', () => {
    const data = (fixtureJson(CONFIGMAP_FIXTURE) as { data: Record<string, string> }).data;
    const [clientCa] = parseCertificateBundle(data['client-ca-file'] as string, 'client-ca-file');
    const [frontProxyCa] = parseCertificateBundle(
      data['requestheader-client-ca-file'] as string,
      'requestheader-client-ca-file',
    );
    expect(clientCa?.subject).toBe('CN=kubernetes');
    expect(frontProxyCa?.subject).toBe('CN=front-proxy-ca');
    expect(frontProxyCa?.ca).toBe(true);
  });

  it.each([
    ['no certificate at all', 'hello', /test bundle contains no PEM certificate/],
    [
      'a block that does not parse',
      '-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n',
      /certificate #1 of test bundle does not parse/,
    ],
  ])('rejects %s, naming the source', (_what, pem, message) => {
    expect(() => parseCertificateBundle(pem, 'test bundle')).toThrow(CertificateBundleError);
    expect(() => parseCertificateBundle(pem, 'test bundle')).toThrow(message);
  });
});

describe('verifyClientChain (SPEC 8: a client certificate chaining to a CA)', () => {
  type Case = [
    name: string,
    presented: (p: TestPki) => X509Certificate[],
    roots: (p: TestPki) => X509Certificate[],
    outcome: { pathLength: number } | RegExp,
  ];
  const cases: Case[] = [
    [
      'a certificate issued by the CA',
      (p) => [p.frontProxyClient.x509],
      (p) => [p.frontProxyCa.x509],
      { pathLength: 2 },
    ],
    [
      'a certificate issued by one CA of a bundle of several',
      (p) => [p.alice.x509],
      (p) => [p.frontProxyCa.x509, p.clientCa.x509],
      { pathLength: 2 },
    ],
    [
      'a chain with the intermediate presented by the client',
      (p) => [p.chainedClient.x509, p.intermediateCa.x509],
      (p) => [p.rootCa.x509],
      { pathLength: 3 },
    ],
    [
      'a chain that also presents the root',
      (p) => [p.chainedClient.x509, p.intermediateCa.x509, p.rootCa.x509],
      (p) => [p.rootCa.x509],
      { pathLength: 3 },
    ],
    [
      'a leaf that is itself a trusted certificate',
      (p) => [p.frontProxyCa.x509],
      (p) => [p.frontProxyCa.x509],
      { pathLength: 1 },
    ],
    [
      'a chain whose intermediate is missing',
      (p) => [p.chainedClient.x509],
      (p) => [p.rootCa.x509],
      /^x509: certificate signed by unknown authority$/,
    ],
    [
      'a certificate from another CA with the same name (untrusted)',
      (p) => [p.rogueClient.x509],
      (p) => [p.frontProxyCa.x509],
      /^x509: certificate signed by unknown authority$/,
    ],
    [
      'a chain that presents its own root (untrusted)',
      (p) => [p.rogueClient.x509, p.rogueCa.x509],
      (p) => [p.frontProxyCa.x509],
      /^x509: certificate signed by unknown authority$/,
    ],
    [
      'a certificate from the other CA',
      (p) => [p.alice.x509],
      (p) => [p.frontProxyCa.x509],
      /^x509: certificate signed by unknown authority$/,
    ],
    [
      'an expired certificate',
      (p) => [p.expiredClient.x509],
      (p) => [p.frontProxyCa.x509],
      /^x509: certificate has expired or is not yet valid: current time .* is after /,
    ],
    [
      'a certificate whose CA has expired',
      (p) => [p.leafOfExpiredCa.x509],
      (p) => [p.expiredCa.x509],
      /^x509: an issuer certificate has expired or is not yet valid/,
    ],
    [
      'a chain through an issuer that is not a CA',
      (p) => [p.signedByLeaf.x509, p.notACa.x509],
      (p) => [p.frontProxyCa.x509],
      /^x509: certificate signed by unknown authority$/,
    ],
    [
      'a certificate for server authentication only',
      (p) => [p.serverOnly.x509],
      (p) => [p.frontProxyCa.x509],
      /^x509: certificate specifies an incompatible key usage$/,
    ],
    ['no certificate', () => [], (p) => [p.frontProxyCa.x509], /^no client certificate$/],
  ];

  it.each(cases)('%s', (_name, presented, roots, outcome) => {
    const result = verifyClientChain(presented(pki), roots(pki));
    if (outcome instanceof RegExp) {
      expect(result.ok).toBe(false);
      expect(result.ok ? '' : result.reason).toMatch(outcome);
    } else {
      expect(result.ok).toBe(true);
      if (!result.ok) return;
      expect(result.leaf).toBe(presented(pki)[0]);
      expect(result.path).toHaveLength(outcome.pathLength);
    }
  });

  it('checks validity at the time given', () => {
    const validTo = new Date(pki.frontProxyClient.x509.validTo);
    const later = new Date(validTo.getTime() + 1000);
    expect(verifyClientChain([pki.frontProxyClient.x509], [pki.frontProxyCa.x509], later)).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/is after/),
    });
  });
});

describe('subjectIdentity and parseDistinguishedName', () => {
  it('maps a client certificate to CN and every O (the client-CA user and groups)', () => {
    expect(subjectIdentity(pki.alice.x509)).toEqual({
      commonName: 'alice',
      organizations: ['team-a', 'team-b'],
    });
    expect(subjectIdentity(pki.frontProxyCa.x509)).toEqual({
      commonName: 'front-proxy-ca',
      organizations: [],
    });
  });

  it.each([
    [
      'CN=a\nO=b\nO=c',
      [
        ['CN', 'a'],
        ['O', 'b'],
        ['O', 'c'],
      ],
    ],
    [
      'CN=a\\,b\nO=\\"q\\"',
      [
        ['CN', 'a,b'],
        ['O', '"q"'],
      ],
    ],
    [
      'O=x + CN=y',
      [
        ['O', 'x'],
        ['CN', 'y'],
      ],
    ],
    ['CN=caf\\C3\\A9', [['CN', 'café']]],
    ['CN=x=y', [['CN', 'x=y']]],
  ])('reads %j', (name, attributes) => {
    expect(parseDistinguishedName(name)).toEqual(attributes);
  });
});
