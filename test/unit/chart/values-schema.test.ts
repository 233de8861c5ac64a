import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import Ajv from 'ajv';
import { parse as parseYaml } from 'yaml';

const CHART = 'charts/prometheus-metrics-adapter';
const schema = JSON.parse(readFileSync(`${CHART}/values.schema.json`, 'utf8')) as object;
const validate = new Ajv({ allErrors: true }).compile(schema);
const load = (path: string): unknown => parseYaml(readFileSync(path, 'utf8'));

describe('values.schema.json', () => {
  it.each([
    ['the chart defaults (the community chart 5.x keys)', `${CHART}/values.yaml`],
    ['the queue-worker values (a community chart values file)', 'test/fixtures/queue-worker/values.yaml'],
    ['the community chart 5.x values.yaml, with its nulls', 'test/fixtures/community-chart/values-5.x.yaml'],
  ])('accepts %s', (_name, path) => {
    const ok = validate(load(path));
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
  });

  it.each([
    ['a misspelt top-level key', { replica: 2 }, ''],
    ['a misspelt prometheus key', { prometheus: { uri: 'http://p' } }, '.prometheus'],
    ['a misspelt rules key', { rules: { custm: [] } }, '.rules'],
    ['a misspelt tls key', { tls: { enabled: true } }, '.tls'],
    ['a wrong type', { replicas: 'two' }, '.replicas'],
    [
      'a revision history limit cert-manager refuses',
      { certManager: { certRevisionHistoryLimit: 0 } },
      '.certManager.certRevisionHistoryLimit',
    ],
    ['an unknown dnsPolicy', { dnsPolicy: 'ClusterFirstWithHostNetwork' }, '.dnsPolicy'],
    [
      'a pull secret object with a misspelt key',
      { image: { pullSecrets: [{ nam: 'regcred' }] } },
      '.image.pullSecrets[0]',
    ],
  ])('rejects %s', (_name, values, dataPath) => {
    expect(validate(values)).toBe(false);
    expect(validate.errors?.map((e) => e.dataPath)).toContain(dataPath);
  });
});
