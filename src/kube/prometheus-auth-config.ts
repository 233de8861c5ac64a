import { readFileSync } from 'node:fs';
// NB: the package index loads every generated API client (1.5 s); config.js alone is half that.
import { KubeConfig } from '@kubernetes/client-node/dist/config.js';
import { safeKubeconfigError } from './kubeconfig-error.js';

/** TLS and credentials for Prometheus taken from a kubeconfig (`--prometheus-auth-config`), as data. */
export interface PrometheusAuth {
  ca?: string;
  cert?: string;
  key?: string;
  insecureSkipVerify: boolean;
  bearerToken?: string;
  basicAuth?: { username: string; password: string };
}

/**
 * Reads the current context of a kubeconfig the way upstream's `--prometheus-auth-config` does: the cluster's CA
 * and `insecure-skip-tls-verify`, the user's client certificate, token or basic auth. The server URL in it is
 * ignored (`--prometheus-url` says where Prometheus is).
 * @throws Error naming the file and what is missing or unsupported
 */
export function readPrometheusAuthConfig(path: string): PrometheusAuth {
  const kc = new KubeConfig();
  try {
    kc.loadFromFile(path);
  } catch (e) {
    const safe = safeKubeconfigError(e);
    throw new Error(`--prometheus-auth-config: cannot load ${path}: ${(safe as Error).message}`, {
      cause: safe,
    });
  }
  const cluster = kc.getCurrentCluster();
  const user = kc.getCurrentUser();
  if (cluster === null || user === null) {
    throw new Error(`--prometheus-auth-config: ${path} has no current context with a cluster and a user`);
  }
  if (user.exec !== undefined || user.authProvider !== undefined) {
    throw new Error(
      `--prometheus-auth-config: the user "${user.name}" in ${path} uses an exec or auth-provider plugin, which is ` +
        'not supported for Prometheus; use a token, a client certificate or basic auth',
    );
  }
  const data = (inline: string | undefined, file: string | undefined) =>
    inline !== undefined
      ? Buffer.from(inline, 'base64').toString('utf8')
      : file === undefined
        ? undefined
        : readFileSync(file, 'utf8');
  const auth: PrometheusAuth = { insecureSkipVerify: cluster.skipTLSVerify };
  const ca = data(cluster.caData, cluster.caFile);
  const cert = data(user.certData, user.certFile);
  const key = data(user.keyData, user.keyFile);
  if (ca !== undefined) auth.ca = ca;
  if (cert !== undefined) auth.cert = cert;
  if (key !== undefined) auth.key = key;
  if (user.token !== undefined && user.token !== '') auth.bearerToken = user.token.trim();
  if (user.username !== undefined && user.password !== undefined) {
    auth.basicAuth = { username: user.username, password: user.password };
  }
  return auth;
}
