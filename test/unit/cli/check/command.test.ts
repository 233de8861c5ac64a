import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { checkCommand } from '../../../../src/cli/check/command.js';
import { PrometheusError, type PrometheusClient } from '../../../../src/prometheus/client.js';

const dir = mkdtempSync(join(tmpdir(), 'pma-check-unit-'));
function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const NOW = new Date('2026-11-22T10:00:00.000Z');

async function run(
  argv: string[],
  series?: (match: string, start: Date, end?: Date) => Array<Record<string, string>>,
) {
  let stdout = '';
  let stderr = '';
  const prometheus = (): PrometheusClient => ({
    query: () => Promise.reject(new Error('not used')),
    series: (match, options) => {
      try {
        return Promise.resolve(series!(match, options.start, options.end));
      } catch (e) {
        return Promise.reject(e instanceof Error ? e : new Error(String(e)));
      }
    },
  });
  const code = await checkCommand(
    argv,
    { stdout: { write: (t: string) => (stdout += t) }, stderr: { write: (t: string) => (stderr += t) } },
    { prometheus, now: NOW },
  );
  return { code, stdout, stderr };
}

const WARNING_ONLY = `rules:
  - seriesQuery: '{job="app",namespace!=""}'
    resources: {overrides: {namespace: {resource: namespace}}}
    metricsQuery: sum(<<.Series>>) by (<<.GroupBy>>)
`;

describe('checkCommand: arguments and exit codes', () => {
  it.each([
    [['--config'], '--config needs a value'],
    [[], '--config is required'],
    [['--config=x.yaml', '--bogus'], 'unknown flag --bogus'],
    [['--config=x.yaml', 'extra'], 'unexpected argument "extra"'],
    [['--config=config/queue-worker.yaml', '-o', 'yaml'], '--output must be text or json'],
    [['--config=config/queue-worker.yaml', '--metrics-max-age=10'], '--metrics-max-age: missing unit'],
    [
      ['--config=config/queue-worker.yaml', '--scrape-interval=0s'],
      '--scrape-interval must be a positive duration',
    ],
    [
      ['--config=config/queue-worker.yaml', '--prometheus-url=localhost:9090'],
      '--prometheus-url must be an http or https URL',
    ],
    [
      ['--config=config/queue-worker.yaml', '--prometheus-header=novalue'],
      '--prometheus-header must be KEY=VALUE',
    ],
    [['--config=config/queue-worker.yaml', '--strict=maybe'], '--strict takes true or false'],
    [['--config=/no/such/rules.yaml'], '--config: cannot read /no/such/rules.yaml: no such file'],
  ])('%j is a usage error (exit 2)', async (argv, message) => {
    const res = await run(argv);
    expect(res.code).toBe(2);
    expect(res.stdout).toBe('');
    expect(res.stderr).toContain(`error: ${message}`);
  });

  it('--help prints the usage (exit 0)', async () => {
    const res = await run(['--help']);
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/^usage: prometheus-metrics-adapter check --config=RULES.yaml/);
  });

  it('a clean file: exit 0, and the header says the resource mapping is the standalone table', async () => {
    const res = await run(['--config', 'config/queue-worker.yaml']);
    expect(res.code).toBe(0);
    expect(res.stdout).toContain('resource mapping: standalone');
    expect(res.stdout).toContain('Findings: none');
  });

  it('warnings alone: exit 0; with --strict: exit 1', async () => {
    const config = file('warn.yaml', WARNING_ONLY);
    expect((await run([`--config=${config}`])).code).toBe(0);
    const strict = await run([`--config=${config}`, '--strict']);
    expect(strict.code).toBe(1);
    expect(strict.stdout).toContain('exit code 1 (--strict: warnings fail)');
  });

  it('errors: exit 1, each with its YAML path and position', async () => {
    const config = file('bad.yaml', WARNING_ONLY.replace('metricsQuery', 'metricQuery'));
    const res = await run([`--config=${config}`]);
    expect(res.code).toBe(1);
    expect(res.stdout).toContain(`rules[0].metricQuery (${config}:4:5) [invalid-config]`);
    expect(res.stdout).toContain('unknown key (did you mean "metricsQuery"?)');
  });
});

describe('checkCommand --prometheus-url (fake Prometheus)', () => {
  const RULES = `rules:
  - seriesQuery: '{job="app",namespace!=""}'
    resources: {overrides: {namespace: {resource: namespace}, pod: {resource: pod}}}
    name: {matches: ^(.*)_total$}
    metricsQuery: sum(rate(<<.Series>>{<<.LabelMatchers>>}[2m])) by (<<.GroupBy>>)
  - seriesQuery: 'requests_total{namespace!=""}'
    resources: {overrides: {namespace: {resource: namespace}}}
    name: {as: requests}
    metricsQuery: sum(rate(<<.Series>>{<<.LabelMatchers>>}[2m])) by (<<.GroupBy>>)
  - seriesQuery: '{job="gone"}'
    resources: {overrides: {namespace: {resource: namespace}}}
    metricsQuery: sum(<<.Series>>{<<.LabelMatchers>>}) by (<<.GroupBy>>)
`;
  const SERIES: Record<string, Array<Record<string, string>>> = {
    '{job="app",namespace!=""}': [
      { __name__: 'requests_total', job: 'app', namespace: 'a', pod: 'p1' },
      { __name__: 'requests_total', job: 'app', namespace: 'a', pod: 'p2' },
      { __name__: 'queue', job: 'app', namespace: 'a', pod: 'p1' },
      { __name__: 'a_total', job: 'app', namespace: 'a' },
      { __name__: 'b_total', job: 'app', namespace: 'a' },
      { __name__: 'c_total', job: 'app', namespace: 'a' },
      { __name__: 'd_total', job: 'app', namespace: 'a' },
    ],
    'requests_total{namespace!=""}': [{ __name__: 'requests_total', job: 'app', namespace: 'a', pod: 'p1' }],
    '{job="gone"}': [],
  };

  it('asks for the series seen within --metrics-max-age, as relisting does', async () => {
    const asked: Array<[string, string, string | undefined]> = [];
    await run(
      [`--config=${file('p.yaml', RULES)}`, '--prometheus-url=http://prom:9090', '--metrics-max-age=15m'],
      (m, start, end) => {
        asked.push([m, start.toISOString(), end?.toISOString()]);
        return SERIES[m]!;
      },
    );
    expect(asked).toEqual(
      Object.keys(SERIES).map((m) => [m, '2026-11-22T09:45:00.000Z', '2026-11-22T10:00:00.000Z']),
    );
  });

  it('reports per rule the metrics, the rejected series by reason and the conflicts (JSON)', async () => {
    const res = await run(
      [`--config=${file('p.yaml', RULES)}`, '--prometheus-url=http://prom:9090', '--output=json'],
      (m) => SERIES[m]!,
    );
    expect(res.code).toBe(0);
    const doc = JSON.parse(res.stdout) as {
      findings: Array<{ code: string; path: string; message: string }>;
      discovery: {
        prometheusUrl: string;
        rules: Array<{
          id: string;
          series: number;
          metrics: Array<{ name: string; overriddenBy: string | null }>;
          rejected: unknown[];
        }>;
        conflicts: unknown[];
        customMetrics: number;
      };
    };
    expect(doc.discovery.prometheusUrl).toBe('http://prom:9090');
    const [first, second, third] = doc.discovery.rules;
    expect(first!.series).toBe(7);
    expect(first!.metrics.map((m) => [m.name, m.overriddenBy])).toEqual([
      ['namespaces/a', null],
      ['namespaces/b', null],
      ['namespaces/c', null],
      ['namespaces/d', null],
      ['namespaces/requests', 'rules[1]'],
      ['pods/requests', null],
    ]);
    expect(first!.rejected).toEqual([
      {
        reason: 'name does not match name.matches "^(.*)_total$"',
        seriesNames: 1,
        series: 1,
        examples: ['queue'],
      },
    ]);
    expect(second!.metrics.map((m) => m.name)).toEqual(['namespaces/requests']);
    expect(third!.series).toBe(0);
    expect(doc.discovery.conflicts).toEqual([
      { name: 'namespaces/requests', kind: 'custom', rules: ['rules[0]', 'rules[1]'] },
    ]);
    expect(doc.discovery.customMetrics).toBe(6);
    expect(doc.findings.map((f) => [f.code, f.path])).toEqual([
      ['duplicate-metric', 'rules[1].name'],
      ['no-series', 'rules[2].seriesQuery'],
    ]);
    expect(doc.findings[0]!.message).toBe(
      'rules[0] also produces namespaces/requests; rules[1] (the later rule) serves them',
    );
  });

  it('groups rejections by reason with a few examples (text)', async () => {
    const config = file('r.yaml', RULES.replace('^(.*)_total$', '^(.*)_seconds_total$'));
    const res = await run([`--config=${config}`, '--prometheus-url=http://prom:9090'], (m) => SERIES[m]!);
    expect(res.stdout).toContain(
      [
        '  metrics: none',
        '  rejected: 6 series names (7 series)',
        '    name does not match name.matches "^(.*)_seconds_total$": 6 names (7 series)',
        '      e.g. a_total, b_total, c_total, and 3 more',
      ].join('\n'),
    );
    expect(res.stdout).toMatch(/warning rules\[0\] \(.*:2:5\) \[no-metrics\]/);
  });

  it('a seriesQuery Prometheus refuses is an error (exit 1)', async () => {
    const res = await run([`--config=${file('p.yaml', RULES)}`, '--prometheus-url=http://prom:9090'], () => {
      throw new PrometheusError('query', 'bad_data: parse error', 400);
    });
    expect(res.code).toBe(1);
    expect(res.stdout).toContain('[series-query-failed]');
    expect(res.stdout).toContain('Prometheus could not answer it: bad_data: parse error');
  });

  it('skips discovery when the rules do not load', async () => {
    const res = await run(
      [`--config=${file('bad.yaml', 'rules: [{}]\n')}`, '--prometheus-url=http://prom:9090', '-o', 'json'],
      () => {
        throw new Error('must not be called');
      },
    );
    expect(res.code).toBe(1);
    const doc = JSON.parse(res.stdout) as { discovery: { rules: unknown } };
    expect(doc.discovery.rules).toBeNull();
  });
});
