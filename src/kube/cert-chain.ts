/**
 * Client-certificate chain verification as Go's `x509.Certificate.Verify` does it for Kubernetes client
 * certificates (`KeyUsages: [ClientAuth]`), on node:crypto `X509Certificate`.
 */
import { X509Certificate } from 'node:crypto';

/** The outcome of {@link verifyClientChain}: the verified leaf and its path to a root, or why it failed. */
export type ChainVerification =
  { ok: true; leaf: X509Certificate; path: readonly X509Certificate[] } | { ok: false; reason: string };

/** A PEM certificate bundle that cannot be used; the message says which certificate and why. */
export class CertificateBundleError extends Error {
  override readonly name = 'CertificateBundleError';
}

const OID_CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
const OID_ANY_EXTENDED_KEY_USAGE = '2.5.29.37.0';

/** NB: Go stops at a comparable depth; real chains have one or two intermediates. */
const MAX_INTERMEDIATES = 8;

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;

/**
 * Parses every `CERTIFICATE` block of a PEM bundle (other blocks are skipped, as Go's `AppendCertsFromPEM` does).
 * @throws CertificateBundleError when a block does not parse or the bundle holds no certificate at all
 */
export function parseCertificateBundle(pem: string, source: string): X509Certificate[] {
  const blocks = pem.match(PEM_CERTIFICATE) ?? [];
  if (blocks.length === 0) throw new CertificateBundleError(`${source} contains no PEM certificate`);
  return blocks.map((block, index) => {
    try {
      return new X509Certificate(block);
    } catch (error) {
      throw new CertificateBundleError(
        `certificate #${index + 1} of ${source} does not parse: ${(error as Error).message}`,
        { cause: error },
      );
    }
  });
}

function timeProblem(cert: X509Certificate, now: Date): string | undefined {
  const notBefore = new Date(cert.validFrom);
  const notAfter = new Date(cert.validTo);
  if (now < notBefore) return `current time ${now.toISOString()} is before ${notBefore.toISOString()}`;
  if (now > notAfter) return `current time ${now.toISOString()} is after ${notAfter.toISOString()}`;
  return undefined;
}

function issuedBy(child: X509Certificate, parent: X509Certificate): boolean {
  try {
    // NB: checkIssued compares the names and key identifiers and refuses issuers whose key usage lacks
    // keyCertSign; verify checks the signature itself.
    return child.checkIssued(parent) && child.verify(parent.publicKey);
  } catch {
    return false;
  }
}

/** Go's rule: a certificate that lists extended key usages must allow client auth (or any usage). */
function allowsClientAuth(cert: X509Certificate): boolean {
  // NB: typed string[], but undefined at run time when the certificate has no extendedKeyUsage extension.
  const usages = cert.keyUsage as readonly string[] | undefined;
  return (
    usages === undefined ||
    usages.length === 0 ||
    usages.includes(OID_CLIENT_AUTH) ||
    usages.includes(OID_ANY_EXTENDED_KEY_USAGE)
  );
}

/**
 * Verifies a client certificate chain as presented in the TLS handshake (leaf first, then whatever intermediates
 * the client sent) against the trusted `roots`: a path must lead from the leaf through intermediates that are CAs
 * to a certificate issued by a root, every certificate on it (root included) valid at `now`, and every one that
 * lists extended key usages allowing client authentication. Presented certificates are only used as
 * intermediates, never trusted by themselves. Never throws.
 */
export function verifyClientChain(
  presented: readonly X509Certificate[],
  roots: readonly X509Certificate[],
  now: Date = new Date(),
): ChainVerification {
  const leaf = presented[0];
  if (leaf === undefined) return { ok: false, reason: 'no client certificate' };
  const leafTime = timeProblem(leaf, now);
  if (leafTime !== undefined) {
    return { ok: false, reason: `x509: certificate has expired or is not yet valid: ${leafTime}` };
  }
  const intermediates = presented.slice(1);
  const seen: { keyUsageProblem: boolean; issuerTimeProblem?: string } = { keyUsageProblem: false };

  const accept = (path: X509Certificate[]): X509Certificate[] | undefined => {
    if (path.every(allowsClientAuth)) return path;
    seen.keyUsageProblem = true;
    return undefined;
  };
  const extend = (path: X509Certificate[]): X509Certificate[] | undefined => {
    const current = path[path.length - 1] as X509Certificate;
    for (const root of roots) {
      if (!issuedBy(current, root)) continue;
      const rootTime = timeProblem(root, now);
      if (rootTime !== undefined) {
        seen.issuerTimeProblem ??= rootTime;
        continue;
      }
      const found = accept([...path, root]);
      if (found !== undefined) return found;
    }
    if (path.length > MAX_INTERMEDIATES) return undefined;
    for (const intermediate of intermediates) {
      if (path.some((cert) => cert.raw.equals(intermediate.raw))) continue;
      if (!intermediate.ca || !issuedBy(current, intermediate)) continue;
      const intermediateTime = timeProblem(intermediate, now);
      if (intermediateTime !== undefined) {
        seen.issuerTimeProblem ??= intermediateTime;
        continue;
      }
      const found = extend([...path, intermediate]);
      if (found !== undefined) return found;
    }
    return undefined;
  };

  // NB: as in Go, a leaf that is itself one of the roots verifies on its own.
  const path =
    (roots.some((root) => root.raw.equals(leaf.raw)) ? accept([leaf]) : undefined) ?? extend([leaf]);
  if (path !== undefined) return { ok: true, leaf, path };
  if (seen.keyUsageProblem)
    return { ok: false, reason: 'x509: certificate specifies an incompatible key usage' };
  if (seen.issuerTimeProblem !== undefined) {
    return {
      ok: false,
      reason: `x509: an issuer certificate has expired or is not yet valid: ${seen.issuerTimeProblem}`,
    };
  }
  return { ok: false, reason: 'x509: certificate signed by unknown authority' };
}

/** The attributes of a distinguished name as node prints it (`CN=a\nO=b`, RFC 2253 escapes), in order. */
export function parseDistinguishedName(name: string): Array<[type: string, value: string]> {
  const attributes: Array<[string, string]> = [];
  for (const line of name.split('\n')) {
    // NB: node joins the attributes of a multi-valued RDN with " + "; an escaped "+" is "\+".
    for (const part of line.split(/(?<!\\) \+ /)) {
      const eq = part.indexOf('=');
      if (eq <= 0) continue;
      attributes.push([part.slice(0, eq), unescapeDnValue(part.slice(eq + 1))]);
    }
  }
  return attributes;
}

function unescapeDnValue(value: string): string {
  if (!value.includes('\\')) return value;
  const chunks: Buffer[] = [];
  // NB: `\HH` escapes one byte of the UTF-8 value; `\c` escapes a special character.
  for (const [, hex, escaped, plain] of value.matchAll(/\\([0-9A-Fa-f]{2})|\\(.)|([^\\]+)/gsu)) {
    if (hex !== undefined) chunks.push(Buffer.from([parseInt(hex, 16)]));
    else chunks.push(Buffer.from(escaped ?? plain ?? ''));
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** The subject's common name (the first CN) and organizations (every O), as Kubernetes maps a client cert to a user. */
export function subjectIdentity(cert: X509Certificate): { commonName: string; organizations: string[] } {
  const attributes = parseDistinguishedName(cert.subject);
  return {
    commonName: attributes.find(([type]) => type === 'CN')?.[1] ?? '',
    organizations: attributes.filter(([type]) => type === 'O').map(([, value]) => value),
  };
}
