import type { PrometheusClient } from '../prometheus/client.js';

/**
 * What relisting keeps of one seriesQuery's answer: for each series name, the union of label names seen.
 * Memory grows with distinct (name, label) pairs, not with the number of series (SPEC 4).
 */
export type SeriesSummary = ReadonlyMap<string, ReadonlySet<string>>;

export interface RelistResult {
  /** One summary per distinct seriesQuery that has ever answered; failed queries keep their previous summary. */
  summaries: ReadonlyMap<string, SeriesSummary>;
  /** seriesQuery → error, for the queries that failed in this relist. */
  failures: ReadonlyMap<string, unknown>;
  seriesCount: number;
}

/** A summary being built one label set at a time: `add` folds a series in, `summary` is the result so far. */
function summaryBuilder(): {
  add: (labels: Readonly<Record<string, string>>) => void;
  summary: SeriesSummary;
} {
  const summary = new Map<string, Set<string>>();
  return {
    summary,
    add(labels) {
      const name = labels.__name__;
      if (name === undefined) return;
      let names = summary.get(name);
      if (names === undefined) {
        names = new Set();
        summary.set(name, names);
      }
      for (const label in labels) if (label !== '__name__') names.add(label);
    },
  };
}

/** Folds a series answer into a summary. */
export function summarizeSeries(series: ReadonlyArray<Readonly<Record<string, string>>>): SeriesSummary {
  const builder = summaryBuilder();
  for (const labels of series) builder.add(labels);
  return builder.summary;
}

const MAX_CONCURRENT_SERIES_CALLS = 4;

/**
 * Fetches each distinct seriesQuery once (`/api/v1/series?match[]=q&start=now-maxAge`), at most four at a time.
 * Never throws: a failed query is reported in `failures` and its previous summary is kept.
 */
export async function relistSeries(
  prometheus: PrometheusClient,
  seriesQueries: Iterable<string>,
  options: {
    maxAgeMs: number;
    now?: Date;
    previous?: ReadonlyMap<string, SeriesSummary>;
    signal?: AbortSignal;
  },
): Promise<RelistResult> {
  const queries = [...new Set(seriesQueries)];
  const now = options.now ?? new Date();
  const start = new Date(now.getTime() - options.maxAgeMs);
  const summaries = new Map<string, SeriesSummary>();
  const failures = new Map<string, unknown>();
  let seriesCount = 0;
  let next = 0;
  const worker = async () => {
    while (next < queries.length) {
      const query = queries[next++]!;
      try {
        const seriesOptions = { start, end: now, ...(options.signal ? { signal: options.signal } : {}) };
        const builder = summaryBuilder();
        // NB: streamed when the client can, so memory follows distinct (name, label) pairs, not series.
        let count: number;
        if (prometheus.seriesEach === undefined) {
          const series = await prometheus.series(query, seriesOptions);
          for (const labels of series) builder.add(labels);
          count = series.length;
        } else {
          count = await prometheus.seriesEach(query, seriesOptions, builder.add);
        }
        seriesCount += count;
        summaries.set(query, builder.summary);
      } catch (e) {
        failures.set(query, e);
        const previous = options.previous?.get(query);
        if (previous !== undefined) summaries.set(query, previous);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(MAX_CONCURRENT_SERIES_CALLS, queries.length) }, worker));
  return { summaries, failures, seriesCount };
}
