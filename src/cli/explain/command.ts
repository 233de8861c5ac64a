/** The `explain` subcommand: flags, files and output around {@link explain}. */
import { readFileSync } from 'node:fs';
import { formatGoDuration, parseGoDuration } from '../../go-duration.js';
import { createHttpPrometheusClient } from '../../prometheus/http-client.js';
import { ConfigError } from '../../rules/config-error.js';
import { explain } from './explain.js';
import { ApiPathError } from './parse-path.js';
import { renderText } from './report.js';

export const EXPLAIN_USAGE =
  'usage: prometheus-metrics-adapter explain --config=RULES.yaml --prometheus-url=URL [--output=text|json] API_PATH';

const DEFAULT_MAX_AGE = '10m';
const DEFAULT_TIMEOUT = '10s';

const HELP = `${EXPLAIN_USAGE}

Shows how the adapter answers one metrics API path, without serving: it relists the rules against Prometheus
once (standalone mode: the built-in resource table, every object Prometheus knows), then answers the path with
the adapter's own routes and prints, in order: how the path was parsed, the rule chosen (or, when none, why not,
with near misses), the PromQL sent, Prometheus's answer, and the response an HPA would get.

API_PATH is, for example (quote the *):
  /apis/custom.metrics.k8s.io/v1beta2/namespaces/default/pods/*/counter_qps
  /apis/custom.metrics.k8s.io/v1beta1/namespaces/default/metrics/counter_qps
  /apis/external.metrics.k8s.io/v1beta1/namespaces/default/queue_depth?labelSelector=queue%3Dorders
  /apis/metrics.k8s.io/v1beta1/namespaces/default/pods        (needs resourceRules)

  --config=FILE             the rules file, as the adapter's --config
  --prometheus-url=URL      the Prometheus (or compatible) API, e.g. http://prometheus:9090
  --output=text|json, -o    report format (default text)
  --metrics-max-age=DUR     relist look-back, as the adapter's flag (default ${DEFAULT_MAX_AGE})
  --prometheus-timeout=DUR  per-call timeout (default ${DEFAULT_TIMEOUT})

Exit status: 0 when the response is served with items, 1 when it is an error or has no items (or the rules
file is invalid), 2 for a usage error.
`;

type Flag = 'config' | 'prometheusUrl' | 'output' | 'maxAge' | 'timeout';

const FLAGS = new Map<string, Flag>([
  ['--config', 'config'],
  ['--prometheus-url', 'prometheusUrl'],
  ['--output', 'output'],
  ['-o', 'output'],
  ['--metrics-max-age', 'maxAge'],
  ['--prometheus-timeout', 'timeout'],
]);

/** Where the command writes: the report to `stdout`, errors to `stderr`. */
export interface ExplainIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
}

class UsageError extends Error {
  override readonly name = 'UsageError';
}

interface Args {
  config: string;
  prometheusUrl: URL;
  output: 'text' | 'json';
  maxAgeMs: number;
  timeoutMs: number;
  path: string;
}

function duration(flag: string, text: string): number {
  let ms: number;
  try {
    ms = parseGoDuration(text);
  } catch (e) {
    throw new UsageError(`invalid ${flag} ${JSON.stringify(text)}: ${(e as Error).message}`, { cause: e });
  }
  if (!(ms > 0)) throw new UsageError(`invalid ${flag} ${formatGoDuration(ms)}: must be positive`);
  return ms;
}

/** Parses the arguments after `explain`; `undefined` for `--help`. */
function parseArgs(argv: readonly string[]): Args | undefined {
  const values: Partial<Record<Flag, string>> = {};
  const paths: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--help' || arg === '-h') return undefined;
    if (!arg.startsWith('-') || arg === '-') {
      paths.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const flag = eq < 0 ? arg : arg.slice(0, eq);
    const key = FLAGS.get(flag);
    if (key === undefined) throw new UsageError(`unknown flag ${flag}`);
    const value = eq < 0 ? argv[++i] : arg.slice(eq + 1);
    if (value === undefined) throw new UsageError(`${flag} needs a value`);
    values[key] = value;
  }
  if (values.config === undefined || values.config === '') throw new UsageError('--config is required');
  if (values.prometheusUrl === undefined) throw new UsageError('--prometheus-url is required');
  let prometheusUrl: URL;
  try {
    prometheusUrl = new URL(values.prometheusUrl);
  } catch (e) {
    throw new UsageError(
      `invalid --prometheus-url ${JSON.stringify(values.prometheusUrl)}: expected an http or https URL, ` +
        'e.g. http://prometheus:9090',
      { cause: e },
    );
  }
  if (prometheusUrl.protocol !== 'http:' && prometheusUrl.protocol !== 'https:') {
    throw new UsageError(
      `invalid --prometheus-url ${JSON.stringify(values.prometheusUrl)}: the scheme must be http or https`,
    );
  }
  const output = values.output ?? 'text';
  if (output !== 'text' && output !== 'json') {
    throw new UsageError(`invalid --output ${JSON.stringify(output)}: use text or json`);
  }
  if (paths.length !== 1) {
    throw new UsageError(
      paths.length === 0
        ? 'the API path is missing'
        : `expected one API path, got ${paths.length}: ${paths.map((p) => JSON.stringify(p)).join(' ')}`,
    );
  }
  return {
    config: values.config,
    prometheusUrl,
    output,
    maxAgeMs: duration('--metrics-max-age', values.maxAge ?? DEFAULT_MAX_AGE),
    timeoutMs: duration('--prometheus-timeout', values.timeout ?? DEFAULT_TIMEOUT),
    path: paths[0]!,
  };
}

/**
 * Runs `explain` with the arguments after the subcommand and returns the exit code: 0 when the response would be
 * served with items, 1 when it is an error or empty (or the rules file is invalid), 2 for a usage error (bad flag,
 * unreadable rules file, a path that is not a metrics path). Throws only on a bug.
 */
export async function explainCommand(argv: readonly string[], io: ExplainIo): Promise<number> {
  const usage = (message: string) => {
    io.stderr.write(`error: ${message}; ${EXPLAIN_USAGE}\n`);
    return 2;
  };
  let args: Args | undefined;
  try {
    args = parseArgs(argv);
  } catch (e) {
    if (e instanceof UsageError) return usage(e.message);
    throw e;
  }
  if (args === undefined) {
    io.stdout.write(HELP);
    return 0;
  }
  let rulesText: string;
  try {
    rulesText = readFileSync(args.config, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : String(e);
    io.stderr.write(`error: --config: cannot read ${args.config}: ${why}\n`);
    return 2;
  }
  try {
    const explanation = await explain({
      path: args.path,
      rulesText,
      rulesFile: args.config,
      prometheus: createHttpPrometheusClient({
        url: args.prometheusUrl,
        verb: 'GET',
        timeoutMs: args.timeoutMs,
      }),
      prometheusUrl: args.prometheusUrl.href,
      maxAgeMs: args.maxAgeMs,
    });
    io.stdout.write(
      args.output === 'json' ? `${JSON.stringify(explanation, null, 2)}\n` : renderText(explanation),
    );
    return explanation.exitCode;
  } catch (e) {
    if (e instanceof ApiPathError) return usage(e.message);
    if (e instanceof ConfigError) {
      io.stderr.write(`error: invalid rules file:\n${e.message}\n`);
      return 1;
    }
    throw e;
  }
}
