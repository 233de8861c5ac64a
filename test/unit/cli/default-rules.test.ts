import { describe, it, expect, afterAll } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { parse } from 'yaml';

import { defaultRulesCommand } from '../../../src/cli/default-rules.js';
import { loadRules } from '../../../src/rules/compile-rules.js';
import { defaultRules, type DefaultRulesOptions } from '../../../src/rules/default-rules.js';
import { renderQuery } from '../../../src/rules/query-builder.js';

function run(argv: string[]) {
  let stdout = '';
  let stderr = '';
  const sink = (append: (text: string) => void) =>
    new Writable({
      write(chunk: Buffer | string, _encoding, done) {
        append(chunk.toString());
        done();
      },
    });
  const code = defaultRulesCommand(
    argv,
    sink((t) => (stdout += t)),
    sink((t) => (stderr += t)),
  );
  return { code, stdout, stderr };
}

const expected = (options: DefaultRulesOptions) => {
  const { rules, resourceRules } = defaultRules(options);
  return { rules, resourceRules };
};

const dir = mkdtempSync(join(tmpdir(), 'default-rules-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('default-rules command: output', () => {
  it.each<[argv: string[], options: DefaultRulesOptions]>([
    [[], {}],
    [['--rate-interval=2m'], { rateInterval: '2m' }],
    [['--rate-interval', '2m'], { rateInterval: '2m' }],
    [['--label-prefix=kubernetes_'], { labelPrefix: 'kubernetes_' }],
    [
      ['--label-prefix', 'kubernetes_', '--rate-interval', '90s'],
      { labelPrefix: 'kubernetes_', rateInterval: '90s' },
    ],
    [['--label-prefix='], { labelPrefix: '' }],
    [['--rate-interval=1m', '--rate-interval=3m'], { rateInterval: '3m' }],
  ])('%j prints the default rules for those options as YAML the adapter loads', (argv, options) => {
    const { code, stdout, stderr } = run(argv);
    expect([code, stderr]).toEqual([0, '']);
    expect(parse(stdout)).toEqual(expected(options));
    const rules = loadRules(stdout, 'stdout');
    expect([rules.custom.length, rules.external.length]).toEqual([6, 0]);
  });

  it('starts with a comment naming the command and its options, and writes no empty externalRules', () => {
    const { stdout } = run(['--rate-interval=2m']);
    expect(stdout.split('\n').slice(0, 2)).toEqual([
      "# Upstream prometheus-adapter's default rules (config-gen), generated with",
      '# prometheus-metrics-adapter default-rules --rate-interval=2m --label-prefix=',
    ]);
    expect(Object.keys(parse(stdout) as object)).toEqual(['rules', 'resourceRules']);
  });

  it('does not fold long queries (lineWidth 0): every metricsQuery sits on its own line', () => {
    const { stdout } = run(['--label-prefix=a_very_long_label_prefix_for_resources_']);
    const queries = stdout.split('\n').filter((l) => l.trimStart().startsWith('metricsQuery:'));
    expect(queries).toHaveLength(6);
    for (const line of queries) expect(line).toMatch(/by \(<<\.GroupBy>>\)'?$/);
  });

  it('--rate-interval=2m --label-prefix=kubernetes_ change the rendered queries', () => {
    const rules = loadRules(run(['--rate-interval=2m', '--label-prefix=kubernetes_']).stdout, 'stdout');
    const rateRule = rules.custom[4]!;
    expect(
      renderQuery(rateRule.metricsQuery, {
        series: 'http_requests_total',
        metricSelector: [],
        namespace: { label: 'kubernetes_namespace', name: 'default' },
        objects: { label: 'kubernetes_pod', names: ['w-1'] },
      }),
    ).toBe(
      'sum(rate(http_requests_total{kubernetes_namespace="default",kubernetes_pod="w-1"}[2m])) by (kubernetes_pod)',
    );
    expect(rules.resourceRules?.window).toBe('2m');
  });

  it.each<[argv: (file: string) => string[]]>([
    [(file) => [`--output=${file}`]],
    [(file) => ['-o', file, '--rate-interval=10m']],
  ])('writes to --output instead of standard output (%#)', (argv) => {
    const file = join(dir, `rules-${Math.random().toString(36).slice(2)}.yaml`);
    const args = argv(file);
    const { code, stdout, stderr } = run(args);
    expect([code, stdout, stderr]).toEqual([0, '', '']);
    expect(parse(readFileSync(file, 'utf8'))).toEqual(
      expected(args.includes('--rate-interval=10m') ? { rateInterval: '10m' } : {}),
    );
  });

  it('--help prints the usage and the flags, exit 0', () => {
    const { code, stdout, stderr } = run(['--help']);
    expect([code, stderr]).toEqual([0, '']);
    expect(stdout).toMatch(/^usage: prometheus-metrics-adapter default-rules /);
    for (const flag of ['--rate-interval', '--label-prefix', '--output']) expect(stdout).toContain(flag);
  });
});

describe('default-rules command: errors are one line naming the flag', () => {
  it.each<[argv: string[], code: number, message: string]>([
    [['--rate-interval=5'], 2, 'error: --rate-interval: missing unit in duration "5"'],
    [['--rate-interval=0s'], 2, 'error: --rate-interval: invalid rate interval "0s"'],
    [['--rate-interval=fast'], 2, 'error: --rate-interval: invalid duration "fast"'],
    [['--rate-interval'], 2, 'error: --rate-interval needs a value'],
    [['--label-prefix=kube-'], 2, 'error: --label-prefix: invalid label prefix "kube-"'],
    [['--label-prefix'], 2, 'error: --label-prefix needs a value'],
    [['--rate=5m'], 2, 'error: unknown flag --rate'],
    [['--config=rules.yaml'], 2, 'error: unknown flag --config'],
    [['rules.yaml'], 2, 'error: unexpected argument "rules.yaml"'],
    [
      ['--output=/nonexistent-dir/rules.yaml'],
      1,
      'error: --output: cannot write /nonexistent-dir/rules.yaml',
    ],
    [[`--output=${tmpdir()}`], 1, `error: --output: cannot write ${tmpdir()}: it is a directory`],
  ])('%j', (argv, code, message) => {
    const result = run(argv);
    expect([result.code, result.stdout]).toEqual([code, '']);
    expect(result.stderr.startsWith(message)).toBe(true);
    expect(result.stderr.indexOf('\n')).toBe(result.stderr.length - 1);
  });
});

describe('config/default-rules.yaml', () => {
  it('is exactly what `default-rules` prints with the defaults (regenerate it with the command)', () => {
    const { code, stdout } = run([]);
    expect(code).toBe(0);
    expect(readFileSync(new URL('../../../config/default-rules.yaml', import.meta.url), 'utf8')).toBe(stdout);
  });
});
