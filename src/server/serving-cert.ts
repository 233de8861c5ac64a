/**
 * The HTTPS serving certificate: the files given by flags, or a self-signed certificate kept in the cert dir and
 * created when missing, as upstream's `--cert-dir` does.
 */
import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { dirname, join, resolve } from 'node:path';

export interface ServingCertOptions {
  /** Where the self-signed pair lives (`apiserver.crt`, `apiserver.key`) when no files are given. */
  certDir: string;
  certFile?: string;
  keyFile?: string;
  /** Extra DNS names or IP addresses for a generated certificate, besides localhost, 127.0.0.1 and ::1. */
  hosts?: string[];
}

export interface ServingCert {
  cert: string;
  key: string;
  certPath: string;
  keyPath: string;
  /** True when this call wrote a new self-signed pair. */
  generated: boolean;
}

/** A serving certificate that cannot be read, parsed or written; the message names the file. */
export class ServingCertError extends Error {
  override readonly name = 'ServingCertError';
}

/** File names upstream uses inside `--cert-dir`. */
export const GENERATED_CERT_FILE = 'apiserver.crt';
export const GENERATED_KEY_FILE = 'apiserver.key';

const DEFAULT_HOSTS = ['localhost', '127.0.0.1', '::1'];
const VALIDITY_MS = 365 * 24 * 3600 * 1000;

interface Pair {
  cert: string;
  key: string;
  x509: X509Certificate;
}

async function readText(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    throw new ServingCertError(`cannot read the ${what} file ${path}: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

function parsePair(cert: string, key: string, certPath: string, keyPath: string): Pair {
  let x509: X509Certificate;
  try {
    if (!cert.includes('-----BEGIN CERTIFICATE-----')) throw new Error('no "BEGIN CERTIFICATE" block');
    x509 = new X509Certificate(cert);
  } catch (error) {
    throw new ServingCertError(`${certPath} is not a PEM certificate: ${(error as Error).message}`, {
      cause: error,
    });
  }
  let privateKey: KeyObject;
  try {
    if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(key)) throw new Error('no "BEGIN ... PRIVATE KEY" block');
    privateKey = createPrivateKey(key);
  } catch (error) {
    throw new ServingCertError(`${keyPath} is not a PEM private key: ${(error as Error).message}`, {
      cause: error,
    });
  }
  if (!x509.checkPrivateKey(privateKey)) {
    throw new ServingCertError(
      `the private key in ${keyPath} does not belong to the certificate in ${certPath}`,
    );
  }
  return { cert, key, x509 };
}

function coversHost(x509: X509Certificate, host: string): boolean {
  return isIP(host) === 0 ? x509.checkHost(host) !== undefined : x509.checkIP(host) !== undefined;
}

/** A previously generated pair is reused while it is valid for at least a day more and names every host. */
function reusable(pair: Pair, hosts: readonly string[], now: Date): boolean {
  const dayAhead = now.getTime() + 24 * 3600 * 1000;
  return (
    new Date(pair.x509.validFrom).getTime() <= now.getTime() &&
    new Date(pair.x509.validTo).getTime() > dayAhead &&
    hosts.every((host) => coversHost(pair.x509, host))
  );
}

async function generatePair(hosts: readonly string[], now: Date): Promise<{ cert: string; key: string }> {
  const altNames = hosts.map((host) =>
    isIP(host) === 0 ? { type: 2 as const, value: host } : { type: 7 as const, ip: host },
  );
  // NB: imported on use: selfsigned (and its crypto stack) is slow to load and only needed without a certificate.
  const { generate } = await import('selfsigned');
  const pems = await generate(
    [{ name: 'commonName', value: `localhost@${Math.floor(now.getTime() / 1000)}` }],
    {
      keyType: 'ec',
      curve: 'P-256',
      algorithm: 'sha256',
      // NB: a little slack for clients whose clock is behind ours.
      notBeforeDate: new Date(now.getTime() - 3600 * 1000),
      notAfterDate: new Date(now.getTime() + VALIDITY_MS),
      extensions: [
        { name: 'basicConstraints', cA: false, critical: true },
        { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
        { name: 'extKeyUsage', serverAuth: true },
        { name: 'subjectAltName', altNames },
      ],
    },
  );
  return { cert: pems.cert, key: pems.private };
}

/** Writes through a temporary file and a rename, so a reader never sees half a key. */
async function writeAtomically(path: string, text: string, mode: number): Promise<void> {
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, text, { mode });
  await rename(temporary, path);
}

/**
 * Returns the serving certificate and key (PEM). With `certFile` and `keyFile`, reads and checks them. Otherwise
 * reuses `<certDir>/apiserver.crt` and `apiserver.key` when both exist, parse, match, are valid and name every host;
 * else generates a self-signed certificate (CN `localhost@<unix time>`, SANs localhost, 127.0.0.1, ::1 and `hosts`,
 * valid one year) and writes it there (the directory is created; the key gets mode 0600). An empty `certDir` keeps
 * the generated pair in memory only.
 * @throws ServingCertError naming the file that cannot be read, parsed or written.
 */
export async function loadServingCert(options: ServingCertOptions): Promise<ServingCert> {
  const { certFile, keyFile } = options;
  if (certFile !== undefined || keyFile !== undefined) {
    if (certFile === undefined || keyFile === undefined) {
      throw new ServingCertError(
        `a serving certificate needs both a certificate file and a key file; only the ${certFile === undefined ? 'key' : 'certificate'} file was given`,
      );
    }
    const [cert, key] = await Promise.all([
      readText(certFile, 'certificate'),
      readText(keyFile, 'private key'),
    ]);
    parsePair(cert, key, certFile, keyFile);
    return { cert, key, certPath: certFile, keyPath: keyFile, generated: false };
  }

  const hosts = [...new Set([...DEFAULT_HOSTS, ...(options.hosts ?? [])])];
  const now = new Date();
  if (options.certDir === '') {
    // NB: an empty --cert-dir keeps the generated pair in memory only, as the Kubernetes apiserver does.
    const { cert, key } = await generatePair(hosts, now);
    return { cert, key, certPath: '', keyPath: '', generated: true };
  }
  const certPath = join(options.certDir, GENERATED_CERT_FILE);
  const keyPath = join(options.certDir, GENERATED_KEY_FILE);
  if (existsSync(certPath) && existsSync(keyPath)) {
    const [cert, key] = await Promise.all([
      readText(certPath, 'certificate'),
      readText(keyPath, 'private key'),
    ]);
    try {
      const pair = parsePair(cert, key, certPath, keyPath);
      if (reusable(pair, hosts, now)) return { cert, key, certPath, keyPath, generated: false };
    } catch (error) {
      // NB: a damaged generated pair is replaced, like an expired one; only files given by flags are fatal.
      if (!(error instanceof ServingCertError)) throw error;
    }
  }

  const { cert, key } = await generatePair(hosts, now);
  try {
    await makeDirectory(options.certDir);
    await writeAtomically(keyPath, key, 0o600);
    await writeAtomically(certPath, cert, 0o644);
  } catch (error) {
    throw new ServingCertError(
      `cannot write the self-signed serving certificate to ${options.certDir}: ${(error as Error).message}; ` +
        'point --cert-dir at a writable directory (on a read-only root filesystem, a mounted emptyDir such as ' +
        '/tmp/cert) or give --tls-cert-file and --tls-private-key-file',
      { cause: error },
    );
  }
  return { cert, key, certPath, keyPath, generated: true };
}

/**
 * `mkdir -p`, failing with the real cause: Node's recursive mkdir reports ENOENT when it cannot create a parent
 * (e.g. on a read-only filesystem), so the first missing ancestor is created on its own to surface EROFS or EACCES.
 */
async function makeDirectory(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    let missing = resolve(dir);
    while (dirname(missing) !== missing && !existsSync(dirname(missing))) missing = dirname(missing);
    await mkdir(missing);
    throw error;
  }
}
