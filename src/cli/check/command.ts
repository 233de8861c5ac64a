/**
 * `prometheus-metrics-adapter check`: lints a rules file offline and, with `--prometheus-url`, shows per rule what
 * relisting would find and serve, and which series are left out and why ("why does my metric not show up").
 */
import { readFileSync } from 'node:fs';
import { createStandaloneResourceMapper } from '../../kube/standalone.js';
import type { PrometheusClient } from '../../prometheus/client.js';
import { createHttpPrometheusClient } from '../../prometheus/http-client.js';
import { formatPromDuration } from '../../rules/promql-ranges.js';
import {
  parseHttpUrl,
  parseKeyValue,
  parseOutputFormat,
  parsePositiveDuration,
  readFailure,
  tokenizeArgs,
  UsageError,
} from '../args.js';
import { discover, type Discovery } from './discover.js';
import { lintRules, makeFinding, sortFindings, type Finding, type LintResult } from './lint.js';
import { formatJson, formatText, type CheckReport } from './report.js';

export const CHECK_USAGE =
  'usage: prometheus-metrics-adapter check --config=RULES.yaml [--prometheus-url=URL] [--output=text|json] ' +
  '[--metrics-max-age=10m] [--scrape-interval=1m] [--strict]';

const HELP = `${CHECK_USAGE}

Checks a rules file without starting the adapter. Offline: the loader's errors (structure, RE2 regexes, templates,
each with its YAML path and line:column) and warnings for rules that cannot work as meant (a seriesQuery whose
matchers contradict, names that name.matches never matches, no label mapped to a resource, duplicate metrics,
a metricsQuery without <<.LabelMatchers>>, ranges shorter than two scrape intervals). With --prometheus-url: each
rule's seriesQuery is run as relisting runs it, and the metrics it would serve are listed with the series it
leaves out and why. Resources are resolved with the standalone resource table (no Kubernetes API).

  --config=FILE                   the rules file (required)
  --prometheus-url=URL            also ask this Prometheus which series each rule finds
  --output=text|json, -o          report format (default text)
  --metrics-max-age=DURATION      discovery look-back, as the adapter's flag (default 10m)
  --scrape-interval=DURATION      Prometheus' scrape interval, for the range checks (default 1m)
  --strict                        exit 1 on warnings too
  --prometheus-timeout=DURATION   timeout of each Prometheus request (default 10s)
  --prometheus-header=KEY=VALUE   header for every Prometheus request (repeatable)
  --prometheus-token-file=FILE    bearer token for Prometheus
  --prometheus-ca-file=FILE       CA bundle for Prometheus' certificate

Exit code: 0 no errors (warnings alone pass unless --strict), 1 errors found, 2 usage error.
`;

interface CheckArgs {
  config: string;
  prometheusUrl?: URL;
  /** As written on the command line. */
  prometheusUrlText?: string;
  output: 'text' | 'json';
  maxAgeMs: number;
  scrapeIntervalMs: number;
  strict: boolean;
  timeoutMs: number;
  headers: Array<[string, string]>;
  tokenFile?: string;
  caFile?: string;
}

export interface CheckIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
}

export interface CheckDeps {
  /** Builds the Prometheus client; default: the HTTP client. Tests pass a fake. */
  prometheus?: (args: { url: URL; timeoutMs: number }) => PrometheusClient;
  now?: Date;
}

/**
 * Runs `check` with the arguments after the subcommand and returns the exit code: 0 no errors (warnings alone
 * pass unless `--strict`), 1 errors found (or warnings with `--strict`), 2 usage error (bad flag, unreadable
 * file). The report goes to `stdout`, usage errors to `stderr`. Throws only on a bug.
 */
export async function checkCommand(
  argv: readonly string[],
  io: CheckIo,
  deps: CheckDeps = {},
): Promise<number> {
  let args: CheckArgs | 'help';
  try {
    args = parseArgs(argv);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    io.stderr.write(`error: ${e.message}\n${CHECK_USAGE}\n`);
    return 2;
  }
  if (args === 'help') {
    io.stdout.write(HELP);
    return 0;
  }
  let text: string;
  try {
    text = readFileSync(args.config, 'utf8');
  } catch (e) {
    io.stderr.write(`error: --config: cannot read ${args.config}: ${readFailure(e)}\n`);
    return 2;
  }

  const mapper = createStandaloneResourceMapper();
  const lint = lintRules(text, args.config, {
    mapper,
    scrapeIntervalMs: args.scrapeIntervalMs,
    maxAgeMs: args.maxAgeMs,
  });
  let findings: Finding[] = [...lint.findings];
  let discovery: Discovery | undefined;
  if (args.prometheusUrl !== undefined && lint.rules !== undefined) {
    let prometheus: PrometheusClient;
    try {
      prometheus =
        deps.prometheus?.({ url: args.prometheusUrl, timeoutMs: args.timeoutMs }) ??
        createHttpPrometheusClient({
          url: args.prometheusUrl,
          verb: 'GET',
          headers: args.headers,
          timeoutMs: args.timeoutMs,
          ...(args.tokenFile === undefined ? {} : { tokenFile: args.tokenFile }),
          ...(args.caFile === undefined ? {} : { caFile: args.caFile }),
        });
    } catch (e) {
      io.stderr.write(`error: cannot set up the Prometheus client: ${(e as Error).message}\n`);
      return 2;
    }
    discovery = await discover({
      prometheus,
      rules: lint.rules,
      mapper,
      maxAgeMs: args.maxAgeMs,
      ...(deps.now === undefined ? {} : { now: deps.now }),
    });
    // NB: what Prometheus answered replaces the offline guess about duplicate metrics, unless a query failed.
    const answered = discovery.rules.every((r) => r.error === undefined);
    findings = sortFindings([
      ...findings.filter((f) => !answered || f.code !== 'duplicate-metric'),
      ...discoveryFindings(discovery, lint, args.maxAgeMs),
    ]);
  }
  const errors = findings.filter((f) => f.severity === 'error').length;
  const exitCode = errors > 0 || (args.strict && findings.length > 0) ? 1 : 0;
  const report: CheckReport = {
    config: args.config,
    ...(lint.config === undefined
      ? {}
      : {
          counts: {
            rules: lint.config.rules.length,
            externalRules: lint.config.externalRules.length,
            resourceRules: lint.config.resourceRules !== undefined,
          },
        }),
    scrapeIntervalMs: args.scrapeIntervalMs,
    maxAgeMs: args.maxAgeMs,
    strict: args.strict,
    findings,
    ...(args.prometheusUrl === undefined
      ? {}
      : { prometheusUrl: displayUrl(args.prometheusUrl, args.prometheusUrlText!) }),
    ...(discovery === undefined ? {} : { discovery }),
    exitCode,
  };
  io.stdout.write(args.output === 'json' ? formatJson(report) : formatText(report));
  return exitCode;
}

function discoveryFindings(discovery: Discovery, lint: LintResult, maxAgeMs: number): Finding[] {
  const positionOf = lint.positionOf ?? (() => undefined);
  const out: Finding[] = [];
  for (const rule of discovery.rules) {
    const at = (path: string, severity: 'error' | 'warning', code: Finding['code'], message: string) =>
      out.push(makeFinding(rule.id, path, severity, code, message, positionOf));
    if (rule.error !== undefined) {
      at(
        `${rule.id}.seriesQuery`,
        'error',
        'series-query-failed',
        `Prometheus could not answer it: ${rule.error}`,
      );
    } else if (rule.series === 0) {
      at(
        `${rule.id}.seriesQuery`,
        'warning',
        'no-series',
        `selects no series seen in the last ${formatPromDuration(maxAgeMs)}: check that the target is scraped and that ` +
          'label names and values are exactly as written (drop matchers one at a time to find the one at fault)',
      );
    } else if (rule.metrics.length === 0) {
      const reasons = rule.rejected.map((g) => g.reason);
      at(
        rule.id,
        'warning',
        'no-metrics',
        `its seriesQuery selects ${rule.series} series, but none yields a metric: ${reasons.join('; ')}`,
      );
    }
  }
  const byWinner = new Map<string, { others: string[]; names: string[] }>();
  for (const c of discovery.conflicts) {
    const winner = c.rules[c.rules.length - 1]!;
    const others = [...new Set(c.rules.slice(0, -1))].filter((r) => r !== winner);
    const key = `${winner}\u0000${others.join(',')}`;
    const entry = byWinner.get(key) ?? { others, names: [] };
    entry.names.push(c.name);
    byWinner.set(key, entry);
  }
  for (const [key, { others, names }] of byWinner) {
    const winner = key.slice(0, key.indexOf('\u0000'));
    const shown = names.slice(0, 5).join(', ') + (names.length > 5 ? `, and ${names.length - 5} more` : '');
    out.push(
      makeFinding(
        winner,
        `${winner}.name`,
        'warning',
        'duplicate-metric',
        `${others.join(' and ')} also produce${others.length === 1 ? 's' : ''} ${shown}; ${winner} (the later ` +
          'rule) serves them',
        positionOf,
      ),
    );
  }
  return out;
}

/** The URL without credentials, for the report. */
function displayUrl(url: URL, written: string): string {
  if (url.username === '' && url.password === '') return written;
  const copy = new URL(url.toString());
  copy.username = 'REDACTED';
  copy.password = '';
  return copy.toString();
}

const CHECK_FLAGS = {
  values: [
    '--config',
    '--prometheus-url',
    '--output',
    '--metrics-max-age',
    '--scrape-interval',
    '--prometheus-timeout',
    '--prometheus-header',
    '--prometheus-token-file',
    '--prometheus-ca-file',
  ],
  booleans: ['--strict'],
  aliases: { '-o': '--output' },
} as const;

function parseArgs(argv: readonly string[]): CheckArgs | 'help' {
  const args = tokenizeArgs(argv, CHECK_FLAGS);
  if (args.help) return 'help';
  const { values } = args;
  const config = values['--config'].at(-1);
  if (config === undefined || config === '') throw new UsageError('--config is required');
  const output = parseOutputFormat('--output', values['--output'].at(-1) ?? 'text');
  const duration = (
    flag: '--metrics-max-age' | '--scrape-interval' | '--prometheus-timeout',
    fallback: string,
  ) => parsePositiveDuration(flag, values[flag].at(-1) ?? fallback);
  const urlText = values['--prometheus-url'].at(-1);
  const prometheusUrl = urlText === undefined ? undefined : parseHttpUrl('--prometheus-url', urlText);
  const headers = values['--prometheus-header'].map((h) => parseKeyValue('--prometheus-header', h));
  const tokenFile = values['--prometheus-token-file'].at(-1);
  const caFile = values['--prometheus-ca-file'].at(-1);
  return {
    config,
    ...(prometheusUrl === undefined ? {} : { prometheusUrl, prometheusUrlText: urlText! }),
    output,
    maxAgeMs: duration('--metrics-max-age', '10m'),
    scrapeIntervalMs: duration('--scrape-interval', '1m'),
    strict: args.booleans['--strict'] ?? false,
    timeoutMs: duration('--prometheus-timeout', '10s'),
    headers,
    ...(tokenFile === undefined ? {} : { tokenFile }),
    ...(caFile === undefined ? {} : { caFile }),
  };
}
