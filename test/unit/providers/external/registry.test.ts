import { describe, expect, it } from '@jest/globals';
import { createStandaloneResourceMapper } from '../../../../src/kube/standalone.js';
import type { PrometheusClient } from '../../../../src/prometheus/client.js';
import { buildExternalRegistry } from '../../../../src/providers/external/registry.js';
import { createRelister } from '../../../../src/providers/relister.js';
import { summarizeSeries } from '../../../../src/providers/series-summary.js';
import { loadRules, type CompiledRules } from '../../../../src/rules/compile-rules.js';

const BROKER_QUERY = '{__name__=~"rabbitmq_queue_.*",namespace!=""}';
const NS = '{overrides: {namespace: {resource: namespace}}}';

const RULES = loadRules(
  [
    'externalRules:',
    `- seriesQuery: '${BROKER_QUERY}'`,
    `  resources: ${NS}`,
    "  name: {matches: '^rabbitmq_(queue_messages_.*)$', as: '${1}'}",
    "  metricsQuery: '<<.Series>>{<<.LabelMatchers>>}'",
    `- seriesQuery: '${BROKER_QUERY}'`,
    '  resources: {namespaced: false}',
    "  seriesFilters: [{isNot: 'unacked'}]",
    "  name: {matches: '^rabbitmq_queue_(.*)$', as: 'queue_${1}'}",
    "  metricsQuery: 'sum(<<.Series>>{<<.LabelMatchers>>})'",
  ].join('\n'),
  'rules.yaml',
);

const SERIES = [
  { __name__: 'rabbitmq_queue_messages_ready', namespace: 'default', queue: 'orders' },
  { __name__: 'rabbitmq_queue_messages_ready', namespace: 'default', queue: 'payments' },
  { __name__: 'rabbitmq_queue_messages_unacked', namespace: 'default', queue: 'orders' },
  { __name__: 'rabbitmq_queue_consumers', namespace: 'billing', queue: 'invoices' },
];

describe('external metrics registry (SPEC 3.1, 4)', () => {
  it('serves every series name a rule keeps under its namer name, sorted, resource-less', () => {
    const { registry } = buildExternalRegistry(
      RULES.external,
      new Map([[BROKER_QUERY, summarizeSeries(SERIES)]]),
    );
    expect(registry.list).toEqual([
      { metric: 'queue_consumers' },
      { metric: 'queue_messages_ready' },
      { metric: 'queue_messages_unacked' },
    ]);
    expect(registry.size).toBe(3);
    expect(registry.find('queue_consumers')).toMatchObject({
      seriesName: 'rabbitmq_queue_consumers',
      rule: { id: 'externalRules[1]' },
    });
    expect(registry.find('queue_messages_unacked')).toMatchObject({
      seriesName: 'rabbitmq_queue_messages_unacked',
      rule: { id: 'externalRules[0]' },
    });
    expect(registry.find('rabbitmq_queue_consumers')).toBeUndefined();
  });

  it('lets the later rule win a name two rules produce, and reports it once', () => {
    const { registry, conflicts } = buildExternalRegistry(
      RULES.external,
      new Map([[BROKER_QUERY, summarizeSeries(SERIES)]]),
    );
    expect(registry.find('queue_messages_ready')?.rule.id).toBe('externalRules[1]');
    expect(conflicts).toEqual([
      'external metric queue_messages_ready is produced by externalRules[0] and externalRules[1]; ' +
        'externalRules[1] (the later rule) wins',
    ]);
  });

  it('serves nothing for a rule whose seriesQuery has never answered', () => {
    const { registry, conflicts } = buildExternalRegistry(RULES.external, new Map());
    expect([registry.list, registry.size, conflicts]).toEqual([[], 0, []]);
  });
});

describe('relisting builds the external registry from the shared series answers (SPEC 4)', () => {
  const rules = loadRules(
    [
      'rules:',
      `- seriesQuery: '${BROKER_QUERY}'`,
      `  resources: ${NS}`,
      "  metricsQuery: 'sum(<<.Series>>{<<.LabelMatchers>>}) by (<<.GroupBy>>)'",
      'externalRules:',
      `- seriesQuery: '${BROKER_QUERY}'`,
      `  resources: ${NS}`,
      "  metricsQuery: '<<.Series>>{<<.LabelMatchers>>}'",
    ].join('\n'),
    'rules.yaml',
  );

  function relisterWith(
    series: () => Promise<Array<Record<string, string>>>,
    compiled: CompiledRules = rules,
  ) {
    const calls: string[] = [];
    const warnings: string[] = [];
    const prometheus: PrometheusClient = {
      query: () => Promise.reject(new Error('not used')),
      series(match) {
        calls.push(match);
        return series();
      },
    };
    const relister = createRelister({
      prometheus,
      mapper: createStandaloneResourceMapper(),
      rules: compiled,
      intervalMs: 60_000,
      maxAgeMs: 600_000,
      logger: {
        info: () => undefined,
        warn: (_o: object, msg: string) => void warnings.push(msg),
        error: () => undefined,
      },
    });
    return { relister, calls, warnings };
  }

  it('asks Prometheus once for a seriesQuery shared by a custom and an external rule, and fills both registries', async () => {
    const { relister, calls } = relisterWith(() => Promise.resolve(SERIES));
    const outcome = await relister.relistOnce();
    expect(calls).toEqual([BROKER_QUERY]);
    expect(outcome).toMatchObject({ ok: true, seriesCount: 4, externalMetricCount: 3 });
    expect(relister.externalRegistry().list.map((m) => m.metric)).toEqual([
      'rabbitmq_queue_consumers',
      'rabbitmq_queue_messages_ready',
      'rabbitmq_queue_messages_unacked',
    ]);
    expect(relister.customRegistry().size).toBeGreaterThan(0);
  });

  it('keeps the last good external registry when a relist fails', async () => {
    let fail = false;
    const { relister } = relisterWith(() =>
      fail ? Promise.reject(new Error('down')) : Promise.resolve(SERIES),
    );
    await relister.relistOnce();
    const good = relister.externalRegistry().list;
    fail = true;
    const outcome = await relister.relistOnce();
    expect(outcome).toMatchObject({ ok: false, externalMetricCount: 3 });
    expect(relister.externalRegistry().list).toEqual(good);
  });

  it('logs one warning per metric naming both rules when two external rules produce it', async () => {
    const twice = loadRules(
      [
        'externalRules:',
        ...[0, 1].flatMap(() => [
          `- seriesQuery: '${BROKER_QUERY}'`,
          `  resources: ${NS}`,
          "  metricsQuery: '<<.Series>>{<<.LabelMatchers>>}'",
        ]),
      ].join('\n'),
      'rules.yaml',
    );
    const { relister, warnings } = relisterWith(() => Promise.resolve(SERIES), twice);
    await relister.relistOnce();
    expect(relister.externalRegistry().find('rabbitmq_queue_consumers')?.rule.id).toBe('externalRules[1]');
    expect(warnings).toEqual(
      ['rabbitmq_queue_consumers', 'rabbitmq_queue_messages_ready', 'rabbitmq_queue_messages_unacked'].map(
        (m) =>
          `external metric ${m} is produced by externalRules[0] and externalRules[1]; externalRules[1] (the later rule) wins`,
      ),
    );
  });
});
