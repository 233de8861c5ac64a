/** Command-line flags → validated, deep-frozen {@link AdapterOptions} (SPEC 2), with upstream's flag names. */

import { isIP } from 'node:net';
import { withoutUrlPassword } from './api/redacted-url.js';
import { formatGoDuration, parseGoDuration } from './go-duration.js';

/** Everything the adapter process is configured with. All durations are in milliseconds. */
export interface AdapterOptions {
  /** `--help` was given; every other field then holds its default and nothing was validated. */
  help: boolean;
  config: string;
  prometheus: {
    url: URL;
    verb: 'GET' | 'POST';
    headers: ReadonlyArray<readonly [string, string]>;
    tokenFile?: string;
    caFile?: string;
    clientCertFile?: string;
    clientKeyFile?: string;
    authConfig?: string;
    authInCluster: boolean;
    timeoutMs: number;
  };
  relistIntervalMs: number;
  maxAgeMs: number;
  serving: {
    securePort: number;
    bindAddress: string;
    /** `''` keeps a generated self-signed certificate in memory only. */
    certDir: string;
    certFile?: string;
    keyFile?: string;
    tlsMinVersion: 'TLSv1.2' | 'TLSv1.3';
    cipherSuites: readonly string[];
    disableHttp2: boolean;
  };
  /** A list flag that was not given is `undefined` (read from the cluster); given empty, it is `[]`. */
  kube: {
    listerKubeconfig?: string;
    authenticationKubeconfig?: string;
    authorizationKubeconfig?: string;
    clientCaFile?: string;
    requestheaderClientCaFile?: string;
    requestheaderAllowedNames?: readonly string[];
    requestheaderUsernameHeaders?: readonly string[];
    requestheaderGroupHeaders?: readonly string[];
    requestheaderExtraHeadersPrefix?: readonly string[];
    alwaysAllowPaths: readonly string[];
    /** `--discovery-interval` (ours). */
    discoveryIntervalMs: number;
    /** `--kube-api-qps` / `--kube-api-burst` (ours): client-side rate limit for each Kubernetes client. */
    qps: number;
    burst: number;
  };
  verbosity: number;
  standalone: boolean;
  shutdownGracePeriodMs: number;
  /** `--metrics-bind-address` (ours): also serve /metrics over plain HTTP here, without authentication. */
  metricsListen?: { host: string; port: number };
  /** Upstream flags that were given and do not apply here, as `--name`, in order of first appearance. */
  ignoredFlags: readonly string[];
}

/** A startup error: one line that says what is wrong and how to fix it. `flag` names the flag at fault, if one is. */
export class OptionsError extends Error {
  override readonly name = 'OptionsError';
  constructor(
    message: string,
    readonly flag?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The flag table. To add a flag: add a row here, then read it in `build()`.

/**
 * How a flag's text is read. `bool` may be given bare; `list` is comma-separated and accumulates when repeated;
 * `array` accumulates one verbatim value per occurrence; every other type keeps the last occurrence.
 */
type FlagType = 'string' | 'bool' | 'int' | 'duration' | 'list' | 'array';

type Section = 'adapter' | 'prometheus' | 'serving' | 'kube' | 'logging' | 'ignored';

interface FlagSpec {
  readonly name: string;
  readonly type: FlagType;
  readonly section: Section;
  readonly help: string;
  /** The default as a user would write it; it is parsed exactly like a given value. */
  readonly default?: string;
  /** Shown by --help instead of `default`, for defaults that depend on other flags. */
  readonly defaultText?: string;
  /** Value placeholder in --help. */
  readonly placeholder?: string;
  /** Our addition; upstream has no such flag. */
  readonly ours?: true;
}

const FLAGS: readonly FlagSpec[] = [
  { name: 'help', type: 'bool', section: 'adapter', help: 'print this help and exit (also -h)' },
  {
    name: 'config',
    type: 'string',
    section: 'adapter',
    placeholder: '<path>',
    help: 'the rules file (rules, externalRules, resourceRules); required; reloaded when it changes',
  },
  {
    name: 'metrics-relist-interval',
    type: 'duration',
    section: 'adapter',
    default: '10m',
    help: 'how often the rules are re-discovered from Prometheus series',
  },
  {
    name: 'metrics-max-age',
    type: 'duration',
    section: 'adapter',
    defaultText: '--metrics-relist-interval',
    help: 'discovery look-back (series seen within this window); must not be less than the relist interval',
  },
  {
    name: 'standalone',
    type: 'bool',
    section: 'adapter',
    ours: true,
    help: 'run without a Kubernetes API server: built-in resource table, no authentication or authorization',
  },
  {
    name: 'metrics-bind-address',
    type: 'string',
    section: 'adapter',
    placeholder: '<host:port>',
    ours: true,
    help:
      'also serve /metrics over plain HTTP on this address without authentication (e.g. :9100); ' +
      'default: /metrics only on the secure port, authorized like any non-resource path',
  },
  {
    name: 'shutdown-grace-period',
    type: 'duration',
    section: 'adapter',
    default: '30s',
    ours: true,
    help: 'on SIGTERM, how long to finish in-flight requests before exiting',
  },
  {
    name: 'prometheus-url',
    type: 'string',
    section: 'prometheus',
    default: 'https://localhost',
    placeholder: '<url>',
    help: 'Prometheus-API base URL (http or https); its path and query string are kept',
  },
  {
    name: 'prometheus-verb',
    type: 'string',
    section: 'prometheus',
    default: 'GET',
    placeholder: 'GET|POST',
    help: 'HTTP method for queries; POST sends a form body',
  },
  {
    name: 'prometheus-header',
    type: 'array',
    section: 'prometheus',
    placeholder: '<Key=Value>',
    help: 'header added to every Prometheus request, e.g. X-Scope-OrgID=team-a; repeatable',
  },
  {
    name: 'prometheus-timeout',
    type: 'duration',
    section: 'prometheus',
    default: '10s',
    ours: true,
    help: 'timeout of every Prometheus request (queries and relists), also sent as timeout=',
  },
  {
    name: 'prometheus-token-file',
    type: 'string',
    section: 'prometheus',
    placeholder: '<path>',
    help: 'bearer token for Prometheus; trimmed; re-read when the file changes',
  },
  {
    name: 'prometheus-ca-file',
    type: 'string',
    section: 'prometheus',
    placeholder: '<path>',
    help: 'CA bundle that verifies Prometheus',
  },
  {
    name: 'prometheus-client-tls-cert-file',
    type: 'string',
    section: 'prometheus',
    placeholder: '<path>',
    help: 'client certificate for Prometheus (with --prometheus-client-tls-key-file)',
  },
  {
    name: 'prometheus-client-tls-key-file',
    type: 'string',
    section: 'prometheus',
    placeholder: '<path>',
    help: 'client private key for Prometheus (with --prometheus-client-tls-cert-file)',
  },
  {
    name: 'prometheus-auth-config',
    type: 'string',
    section: 'prometheus',
    placeholder: '<path>',
    help: 'kubeconfig whose current context supplies TLS, token or basic auth for Prometheus',
  },
  {
    name: 'prometheus-auth-incluster',
    type: 'bool',
    section: 'prometheus',
    help: "use the pod's service-account credentials for Prometheus",
  },
  {
    name: 'secure-port',
    type: 'int',
    section: 'serving',
    default: '6443',
    placeholder: '<port>',
    help: 'HTTPS port; 0 picks a free port',
  },
  {
    name: 'bind-address',
    type: 'string',
    section: 'serving',
    defaultText: '0.0.0.0; 127.0.0.1 with --standalone',
    placeholder: '<ip>',
    help: 'IP address to listen on',
  },
  {
    name: 'cert-dir',
    type: 'string',
    section: 'serving',
    default: 'apiserver.local.config/certificates',
    placeholder: '<dir>',
    help: 'where a self-signed serving certificate is written when --tls-cert-file is not given; empty = memory only',
  },
  {
    name: 'tls-cert-file',
    type: 'string',
    section: 'serving',
    placeholder: '<path>',
    help: 'serving certificate (with --tls-private-key-file); reloaded when the files change',
  },
  {
    name: 'tls-private-key-file',
    type: 'string',
    section: 'serving',
    placeholder: '<path>',
    help: 'serving private key (with --tls-cert-file)',
  },
  {
    name: 'tls-min-version',
    type: 'string',
    section: 'serving',
    default: 'VersionTLS12',
    placeholder: '<version>',
    help: 'minimum TLS version: VersionTLS12 or VersionTLS13 (VersionTLS10 and VersionTLS11 are refused: RFC 8996)',
  },
  {
    name: 'tls-cipher-suites',
    type: 'list',
    section: 'serving',
    placeholder: '<list>',
    help: 'comma-separated cipher suites (Go/IANA names); default: Node.js defaults',
  },
  { name: 'disable-http2', type: 'bool', section: 'serving', help: 'serve HTTP/1.1 only' },
  {
    name: 'lister-kubeconfig',
    type: 'string',
    section: 'kube',
    placeholder: '<path>',
    help: 'kubeconfig for resource discovery and object listing (default: in-cluster)',
  },
  {
    name: 'authentication-kubeconfig',
    type: 'string',
    section: 'kube',
    placeholder: '<path>',
    help: 'kubeconfig for TokenReview and the authentication ConfigMap (default: in-cluster)',
  },
  {
    name: 'authorization-kubeconfig',
    type: 'string',
    section: 'kube',
    placeholder: '<path>',
    help: 'kubeconfig for SubjectAccessReview (default: in-cluster)',
  },
  {
    name: 'client-ca-file',
    type: 'string',
    section: 'kube',
    placeholder: '<path>',
    help: 'CA for client certificates (default: from kube-system/extension-apiserver-authentication)',
  },
  {
    name: 'requestheader-client-ca-file',
    type: 'string',
    section: 'kube',
    placeholder: '<path>',
    help: "CA for the aggregator's front-proxy certificate (default: from the cluster)",
  },
  {
    name: 'requestheader-allowed-names',
    type: 'list',
    section: 'kube',
    placeholder: '<list>',
    help: 'front-proxy certificate CNs allowed to assert identity; empty = any (default: from the cluster)',
  },
  {
    name: 'requestheader-username-headers',
    type: 'list',
    section: 'kube',
    placeholder: '<list>',
    help: 'headers that carry the user name (default: from the cluster, usually X-Remote-User)',
  },
  {
    name: 'requestheader-group-headers',
    type: 'list',
    section: 'kube',
    placeholder: '<list>',
    help: 'headers that carry groups (default: from the cluster, usually X-Remote-Group)',
  },
  {
    name: 'requestheader-extra-headers-prefix',
    type: 'list',
    section: 'kube',
    placeholder: '<list>',
    help: 'prefixes of extra-attribute headers (default: from the cluster, usually X-Remote-Extra-)',
  },
  {
    name: 'discovery-interval',
    type: 'duration',
    section: 'kube',
    default: '1m',
    ours: true,
    help: 'how often the resource mapping is re-read from the cluster discovery (also on a miss, rate-limited)',
  },
  {
    name: 'kube-api-qps',
    type: 'int',
    section: 'kube',
    default: '20',
    ours: true,
    help: 'sustained request rate to the Kubernetes API (per client)',
  },
  {
    name: 'kube-api-burst',
    type: 'int',
    section: 'kube',
    default: '40',
    ours: true,
    help: 'request burst to the Kubernetes API (per client)',
  },
  {
    name: 'authorization-always-allow-paths',
    type: 'list',
    section: 'kube',
    default: '/healthz,/readyz,/livez',
    placeholder: '<list>',
    help: 'paths served without authorization',
  },
  {
    name: 'v',
    type: 'int',
    section: 'logging',
    default: '0',
    placeholder: '<level>',
    help: 'log verbosity; 6 logs every PromQL query, 8 every response body',
  },
  // NB: flags found in upstream charts and manifests that make no sense here; rejecting them would break
  // existing deployments, so they are accepted, reported in `ignoredFlags`, and otherwise have no effect.
  { name: 'logtostderr', type: 'bool', section: 'ignored', help: 'klog: logs always go to stderr as JSON' },
  { name: 'alsologtostderr', type: 'bool', section: 'ignored', help: 'klog: logs always go to stderr' },
  { name: 'log-file', type: 'string', section: 'ignored', placeholder: '<path>', help: 'klog: no log files' },
  { name: 'log-dir', type: 'string', section: 'ignored', placeholder: '<dir>', help: 'klog: no log files' },
  {
    name: 'audit-log-path',
    type: 'string',
    section: 'ignored',
    placeholder: '<path>',
    help: 'apiserver: no audit log',
  },
  {
    name: 'kubelet-insecure-tls',
    type: 'bool',
    section: 'ignored',
    help: 'metrics-server: the adapter never talks to kubelets',
  },
];

const FLAG_BY_NAME: ReadonlyMap<string, FlagSpec> = new Map(FLAGS.map((f) => [f.name, f]));

const SECTION_TITLES: Readonly<Record<Section, string>> = {
  adapter: 'Adapter',
  prometheus: 'Prometheus',
  serving: 'Serving (HTTPS)',
  kube: 'Kubernetes API, authentication and authorization',
  logging: 'Logging',
  ignored: 'Accepted for compatibility with upstream manifests and ignored',
};

// ---------------------------------------------------------------------------------------------------------------
// Help

const HELP_WIDTH = 110;
const HELP_COLUMN = 46;

function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line === '' ? word : `${line} ${word}`;
    }
  }
  return [...lines, line];
}

function helpEntry(spec: FlagSpec): string {
  const label =
    spec.type === 'bool' ? `--${spec.name}` : `--${spec.name}=${spec.placeholder ?? `<${spec.type}>`}`;
  const shown = spec.defaultText ?? spec.default;
  const text = [
    spec.help,
    shown === undefined ? '' : ` (default: ${shown})`,
    spec.type === 'duration' ? ' [Go duration]' : '',
    spec.ours === true ? ' [not in upstream]' : '',
  ].join('');
  const [first = '', ...rest] = wrap(text, HELP_WIDTH - HELP_COLUMN);
  const head = `  ${label}`;
  const lines =
    head.length < HELP_COLUMN ? [head.padEnd(HELP_COLUMN) + first] : [head, ' '.repeat(HELP_COLUMN) + first];
  return [...lines, ...rest.map((l) => ' '.repeat(HELP_COLUMN) + l)].join('\n');
}

/** The `--help` text: usage and every flag (ours and upstream's, including the ignored ones) with its default. */
export const HELP_TEXT: string = [
  'Usage: adapter --config=<rules.yaml> [flags]',
  '',
  'Serves the Kubernetes custom, external and resource metrics APIs from Prometheus using prometheus-adapter rules.',
  'Flags: --flag=value or --flag value; booleans --flag or --flag=true|false; -v=<level> and -h also work.',
  'Durations use Go syntax: 300ms, 30s, 1m, 1h30m. Lists are comma-separated.',
  ...(Object.keys(SECTION_TITLES) as Section[]).flatMap((section) => [
    '',
    `${SECTION_TITLES[section]}:`,
    ...FLAGS.filter((f) => f.section === section).map(helpEntry),
  ]),
  '',
].join('\n');

// ---------------------------------------------------------------------------------------------------------------
// Tokenizing argv

/** NB: the Helm chart starts the container as `/adapter /adapter --flags...`; a command path there is not an error. */
const isCommandPath = (arg: string): boolean => /^(?:.*\/)?adapter$/.test(arg);

const wantsHelp = (argv: readonly string[]): boolean => {
  for (const arg of argv) {
    if (arg === '--') return false;
    const match = /^(?:--help|-h)(?:=(.*))?$/.exec(arg);
    if (match !== null && (match[1] === undefined || parseBool(match[1]) === true)) return true;
  }
  return false;
};

// NB: the spellings Go's strconv.ParseBool accepts, which is what upstream's flags accept.
function parseBool(text: string): boolean | undefined {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(text)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(text)) return false;
  return undefined;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

function unknownFlag(shown: string, name: string): OptionsError {
  let best: FlagSpec | undefined;
  let bestDistance = 4;
  for (const spec of FLAGS) {
    const distance = editDistance(name, spec.name);
    if (distance < bestDistance) [best, bestDistance] = [spec, distance];
  }
  const hint = best === undefined ? 'run with --help to list the flags' : `did you mean --${best.name}?`;
  return new OptionsError(`unknown flag ${shown}: ${hint}`, name);
}

interface Tokens {
  readonly given: ReadonlyMap<string, readonly string[]>;
  readonly ignored: readonly string[];
}

function tokenize(argv: readonly string[]): Tokens {
  const given = new Map<string, string[]>();
  const ignored: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg === '--') {
      const next = argv[i + 1];
      if (next !== undefined) throw unexpectedArgument(next, undefined);
      break;
    }
    const match = /^(-{1,2})([^=]+)(?:=([\s\S]*))?$/.exec(arg);
    if (match === null) {
      if (i === 0 && isCommandPath(arg)) continue;
      throw unexpectedArgument(arg, i > 0 ? argv[i - 1] : undefined);
    }
    const [, dashes = '', written = '', inlineValue] = match;
    const shown = `${dashes}${written}`;
    const name = dashes === '-' && written === 'h' ? 'help' : written;
    const spec = FLAG_BY_NAME.get(name);
    if (spec === undefined) throw unknownFlag(shown, name);
    if (dashes === '-' && written.length > 1) {
      throw new OptionsError(`unknown flag ${shown}: long flags take two dashes, e.g. --${name}`, name);
    }

    let value = inlineValue;
    if (value === undefined && spec.type === 'bool') value = 'true';
    if (value === undefined) {
      const next = argv[i + 1];
      if (next === undefined || next.startsWith('--')) {
        throw new OptionsError(`flag ${shown} needs a value: write ${shown}=<value>`, name);
      }
      value = next;
      i++;
    }

    if (spec.section === 'ignored') {
      if (!ignored.includes(`--${name}`)) ignored.push(`--${name}`);
    } else {
      given.set(name, [...(given.get(name) ?? []), value]);
    }
  }
  return { given, ignored };
}

function unexpectedArgument(arg: string, previous: string | undefined): OptionsError {
  const previousName = previous === undefined ? undefined : /^--?([^=]+)$/.exec(previous)?.[1];
  const previousSpec = previousName === undefined ? undefined : FLAG_BY_NAME.get(previousName);
  if (previousSpec?.type === 'bool' && parseBool(arg) !== undefined) {
    return new OptionsError(
      `unexpected argument ${JSON.stringify(arg)}: a boolean flag takes its value after "=", e.g. --${previousSpec.name}=${arg}`,
      previousSpec.name,
    );
  }
  return new OptionsError(
    `unexpected argument ${JSON.stringify(arg)}: only flags are accepted (--flag=value); run with --help to list them`,
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Reading typed values

function invalid(name: string, value: string, why: string, cause?: unknown): OptionsError {
  return new OptionsError(
    `invalid --${name} ${JSON.stringify(value)}: ${why}`,
    name,
    cause === undefined ? undefined : { cause },
  );
}

class FlagValues {
  constructor(private readonly given: ReadonlyMap<string, readonly string[]>) {}

  /** Every occurrence, or the table default as one occurrence, or none. */
  private raw(name: string, type: FlagType): readonly string[] {
    const spec = FLAG_BY_NAME.get(name);
    if (spec?.type !== type) throw new Error(`options.ts: flag --${name} is not declared as ${type}`);
    return this.given.get(name) ?? (spec.default === undefined ? [] : [spec.default]);
  }

  private last(name: string, type: FlagType): string | undefined {
    return this.raw(name, type).at(-1);
  }

  has(name: string): boolean {
    return this.given.has(name);
  }

  /** The value as given (possibly `''`), else the default. */
  string(name: string): string | undefined {
    return this.last(name, 'string');
  }

  /** Like `string`, with `''` meaning not set (as in upstream, where an empty path disables a feature). */
  path(name: string): string | undefined {
    const value = this.last(name, 'string');
    return value === '' ? undefined : value;
  }

  bool(name: string): boolean {
    const value = this.last(name, 'bool');
    if (value === undefined) return false;
    const parsed = parseBool(value);
    if (parsed === undefined) throw invalid(name, value, `use --${name}, --${name}=true or --${name}=false`);
    return parsed;
  }

  int(name: string, min: number, max: number): number {
    const value = this.last(name, 'int') ?? '';
    const parsed = /^[+-]?[0-9]+$/.test(value) ? Number(value) : NaN;
    if (Number.isNaN(parsed)) throw invalid(name, value, `expected a whole number from ${min} to ${max}`);
    if (parsed < min || parsed > max) throw invalid(name, value, `must be from ${min} to ${max}`);
    return parsed;
  }

  duration(name: string): number | undefined {
    const value = this.last(name, 'duration');
    if (value === undefined) return undefined;
    try {
      return parseGoDuration(value);
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      throw new OptionsError(`invalid --${name}: ${why}`, name, { cause: error });
    }
  }

  /** Comma-separated items of every occurrence, trimmed, empty items dropped; `undefined` if neither given nor defaulted. */
  list(name: string): string[] | undefined {
    const values = this.raw(name, 'list');
    if (values.length === 0) return undefined;
    return values.flatMap((v) => v.split(',').map((item) => item.trim())).filter((item) => item !== '');
  }

  array(name: string): readonly string[] {
    return this.raw(name, 'array');
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Building AdapterOptions

/** NB: Node's setTimeout fires at once (after a warning) for delays above 2^31-1 ms, so timers cannot be longer. */
const MAX_TIMER_MS = 2 ** 31 - 1;

function timerDuration(values: FlagValues, name: string, allowZero: boolean): number {
  const ms = values.duration(name) ?? 0;
  const shown = formatGoDuration(ms);
  if (ms < 0 || (ms === 0 && !allowZero)) {
    throw new OptionsError(
      `invalid --${name} ${shown}: must be ${allowZero ? 'zero or ' : ''}positive`,
      name,
    );
  }
  if (ms > MAX_TIMER_MS) {
    throw new OptionsError(
      `invalid --${name} ${shown}: must be at most ${formatGoDuration(MAX_TIMER_MS)}`,
      name,
    );
  }
  return ms;
}

function prometheusUrl(values: FlagValues): URL {
  const text = values.string('prometheus-url') ?? '';
  // NB: the URL may carry basic-auth credentials; errors show it without the password, and without the cause
  // (Node's URL error holds the input).
  const shown = withoutUrlPassword(text);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw invalid('prometheus-url', shown, 'expected an http or https URL, e.g. http://prometheus:9090');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw invalid(
      'prometheus-url',
      shown,
      `the scheme must be http or https, not ${url.protocol.slice(0, -1)}`,
    );
  }
  return readonlyUrl(url);
}

const URL_ACCESSORS = [
  'href',
  'protocol',
  'username',
  'password',
  'host',
  'hostname',
  'port',
  'pathname',
  'search',
  'hash',
] as const;

/**
 * NB: `Object.freeze` does not stop URL setters, which live on the prototype and write internal state; shadow them
 * with throwing ones, and hand out copies of `searchParams`, whose mutations would write through.
 */
function readonlyUrl(url: URL): URL {
  for (const key of URL_ACCESSORS) {
    Object.defineProperty(url, key, {
      enumerable: true,
      get: (): unknown => Reflect.get(URL.prototype, key, url),
      set: () => {
        throw new TypeError(`options are read-only: copy the URL (new URL(url)) before changing its ${key}`);
      },
    });
  }
  Object.defineProperty(url, 'searchParams', {
    enumerable: true,
    get: () => new URLSearchParams(url.search),
  });
  return url;
}

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
// NB: the characters Node.js accepts in a header value (it throws on anything else when the request is made).
const BAD_HEADER_VALUE = /[^\t\x20-\x7e\x80-\xff]/;

/** The start of `text` that is a header name, with `…` when more follows. */
function headerNamePrefix(text: string): string {
  const name = /^[!#$%&'*+.^_`|~0-9A-Za-z-]*/.exec(text)?.[0] ?? '';
  return name.length < text.length ? `${name}…` : name;
}

/**
 * NB: header values are often credentials (`Authorization=Bearer …`, `X-Api-Key=…`), and a mistyped flag
 * (`Authorization: Basic dXNlcjpwYXNz==`) puts one before the "=": errors show only what is a header name.
 */
function prometheusHeader(text: string): readonly [string, string] {
  const at = text.indexOf('=');
  if (at < 0) {
    throw invalid(
      'prometheus-header',
      headerNamePrefix(text),
      'expected Key=Value, e.g. --prometheus-header=X-Scope-OrgID=team-a',
    );
  }
  const key = text.slice(0, at);
  const value = text.slice(at + 1);
  if (!HEADER_NAME.test(key)) {
    throw invalid(
      'prometheus-header',
      `${headerNamePrefix(key)}=…`,
      `${JSON.stringify(headerNamePrefix(key))} is not a valid HTTP header name (letters, digits and !#$%&'*+-.^_\`|~ only)`,
    );
  }
  if (BAD_HEADER_VALUE.test(value)) {
    throw invalid('prometheus-header', `${key}=…`, 'the value has a control or non-Latin-1 character');
  }
  return [key, value];
}

function pair(values: FlagValues, first: string, second: string): [string | undefined, string | undefined] {
  const a = values.path(first);
  const b = values.path(second);
  if ((a === undefined) !== (b === undefined)) {
    const [given, missing] = a === undefined ? [second, first] : [first, second];
    throw new OptionsError(`--${given} needs --${missing} as well: pass both or neither`, missing);
  }
  return [a, b];
}

const TLS_VERSIONS: Readonly<Record<string, AdapterOptions['serving']['tlsMinVersion']>> = {
  VersionTLS12: 'TLSv1.2',
  VersionTLS13: 'TLSv1.3',
};
/** Upstream's names for the versions RFC 8996 deprecates: refused with a reason rather than "unknown". */
const DEPRECATED_TLS_VERSIONS: ReadonlySet<string> = new Set(['VersionTLS10', 'VersionTLS11']);

function build(values: FlagValues, help: boolean, ignoredFlags: readonly string[]): AdapterOptions {
  const config = values.string('config') ?? '';
  if (config === '' && !help) {
    throw new OptionsError(
      '--config is required: pass the rules file, e.g. --config=config/queue-worker.yaml',
      'config',
    );
  }

  const verbText = values.string('prometheus-verb') ?? '';
  const verb = verbText.toUpperCase();
  if (verb !== 'GET' && verb !== 'POST') throw invalid('prometheus-verb', verbText, 'use GET or POST');

  const [clientCertFile, clientKeyFile] = pair(
    values,
    'prometheus-client-tls-cert-file',
    'prometheus-client-tls-key-file',
  );
  const authConfig = values.path('prometheus-auth-config');
  const authInCluster = values.bool('prometheus-auth-incluster');
  if (authConfig !== undefined && authInCluster) {
    throw new OptionsError(
      '--prometheus-auth-config and --prometheus-auth-incluster exclude each other: pass only one',
      'prometheus-auth-incluster',
    );
  }

  const relistIntervalMs = timerDuration(values, 'metrics-relist-interval', false);
  const maxAgeMs = values.duration('metrics-max-age') ?? relistIntervalMs;
  if (maxAgeMs < relistIntervalMs) {
    throw new OptionsError(
      `--metrics-max-age (${formatGoDuration(maxAgeMs)}) is less than --metrics-relist-interval ` +
        `(${formatGoDuration(relistIntervalMs)}): raise it or leave it out to use the relist interval`,
      'metrics-max-age',
    );
  }

  const standalone = values.bool('standalone');
  const bindAddress = values.string('bind-address') ?? (standalone ? '127.0.0.1' : '0.0.0.0');
  if (isIP(bindAddress) === 0) {
    throw invalid('bind-address', bindAddress, 'expected an IP address, e.g. 0.0.0.0, 127.0.0.1 or ::');
  }
  const [certFile, keyFile] = pair(values, 'tls-cert-file', 'tls-private-key-file');
  const tlsText = values.string('tls-min-version') || 'VersionTLS12';
  if (DEPRECATED_TLS_VERSIONS.has(tlsText)) {
    throw invalid(
      'tls-min-version',
      tlsText,
      'TLS 1.0 and 1.1 are not supported (deprecated by RFC 8996); use VersionTLS12 or VersionTLS13',
    );
  }
  const tlsMinVersion = TLS_VERSIONS[tlsText];
  if (tlsMinVersion === undefined) {
    throw invalid('tls-min-version', tlsText, `use one of ${Object.keys(TLS_VERSIONS).join(', ')}`);
  }

  return {
    help,
    config,
    prometheus: {
      url: prometheusUrl(values),
      verb,
      headers: values.array('prometheus-header').map(prometheusHeader),
      tokenFile: values.path('prometheus-token-file'),
      caFile: values.path('prometheus-ca-file'),
      clientCertFile,
      clientKeyFile,
      authConfig,
      authInCluster,
      timeoutMs: timerDuration(values, 'prometheus-timeout', false),
    },
    relistIntervalMs,
    maxAgeMs,
    serving: {
      securePort: values.int('secure-port', 0, 65535),
      bindAddress,
      certDir: values.string('cert-dir') ?? '',
      certFile,
      keyFile,
      tlsMinVersion,
      cipherSuites: values.list('tls-cipher-suites') ?? [],
      disableHttp2: values.bool('disable-http2'),
    },
    kube: {
      listerKubeconfig: values.path('lister-kubeconfig'),
      authenticationKubeconfig: values.path('authentication-kubeconfig'),
      authorizationKubeconfig: values.path('authorization-kubeconfig'),
      clientCaFile: values.path('client-ca-file'),
      requestheaderClientCaFile: values.path('requestheader-client-ca-file'),
      requestheaderAllowedNames: values.list('requestheader-allowed-names'),
      requestheaderUsernameHeaders: values.list('requestheader-username-headers'),
      requestheaderGroupHeaders: values.list('requestheader-group-headers'),
      requestheaderExtraHeadersPrefix: values.list('requestheader-extra-headers-prefix'),
      alwaysAllowPaths: values.list('authorization-always-allow-paths') ?? [],
      discoveryIntervalMs: timerDuration(values, 'discovery-interval', false),
      qps: values.int('kube-api-qps', 1, 10_000),
      burst: values.int('kube-api-burst', 1, 10_000),
    },
    verbosity: values.int('v', 0, 2 ** 31 - 1),
    standalone,
    shutdownGracePeriodMs: timerDuration(values, 'shutdown-grace-period', true),
    metricsListen: metricsListen(values.string('metrics-bind-address')),
    ignoredFlags,
  };
}

/** `host:port`, `:port` (all interfaces) or `[v6]:port`; empty means none. */
function metricsListen(value: string | undefined): { host: string; port: number } | undefined {
  if (value === undefined || value === '') return undefined;
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(value);
  const host = m?.[1] ?? (m?.[2] === '' ? '0.0.0.0' : m?.[2]);
  const port = Number(m?.[3]);
  if (m === null || host === undefined || isIP(host) === 0 || port > 65535) {
    throw invalid('metrics-bind-address', value, 'expected <ip>:<port>, e.g. :9100 or 127.0.0.1:9100');
  }
  return { host, port };
}

/** Removes `undefined` members (so optional fields are absent, not present-and-undefined) and freezes deeply. */
function deepFreeze<T>(value: T): T {
  if (typeof value !== 'object' || value === null) return value;
  if (value instanceof URL) return Object.freeze(value);
  for (const [key, member] of Object.entries(value)) {
    if (member === undefined && !Array.isArray(value)) delete (value as Record<string, unknown>)[key];
    else deepFreeze(member);
  }
  return Object.freeze(value);
}

/**
 * Parses the adapter's command line (`process.argv.slice(2)`) into validated, deep-frozen options (SPEC 2).
 * A leading `/adapter` (the Helm chart repeats the command) is skipped. With `--help` or `-h` anywhere, returns the
 * defaults with `help: true` without validating anything else; the caller prints {@link HELP_TEXT}.
 * @throws OptionsError with a one-line message saying what is wrong and how to fix it.
 */
export function parseOptions(argv: readonly string[]): AdapterOptions {
  if (wantsHelp(argv)) return deepFreeze(build(new FlagValues(new Map()), true, []));
  const { given, ignored } = tokenize(argv);
  return deepFreeze(build(new FlagValues(given), false, ignored));
}
