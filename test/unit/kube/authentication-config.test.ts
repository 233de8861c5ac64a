import { afterEach, beforeAll, describe, expect, it, jest } from '@jest/globals';
import {
  AUTHENTICATION_CONFIGMAP_PATH,
  AuthenticationConfigError,
  acceptableClientCas,
  createAuthenticationConfigSource,
  needsConfigMap,
  parseExtensionApiserverAuthentication,
  resolveAuthenticationConfig,
  type AuthenticationConfig,
  type AuthenticationConfigSource,
  type AuthenticationFlags,
} from '../../../src/kube/authentication-config.js';
import { KubeApiError } from '../../../src/kube/contract.js';
import {
  CONFIGMAP_FIXTURE,
  FakeKubeClient,
  RecordingLogger,
  fixtureJson,
  testPki,
  type TestPki,
} from './auth-test-support.js';

let pki: TestPki;
beforeAll(async () => {
  pki = await testPki();
});

let source: AuthenticationConfigSource | undefined;
afterEach(() => {
  source?.stop();
  source = undefined;
  jest.useRealTimers();
});

/** The recorded ConfigMap with some data keys replaced (`undefined` removes a key). */
function configMap(data: Record<string, string | undefined> = {}): unknown {
  const recorded = fixtureJson(CONFIGMAP_FIXTURE) as { data: Record<string, string> };
  const merged: Record<string, string> = { ...recorded.data };
  for (const [key, value] of Object.entries(data)) {
    if (value === undefined) delete merged[key];
    else merged[key] = value;
  }
  return { ...recorded, data: merged };
}

describe('parseExtensionApiserverAuthentication (SPEC 8: the ConfigMap)', () => {
  it('decodes the recorded kubeadm ConfigMap: JSON arrays inside strings, PEM values, no uid headers', () => {
    const parsed = parseExtensionApiserverAuthentication(fixtureJson(CONFIGMAP_FIXTURE));
    expect(parsed).toEqual({
      clientCaPem: expect.stringMatching(
        /^-----BEGIN CERTIFICATE-----\nMIIC\/jCCAeag[\s\S]*-----END CERTIFICATE-----\n$/,
      ),
      requestheaderClientCaPem: expect.stringMatching(
        /^-----BEGIN CERTIFICATE-----\nMIIDCjCCAfKg[\s\S]*-----END CERTIFICATE-----\n$/,
      ),
      requestheaderAllowedNames: ['front-proxy-client'],
      requestheaderUsernameHeaders: ['X-Remote-User'],
      requestheaderGroupHeaders: ['X-Remote-Group'],
      requestheaderExtraHeadersPrefix: ['X-Remote-Extra-'],
    });
    expect(parsed).not.toHaveProperty('requestheaderUidHeaders');
  });

  it('reads requestheader-uid-headers when the cluster publishes it (1.32+)', () => {
    const parsed = parseExtensionApiserverAuthentication(
      configMap({ 'requestheader-uid-headers': '["X-Remote-Uid"]' }),
    );
    expect(parsed.requestheaderUidHeaders).toEqual(['X-Remote-Uid']);
  });

  it('reads an empty list value as an empty list', () => {
    const parsed = parseExtensionApiserverAuthentication(configMap({ 'requestheader-allowed-names': '' }));
    expect(parsed.requestheaderAllowedNames).toEqual([]);
  });

  it.each([
    ['a body that is not a ConfigMap', { kind: 'Status' }, /not a ConfigMap/],
    [
      'a list that is not JSON',
      configMap({ 'requestheader-group-headers': 'X-Remote-Group' }),
      /data\.requestheader-group-headers is not a JSON array of strings/,
    ],
    [
      'a list of something else than strings',
      configMap({ 'requestheader-allowed-names': '[1]' }),
      /data\.requestheader-allowed-names is not a JSON array of strings/,
    ],
  ])('rejects %s', (_what, body, message) => {
    expect(() => parseExtensionApiserverAuthentication(body)).toThrow(AuthenticationConfigError);
    expect(() => parseExtensionApiserverAuthentication(body)).toThrow(message);
  });
});

describe('resolveAuthenticationConfig (flags first, then the ConfigMap, then upstream defaults)', () => {
  it('takes everything from the ConfigMap when no flag is given', () => {
    const config = resolveAuthenticationConfig(
      {},
      {},
      parseExtensionApiserverAuthentication(fixtureJson(CONFIGMAP_FIXTURE)),
    );
    expect(config.clientCA?.certificates.map((cert) => cert.subject)).toEqual(['CN=kubernetes']);
    expect(config.requestHeader).toMatchObject({
      allowedNames: ['front-proxy-client'],
      usernameHeaders: ['X-Remote-User'],
      uidHeaders: [],
      groupHeaders: ['X-Remote-Group'],
      extraHeaderPrefixes: ['X-Remote-Extra-'],
    });
    expect(config.requestHeader?.ca.certificates.map((cert) => cert.subject)).toEqual(['CN=front-proxy-ca']);
  });

  it('lets each flag override its ConfigMap value, and an empty list flag means "any name"', () => {
    const flags: AuthenticationFlags = {
      clientCaFile: '/etc/client-ca.pem',
      requestheaderAllowedNames: [],
      requestheaderGroupHeaders: ['X-Groups', 'X-More-Groups'],
    };
    const config = resolveAuthenticationConfig(
      flags,
      { clientCaPem: pki.clientCa.cert },
      parseExtensionApiserverAuthentication(fixtureJson(CONFIGMAP_FIXTURE)),
    );
    expect(config.clientCA?.source).toBe('/etc/client-ca.pem');
    expect(config.clientCA?.certificates[0]?.raw.equals(pki.clientCa.x509.raw)).toBe(true);
    expect(config.requestHeader).toMatchObject({
      allowedNames: [],
      usernameHeaders: ['X-Remote-User'],
      groupHeaders: ['X-Groups', 'X-More-Groups'],
    });
  });

  it('uses the X-Remote-* defaults when neither flags nor ConfigMap name the headers', () => {
    const config = resolveAuthenticationConfig(
      { requestheaderClientCaFile: '/etc/front-proxy-ca.pem' },
      { requestheaderClientCaPem: pki.frontProxyCa.cert },
      {},
    );
    expect(config.clientCA).toBeUndefined();
    expect(config.requestHeader).toMatchObject({
      allowedNames: [],
      usernameHeaders: ['X-Remote-User'],
      groupHeaders: ['X-Remote-Group'],
      extraHeaderPrefixes: ['X-Remote-Extra-'],
    });
  });

  it('disables front-proxy authentication when no requestheader CA is known', () => {
    expect(resolveAuthenticationConfig({}, {}, {})).toEqual({});
  });

  it('rejects a CA file without certificates, naming the file', () => {
    expect(() =>
      resolveAuthenticationConfig({ clientCaFile: '/etc/ca.pem' }, { clientCaPem: 'nothing here' }, {}),
    ).toThrow(/\/etc\/ca\.pem contains no PEM certificate/);
  });

  it('lists both CAs, once each, as the acceptable client CAs of the TLS server', () => {
    const config = resolveAuthenticationConfig(
      { clientCaFile: 'a', requestheaderClientCaFile: 'b' },
      {
        clientCaPem: pki.clientCa.cert + pki.frontProxyCa.cert,
        requestheaderClientCaPem: pki.frontProxyCa.cert,
      },
      {},
    );
    expect(acceptableClientCas(config)).toEqual([pki.clientCa.cert, pki.frontProxyCa.cert]);
  });

  it.each<[string, AuthenticationFlags, boolean]>([
    ['no flags', {}, true],
    [
      'every flag but the extra-headers prefix',
      {
        clientCaFile: 'a',
        requestheaderClientCaFile: 'b',
        requestheaderAllowedNames: [],
        requestheaderUsernameHeaders: ['X-Remote-User'],
        requestheaderGroupHeaders: ['X-Remote-Group'],
      },
      true,
    ],
    [
      'every flag',
      {
        clientCaFile: 'a',
        requestheaderClientCaFile: 'b',
        requestheaderAllowedNames: [],
        requestheaderUsernameHeaders: ['X-Remote-User'],
        requestheaderGroupHeaders: ['X-Remote-Group'],
        requestheaderExtraHeadersPrefix: ['X-Remote-Extra-'],
      },
      false,
    ],
  ])('the ConfigMap is needed with %s: %s', (_name, flags, needed) => {
    expect(needsConfigMap(flags)).toBe(needed);
  });
});

describe('createAuthenticationConfigSource', () => {
  function fakeKube(body: () => unknown = () => fixtureJson(CONFIGMAP_FIXTURE)): FakeKubeClient {
    const kube = new FakeKubeClient();
    kube.getHandlers.set(AUTHENTICATION_CONFIGMAP_PATH, body);
    return kube;
  }

  it('loads the ConfigMap at start and tells listeners', async () => {
    const kube = fakeKube();
    const logger = new RecordingLogger();
    source = createAuthenticationConfigSource({ flags: {}, kube, logger });
    const heard: AuthenticationConfig[] = [];
    source.onChange((config) => heard.push(config));
    expect(source.current()).toEqual({});
    const config = await source.start();
    expect(kube.gets).toEqual([AUTHENTICATION_CONFIGMAP_PATH]);
    expect(source.current()).toBe(config);
    expect(config.requestHeader?.allowedNames).toEqual(['front-proxy-client']);
    expect(heard).toEqual([config]);
  });

  it('reads CA files given by flags, and asks the cluster nothing when the flags give everything', async () => {
    const kube = fakeKube();
    const files: Record<string, string> = {
      '/ca/client.pem': pki.clientCa.cert,
      '/ca/fp.pem': pki.frontProxyCa.cert,
    };
    source = createAuthenticationConfigSource({
      flags: {
        clientCaFile: '/ca/client.pem',
        requestheaderClientCaFile: '/ca/fp.pem',
        requestheaderAllowedNames: ['aggregator'],
        requestheaderUsernameHeaders: ['X-Remote-User'],
        requestheaderGroupHeaders: ['X-Remote-Group'],
        requestheaderExtraHeadersPrefix: ['X-Remote-Extra-'],
      },
      kube,
      logger: new RecordingLogger(),
      readTextFile: (path) => Promise.resolve(files[path] ?? ''),
    });
    const config = await source.start();
    expect(kube.gets).toEqual([]);
    expect(config.clientCA?.source).toBe('/ca/client.pem');
    expect(config.requestHeader?.allowedNames).toEqual(['aggregator']);
  });

  it('fails to start with a hint when the ConfigMap may not be read (403)', async () => {
    const kube = fakeKube(() => {
      throw new KubeApiError('http', 'GET ...: 403 Forbidden', 403);
    });
    source = createAuthenticationConfigSource({ flags: {}, kube, logger: new RecordingLogger() });
    await expect(source.start()).rejects.toThrow(/extension-apiserver-authentication-reader/);
  });

  it('fails to start when an unreadable CA file is given, naming the flag', async () => {
    source = createAuthenticationConfigSource({
      flags: { clientCaFile: '/nope.pem' },
      kube: fakeKube(),
      logger: new RecordingLogger(),
      readTextFile: () => Promise.reject(new Error('ENOENT')),
    });
    await expect(source.start()).rejects.toThrow('--client-ca-file: cannot read /nope.pem: ENOENT');
  });

  it('treats a missing ConfigMap (404) as empty, with a warning', async () => {
    const kube = new FakeKubeClient();
    const logger = new RecordingLogger();
    source = createAuthenticationConfigSource({ flags: {}, kube, logger });
    expect(await source.start()).toEqual({});
    expect(logger.lines.filter((line) => line.level === 'warn').map((line) => line.msg)).toEqual([
      expect.stringMatching(/does not exist/),
      expect.stringMatching(/no client CA is configured/),
    ]);
  });

  it('refreshes periodically; a failed refresh keeps the last good configuration and is logged', async () => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
    let body: () => unknown = () => fixtureJson(CONFIGMAP_FIXTURE);
    const kube = fakeKube(() => body());
    const logger = new RecordingLogger();
    source = createAuthenticationConfigSource({ flags: {}, kube, logger, refreshIntervalMs: 60_000 });
    const heard: AuthenticationConfig[] = [];
    source.onChange((config) => heard.push(config));
    const first = await source.start();

    body = () => {
      throw new KubeApiError('unreachable', 'connect ECONNREFUSED');
    };
    await jest.advanceTimersByTimeAsync(60_000);
    expect(kube.gets).toHaveLength(2);
    expect(source.current()).toBe(first);
    expect(logger.lines.at(-1)).toMatchObject({
      level: 'warn',
      msg: 'reloading the authentication configuration failed; keeping the previous one',
    });

    body = () => configMap({ 'requestheader-allowed-names': '["aggregator"]' });
    await jest.advanceTimersByTimeAsync(60_000);
    expect(source.current().requestHeader?.allowedNames).toEqual(['aggregator']);

    await jest.advanceTimersByTimeAsync(60_000);
    expect(kube.gets).toHaveLength(4);
    expect(heard.map((config) => config.requestHeader?.allowedNames)).toEqual([
      ['front-proxy-client'],
      ['aggregator'],
    ]);
  });
});
