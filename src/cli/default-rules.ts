import { writeFileSync } from 'node:fs';
import { Document } from 'yaml';
import { DEFAULT_RATE_INTERVAL, defaultRules, DefaultRulesOptionError } from '../rules/default-rules.js';
import { tokenizeArgs, UsageError } from './args.js';

export const DEFAULT_RULES_USAGE =
  'usage: prometheus-metrics-adapter default-rules [--rate-interval=5m] [--label-prefix=PREFIX] [--output=FILE]';

const HELP = `${DEFAULT_RULES_USAGE}

Prints the rules that upstream prometheus-adapter's config-gen generates (also the Helm chart's
rules.default: true): cadvisor container_* series and every series with a <prefix>namespace label, counters
ending in _seconds_total or _total served as rates under the stripped name, other series as sums, plus
resourceRules for kubectl top from cadvisor's CPU and working-set memory.

  --rate-interval=DURATION  range of every rate() and the resource-metrics window (Go duration; default ${DEFAULT_RATE_INTERVAL})
  --label-prefix=PREFIX     prefix of the resource labels of non-cadvisor series, e.g. kubernetes_ for
                            kubernetes_namespace and kubernetes_pod (default: none)
  --output=FILE, -o FILE    write the rules to FILE instead of standard output
`;

const FLAGS = {
  values: ['--rate-interval', '--label-prefix', '--output'],
  aliases: { '-o': '--output' },
} as const;

const FLAG_OF_OPTION = { rateInterval: '--rate-interval', labelPrefix: '--label-prefix' } as const;

/**
 * The `default-rules` subcommand: parses `argv` (the arguments after the subcommand; `--flag=value` and
 * `--flag value`), writes the rules file as YAML to `out` (or to `--output`), and returns the exit code:
 * 0 on success (and for `--help`), 2 for a bad argument, 1 when the output file cannot be written. Every error
 * is one line on `err` naming the flag. Throws only on a bug.
 */
export function defaultRulesCommand(
  argv: readonly string[],
  out: NodeJS.WritableStream,
  err: NodeJS.WritableStream = process.stderr,
): number {
  const fail = (message: string, code: number) => {
    err.write(`error: ${message}\n`);
    return code;
  };
  let args;
  try {
    args = tokenizeArgs(argv, FLAGS);
  } catch (e) {
    if (e instanceof UsageError) return fail(`${e.message}; ${DEFAULT_RULES_USAGE}`, 2);
    throw e;
  }
  if (args.help) {
    out.write(HELP);
    return 0;
  }
  // NB: a flag given twice takes its last value.
  const values = {
    rateInterval: args.values['--rate-interval'].at(-1),
    labelPrefix: args.values['--label-prefix'].at(-1),
    output: args.values['--output'].at(-1),
  };

  let text: string;
  try {
    const { rules, resourceRules } = defaultRules({
      ...(values.rateInterval === undefined ? {} : { rateInterval: values.rateInterval }),
      ...(values.labelPrefix === undefined ? {} : { labelPrefix: values.labelPrefix }),
    });
    const doc = new Document({ rules, resourceRules });
    doc.commentBefore =
      " Upstream prometheus-adapter's default rules (config-gen), generated with\n" +
      ` prometheus-metrics-adapter default-rules --rate-interval=${values.rateInterval ?? DEFAULT_RATE_INTERVAL}` +
      ` --label-prefix=${values.labelPrefix ?? ''}`;
    text = doc.toString({ lineWidth: 0 });
  } catch (e) {
    if (e instanceof DefaultRulesOptionError) return fail(`${FLAG_OF_OPTION[e.option]}: ${e.message}`, 2);
    throw e;
  }

  if (values.output === undefined) {
    out.write(text);
    return 0;
  }
  try {
    writeFileSync(values.output, text);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'no such directory'
        : code === 'EACCES'
          ? 'permission denied'
          : code === 'EISDIR'
            ? 'it is a directory'
            : (e as Error).message;
    return fail(`--output: cannot write ${values.output}: ${why}`, 1);
  }
  return 0;
}
