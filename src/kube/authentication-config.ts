/**
 * Where client certificates may come from and which headers carry the front proxy's identity (SPEC 8): the
 * `--client-ca-file` / `--requestheader-*` flags, and for whatever they leave out, the ConfigMap
 * `kube-system/extension-apiserver-authentication` that the kube-apiserver publishes for aggregated API servers.
 */
import type { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { KubeApiError, type KubeClient } from './contract.js';
import { isRecord } from './json.js';
import type { KubeLogger } from './kube-logger.js';
import { CertificateBundleError, parseCertificateBundle } from './cert-chain.js';

/** A CA bundle: its certificates and the PEM they came from. */
export interface CaBundle {
  certificates: readonly X509Certificate[];
  pem: string;
  /** Where it came from, for logs: a file path or `configmap kube-system/extension-apiserver-authentication`. */
  source: string;
}

/** The front proxy (requestheader) settings: whom to trust to assert identities, and in which headers. */
export interface RequestHeaderConfig {
  ca: CaBundle;
  /** Common names a front-proxy certificate may have; empty = any certificate from the CA. */
  allowedNames: readonly string[];
  usernameHeaders: readonly string[];
  /** `X-Remote-Uid` and the like; only in clusters that publish them (1.32+). */
  uidHeaders: readonly string[];
  groupHeaders: readonly string[];
  extraHeaderPrefixes: readonly string[];
}

/** How client certificates authenticate. An absent member disables that way of authenticating. */
export interface AuthenticationConfig {
  clientCA?: CaBundle;
  requestHeader?: RequestHeaderConfig;
}

/**
 * The flags that configure authentication (same names as `AdapterOptions.kube`). A list that is `undefined` was
 * not given and is read from the ConfigMap.
 */
export interface AuthenticationFlags {
  clientCaFile?: string;
  requestheaderClientCaFile?: string;
  requestheaderAllowedNames?: readonly string[];
  requestheaderUsernameHeaders?: readonly string[];
  requestheaderGroupHeaders?: readonly string[];
  requestheaderExtraHeadersPrefix?: readonly string[];
}

/** The values of the ConfigMap, decoded; a key the ConfigMap does not have is `undefined`. */
export interface ExtensionApiserverAuthentication {
  clientCaPem?: string;
  requestheaderClientCaPem?: string;
  requestheaderAllowedNames?: string[];
  requestheaderUsernameHeaders?: string[];
  requestheaderUidHeaders?: string[];
  requestheaderGroupHeaders?: string[];
  requestheaderExtraHeadersPrefix?: string[];
}

/** A configuration that cannot be read or makes no sense; the message says what to fix. */
export class AuthenticationConfigError extends Error {
  override readonly name = 'AuthenticationConfigError';
}

/** Where the kube-apiserver publishes its client CAs and front-proxy settings for aggregated API servers. */
export const AUTHENTICATION_CONFIGMAP_PATH =
  '/api/v1/namespaces/kube-system/configmaps/extension-apiserver-authentication';

const CONFIGMAP_SOURCE = 'configmap kube-system/extension-apiserver-authentication';

/** Upstream's flag defaults, used when neither a flag nor the ConfigMap gives the header names. */
const DEFAULT_USERNAME_HEADERS = ['X-Remote-User'];
const DEFAULT_GROUP_HEADERS = ['X-Remote-Group'];
const DEFAULT_EXTRA_HEADERS_PREFIX = ['X-Remote-Extra-'];

/** How often the ConfigMap and the CA files are read again (the kube-apiserver rotates the front-proxy CA). */
export const DEFAULT_REFRESH_INTERVAL_MS = 60_000;

function parseStringList(data: Record<string, unknown>, key: string): string[] | undefined {
  const raw = data[key];
  if (raw === undefined) return undefined;
  let parsed: unknown;
  try {
    if (typeof raw !== 'string') throw new Error('not a string');
    // NB: an empty value is an empty list, as upstream's deserializeStrings reads it.
    parsed = raw.trim() === '' ? [] : (JSON.parse(raw) as unknown);
  } catch (error) {
    throw new AuthenticationConfigError(
      `${CONFIGMAP_SOURCE}: data.${key} is not a JSON array of strings: ${(error as Error).message}`,
      { cause: error },
    );
  }
  if (!Array.isArray(parsed) || !parsed.every((item): item is string => typeof item === 'string')) {
    throw new AuthenticationConfigError(`${CONFIGMAP_SOURCE}: data.${key} is not a JSON array of strings`);
  }
  return parsed;
}

function optionalString(data: Record<string, unknown>, key: string): string | undefined {
  const raw = data[key];
  if (raw === undefined || raw === '') return undefined;
  if (typeof raw !== 'string')
    throw new AuthenticationConfigError(`${CONFIGMAP_SOURCE}: data.${key} is not a string`);
  return raw;
}

/**
 * Decodes the ConfigMap body (GET {@link AUTHENTICATION_CONFIGMAP_PATH}). List values are JSON arrays inside
 * strings; absent keys (`requestheader-uid-headers` before 1.32) stay `undefined`.
 * @throws AuthenticationConfigError when the body is not a ConfigMap or a value does not decode
 */
export function parseExtensionApiserverAuthentication(body: unknown): ExtensionApiserverAuthentication {
  if (!isRecord(body) || body.kind !== 'ConfigMap') {
    throw new AuthenticationConfigError(`${CONFIGMAP_SOURCE}: the answer is not a ConfigMap`);
  }
  const data = body.data === undefined ? {} : body.data;
  if (!isRecord(data)) throw new AuthenticationConfigError(`${CONFIGMAP_SOURCE}: data is not an object`);
  const result: ExtensionApiserverAuthentication = {};
  const set = <K extends keyof ExtensionApiserverAuthentication>(
    key: K,
    value: ExtensionApiserverAuthentication[K] | undefined,
  ): void => {
    if (value !== undefined) result[key] = value;
  };
  set('clientCaPem', optionalString(data, 'client-ca-file'));
  set('requestheaderClientCaPem', optionalString(data, 'requestheader-client-ca-file'));
  set('requestheaderAllowedNames', parseStringList(data, 'requestheader-allowed-names'));
  set('requestheaderUsernameHeaders', parseStringList(data, 'requestheader-username-headers'));
  set('requestheaderUidHeaders', parseStringList(data, 'requestheader-uid-headers'));
  set('requestheaderGroupHeaders', parseStringList(data, 'requestheader-group-headers'));
  set('requestheaderExtraHeadersPrefix', parseStringList(data, 'requestheader-extra-headers-prefix'));
  return result;
}

/** True when some setting is left to the ConfigMap (a CA file or a requestheader list flag was not given). */
export function needsConfigMap(flags: AuthenticationFlags): boolean {
  return (
    flags.clientCaFile === undefined ||
    flags.requestheaderClientCaFile === undefined ||
    flags.requestheaderAllowedNames === undefined ||
    flags.requestheaderUsernameHeaders === undefined ||
    flags.requestheaderGroupHeaders === undefined ||
    flags.requestheaderExtraHeadersPrefix === undefined
  );
}

function bundle(pem: string, source: string): CaBundle {
  try {
    return { certificates: parseCertificateBundle(pem, source), pem, source };
  } catch (error) {
    if (error instanceof CertificateBundleError) {
      throw new AuthenticationConfigError(error.message, { cause: error });
    }
    throw error;
  }
}

function cleanNames(names: readonly string[]): string[] {
  return names.map((name) => name.trim()).filter((name) => name !== '');
}

/**
 * Combines the flags (their CA files already read: `files`) with the ConfigMap: each setting from its flag when
 * given, else from the ConfigMap, else (header names only) upstream's default.
 * @throws AuthenticationConfigError when a CA bundle does not parse
 */
export function resolveAuthenticationConfig(
  flags: AuthenticationFlags,
  files: { clientCaPem?: string; requestheaderClientCaPem?: string },
  configMap: ExtensionApiserverAuthentication,
): AuthenticationConfig {
  const config: AuthenticationConfig = {};
  if (flags.clientCaFile !== undefined && files.clientCaPem !== undefined) {
    config.clientCA = bundle(files.clientCaPem, flags.clientCaFile);
  } else if (configMap.clientCaPem !== undefined) {
    config.clientCA = bundle(configMap.clientCaPem, `${CONFIGMAP_SOURCE} (client-ca-file)`);
  }
  const requestheaderCa =
    flags.requestheaderClientCaFile !== undefined && files.requestheaderClientCaPem !== undefined
      ? bundle(files.requestheaderClientCaPem, flags.requestheaderClientCaFile)
      : configMap.requestheaderClientCaPem === undefined
        ? undefined
        : bundle(configMap.requestheaderClientCaPem, `${CONFIGMAP_SOURCE} (requestheader-client-ca-file)`);
  if (requestheaderCa !== undefined) {
    config.requestHeader = {
      ca: requestheaderCa,
      allowedNames: cleanNames(flags.requestheaderAllowedNames ?? configMap.requestheaderAllowedNames ?? []),
      usernameHeaders: cleanNames(
        flags.requestheaderUsernameHeaders ??
          configMap.requestheaderUsernameHeaders ??
          DEFAULT_USERNAME_HEADERS,
      ),
      uidHeaders: cleanNames(configMap.requestheaderUidHeaders ?? []),
      groupHeaders: cleanNames(
        flags.requestheaderGroupHeaders ?? configMap.requestheaderGroupHeaders ?? DEFAULT_GROUP_HEADERS,
      ),
      extraHeaderPrefixes: cleanNames(
        flags.requestheaderExtraHeadersPrefix ??
          configMap.requestheaderExtraHeadersPrefix ??
          DEFAULT_EXTRA_HEADERS_PREFIX,
      ),
    };
  }
  return config;
}

/**
 * The PEM certificates a TLS server should list as acceptable client CAs (its `ca` option): the client CA and the
 * requestheader CA. NB: Go clients, the kube-apiserver's proxy among them, send no certificate at all when the
 * server's list does not name their issuer, so this list must follow the configuration.
 */
export function acceptableClientCas(config: AuthenticationConfig): string[] {
  const pems = [
    ...(config.clientCA?.certificates ?? []),
    ...(config.requestHeader?.ca.certificates ?? []),
  ].map((cert) => cert.toString());
  return [...new Set(pems)];
}

function fingerprint(config: AuthenticationConfig): string {
  const rh = config.requestHeader;
  return JSON.stringify([
    config.clientCA?.pem,
    rh === undefined
      ? undefined
      : [
          rh.ca.pem,
          rh.allowedNames,
          rh.usernameHeaders,
          rh.uidHeaders,
          rh.groupHeaders,
          rh.extraHeaderPrefixes,
        ],
  ]);
}

/** The structured logger subset used here (pino-compatible). */
export type AuthConfigLogger = Pick<KubeLogger, 'info' | 'warn' | 'error'>;

export interface AuthenticationConfigSourceOptions {
  flags: AuthenticationFlags;
  /** Reads the ConfigMap; may be absent only when every setting is given by flags. */
  kube?: KubeClient;
  logger: AuthConfigLogger;
  refreshIntervalMs?: number;
  /** Reads a CA file (default: node:fs). */
  readTextFile?: (path: string) => Promise<string>;
}

/**
 * The current authentication configuration, kept fresh: `start()` loads it (flags' CA files, then the ConfigMap
 * if something is left to it) and then reloads it every `refreshIntervalMs`. A failed reload keeps the last good
 * configuration and is logged. Listeners hear about every change (to update the TLS server's client CA list).
 */
export interface AuthenticationConfigSource {
  /** The last good configuration; empty (no certificate authentication) before the first load. */
  current(): AuthenticationConfig;
  /**
   * Loads once and starts the periodic reload.
   * @throws AuthenticationConfigError when the first load fails (unreadable file, ConfigMap not readable)
   */
  start(): Promise<AuthenticationConfig>;
  /** Loads once now, and installs the result; rejects (keeping the old configuration) when loading fails. */
  reload(): Promise<AuthenticationConfig>;
  stop(): void;
  /** Calls `listener` after each change of the configuration; returns a function that unsubscribes. */
  onChange(listener: (config: AuthenticationConfig) => void): () => void;
}

/** Creates an {@link AuthenticationConfigSource}. Does no I/O until `start()` or `reload()`. */
export function createAuthenticationConfigSource(
  options: AuthenticationConfigSourceOptions,
): AuthenticationConfigSource {
  const { flags, kube, logger } = options;
  const intervalMs = options.refreshIntervalMs ?? DEFAULT_REFRESH_INTERVAL_MS;
  const readText = options.readTextFile ?? ((path: string) => readFile(path, 'utf8'));
  const listeners = new Set<(config: AuthenticationConfig) => void>();
  let current: AuthenticationConfig = {};
  let currentFingerprint = fingerprint(current);
  let timer: NodeJS.Timeout | undefined;
  let loading: Promise<AuthenticationConfig> | undefined;

  const readFlagFile = async (path: string | undefined, flag: string): Promise<string | undefined> => {
    if (path === undefined) return undefined;
    try {
      return await readText(path);
    } catch (error) {
      throw new AuthenticationConfigError(`${flag}: cannot read ${path}: ${(error as Error).message}`, {
        cause: error,
      });
    }
  };

  const readConfigMap = async (): Promise<ExtensionApiserverAuthentication> => {
    if (!needsConfigMap(flags)) return {};
    if (kube === undefined) {
      throw new AuthenticationConfigError(
        'no Kubernetes API to read kube-system/extension-apiserver-authentication from; give --client-ca-file ' +
          'and the --requestheader-* flags',
      );
    }
    let body: unknown;
    try {
      body = await kube.getJson(AUTHENTICATION_CONFIGMAP_PATH);
    } catch (error) {
      if (error instanceof KubeApiError && error.kind === 'http' && error.status === 404) {
        logger.warn(
          {},
          'kube-system/extension-apiserver-authentication does not exist: client certificates are only ' +
            'accepted from CAs given by flags',
        );
        return {};
      }
      const hint =
        error instanceof KubeApiError && error.kind === 'http' && error.status === 403
          ? '; usually fixed by binding the role kube-system/extension-apiserver-authentication-reader to the ' +
            "adapter's service account"
          : '';
      throw new AuthenticationConfigError(
        `cannot read kube-system/extension-apiserver-authentication: ${(error as Error).message}${hint}`,
        { cause: error },
      );
    }
    return parseExtensionApiserverAuthentication(body);
  };

  const load = async (): Promise<AuthenticationConfig> => {
    const [clientCaPem, requestheaderClientCaPem, configMap] = await Promise.all([
      readFlagFile(flags.clientCaFile, '--client-ca-file'),
      readFlagFile(flags.requestheaderClientCaFile, '--requestheader-client-ca-file'),
      readConfigMap(),
    ]);
    return resolveAuthenticationConfig(
      flags,
      {
        ...(clientCaPem === undefined ? {} : { clientCaPem }),
        ...(requestheaderClientCaPem === undefined ? {} : { requestheaderClientCaPem }),
      },
      configMap,
    );
  };

  const install = (config: AuthenticationConfig): void => {
    const next = fingerprint(config);
    if (next === currentFingerprint) return;
    current = config;
    currentFingerprint = next;
    logger.info(
      {
        clientCA: config.clientCA?.source,
        requestheaderCA: config.requestHeader?.ca.source,
        requestheaderAllowedNames: config.requestHeader?.allowedNames,
      },
      'authentication configuration loaded',
    );
    for (const listener of listeners) {
      try {
        listener(config);
      } catch (error) {
        logger.error({ err: error }, 'an authentication configuration listener failed');
      }
    }
  };

  const reload = (): Promise<AuthenticationConfig> => {
    // NB: one load at a time; a caller during a load shares its outcome.
    loading ??= load()
      .then((config) => {
        install(config);
        return config;
      })
      .finally(() => {
        loading = undefined;
      });
    return loading;
  };

  return {
    current: () => current,
    reload,
    async start() {
      const config = await reload();
      if (config.clientCA === undefined && config.requestHeader === undefined) {
        logger.warn(
          {},
          'no client CA is configured: requests are only authenticated with bearer tokens (TokenReview)',
        );
      }
      if (timer === undefined) {
        timer = setInterval(() => {
          reload().catch((error: unknown) =>
            logger.warn(
              { err: error },
              'reloading the authentication configuration failed; keeping the previous one',
            ),
          );
        }, intervalMs);
        timer.unref();
      }
      return config;
    },
    stop() {
      if (timer !== undefined) clearInterval(timer);
      timer = undefined;
    },
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
