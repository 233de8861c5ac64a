import type { DiscoveryRuleConfig, ResourceRuleConfig, RulesConfig } from './config.js';
import { parseGoDuration } from '../go-duration.js';

/** Options of {@link defaultRules}, named after upstream's `config-gen` flags. */
export interface DefaultRulesOptions {
  /** Go duration used in every `rate(...[interval])` and as the resource-metrics `window`; default `5m`. */
  rateInterval?: string;
  /**
   * Prefix of the labels that name resources in non-cadvisor series (`kubernetes_` → `kubernetes_namespace`,
   * `kubernetes_pod`); default none. cadvisor series (`container_*`) always use `namespace` / `pod`.
   */
  labelPrefix?: string;
}

export const DEFAULT_RATE_INTERVAL = '5m';

/** An option of {@link defaultRules} that cannot be used; `option` names it, the message says why. */
export class DefaultRulesOptionError extends Error {
  override readonly name = 'DefaultRulesOptionError';
  constructor(
    readonly option: keyof DefaultRulesOptions,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

const CADVISOR_SERIES = '{__name__=~"^container_.*",container!="POD",namespace!="",pod!=""}';
const CADVISOR_RESOURCES = { overrides: { namespace: { resource: 'namespace' }, pod: { resource: 'pod' } } };
const LABEL_PREFIX = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/**
 * The rules upstream's `config-gen` writes (`DefaultConfig(rateInterval, labelPrefix)` in prometheus-adapter
 * v0.12), which the community chart's `rules.default: true` also writes with a 5m interval and no prefix:
 * - cadvisor series (`container_*`, labels `namespace`, `pod`, `container`; the `POD` sandbox container left out):
 *   `*_seconds_total` as the rate under the name between `container_` and `_seconds_total`, other `*_total` as
 *   the rate without `container_` and `_total`, everything else summed without `container_`;
 * - every other series with a `<prefix>namespace` label, resources read from `<prefix><<.Resource>>` labels:
 *   `*_seconds_total` as a rate without `_seconds_total`, other `*_total` as a rate without `_total`, the rest
 *   summed under its own name;
 * - resourceRules from cadvisor: CPU from `container_cpu_usage_seconds_total`, memory from
 *   `container_memory_working_set_bytes`, nodes from the root cgroup (`id='/'`) keyed by `instance`,
 *   `window` = the rate interval.
 *
 * Pure. The interval is written in PromQL duration syntax restricted to h, m, s and ms (`90s` → `1m30s`), which
 * Go durations accept too, so `window` loads (upstream would write `1d` for 24h).
 * @throws DefaultRulesOptionError when the interval is not a positive whole number of milliseconds, or the
 * prefix cannot start a Prometheus label name
 */
export function defaultRules(options: DefaultRulesOptions = {}): RulesConfig {
  const interval = promDuration(rateIntervalMs(options.rateInterval ?? DEFAULT_RATE_INTERVAL));
  const prefix = options.labelPrefix ?? '';
  if (prefix !== '' && !LABEL_PREFIX.test(prefix)) {
    throw new DefaultRulesOptionError(
      'labelPrefix',
      `invalid label prefix ${JSON.stringify(prefix)}: it must be the start of a Prometheus label name ` +
        '(letters, digits and _, not starting with a digit), e.g. kubernetes_',
    );
  }
  const rate = (matchers: string) =>
    `sum(rate(<<.Series>>{<<.LabelMatchers>>${matchers}}[${interval}])) by (<<.GroupBy>>)`;

  const cadvisor = (rule: Omit<DiscoveryRuleConfig, 'seriesQuery' | 'resources'>): DiscoveryRuleConfig => ({
    seriesQuery: CADVISOR_SERIES,
    ...(rule.seriesFilters === undefined ? {} : { seriesFilters: rule.seriesFilters }),
    resources: structuredClone(CADVISOR_RESOURCES),
    ...(rule.name === undefined ? {} : { name: rule.name }),
    metricsQuery: rule.metricsQuery,
  });
  // NB: the `__name__!~` matcher keeps cadvisor series out, so the two families never claim the same series.
  const labelled = (rule: Omit<DiscoveryRuleConfig, 'seriesQuery' | 'resources'>): DiscoveryRuleConfig => ({
    seriesQuery: `{${prefix}namespace!="",__name__!~"^container_.*"}`,
    ...(rule.seriesFilters === undefined ? {} : { seriesFilters: rule.seriesFilters }),
    resources: { template: `${prefix}<<.Resource>>` },
    ...(rule.name === undefined ? {} : { name: rule.name }),
    metricsQuery: rule.metricsQuery,
  });

  const rules: DiscoveryRuleConfig[] = [
    cadvisor({
      name: { matches: '^container_(.*)_seconds_total$' },
      metricsQuery: rate(',container!="POD"'),
    }),
    cadvisor({
      seriesFilters: [{ isNot: '^container_.*_seconds_total$' }],
      name: { matches: '^container_(.*)_total$' },
      metricsQuery: rate(',container!="POD"'),
    }),
    cadvisor({
      seriesFilters: [{ isNot: '^container_.*_total$' }],
      name: { matches: '^container_(.*)$' },
      metricsQuery: 'sum(<<.Series>>{<<.LabelMatchers>>,container!="POD"}) by (<<.GroupBy>>)',
    }),
    labelled({
      seriesFilters: [{ isNot: '.*_total$' }],
      metricsQuery: 'sum(<<.Series>>{<<.LabelMatchers>>}) by (<<.GroupBy>>)',
    }),
    // NB: upstream's filter is unanchored at the end (`.*_seconds_total`), so `x_seconds_total_y` is dropped too.
    labelled({
      seriesFilters: [{ isNot: '.*_seconds_total' }],
      name: { matches: '^(.*)_total$' },
      metricsQuery: rate(''),
    }),
    labelled({
      name: { matches: '^(.*)_seconds_total$' },
      metricsQuery: rate(''),
    }),
  ];

  const resourceRule = (containerQuery: string, nodeQuery: string): ResourceRuleConfig => ({
    containerQuery,
    nodeQuery,
    resources: {
      overrides: {
        namespace: { resource: 'namespace' },
        pod: { resource: 'pod' },
        instance: { resource: 'node' },
      },
    },
    // NB: not prefixed: cadvisor's label is `container` whatever the prefix, as the overrides above assume.
    containerLabel: 'container',
  });
  return {
    rules,
    externalRules: [],
    resourceRules: {
      cpu: resourceRule(
        `sum(rate(container_cpu_usage_seconds_total{<<.LabelMatchers>>}[${interval}])) by (<<.GroupBy>>)`,
        `sum(rate(container_cpu_usage_seconds_total{<<.LabelMatchers>>,id='/'}[${interval}])) by (<<.GroupBy>>)`,
      ),
      memory: resourceRule(
        'sum(container_memory_working_set_bytes{<<.LabelMatchers>>}) by (<<.GroupBy>>)',
        "sum(container_memory_working_set_bytes{<<.LabelMatchers>>,id='/'}) by (<<.GroupBy>>)",
      ),
      window: interval,
    },
  };
}

function rateIntervalMs(text: string): number {
  let ms: number;
  try {
    ms = parseGoDuration(text);
  } catch (e) {
    throw new DefaultRulesOptionError('rateInterval', (e as Error).message, { cause: e });
  }
  if (!(ms >= 1) || !Number.isInteger(ms)) {
    throw new DefaultRulesOptionError(
      'rateInterval',
      `invalid rate interval ${JSON.stringify(text)}: it must be a positive whole number of milliseconds ` +
        '(PromQL ranges are no finer), e.g. 5m',
    );
  }
  return ms;
}

const UNITS: ReadonlyArray<[unit: string, ms: number]> = [
  ['h', 3_600_000],
  ['m', 60_000],
  ['s', 1_000],
  ['ms', 1],
];

/** Whole positive milliseconds as a PromQL duration without zero parts: `5m`, `1m30s`, `24h`, `1s500ms`. */
function promDuration(ms: number): string {
  let rest = ms;
  let out = '';
  for (const [unit, size] of UNITS) {
    const n = Math.floor(rest / size);
    if (n > 0) out += `${n}${unit}`;
    rest -= n * size;
  }
  return out;
}
