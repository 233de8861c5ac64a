import { describe, it, expect } from '@jest/globals';
import { HELP_TEXT, OptionsError, parseOptions } from '../../src/options.js';
import type { AdapterOptions } from '../../src/options.js';

const CONFIG = '--config=config/queue-worker.yaml';

function errorOf(argv: string[]): OptionsError {
  try {
    parseOptions(argv);
  } catch (error) {
    if (error instanceof OptionsError) return error;
    throw error;
  }
  throw new Error(`parseOptions(${JSON.stringify(argv)}) did not throw`);
}

describe('parseOptions: the Helm chart (SPEC 2)', () => {
  it("accepts the chart's exact argument list, ignoring the repeated /adapter", () => {
    const options = parseOptions([
      '/adapter',
      '--secure-port=6443',
      '--cert-dir=/tmp/cert',
      '--prometheus-url=http://prometheus-for-adapter-server.kube-system.svc:80/',
      '--metrics-relist-interval=1m',
      '--v=4',
      '--config=/etc/adapter/config.yaml',
    ]);
    expect(options).toMatchObject({
      help: false,
      config: '/etc/adapter/config.yaml',
      prometheus: { verb: 'GET', headers: [], authInCluster: false, timeoutMs: 10_000 },
      relistIntervalMs: 60_000,
      maxAgeMs: 60_000,
      serving: { securePort: 6443, bindAddress: '0.0.0.0', certDir: '/tmp/cert', tlsMinVersion: 'TLSv1.2' },
      verbosity: 4,
      ignoredFlags: [],
    });
    expect(options.prometheus.url.protocol).toBe('http:');
    expect(options.prometheus.url.hostname).toBe('prometheus-for-adapter-server.kube-system.svc');
    expect(options.prometheus.url.pathname).toBe('/');
  });
});

describe('parseOptions: defaults (SPEC 2 table)', () => {
  it('uses the documented default of every flag when only --config is given', () => {
    const options = parseOptions([CONFIG]);
    const expected: Omit<AdapterOptions, 'prometheus'> & {
      prometheus: Omit<AdapterOptions['prometheus'], 'url'>;
    } = {
      help: false,
      config: 'config/queue-worker.yaml',
      prometheus: { verb: 'GET', headers: [], authInCluster: false, timeoutMs: 10_000 },
      relistIntervalMs: 600_000,
      maxAgeMs: 600_000,
      serving: {
        securePort: 6443,
        bindAddress: '0.0.0.0',
        certDir: 'apiserver.local.config/certificates',
        tlsMinVersion: 'TLSv1.2',
        cipherSuites: [],
        disableHttp2: false,
      },
      kube: {
        alwaysAllowPaths: ['/healthz', '/readyz', '/livez'],
        discoveryIntervalMs: 60_000,
        qps: 20,
        burst: 40,
      },
      verbosity: 0,
      standalone: false,
      shutdownGracePeriodMs: 30_000,
      ignoredFlags: [],
    };
    const { url, ...prometheus } = options.prometheus;
    expect({ ...options, prometheus }).toStrictEqual(expected);
    expect(url.href).toBe('https://localhost/');
  });

  it('leaves optional settings absent rather than empty', () => {
    const options = parseOptions([CONFIG]);
    expect(Object.keys(options.kube)).toEqual(['alwaysAllowPaths', 'discoveryIntervalMs', 'qps', 'burst']);
    expect('tokenFile' in options.prometheus).toBe(false);
    expect('certFile' in options.serving).toBe(false);
  });
});

describe('parseOptions: accepted forms and values', () => {
  it.each<[string, string[], Record<string, unknown>]>([
    ['--flag value', ['--config', 'a.yaml'], { config: 'a.yaml' }],
    ['--flag=value with "=" in the value', ['--config=a=b.yaml'], { config: 'a=b.yaml' }],
    ['the last of a repeated flag', [CONFIG, '--v=2', '--v=5'], { verbosity: 5 }],
    ['klog-style -v=4', [CONFIG, '-v=4'], { verbosity: 4 }],
    ['klog-style -v 4', [CONFIG, '-v', '4'], { verbosity: 4 }],
    ['--v 4', [CONFIG, '--v', '4'], { verbosity: 4 }],
    ['a bare boolean', [CONFIG, '--disable-http2'], { serving: { disableHttp2: true } }],
    ['--bool=true', [CONFIG, '--prometheus-auth-incluster=true'], { prometheus: { authInCluster: true } }],
    ['--bool=false', [CONFIG, '--standalone=false'], { standalone: false }],
    ["Go's --bool=1", [CONFIG, '--disable-http2=1'], { serving: { disableHttp2: true } }],
    ["Go's --bool=F", [CONFIG, '--disable-http2=F'], { serving: { disableHttp2: false } }],
    [
      '--prometheus-verb in lower case, normalised',
      [CONFIG, '--prometheus-verb=post'],
      { prometheus: { verb: 'POST' } },
    ],
    ['--prometheus-verb=Get', [CONFIG, '--prometheus-verb=Get'], { prometheus: { verb: 'GET' } }],
    [
      'repeated --prometheus-header, value kept verbatim with further "="',
      [
        CONFIG,
        '--prometheus-header=X-Scope-OrgID=team-a',
        '--prometheus-header',
        'X-Sig=a=b= c',
        '--prometheus-header=X-Empty=',
      ],
      {
        prometheus: {
          headers: [
            ['X-Scope-OrgID', 'team-a'],
            ['X-Sig', 'a=b= c'],
            ['X-Empty', ''],
          ],
        },
      },
    ],
    [
      'Prometheus TLS and auth files',
      [
        CONFIG,
        '--prometheus-token-file=/var/run/token',
        '--prometheus-ca-file=/ca.crt',
        '--prometheus-client-tls-cert-file=/c.crt',
        '--prometheus-client-tls-key-file=/c.key',
        '--prometheus-auth-config=/kubeconfig',
      ],
      {
        prometheus: {
          tokenFile: '/var/run/token',
          caFile: '/ca.crt',
          clientCertFile: '/c.crt',
          clientKeyFile: '/c.key',
          authConfig: '/kubeconfig',
        },
      },
    ],
    ['--prometheus-timeout', [CONFIG, '--prometheus-timeout=2.5s'], { prometheus: { timeoutMs: 2_500 } }],
    [
      '--metrics-max-age defaults to the relist interval',
      [CONFIG, '--metrics-relist-interval=1h30m'],
      { relistIntervalMs: 5_400_000, maxAgeMs: 5_400_000 },
    ],
    [
      '--metrics-max-age above the relist interval',
      [CONFIG, '--metrics-relist-interval=30s', '--metrics-max-age=2m'],
      { relistIntervalMs: 30_000, maxAgeMs: 120_000 },
    ],
    [
      '--metrics-max-age equal to the relist interval',
      [CONFIG, '--metrics-max-age=10m'],
      { maxAgeMs: 600_000 },
    ],
    ['--secure-port=0 (random port)', [CONFIG, '--secure-port=0'], { serving: { securePort: 0 } }],
    ['--secure-port=65535', [CONFIG, '--secure-port', '65535'], { serving: { securePort: 65535 } }],
    ['--bind-address IPv6', [CONFIG, '--bind-address=::'], { serving: { bindAddress: '::' } }],
    [
      '--standalone binds to 127.0.0.1',
      [CONFIG, '--standalone'],
      { standalone: true, serving: { bindAddress: '127.0.0.1' } },
    ],
    [
      '--standalone with an explicit --bind-address',
      [CONFIG, '--standalone', '--bind-address=0.0.0.0'],
      { standalone: true, serving: { bindAddress: '0.0.0.0' } },
    ],
    ['--cert-dir= (memory only)', [CONFIG, '--cert-dir='], { serving: { certDir: '' } }],
    [
      'serving cert and key',
      [CONFIG, '--tls-cert-file=/s/tls.crt', '--tls-private-key-file=/s/tls.key'],
      { serving: { certFile: '/s/tls.crt', keyFile: '/s/tls.key' } },
    ],
    ['VersionTLS12', [CONFIG, '--tls-min-version=VersionTLS12'], { serving: { tlsMinVersion: 'TLSv1.2' } }],
    ['VersionTLS13', [CONFIG, '--tls-min-version=VersionTLS13'], { serving: { tlsMinVersion: 'TLSv1.3' } }],
    [
      '--tls-cipher-suites as a comma list, repeatable',
      [
        CONFIG,
        '--tls-cipher-suites=TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384',
        '--tls-cipher-suites=TLS_AES_128_GCM_SHA256',
      ],
      {
        serving: {
          cipherSuites: [
            'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256',
            'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384',
            'TLS_AES_128_GCM_SHA256',
          ],
        },
      },
    ],
    [
      'Kubernetes access and requestheader flags',
      [
        CONFIG,
        '--lister-kubeconfig=/k/lister',
        '--authentication-kubeconfig=/k/authn',
        '--authorization-kubeconfig=/k/authz',
        '--client-ca-file=/k/ca.crt',
        '--requestheader-client-ca-file=/k/front-proxy-ca.crt',
        '--requestheader-allowed-names=front-proxy-client,aggregator',
        '--requestheader-username-headers=X-Remote-User',
        '--requestheader-group-headers=X-Remote-Group',
        '--requestheader-extra-headers-prefix=X-Remote-Extra-,X-Extra-',
        '--authorization-always-allow-paths=/healthz,/metrics',
      ],
      {
        kube: {
          listerKubeconfig: '/k/lister',
          authenticationKubeconfig: '/k/authn',
          authorizationKubeconfig: '/k/authz',
          clientCaFile: '/k/ca.crt',
          requestheaderClientCaFile: '/k/front-proxy-ca.crt',
          requestheaderAllowedNames: ['front-proxy-client', 'aggregator'],
          requestheaderUsernameHeaders: ['X-Remote-User'],
          requestheaderGroupHeaders: ['X-Remote-Group'],
          requestheaderExtraHeadersPrefix: ['X-Remote-Extra-', 'X-Extra-'],
          alwaysAllowPaths: ['/healthz', '/metrics'],
        },
      },
    ],
    [
      'an explicitly empty list (allowed names: any)',
      [CONFIG, '--requestheader-allowed-names=', '--authorization-always-allow-paths='],
      { kube: { requestheaderAllowedNames: [], alwaysAllowPaths: [] } },
    ],
    ['--shutdown-grace-period', [CONFIG, '--shutdown-grace-period=1m'], { shutdownGracePeriodMs: 60_000 }],
    ['--shutdown-grace-period=0', [CONFIG, '--shutdown-grace-period=0'], { shutdownGracePeriodMs: 0 }],
  ])('accepts %s', (_name, argv, expected) => {
    expect(parseOptions(argv)).toMatchObject(expected);
  });

  it.each([
    ['http://h:9090/prom', 'http://h:9090/prom'],
    ['https://thanos.example/api/prom?tenant=a&x=1', 'https://thanos.example/api/prom?tenant=a&x=1'],
    ['http://mimir:8080/prometheus/', 'http://mimir:8080/prometheus/'],
  ])('keeps the path and query string of --prometheus-url=%s', (given, href) => {
    expect(parseOptions([CONFIG, `--prometheus-url=${given}`]).prometheus.url.href).toBe(href);
  });

  it('treats an empty optional path as not given', () => {
    const options = parseOptions([
      CONFIG,
      '--prometheus-token-file=',
      '--tls-cert-file=',
      '--tls-private-key-file=',
      '--lister-kubeconfig=',
    ]);
    expect(options.prometheus.tokenFile).toBeUndefined();
    expect(options.serving.certFile).toBeUndefined();
    expect(options.kube.listerKubeconfig).toBeUndefined();
  });

  it('ignores a leading command path like /adapter only at index 0', () => {
    expect(parseOptions(['/adapter', CONFIG]).config).toBe('config/queue-worker.yaml');
    expect(parseOptions(['adapter', CONFIG]).config).toBe('config/queue-worker.yaml');
    expect(() => parseOptions([CONFIG, '/adapter'])).toThrow('unexpected argument "/adapter"');
  });

  it('records ignored upstream flags once each, in order, and applies nothing from them', () => {
    const options = parseOptions([
      '/adapter',
      '--logtostderr=true',
      CONFIG,
      '--log-file',
      '/var/log/adapter.log',
      '--logtostderr',
      '--audit-log-path=-',
      '--kubelet-insecure-tls',
      '--alsologtostderr',
      '--log-dir=/tmp',
    ]);
    expect(options.ignoredFlags).toEqual([
      '--logtostderr',
      '--log-file',
      '--audit-log-path',
      '--kubelet-insecure-tls',
      '--alsologtostderr',
      '--log-dir',
    ]);
    expect(options.config).toBe('config/queue-worker.yaml');
  });
});

describe('parseOptions: --help', () => {
  it.each([
    [['--help']],
    [['-h']],
    [['--help=true']],
    [['/adapter', '--bogus', '-h']],
    [[CONFIG, '--v=nope', '--help']],
  ])('returns the help marker for %j without requiring or validating other flags', (argv) => {
    const options = parseOptions(argv);
    expect(options.help).toBe(true);
    expect(options.config).toBe('');
  });

  it('does not treat --help=false as a request for help', () => {
    expect(parseOptions([CONFIG, '--help=false']).help).toBe(false);
  });

  it.each([
    'config',
    'prometheus-url',
    'prometheus-verb',
    'prometheus-header',
    'prometheus-token-file',
    'prometheus-ca-file',
    'prometheus-client-tls-cert-file',
    'prometheus-client-tls-key-file',
    'prometheus-auth-config',
    'prometheus-auth-incluster',
    'prometheus-timeout',
    'metrics-relist-interval',
    'metrics-max-age',
    'secure-port',
    'bind-address',
    'cert-dir',
    'tls-cert-file',
    'tls-private-key-file',
    'tls-min-version',
    'tls-cipher-suites',
    'lister-kubeconfig',
    'authentication-kubeconfig',
    'authorization-kubeconfig',
    'client-ca-file',
    'requestheader-client-ca-file',
    'requestheader-allowed-names',
    'requestheader-username-headers',
    'requestheader-group-headers',
    'requestheader-extra-headers-prefix',
    'authorization-always-allow-paths',
    'v',
    'disable-http2',
    'standalone',
    'shutdown-grace-period',
    'logtostderr',
    'alsologtostderr',
    'log-file',
    'audit-log-path',
    'kubelet-insecure-tls',
  ])('documents --%s in HELP_TEXT', (name) => {
    expect(HELP_TEXT).toMatch(new RegExp(`^ {2}--${name}[= ]`, 'm'));
  });

  it.each([
    ['--prometheus-url', 'https://localhost'],
    ['--metrics-relist-interval', '10m'],
    ['--secure-port', '6443'],
    ['--cert-dir', 'apiserver.local.config/certificates'],
    ['--authorization-always-allow-paths', '/healthz,/readyz,/livez'],
    ['--prometheus-timeout', '10s'],
    ['--shutdown-grace-period', '30s'],
    ['--tls-min-version', 'VersionTLS12'],
  ])('shows the default of %s in HELP_TEXT', (flag, shown) => {
    const entry = HELP_TEXT.split(/\n(?= {2}--)/).find((e) => e.startsWith(`  ${flag}=`)) ?? '';
    expect(entry.replace(/\s+/g, ' ')).toContain(`(default: ${shown})`);
  });
});

describe('parseOptions: startup errors are one line saying what is wrong and how to fix it (SPEC 2)', () => {
  it.each<[string[], string]>([
    [[], '--config is required: pass the rules file, e.g. --config=config/queue-worker.yaml'],
    [['/adapter'], '--config is required: pass the rules file, e.g. --config=config/queue-worker.yaml'],
    [['--config='], '--config is required'],
    [[CONFIG, 'serve'], 'unexpected argument "serve": only flags are accepted (--flag=value)'],
    [[CONFIG, '--', '--v=1'], 'unexpected argument "--v=1"'],
    [[CONFIG, '--prometheus-uri=http://p'], 'unknown flag --prometheus-uri: did you mean --prometheus-url?'],
    [[CONFIG, '--relist-interval=1m'], 'unknown flag --relist-interval: run with --help to list the flags'],
    [[CONFIG, '--Config=x'], 'unknown flag --Config: did you mean --config?'],
    [[CONFIG, '--frobnicate'], 'unknown flag --frobnicate: run with --help'],
    [['-config=x'], 'unknown flag -config: long flags take two dashes, e.g. --config'],
    [['--config'], 'flag --config needs a value: write --config=<value>'],
    [['--config', '--v=4'], 'flag --config needs a value'],
    [[CONFIG, '-v'], 'flag -v needs a value: write -v=<value>'],
    [[CONFIG, '--standalone', 'true'], 'a boolean flag takes its value after "=", e.g. --standalone=true'],
    [[CONFIG, '--standalone=yes'], 'invalid --standalone "yes": use --standalone, --standalone=true or'],
    [[CONFIG, '--prometheus-url=prometheus:9090'], 'the scheme must be http or https, not prometheus'],
    [
      [CONFIG, '--prometheus-url=not a url'],
      'invalid --prometheus-url "not a url": expected an http or https URL',
    ],
    [[CONFIG, '--prometheus-url='], 'invalid --prometheus-url "": expected an http or https URL'],
    [
      [CONFIG, '--prometheus-url=ftp://p/'],
      'invalid --prometheus-url "ftp://p/": the scheme must be http or https',
    ],
    [[CONFIG, '--prometheus-verb=PUT'], 'invalid --prometheus-verb "PUT": use GET or POST'],
    [
      [CONFIG, '--prometheus-header=X-Scope-OrgID'],
      'invalid --prometheus-header "X-Scope-OrgID": expected Key=Value',
    ],
    [[CONFIG, '--prometheus-header=Bad Key=v'], '"Bad…" is not a valid HTTP header name'],
    [[CONFIG, '--prometheus-header==v'], '"" is not a valid HTTP header name'],
    [[CONFIG, '--prometheus-header=X-A=a\r\nX-B: b'], 'the value has a control or non-Latin-1 character'],
    [
      [CONFIG, '--prometheus-client-tls-cert-file=/c.crt'],
      '--prometheus-client-tls-cert-file needs --prometheus-client-tls-key-file as well: pass both or neither',
    ],
    [
      [CONFIG, '--prometheus-client-tls-key-file=/c.key'],
      '--prometheus-client-tls-key-file needs --prometheus-client-tls-cert-file as well',
    ],
    [
      [CONFIG, '--prometheus-auth-config=/k', '--prometheus-auth-incluster'],
      '--prometheus-auth-config and --prometheus-auth-incluster exclude each other: pass only one',
    ],
    [[CONFIG, '--prometheus-timeout=0s'], 'invalid --prometheus-timeout 0s: must be positive'],
    [[CONFIG, '--prometheus-timeout=-1s'], 'invalid --prometheus-timeout -1s: must be positive'],
    [[CONFIG, '--prometheus-timeout=10'], 'invalid --prometheus-timeout: missing unit in duration "10"'],
    [
      [CONFIG, '--metrics-relist-interval=1d'],
      'invalid --metrics-relist-interval: unknown unit "d" in duration "1d"',
    ],
    [
      [CONFIG, '--metrics-relist-interval=soon'],
      'invalid --metrics-relist-interval: invalid duration "soon"',
    ],
    [[CONFIG, '--metrics-relist-interval=0'], 'invalid --metrics-relist-interval 0s: must be positive'],
    [
      [CONFIG, '--metrics-relist-interval=1000h'],
      'invalid --metrics-relist-interval 1000h0m0s: must be at most 596h31m23.647s',
    ],
    [
      [CONFIG, '--metrics-max-age=5m'],
      '--metrics-max-age (5m0s) is less than --metrics-relist-interval (10m0s): raise it or leave it out',
    ],
    [
      [CONFIG, '--metrics-relist-interval=1m', '--metrics-max-age=30s'],
      '--metrics-max-age (30s) is less than',
    ],
    [[CONFIG, '--metrics-max-age', '-1m'], '--metrics-max-age (-1m0s) is less than'],
    [[CONFIG, '--secure-port=70000'], 'invalid --secure-port "70000": must be from 0 to 65535'],
    [[CONFIG, '--secure-port=-1'], 'invalid --secure-port "-1": must be from 0 to 65535'],
    [
      [CONFIG, '--secure-port=https'],
      'invalid --secure-port "https": expected a whole number from 0 to 65535',
    ],
    [[CONFIG, '--secure-port=443.5'], 'expected a whole number'],
    [[CONFIG, '--bind-address=localhost'], 'invalid --bind-address "localhost": expected an IP address'],
    [[CONFIG, '--tls-cert-file=/t.crt'], '--tls-cert-file needs --tls-private-key-file as well'],
    [[CONFIG, '--tls-private-key-file=/t.key'], '--tls-private-key-file needs --tls-cert-file as well'],
    [
      [CONFIG, '--tls-min-version=TLSv1.2'],
      'invalid --tls-min-version "TLSv1.2": use one of VersionTLS12, VersionTLS13',
    ],
    [
      [CONFIG, '--tls-min-version=VersionTLS10'],
      'invalid --tls-min-version "VersionTLS10": TLS 1.0 and 1.1 are not supported (deprecated by RFC 8996); ' +
        'use VersionTLS12 or VersionTLS13',
    ],
    [
      [CONFIG, '--tls-min-version=VersionTLS11'],
      'invalid --tls-min-version "VersionTLS11": TLS 1.0 and 1.1 are not supported (deprecated by RFC 8996); ' +
        'use VersionTLS12 or VersionTLS13',
    ],
    [[CONFIG, '--v=-1'], 'invalid --v "-1": must be from 0 to'],
    [[CONFIG, '--v=high'], 'invalid --v "high": expected a whole number'],
    [
      [CONFIG, '--shutdown-grace-period=-5s'],
      'invalid --shutdown-grace-period -5s: must be zero or positive',
    ],
  ])('rejects %j', (argv, fragment) => {
    const error = errorOf(argv);
    expect(error.message).toContain(fragment);
    expect(error.message).not.toContain('\n');
  });

  it('names the flag at fault and keeps the underlying error as cause', () => {
    const error = errorOf([CONFIG, '--metrics-relist-interval=30']);
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('OptionsError');
    expect(error.flag).toBe('metrics-relist-interval');
    expect(error.cause).toBeInstanceOf(Error);
  });
});

describe('parseOptions: the result is deep-frozen', () => {
  const options = parseOptions([
    CONFIG,
    '--prometheus-url=http://p:9090/prom?tenant=a',
    '--prometheus-header=X-A=1',
    '--requestheader-allowed-names=a',
  ]);

  it('freezes every nested object and array', () => {
    expect(Object.isFrozen(options)).toBe(true);
    expect(Object.isFrozen(options.prometheus)).toBe(true);
    expect(Object.isFrozen(options.prometheus.headers)).toBe(true);
    expect(Object.isFrozen(options.prometheus.headers[0])).toBe(true);
    expect(Object.isFrozen(options.serving.cipherSuites)).toBe(true);
    expect(Object.isFrozen(options.kube.requestheaderAllowedNames)).toBe(true);
    expect(Object.isFrozen(options.ignoredFlags)).toBe(true);
    expect(() => {
      (options as { verbosity: number }).verbosity = 9;
    }).toThrow(TypeError);
    expect(() => {
      (options.kube.alwaysAllowPaths as string[]).push('/x');
    }).toThrow(TypeError);
  });

  it('makes the Prometheus URL read-only, including its searchParams', () => {
    const url = options.prometheus.url;
    expect(() => {
      url.pathname = '/other';
    }).toThrow('options are read-only');
    expect(() => {
      url.href = 'http://evil/';
    }).toThrow(TypeError);
    url.searchParams.set('tenant', 'b');
    expect(url.href).toBe('http://p:9090/prom?tenant=a');
    const copy = new URL(url);
    copy.pathname = '/prom/api/v1/query';
    expect(copy.href).toBe('http://p:9090/prom/api/v1/query?tenant=a');
  });
});
