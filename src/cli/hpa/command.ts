/**
 * The `hpa` subcommand: `hpa convert` (autoscaling/v2beta1 and v2beta2 → v2) and `hpa preview` (what the HPA
 * would do with the metric values the adapter serves now). Argument parsing, files, wiring and printing.
 */
import { readFileSync } from 'node:fs';
import { parseLabelSelector, SelectorError } from '../../api/label-selector.js';
import { createStandaloneObjectLister, createStandaloneResourceMapper } from '../../kube/standalone.js';
import { createHttpPrometheusClient } from '../../prometheus/http-client.js';
import { createEngine } from '../../providers/engine.js';
import { loadRules } from '../../rules/compile-rules.js';
import { ConfigError } from '../../rules/config-error.js';
import {
  parseHttpUrl,
  parseOutputFormat,
  parsePositiveDuration,
  readFailure,
  tokenizeArgs,
  UsageError,
} from '../args.js';
import { createAdapterMetricReader } from './adapter-metric-reader.js';
import { convertManifest, hpaAsV2 } from './convert.js';
import {
  joinDocuments,
  locate,
  ManifestError,
  readDocuments,
  renderManifest,
  type SourceDocument,
} from './documents.js';
import { createEngineMetricReader } from './engine-metric-reader.js';
import type { MetricReader } from './metric-reader.js';
import { previewHpa, type PreviewResult, type Sourced } from './preview.js';
import { formatPreviewJson, formatPreviewText } from './preview-format.js';
import { DEFAULT_TOLERANCE } from './replica-calculator.js';
import { SchemaError, isObject, type JsonObject, type PathSegment } from './schema.js';
import { findWorkloads } from './workloads.js';

/** Where the command writes, and reads `-f -` from. `process` fits. */
export interface HpaIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  stdin?: NodeJS.ReadableStream;
}

const USAGE = `usage: prometheus-metrics-adapter hpa convert -f FILE [-f FILE ...]
       prometheus-metrics-adapter hpa preview -f FILE [-f FILE ...]
           (--adapter URL [--token TOKEN] [--insecure-skip-tls-verify] [--certificate-authority FILE]
            | --config RULES --prometheus-url URL)
           [--selector SELECTOR] [--namespace NS] [--current-replicas N] [--output text|json] [--timeout 10s]`;

const HELP = `${USAGE}

convert  Rewrites autoscaling/v2beta1 and autoscaling/v2beta2 HorizontalPodAutoscalers as autoscaling/v2, field by
         field as the API server converts them, and prints the documents as YAML. Other documents are printed
         unchanged (with a warning on stderr unless they are autoscaling/v2 HPAs already).
preview  For each HPA in the files (any of those versions), reads its metrics the way the HPA controller does and
         shows the current values, the replicas each metric proposes and the replica count the HPA would set.

  -f, --filename FILE         a manifest file (multi-document YAML); - reads standard input; repeatable
  --adapter URL               read metrics over HTTPS from a running adapter, a kube-apiserver or kubectl proxy
  --token TOKEN               bearer token for --adapter
  --insecure-skip-tls-verify  do not verify the --adapter server certificate
  --certificate-authority F   CA bundle (PEM) to verify the --adapter server certificate with
  --config RULES              read metrics in-process with this rules file (no adapter needed) ...
  --prometheus-url URL        ... from this Prometheus
  -l, --selector SELECTOR     the scale target's pod selector (default: the selector of the Deployment,
                              StatefulSet or ReplicaSet named by scaleTargetRef in the -f files)
  -n, --namespace NS          namespace of the HPAs (default: their metadata.namespace, else default)
  --current-replicas N        the scale target's replicas (default: its spec.replicas in the -f files, else
                              the HPA's minReplicas)
  -o, --output text|json      output format of preview (default text)
  --timeout DURATION          per request (Go duration, default 10s)
`;

/** A failure of the work itself (Prometheus unreachable, ...): exit code 1. */
class CommandError extends Error {
  override readonly name = 'CommandError';
}

interface Flags {
  files: string[];
  adapter?: string;
  token?: string;
  insecure: boolean;
  certificateAuthority?: string;
  config?: string;
  prometheusUrl?: string;
  selector?: string;
  namespace?: string;
  currentReplicas?: number;
  output: 'text' | 'json';
  timeoutMs: number;
}

const HPA_FLAGS = {
  values: [
    '--filename',
    '--adapter',
    '--token',
    '--certificate-authority',
    '--config',
    '--prometheus-url',
    '--selector',
    '--namespace',
    '--current-replicas',
    '--output',
    '--timeout',
  ],
  booleans: ['--insecure-skip-tls-verify'],
  aliases: { '-f': '--filename', '-l': '--selector', '-n': '--namespace', '-o': '--output' },
} as const;

/**
 * Runs `hpa <convert|preview> ...` (argv after `hpa`). Returns the exit code: 0 on success, 1 for bad manifests,
 * unreadable files or metrics that could not be read, 2 for bad usage. Errors go to `io.stderr` as lines starting
 * with `error:`; warnings with `warning:`.
 */
export async function hpaCommand(argv: readonly string[], io: HpaIo): Promise<number> {
  const [action, ...rest] = argv;
  const fail = (message: string, code: number) => {
    io.stderr.write(`error: ${message}\n`);
    return code;
  };
  if (action === undefined || action === '--help' || action === '-h' || action === 'help') {
    (action === undefined ? io.stderr : io.stdout).write(action === undefined ? `${USAGE}\n` : HELP);
    return action === undefined ? 2 : 0;
  }
  if (action !== 'convert' && action !== 'preview')
    return fail(`unknown hpa command ${JSON.stringify(action)}\n${USAGE}`, 2);
  try {
    // NB: --help anywhere after the action wins, even where it would be a flag's value.
    const flags = rest.includes('--help') || rest.includes('-h') ? 'help' : parseFlags(rest, action);
    if (flags === 'help') {
      io.stdout.write(HELP);
      return 0;
    }
    const files = await readFiles(flags.files, io);
    return action === 'convert' ? convert(files, io) : await preview(files, flags, io);
  } catch (e) {
    if (e instanceof UsageError) return fail(`${e.message}\n${USAGE}`, 2);
    if (e instanceof ManifestError || e instanceof CommandError) return fail(e.message, 1);
    if (e instanceof ConfigError) return fail(`invalid rules file:\n${e.message}`, 1);
    throw e;
  }
}

function parseFlags(argv: readonly string[], action: 'convert' | 'preview'): Flags | 'help' {
  const args = tokenizeArgs(argv, HPA_FLAGS);
  if (args.help) return 'help';
  const { values } = args;
  const insecure = args.booleans['--insecure-skip-tls-verify'];
  if (action === 'convert') {
    const previewOnly = [
      ...(insecure === undefined ? [] : ['--insecure-skip-tls-verify']),
      ...HPA_FLAGS.values.filter((flag) => flag !== '--filename' && values[flag].length > 0),
    ];
    if (previewOnly[0] !== undefined) throw new UsageError(`${previewOnly[0]} applies to hpa preview only`);
  }
  // NB: every occurrence is checked, the last one counts.
  const currentReplicas = values['--current-replicas'].map((value) => {
    if (!/^\d+$/.test(value) || Number(value) > 2 ** 31 - 1) {
      throw new UsageError(`--current-replicas must be a whole number, not ${JSON.stringify(value)}`);
    }
    return Number(value);
  });
  const selectors = values['--selector'].map((text) => {
    const value = text.trim();
    try {
      parseLabelSelector(value);
    } catch (e) {
      if (e instanceof SelectorError) throw new UsageError(`--selector: ${e.message}`, { cause: e });
      throw e;
    }
    return value;
  });
  const flags: Flags = {
    files: [...values['--filename']],
    adapter: values['--adapter'].at(-1),
    token: values['--token'].at(-1),
    insecure: insecure ?? false,
    certificateAuthority: values['--certificate-authority'].at(-1),
    config: values['--config'].at(-1),
    prometheusUrl: values['--prometheus-url'].at(-1),
    selector: selectors.at(-1),
    namespace: values['--namespace'].at(-1),
    currentReplicas: currentReplicas.at(-1),
    output: values['--output'].map((value) => parseOutputFormat('--output', value)).at(-1) ?? 'text',
    timeoutMs: values['--timeout'].map((value) => parsePositiveDuration('--timeout', value)).at(-1) ?? 10_000,
  };
  if (flags.files.length === 0)
    throw new UsageError('give at least one manifest file with -f FILE (- for standard input)');
  if (action === 'preview') {
    const inProcess = flags.config !== undefined || flags.prometheusUrl !== undefined;
    if (flags.adapter !== undefined && inProcess) {
      throw new UsageError('give either --adapter or --config with --prometheus-url, not both');
    }
    if (flags.adapter === undefined && !inProcess) {
      throw new UsageError(
        'say where metrics come from: --adapter URL, or --config RULES with --prometheus-url URL',
      );
    }
    if (inProcess && (flags.config === undefined || flags.prometheusUrl === undefined)) {
      throw new UsageError('--config and --prometheus-url go together');
    }
    if (flags.adapter !== undefined) parseHttpUrl('--adapter', flags.adapter);
    if (flags.prometheusUrl !== undefined) parseHttpUrl('--prometheus-url', flags.prometheusUrl);
  }
  return flags;
}

async function readFiles(files: readonly string[], io: HpaIo): Promise<SourceDocument[][]> {
  const texts: Array<[string, string]> = [];
  let stdinRead = false;
  for (const file of files) {
    if (file === '-') {
      if (stdinRead) throw new UsageError('standard input (-f -) can be read only once');
      stdinRead = true;
      texts.push(['-', await readStream(io.stdin ?? process.stdin)]);
      continue;
    }
    try {
      texts.push([file, readFileSync(file, 'utf8')]);
    } catch (e) {
      throw new ManifestError(`cannot read ${file}: ${readFailure(e)}`, { cause: e });
    }
  }
  return texts.map(([source, text]) => readDocuments(text, source));
}

async function readStream(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks).toString('utf8');
}

function convert(files: readonly SourceDocument[][], io: HpaIo): number {
  const out: Array<{ text: string; marked: boolean }> = [];
  const errors: string[] = [];
  const warnings: string[] = [];
  for (const doc of files.flat()) {
    if (doc.value === null || doc.value === undefined) continue;
    const where = `${doc.source}: document ${doc.index}`;
    try {
      const result = convertManifest(doc.value);
      if (result.action === 'unchanged') {
        if (result.reason !== undefined)
          warnings.push(`${where}: passed through unchanged: ${result.reason}`);
        out.push({ text: doc.text, marked: doc.marked });
      } else {
        warnings.push(...result.notes.map((n) => `${where}: ${n}`));
        out.push({ text: renderManifest(result.manifest, doc.commentBefore), marked: false });
      }
    } catch (e) {
      if (!(e instanceof SchemaError)) throw e;
      errors.push(locate(doc, e).message);
    }
  }
  for (const w of warnings) io.stderr.write(`warning: ${w}\n`);
  if (errors.length > 0) {
    for (const e of errors) io.stderr.write(`error: ${e}\n`);
    return 1;
  }
  io.stdout.write(joinDocuments(out));
  return 0;
}

async function preview(files: readonly SourceDocument[][], flags: Flags, io: HpaIo): Promise<number> {
  const docs = files.flat();
  const hpas: Array<{ doc: SourceDocument; manifest: JsonObject; from: string }> = [];
  for (const doc of docs) {
    // NB: a List (kubectl get -o yaml) is read item by item.
    const candidates: Array<[unknown, PathSegment[]]> =
      isObject(doc.value) && doc.value.kind === 'List' && Array.isArray(doc.value.items)
        ? doc.value.items.map((item: unknown, i): [unknown, PathSegment[]] => [item, ['items', i]])
        : [[doc.value, []]];
    for (const [value, path] of candidates) {
      try {
        const hpa = hpaAsV2(value, path);
        if (hpa !== undefined) hpas.push({ doc, ...hpa });
        else if (isObject(value) && value.kind === 'HorizontalPodAutoscaler') {
          io.stderr.write(
            `warning: ${doc.source}: document ${doc.index}: ${String(value.apiVersion)} HPAs are not previewed\n`,
          );
        }
      } catch (e) {
        if (e instanceof SchemaError) throw locate(doc, e);
        throw e;
      }
    }
  }
  if (hpas.length === 0) throw new ManifestError('the -f files hold no HorizontalPodAutoscaler');
  const workloads = findWorkloads(docs);

  const inputs = hpas.map(({ doc, manifest, from }) => {
    const where = `${doc.source}: document ${doc.index}`;
    const metadata = (manifest.metadata ?? {}) as { namespace?: unknown };
    const spec = manifest.spec as
      { scaleTargetRef: { kind: string; name: string }; minReplicas?: number } | undefined;
    if (spec === undefined) throw new ManifestError(`${where}: the HPA has no spec`);
    const namespace =
      flags.namespace ?? (typeof metadata.namespace === 'string' ? metadata.namespace : 'default');
    const ref = spec.scaleTargetRef;
    const workload = workloads.find(
      (w) => w.kind === ref.kind && w.name === ref.name && (w.namespace ?? namespace) === namespace,
    );
    let podSelector: Sourced<string> | undefined;
    if (flags.selector !== undefined) podSelector = { value: flags.selector, source: '--selector' };
    else if (workload !== undefined)
      podSelector = { value: workload.selector, source: `${ref.kind} ${ref.name}` };
    else if (flags.adapter !== undefined) {
      throw new UsageError(
        `${where}: no pod selector for ${ref.kind}/${ref.name}: give --selector, or add its manifest with -f`,
      );
    }
    const currentReplicas: Sourced<number> =
      flags.currentReplicas !== undefined
        ? { value: flags.currentReplicas, source: '--current-replicas' }
        : workload?.replicas !== undefined
          ? { value: workload.replicas, source: `${ref.kind} ${ref.name} spec.replicas` }
          : { value: spec.minReplicas ?? 1, source: 'minReplicas' };
    return { hpa: manifest, from, namespace, podSelector, currentReplicas, tolerance: DEFAULT_TOLERANCE };
  });

  const reader = await createReader(flags, io);
  if (!reader.appliesPodSelector) {
    io.stderr.write(
      'warning: in-process (--config) there is no Kubernetes API to list pods by label: the pod selector is not ' +
        'applied, every pod with a value in the namespace is averaged\n',
    );
  }
  const results: PreviewResult[] = [];
  for (const input of inputs) results.push(await previewHpa(input, reader));
  io.stdout.write(flags.output === 'json' ? formatPreviewJson(results) : formatPreviewText(results));
  const failed = results.some((r) => r.metrics.some((m) => m.error !== undefined));
  return failed ? 1 : 0;
}

async function createReader(flags: Flags, io: HpaIo): Promise<MetricReader> {
  const resources = createStandaloneResourceMapper();
  if (flags.adapter !== undefined) {
    let ca: string | undefined;
    if (flags.certificateAuthority !== undefined) {
      try {
        ca = readFileSync(flags.certificateAuthority, 'utf8');
      } catch (e) {
        throw new UsageError(
          `--certificate-authority: cannot read ${flags.certificateAuthority}: ${(e as Error).message}`,
          {
            cause: e,
          },
        );
      }
    }
    return createAdapterMetricReader({
      url: new URL(flags.adapter),
      ...(flags.token === undefined ? {} : { token: flags.token }),
      ...(ca === undefined ? {} : { ca }),
      insecureSkipTlsVerify: flags.insecure,
      timeoutMs: flags.timeoutMs,
      resources,
    });
  }
  const configFile = flags.config!;
  let rulesText: string;
  try {
    rulesText = readFileSync(configFile, 'utf8');
  } catch (e) {
    throw new UsageError(`--config: cannot read ${configFile}: ${(e as Error).message}`, { cause: e });
  }
  const rules = loadRules(rulesText, configFile);
  const relistErrors: string[] = [];
  const engine = createEngine({
    prometheus: createHttpPrometheusClient({
      url: new URL(flags.prometheusUrl!),
      verb: 'GET',
      timeoutMs: flags.timeoutMs,
    }),
    mapper: resources,
    lister: createStandaloneObjectLister(),
    rules,
    relistIntervalMs: RELIST_LOOKBACK_MS,
    maxAgeMs: RELIST_LOOKBACK_MS,
    logger: {
      info: () => undefined,
      warn: (obj, msg) => {
        const detail = describeLogged(obj);
        io.stderr.write(`warning: ${msg}${detail === '' ? '' : `: ${detail}`}\n`);
      },
      error: (obj, msg) => relistErrors.push(describeLogged(obj) || msg),
    },
  });
  const outcome = await engine.relister.relistOnce();
  if (!outcome.ok) {
    throw new CommandError(
      `cannot list the series of the rules from ${flags.prometheusUrl}: ${[...new Set(relistErrors)].join('; ')}`,
    );
  }
  return createEngineMetricReader({
    customMetrics: engine.customMetrics,
    externalMetrics: engine.externalMetrics,
    resources,
    timeoutMs: flags.timeoutMs,
  });
}

/** The adapter's default discovery look-back (--metrics-max-age = relist interval = 10m). */
const RELIST_LOOKBACK_MS = 10 * 60_000;

/** The message of a logged `err`, or "". */
function describeLogged(obj: object): string {
  const err = (obj as { err?: unknown }).err;
  return err instanceof Error ? err.message : '';
}
