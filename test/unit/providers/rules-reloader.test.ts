import { mkdirSync, mkdtempSync, readFileSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import {
  createStandaloneObjectLister,
  createStandaloneResourceMapper,
} from '../../../src/kube/standalone.js';
import type { PrometheusClient } from '../../../src/prometheus/client.js';
import { createEngine } from '../../../src/providers/engine.js';
import {
  createRulesReloader,
  type ReloadResult,
  type RulesReloader,
} from '../../../src/providers/rules-reloader.js';
import { loadRules, type CompiledRules } from '../../../src/rules/compile-rules.js';
import { waitFor } from '../../support/wait.js';

const QUEUE_WORKER = readFileSync('config/queue-worker.yaml', 'utf8');
/** The queue-worker rules with the `counter_` prefix renamed, so a reload shows in the metric names. */
const RENAMED = QUEUE_WORKER.replaceAll('counter_${1}', 'rate_${1}');
const INVALID = QUEUE_WORKER.replace('seriesQuery:', 'seriesQeury:');

const silent = { info: () => undefined, error: () => undefined };
let reloader: RulesReloader | undefined;
afterEach(() => reloader?.stop());

/** Starts a reloader over `path` whose initial text is `initial`; records results and applied rules. */
function start(path: string, initial: string, options: { pollIntervalMs?: number } = {}) {
  const results: ReloadResult[] = [];
  const applied: CompiledRules[] = [];
  const errors: string[] = [];
  reloader = createRulesReloader(initial, {
    path,
    load: loadRules,
    apply: (rules) => {
      applied.push(rules);
      return Promise.resolve({
        ok: true,
        seriesCount: 0,
        metricCount: 0,
        externalMetricCount: 0,
        metricsPerRule: new Map(),
        durationMs: 0,
      });
    },
    logger: { info: () => undefined, error: (_o, msg) => void errors.push(msg) },
    onResult: (r) => void results.push(r),
    pollIntervalMs: options.pollIntervalMs ?? 50,
    debounceMs: 20,
  });
  return { results, applied, errors };
}

const metricNames = (rules: CompiledRules): string[] =>
  rules.custom.map((r) => r.namer.metricNameFor('qps') ?? '').sort();

describe('rules hot reload', () => {
  it('a valid change is loaded and applied', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pma-reload-'));
    const path = join(dir, 'config.yaml');
    writeFileSync(path, QUEUE_WORKER);
    const { applied, results } = start(path, QUEUE_WORKER);
    writeFileSync(path, RENAMED);
    await waitFor('the reload', () => applied.length === 1 || undefined, 5000);
    expect(metricNames(applied[0]!)).toEqual(['gauge_qps', 'gauge_qps', 'rate_qps', 'rate_qps']);
    expect(results.map((r) => r.ok)).toEqual([true]);
  });

  it('an invalid change is not applied; the error names the YAML path', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pma-reload-'));
    const path = join(dir, 'config.yaml');
    writeFileSync(path, QUEUE_WORKER);
    const { applied, results, errors } = start(path, QUEUE_WORKER);
    writeFileSync(path, INVALID);
    await waitFor('the failed reload', () => results.length === 1 || undefined, 5000);
    expect(applied).toEqual([]);
    const [result] = results;
    expect(result?.ok).toBe(false);
    expect(result?.ok === false && result.error.message).toMatch(/rules\[0\]/);
    expect(result?.ok === false && result.error.message).toMatch(/seriesQeury/);
    expect(errors[0]).toMatch(/^rules reload failed; the previous rules keep serving: .*rules\[0\]/s);
  });

  it('a file emptied or cut before its first rule (a rewrite in place) is not applied; the completed one is', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pma-reload-'));
    const path = join(dir, 'config.yaml');
    writeFileSync(path, QUEUE_WORKER);
    const { applied, results } = start(path, QUEUE_WORKER);
    for (const [i, partial] of ['', 'rules:\n', '# comment only\n'].entries()) {
      writeFileSync(path, partial);
      await waitFor('the refused reload', () => results.length === i + 1 || undefined, 5000);
    }
    expect(applied).toEqual([]);
    for (const result of results) {
      expect(result.ok === false && result.error.message).toBe(
        `${path} defines no rules (emptied, or a write in progress?)`,
      );
    }
    writeFileSync(path, RENAMED);
    await waitFor('the reload', () => applied.length === 1 || undefined, 5000);
    expect(metricNames(applied[0]!)).toContain('rate_qps');
  });

  it('a ConfigMap volume update (the ..data symlink swapped) is picked up', async () => {
    // NB: the kubelet's AtomicWriter layout: config.yaml -> ..data/config.yaml, ..data -> ..<timestamp>/.
    const dir = mkdtempSync(join(tmpdir(), 'pma-reload-cm-'));
    mkdirSync(join(dir, '..2026_11_22_10_00_00.1'));
    writeFileSync(join(dir, '..2026_11_22_10_00_00.1', 'config.yaml'), QUEUE_WORKER);
    symlinkSync('..2026_11_22_10_00_00.1', join(dir, '..data'));
    symlinkSync('..data/config.yaml', join(dir, 'config.yaml'));
    // NB: no polling in this test, so the directory watch alone must see the swap.
    const { applied } = start(join(dir, 'config.yaml'), QUEUE_WORKER, { pollIntervalMs: 3_600_000 });

    mkdirSync(join(dir, '..2026_11_22_10_01_00.2'));
    writeFileSync(join(dir, '..2026_11_22_10_01_00.2', 'config.yaml'), RENAMED);
    symlinkSync('..2026_11_22_10_01_00.2', join(dir, '..data_tmp'));
    renameSync(join(dir, '..data_tmp'), join(dir, '..data'));

    await waitFor('the reload after the swap', () => applied.length === 1 || undefined, 5000);
    expect(metricNames(applied[0]!)).toContain('rate_qps');
  });

  it('rapid successive writes end with the last content applied, and garbage in between never applied', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pma-reload-'));
    const path = join(dir, 'config.yaml');
    writeFileSync(path, QUEUE_WORKER);
    const { applied, results } = start(path, QUEUE_WORKER);
    for (let i = 0; i < 20; i++) {
      writeFileSync(path, i % 2 === 0 ? QUEUE_WORKER.slice(0, 100 + i * 7) : INVALID);
    }
    writeFileSync(path, RENAMED);
    await waitFor(
      'the final content applied',
      () => applied.some((r) => metricNames(r).includes('rate_qps')) || undefined,
      5000,
    );
    expect(applied.at(-1) && metricNames(applied.at(-1)!)).toContain('rate_qps');
    for (const r of results.filter((x) => x.ok)) {
      expect(r.ok && r.rules.custom.length).toBe(4);
    }
  });

  it('an unchanged file (touched, same content) does not reload', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pma-reload-'));
    const path = join(dir, 'config.yaml');
    writeFileSync(path, QUEUE_WORKER);
    const { results } = start(path, QUEUE_WORKER);
    writeFileSync(path, QUEUE_WORKER);
    expect(await reloader?.check()).toBeUndefined();
    expect(results).toEqual([]);
  });
});

describe('engine.replaceRules', () => {
  it('serves the new rules after one relist; the optional API groups follow them', async () => {
    const prometheus: PrometheusClient = {
      query: () => Promise.resolve({ type: 'vector' as const, samples: [] }),
      series: () =>
        Promise.resolve([{ __name__: 'qps', kubernetes_namespace: 'default', kubernetes_pod_name: 'w-1' }]),
    };
    const engine = createEngine({
      prometheus,
      mapper: createStandaloneResourceMapper(),
      lister: createStandaloneObjectLister(),
      rules: loadRules(QUEUE_WORKER, 'a.yaml'),
      relistIntervalMs: 60_000,
      maxAgeMs: 60_000,
      logger: silent as never,
    });
    await engine.relister.relistOnce();
    const names = () => engine.customMetrics.listAllMetrics().map((m) => m.metric);
    expect(names()).toContain('counter_qps');
    expect(engine.served.external()).toBe(false);

    const external = `${RENAMED}\nexternalRules:\n- seriesQuery: '{__name__="qps",kubernetes_namespace!=""}'\n  resources:\n    overrides:\n      kubernetes_namespace: {resource: namespace}\n  metricsQuery: sum(<<.Series>>{<<.LabelMatchers>>})\n`;
    const outcome = await engine.replaceRules(loadRules(external, 'b.yaml'));
    expect(outcome.metricCount).toBeGreaterThan(0);
    expect(names()).toContain('rate_qps');
    expect(names()).not.toContain('counter_qps');
    expect(engine.served.external()).toBe(true);
    expect(engine.externalMetrics.listAllExternalMetrics().map((m) => m.metric)).toEqual(['qps']);
  });
});
