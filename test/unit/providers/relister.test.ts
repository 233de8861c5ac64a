import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { createStandaloneResourceMapper } from '../../../src/kube/standalone.js';
import { PrometheusError, type PrometheusClient } from '../../../src/prometheus/client.js';
import { createRelister } from '../../../src/providers/relister.js';
import { loadRules } from '../../../src/rules/compile-rules.js';

const rules = loadRules(readFileSync('config/queue-worker.yaml', 'utf8'), 'config/queue-worker.yaml');

function seriesPrometheus() {
  const calls: Array<{ match: string; start: Date }> = [];
  let fail = false;
  const client: PrometheusClient = {
    query: () => Promise.reject(new Error('not used')),
    series(match, { start }) {
      calls.push({ match, start });
      if (fail) return Promise.reject(new PrometheusError('unreachable', 'connect ECONNREFUSED'));
      return Promise.resolve(
        match.includes('kubernetes-pods')
          ? [{ __name__: 'qps', kubernetes_namespace: 'default', kubernetes_pod_name: 'w-1' }]
          : [],
      );
    },
  };
  return { client, calls, setFail: (f: boolean) => (fail = f) };
}

const logs: Array<{ level: string; msg: string }> = [];
const logger = {
  info: (_o: object, msg: string) => void logs.push({ level: 'info', msg }),
  warn: (_o: object, msg: string) => void logs.push({ level: 'warn', msg }),
  error: (_o: object, msg: string) => void logs.push({ level: 'error', msg }),
};

const relisterOver = (prometheus: PrometheusClient) =>
  createRelister({
    prometheus,
    mapper: createStandaloneResourceMapper(),
    rules,
    intervalMs: 60_000,
    maxAgeMs: 600_000,
    logger,
  });

describe('relisting (SPEC 4)', () => {
  it('asks once per distinct seriesQuery with start = now - maxAge, and is ready after the first relist', async () => {
    const prom = seriesPrometheus();
    const relister = relisterOver(prom.client);
    expect(relister.isReady()).toBe(false);
    const before = Date.now();
    const outcome = await relister.relistOnce();
    expect(relister.isReady()).toBe(true);
    expect(outcome).toMatchObject({ ok: true, seriesCount: 1, metricCount: 4 });
    expect(prom.calls.map((c) => c.match).sort()).toEqual([
      '{job="kubernetes-nodes-cadvisor",container!="POD",namespace!="",pod!=""}',
      '{job="kubernetes-pods",kubernetes_namespace!="",kubernetes_pod_name!=""}',
    ]);
    for (const c of prom.calls) {
      expect(before - 600_000 - c.start.getTime()).toBeLessThanOrEqual(0);
      expect(Date.now() - 600_000 - c.start.getTime()).toBeGreaterThanOrEqual(0);
    }
  });

  it('keeps the last good registry in service when a relist fails, and logs the failure', async () => {
    const prom = seriesPrometheus();
    const relister = relisterOver(prom.client);
    await relister.relistOnce();
    const good = relister.customRegistry().list;
    prom.setFail(true);
    const outcome = await relister.relistOnce();
    expect(outcome.ok).toBe(false);
    expect(relister.customRegistry().list).toEqual(good);
    expect(logs.some((l) => l.level === 'error' && l.msg.includes('last good result stays in service'))).toBe(
      true,
    );
  });

  it('never runs two relists at once', async () => {
    const prom = seriesPrometheus();
    const relister = relisterOver(prom.client);
    await Promise.all([relister.relistOnce(), relister.relistOnce(), relister.relistOnce()]);
    expect(prom.calls).toHaveLength(2);
  });
});
