/** The `explain` subcommand: flags, files and output around {@link explain}. */
import { readFileSync } from 'node:fs';
import { createHttpPrometheusClient } from '../../prometheus/http-client.js';
import { ConfigError } from '../../rules/config-error.js';
import {
  parseHttpUrl,
  parseOutputFormat,
  parsePositiveDuration,
  readFailure,
  tokenizeArgs,
  UsageError,
} from '../args.js';
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

const EXPLAIN_FLAGS = {
  values: ['--config', '--prometheus-url', '--output', '--metrics-max-age', '--prometheus-timeout'],
  aliases: { '-o': '--output' },
  positionals: true,
} as const;

/** Where the command writes: the report to `stdout`, errors to `stderr`. */
export interface ExplainIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
}

interface Args {
  config: string;
  prometheusUrl: URL;
  output: 'text' | 'json';
  maxAgeMs: number;
  timeoutMs: number;
  path: string;
}

/** Parses the arguments after `explain`; `undefined` for `--help`. */
function parseArgs(argv: readonly string[]): Args | undefined {
  const args = tokenizeArgs(argv, EXPLAIN_FLAGS);
  if (args.help) return undefined;
  const { values, positionals: paths } = args;
  const config = values['--config'].at(-1);
  if (config === undefined || config === '') throw new UsageError('--config is required');
  const urlText = values['--prometheus-url'].at(-1);
  if (urlText === undefined) throw new UsageError('--prometheus-url is required');
  const prometheusUrl = parseHttpUrl('--prometheus-url', urlText);
  const output = parseOutputFormat(
    '--output',
    values['--output'].at(-1) ?? 'text',
    (flag, text) => `invalid ${flag} ${JSON.stringify(text)}: use text or json`,
  );
  if (paths.length !== 1) {
    throw new UsageError(
      paths.length === 0
        ? 'the API path is missing'
        : `expected one API path, got ${paths.length}: ${paths.map((p) => JSON.stringify(p)).join(' ')}`,
    );
  }
  return {
    config,
    prometheusUrl,
    output,
    maxAgeMs: parsePositiveDuration(
      '--metrics-max-age',
      values['--metrics-max-age'].at(-1) ?? DEFAULT_MAX_AGE,
    ),
    timeoutMs: parsePositiveDuration(
      '--prometheus-timeout',
      values['--prometheus-timeout'].at(-1) ?? DEFAULT_TIMEOUT,
    ),
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
    io.stderr.write(`error: --config: cannot read ${args.config}: ${readFailure(e)}\n`);
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
