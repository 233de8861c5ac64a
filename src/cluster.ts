/**
 * The Kubernetes side of the process, wired from flags: API clients (lister, authentication, authorization
 * kubeconfigs, or in-cluster), the discovery resource mapping, the watch-backed object lister, and delegated
 * authentication/authorization with its CA bundle. Standalone mode uses the built-in table instead.
 */
import type { Logger } from 'pino';
import type { ResourceMapper, ObjectLister } from './kube/contract.js';
import {
  acceptableClientCas,
  createAuthenticationConfigSource,
  type AuthenticationConfig,
} from './kube/authentication-config.js';
import { createAuthenticator } from './kube/authenticator.js';
import { createAuthorizer } from './kube/authorizer.js';
import { createDiscoveryResourceMapper } from './kube/discovery-mapper.js';
import type { ClusterKubeClient } from './kube/kube-client.js';
import { createObjectLister } from './kube/object-lister.js';
import { createStandaloneObjectLister, createStandaloneResourceMapper } from './kube/standalone.js';
import type { AdapterOptions } from './options.js';
import type { AuthOptions } from './server/auth.js';

export interface KubeSide {
  mapper: ResourceMapper;
  lister: ObjectLister;
  /** Absent in standalone mode: requests are then neither authenticated nor authorized. */
  auth?: AuthOptions;
  /** The CAs to list as acceptable client certificate issuers (client CA and requestheader CA). */
  clientCas: string[];
  /** Called with the new CA list whenever the authentication configuration changes. */
  onClientCasChange(listener: (cas: string[]) => void): void;
  stop(): void;
}

/**
 * Connects to the cluster (or not, with `--standalone`). Resolves once the first discovery and authentication
 * configuration are loaded; a cluster that cannot be reached at startup is an error naming what failed.
 */
export async function connectKubeSide(options: AdapterOptions, rootLogger: Logger): Promise<KubeSide> {
  if (options.standalone) {
    return {
      mapper: createStandaloneResourceMapper(),
      lister: createStandaloneObjectLister(),
      clientCas: [],
      onClientCasChange: () => undefined,
      stop: () => undefined,
    };
  }
  // NB: loaded only here: @kubernetes/client-node takes over a second to import, which standalone mode and the
  // subcommands need not pay.
  const { createKubeClient } = await import('./kube/kube-client.js');
  const { kube } = options;
  const clients = new Map<string | undefined, Promise<ClusterKubeClient>>();
  const clientFor = (kubeconfig: string | undefined) => {
    let client = clients.get(kubeconfig);
    if (client === undefined) {
      client = createKubeClient({
        ...(kubeconfig === undefined ? {} : { kubeconfig }),
        qps: kube.qps,
        burst: kube.burst,
        userAgent: 'prometheus-metrics-adapter',
      });
      clients.set(kubeconfig, client);
    }
    return client;
  };
  const lister = await clientFor(kube.listerKubeconfig);
  const authnClient = await clientFor(kube.authenticationKubeconfig ?? kube.listerKubeconfig);
  const authzClient = await clientFor(kube.authorizationKubeconfig ?? kube.listerKubeconfig);

  const kubeLogger = rootLogger.child({ component: 'kube' });
  const mapper = createDiscoveryResourceMapper(lister, {
    refreshIntervalMs: kube.discoveryIntervalMs,
    logger: kubeLogger,
  });
  try {
    await mapper.refresh();
  } catch (e) {
    throw new Error(
      `cannot read the API discovery documents from ${lister.server}: ${(e as Error).message}; check ` +
        '--lister-kubeconfig (or the in-cluster service account) and that the API server is reachable',
      { cause: e },
    );
  }
  mapper.start();
  const objectLister = createObjectLister(lister, { logger: kubeLogger });

  const authLogger = rootLogger.child({ component: 'auth' });
  const authConfig = createAuthenticationConfigSource({
    flags: {
      ...(kube.clientCaFile === undefined ? {} : { clientCaFile: kube.clientCaFile }),
      ...(kube.requestheaderClientCaFile === undefined
        ? {}
        : { requestheaderClientCaFile: kube.requestheaderClientCaFile }),
      ...(kube.requestheaderAllowedNames === undefined
        ? {}
        : { requestheaderAllowedNames: kube.requestheaderAllowedNames }),
      ...(kube.requestheaderUsernameHeaders === undefined
        ? {}
        : { requestheaderUsernameHeaders: kube.requestheaderUsernameHeaders }),
      ...(kube.requestheaderGroupHeaders === undefined
        ? {}
        : { requestheaderGroupHeaders: kube.requestheaderGroupHeaders }),
      ...(kube.requestheaderExtraHeadersPrefix === undefined
        ? {}
        : { requestheaderExtraHeadersPrefix: kube.requestheaderExtraHeadersPrefix }),
    },
    kube: authnClient,
    logger: authLogger,
  });
  let initial: AuthenticationConfig;
  try {
    initial = await authConfig.start();
  } catch (e) {
    throw new Error(
      `cannot load the authentication configuration: ${(e as Error).message}; the adapter reads ` +
        'kube-system/extension-apiserver-authentication unless --client-ca-file and --requestheader-* are given',
      { cause: e },
    );
  }
  const auth: AuthOptions = {
    authenticator: createAuthenticator({
      config: () => authConfig.current(),
      kube: authnClient,
      logger: authLogger,
    }),
    authorizer: createAuthorizer({ kube: authzClient, logger: authLogger }),
    alwaysAllowPaths: kube.alwaysAllowPaths,
  };
  return {
    mapper,
    lister: objectLister,
    auth,
    clientCas: acceptableClientCas(initial),
    onClientCasChange: (listener) => {
      authConfig.onChange((config) => listener(acceptableClientCas(config)));
    },
    stop: () => {
      mapper.stop();
      objectLister.stop();
      authConfig.stop();
      for (const client of clients.values()) void client.then((c) => c.close());
    },
  };
}
