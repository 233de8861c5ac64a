/**
 * `check` end to end: the built adapter's `check` subcommand against a real Prometheus holding the queue-worker
 * data, compared with golden outputs (UPDATE_GOLDEN=1 rewrites them).
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startPrometheus, type PrometheusProcess } from '../../src/cli/demo/prometheus-process.js';
import { ADAPTER_ENTRY } from '../support/adapter.js';
import { queueWorkerOpenMetrics } from '../support/queue-worker-data.js';

const GOLDEN = 'test/fixtures/check';
let prometheus: PrometheusProcess;

beforeAll(async () => {
  if (!existsSync(ADAPTER_ENTRY)) throw new Error(`${ADAPTER_ENTRY} is missing: run \`npm run build\` first`);
  const dir = mkdtempSync(join(tmpdir(), 'pma-check-'));
  prometheus = await startPrometheus({ dir, backfill: queueWorkerOpenMetrics() });
}, 60_000);

afterAll(async () => {
  await prometheus?.stop();
});

function check(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile('node', [ADAPTER_ENTRY, 'check', ...args], { timeout: 20_000 }, (error, stdout, stderr) => {
      if (error === null) resolve({ code: 0, stdout, stderr });
      else if (typeof error.code === 'number') resolve({ code: error.code, stdout, stderr });
      else reject(new Error(`check did not run: ${error.message}`, { cause: error }));
    });
  });
}

/** The output with the Prometheus URL (its port changes from run to run) replaced. */
function normalized(text: string): string {
  return text.split(prometheus.url).join('http://PROMETHEUS');
}

function expectGolden(text: string, file: string): void {
  const path = join(GOLDEN, file);
  if (process.env.UPDATE_GOLDEN === '1') writeFileSync(path, text);
  expect(text).toBe(readFileSync(path, 'utf8'));
}

describe('check --prometheus-url with the queue-worker rules', () => {
  it('prints, per rule, the series matched and the metrics the registry builds (golden text), exit 0', async () => {
    const res = await check(['--config', 'config/queue-worker.yaml', '--prometheus-url', prometheus.url]);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    expect(res.stdout).toContain('resource mapping: standalone');
    expectGolden(normalized(res.stdout), 'queue-worker.txt');
  });

  it('prints the same as a stable JSON document (golden JSON)', async () => {
    const res = await check([
      '--config=config/queue-worker.yaml',
      `--prometheus-url=${prometheus.url}`,
      '--output=json',
    ]);
    expect(res.code).toBe(0);
    const doc = JSON.parse(res.stdout) as { discovery: { customMetrics: number }; summary: unknown };
    expect(doc.discovery.customMetrics).toBe(16);
    expect(doc.summary).toEqual({ errors: 0, warnings: 0, exitCode: 0 });
    expectGolden(normalized(res.stdout), 'queue-worker.json');
  });
});

describe('check --prometheus-url: why a metric does not show up', () => {
  it('shows rejected series grouped by reason, empty seriesQueries and conflicts (golden text)', async () => {
    const res = await check([`--config=${GOLDEN}/why-not.yaml`, `--prometheus-url=${prometheus.url}`]);
    expect(res.code).toBe(0);
    expect(res.stdout).toContain('name does not match name.matches "^(.*)_total$"');
    expect(res.stdout).toContain('no label maps to a resource');
    expectGolden(normalized(res.stdout), 'why-not.txt');
  });

  it('fails with --strict when there are warnings', async () => {
    const res = await check([
      `--config=${GOLDEN}/why-not.yaml`,
      `--prometheus-url=${prometheus.url}`,
      '--strict',
    ]);
    expect(res.code).toBe(1);
  });
});

describe('check on a broken rules file', () => {
  it('exits 1 and names the error with its YAML path and position', async () => {
    const res = await check([`--config=${GOLDEN}/broken.yaml`, `--prometheus-url=${prometheus.url}`]);
    expect(res.code).toBe(1);
    expect(res.stdout).toContain(`rules[1].metricsQuery (${GOLDEN}/broken.yaml:14:19) [invalid-config]`);
    expect(res.stdout).toContain("can't evaluate field Serie");
    expect(res.stdout).toContain('skipped: the rules file does not load');
  });

  it('exits 2 for a usage error', async () => {
    const res = await check(['--config=config/queue-worker.yaml', '--output=yaml']);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('--output must be text or json');
  });
});
