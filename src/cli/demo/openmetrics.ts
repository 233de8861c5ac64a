/**
 * A small typed writer for OpenMetrics text, used to backfill Prometheus with deterministic data
 * (`promtool tsdb create-blocks-from openmetrics`) and to render the demo worker's exposition.
 */

export type MetricType = 'gauge' | 'counter';

export interface Sample {
  labels: Record<string, string>;
  value: number;
  /** Unix time in seconds (fractions allowed). */
  timestampSeconds: number;
}

export interface MetricFamily {
  /** Family name; for counters without the `_total` suffix, which the writer appends to every sample. */
  name: string;
  type: MetricType;
  help?: string;
  samples: Sample[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Escapes a label value for both OpenMetrics and the Prometheus text format 0.0.4: `\`, `"` and newline. */
export function escapeLabelValue(value: string): string {
  return value.replace(/[\\"\n]/g, (c) => (c === '\n' ? '\\n' : `\\${c}`));
}

/** Renders a sample value or timestamp the way Prometheus' parsers read it (`NaN`, `+Inf`, `-Inf`). */
export function formatNumber(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}

/**
 * Renders `{k="v",...}` with label names sorted, or an empty string for no labels.
 * Throws on an invalid label name.
 */
export function formatLabels(labels: Record<string, string>): string {
  const names = Object.keys(labels).sort();
  if (names.length === 0) return '';
  const parts = names.map((name) => {
    if (!LABEL_NAME.test(name) || name.startsWith('__')) {
      throw new Error(`invalid label name ${JSON.stringify(name)}`);
    }
    return `${name}="${escapeLabelValue(labels[name] ?? '')}"`;
  });
  return `{${parts.join(',')}}`;
}

function escapeHelp(text: string): string {
  return text.replace(/[\\\n]/g, (c) => (c === '\n' ? '\\n' : '\\\\'));
}

/**
 * Renders metric families as OpenMetrics text: `# TYPE` (and `# HELP` when given) per family, counter samples named
 * `<name>_total`, label values escaped, samples grouped by series (series in order of first appearance) and sorted
 * by timestamp within a series, terminated by `# EOF`.
 *
 * Throws on an invalid or duplicate family name, a counter family named `..._total`, an invalid label name, a
 * non-finite timestamp, a negative or NaN counter value, or two samples of one series with the same timestamp —
 * inputs that promtool would reject or silently misread.
 */
export function openMetrics(families: readonly MetricFamily[]): string {
  const lines: string[] = [];
  const seen = new Set<string>();
  for (const family of families) {
    if (!METRIC_NAME.test(family.name)) throw new Error(`invalid metric name ${JSON.stringify(family.name)}`);
    if (seen.has(family.name)) throw new Error(`metric family ${family.name} given twice`);
    seen.add(family.name);
    if (family.type === 'counter' && family.name.endsWith('_total')) {
      throw new Error(
        `counter family ${family.name}: give the name without "_total" (samples are written as <name>_total)`,
      );
    }
    if (family.help !== undefined) lines.push(`# HELP ${family.name} ${escapeHelp(family.help)}`);
    lines.push(`# TYPE ${family.name} ${family.type}`);
    const sampleName = family.type === 'counter' ? `${family.name}_total` : family.name;

    const series = new Map<string, Sample[]>();
    for (const sample of family.samples) {
      if (!Number.isFinite(sample.timestampSeconds)) {
        throw new Error(`${family.name}: timestamp ${sample.timestampSeconds} is not a finite number`);
      }
      if (family.type === 'counter' && !(sample.value >= 0)) {
        throw new Error(`${family.name}: counter value ${sample.value} must be a number >= 0`);
      }
      const key = formatLabels(sample.labels);
      const list = series.get(key);
      if (list) list.push(sample);
      else series.set(key, [sample]);
    }
    for (const [labels, samples] of series) {
      // NB: Array.prototype.sort is stable, so equal timestamps keep their order and are caught below.
      const sorted = [...samples].sort((a, b) => a.timestampSeconds - b.timestampSeconds);
      sorted.forEach((sample, i) => {
        if (i > 0 && sorted[i - 1]?.timestampSeconds === sample.timestampSeconds) {
          throw new Error(
            `${family.name}${labels}: two samples at timestamp ${sample.timestampSeconds}; a series needs increasing timestamps`,
          );
        }
        lines.push(
          `${sampleName}${labels} ${formatNumber(sample.value)} ${formatNumber(sample.timestampSeconds)}`,
        );
      });
    }
  }
  lines.push('# EOF');
  return `${lines.join('\n')}\n`;
}

export interface SeriesWindow {
  /** Unix seconds of the first sample. */
  from: number;
  /** Unix seconds; the last sample is at the last step that is not after `to`. */
  to: number;
  /** Seconds between samples (> 0). */
  stepSeconds: number;
  labels?: Record<string, string>;
}

function timestamps({ from, to, stepSeconds }: SeriesWindow): number[] {
  if (!(stepSeconds > 0) || !Number.isFinite(from) || !Number.isFinite(to) || to < from) {
    throw new Error(`invalid series window from=${from} to=${to} step=${stepSeconds}`);
  }
  const count = Math.floor((to - from) / stepSeconds) + 1;
  // NB: from + i*step rather than accumulating, so no float drift over long windows.
  return Array.from({ length: count }, (_, i) => from + i * stepSeconds);
}

/**
 * Samples of a counter growing at exactly `ratePerSecond`: value `start + ratePerSecond * (t - from)` at
 * `t = from, from + step, ... <= to`. `start` defaults to 0.
 */
export function linearCounter(opts: SeriesWindow & { ratePerSecond: number; start?: number }): Sample[] {
  const start = opts.start ?? 0;
  const labels = opts.labels ?? {};
  return timestamps(opts).map((t) => ({
    labels,
    value: start + opts.ratePerSecond * (t - opts.from),
    timestampSeconds: t,
  }));
}

/** Samples of a gauge holding `value` at `t = from, from + step, ... <= to`. */
export function constantGauge(opts: SeriesWindow & { value: number }): Sample[] {
  const labels = opts.labels ?? {};
  return timestamps(opts).map((t) => ({ labels, value: opts.value, timestampSeconds: t }));
}

/**
 * A window around the current time, in whole unix seconds: `[now - beforeSeconds, now + afterSeconds]`.
 * Prometheus ignores samples after the query time, so future samples keep a backfilled series "current" for a while.
 */
export function aroundNow(
  beforeSeconds: number,
  afterSeconds: number,
  nowMs: number = Date.now(),
): { from: number; to: number } {
  const now = Math.floor(nowMs / 1000);
  return { from: now - beforeSeconds, to: now + afterSeconds };
}
