/**
 * TLS settings given with Go names (`--tls-cipher-suites`), and reloading of the serving certificate files.
 */
import { watchFile, unwatchFile } from 'node:fs';
import { loadServingCert } from './serving-cert.js';

/** Go crypto/tls suite names → OpenSSL names, for the suites Go and OpenSSL both offer. */
const GO_TO_OPENSSL: Readonly<Record<string, string>> = {
  TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256: 'ECDHE-ECDSA-AES128-GCM-SHA256',
  TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256: 'ECDHE-RSA-AES128-GCM-SHA256',
  TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384: 'ECDHE-ECDSA-AES256-GCM-SHA384',
  TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384: 'ECDHE-RSA-AES256-GCM-SHA384',
  TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305: 'ECDHE-ECDSA-CHACHA20-POLY1305',
  TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256: 'ECDHE-ECDSA-CHACHA20-POLY1305',
  TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305: 'ECDHE-RSA-CHACHA20-POLY1305',
  TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256: 'ECDHE-RSA-CHACHA20-POLY1305',
  TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA: 'ECDHE-ECDSA-AES128-SHA',
  TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA: 'ECDHE-RSA-AES128-SHA',
  TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA: 'ECDHE-ECDSA-AES256-SHA',
  TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA: 'ECDHE-RSA-AES256-SHA',
  TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256: 'ECDHE-ECDSA-AES128-SHA256',
  TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256: 'ECDHE-RSA-AES128-SHA256',
  TLS_RSA_WITH_AES_128_GCM_SHA256: 'AES128-GCM-SHA256',
  TLS_RSA_WITH_AES_256_GCM_SHA384: 'AES256-GCM-SHA384',
  TLS_RSA_WITH_AES_128_CBC_SHA: 'AES128-SHA',
  TLS_RSA_WITH_AES_256_CBC_SHA: 'AES256-SHA',
  TLS_RSA_WITH_AES_128_CBC_SHA256: 'AES128-SHA256',
  TLS_AES_128_GCM_SHA256: 'TLS_AES_128_GCM_SHA256',
  TLS_AES_256_GCM_SHA384: 'TLS_AES_256_GCM_SHA384',
  TLS_CHACHA20_POLY1305_SHA256: 'TLS_CHACHA20_POLY1305_SHA256',
};

/**
 * Translates `--tls-cipher-suites` (Go names, as upstream takes them) into an OpenSSL cipher list.
 * @throws Error naming the first suite that is unknown or insecure
 */
export function cipherSuitesToOpenSSL(goNames: readonly string[]): string {
  return goNames
    .map((name) => {
      const openssl = GO_TO_OPENSSL[name.trim()];
      if (openssl === undefined) {
        throw new Error(
          `--tls-cipher-suites: unknown or unsupported cipher suite "${name}"; use Go names such as ` +
            'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256',
        );
      }
      return openssl;
    })
    .join(':');
}

/**
 * Watches the serving certificate and key files given by flags and calls `apply` with the new pair when either
 * changes (polling every `intervalMs`, which also sees Kubernetes' `..data` symlink swaps). A pair that does not
 * load is reported to `onError` and not applied: the old certificate keeps serving. Returns a stop function.
 */
export function watchServingCert(
  files: { certFile: string; keyFile: string; certDir: string },
  apply: (pair: { cert: string; key: string }) => void,
  onError: (error: unknown) => void,
  intervalMs = 1000,
): () => void {
  let pending: NodeJS.Timeout | undefined;
  const reload = () => {
    // NB: cert and key are usually replaced one after the other; wait for both writes to land.
    clearTimeout(pending);
    pending = setTimeout(() => {
      loadServingCert(files).then(({ cert, key }) => apply({ cert, key }), onError);
    }, 200);
  };
  watchFile(files.certFile, { interval: intervalMs, persistent: false }, reload);
  watchFile(files.keyFile, { interval: intervalMs, persistent: false }, reload);
  return () => {
    clearTimeout(pending);
    unwatchFile(files.certFile, reload);
    unwatchFile(files.keyFile, reload);
  };
}
