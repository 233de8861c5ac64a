/**
 * The demo (`npm run demo`) end to end: the demo worker, a real Prometheus and the built adapter, driven through
 * runDemo as the README's first command runs it.
 */
import { describe, it, expect, afterEach } from '@jest/globals';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { DEMO_PODS, runDemo } from '../../src/cli/demo/run-demo.js';
import { ADAPTER_ENTRY, QUEUE_WORKER_RULES } from '../support/adapter.js';
import { getJson } from '../support/https.js';
import { kubectlGetRaw } from '../support/kubectl.js';
import { refused, waitFor } from '../support/wait.js';

class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer, _encoding: BufferEncoding, done: () => void): void {
    this.text += chunk.toString('utf8');
    done();
  }
}

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'pma-demo-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

describe("runDemo (the README's first command) with the real adapter", () => {
  async function start(
    config: string = QUEUE_WORKER_RULES,
    metricsTimeoutMs?: number,
  ): Promise<{
    out: Capture;
    stop: AbortController;
    done: Promise<void>;
    workDir: string;
  }> {
    const workDir = join(await tempDir(), 'demo');
    const out = new Capture();
    const stop = new AbortController();
    const done = runDemo({
      adapterEntry: ADAPTER_ENTRY,
      config,
      workDir,
      out,
      signal: stop.signal,
      refreshIntervalMs: 1000,
      ...(metricsTimeoutMs ? { metricsTimeoutMs } : {}),
    });
    done.catch(() => undefined);
    cleanups.push(async () => {
      stop.abort();
      await done.catch(() => undefined);
    });
    return { out, stop, done, workDir };
  }

  it('prints discovery, the values exactly as served, kubectl commands that work, and stops everything on abort', async () => {
    const { out, stop, done } = await start();
    await waitFor(
      'the kubectl hints',
      () => (out.text.includes('Try it with kubectl') ? true : undefined),
      25_000,
    );

    const port = Number(/adapter: +https:\/\/127\.0\.0\.1:(\d+)/.exec(out.text)?.[1]);
    const base = `https://127.0.0.1:${port}`;
    expect(out.text).toContain('pods/counter_qps');
    expect(out.text).toContain(
      `kubectl get --raw '/apis/custom.metrics.k8s.io/v1beta2/namespaces/default/pods/*/counter_qps' --server=${base} --insecure-skip-tls-verify --token=x`,
    );
    // The first table is printed before the load varies; values are printed exactly as the API serves them.
    // 10 min of backfilled history: the [2m] rate is the worker's load from the first table on.
    const firstTable = out.text.slice(out.text.indexOf('values exactly as the API serves them')).split('\n');
    const expected: Record<string, [string, string, string]> = {
      'queue-worker-7d4b9c-a': ['3500m', '0', '12'],
      'queue-worker-7d4b9c-b': ['12250m', '0', '40'],
      'queue-worker-7d4b9c-c': ['750m', '0', '3'],
    };
    expect(DEMO_PODS.map((p) => p.name).sort()).toEqual(Object.keys(expected).sort());
    for (const pod of DEMO_PODS) {
      const row = firstTable.find((line) => line.startsWith(pod.name))?.split(/ {2,}/);
      expect(row?.slice(1, 4)).toEqual(expected[pod.name]);
    }

    // The printed kubectl command line works against the served API.
    const kubectl = await kubectlGetRaw(
      base,
      '/apis/custom.metrics.k8s.io/v1beta2/namespaces/default/pods/*/counter_qps',
    );
    expect(kubectl.stderr).toBe('');
    expect(kubectl.code).toBe(0);
    const list = JSON.parse(kubectl.stdout) as {
      items: Array<{ describedObject: { name: string }; value: string }>;
    };
    expect(list.items.map((i) => i.describedObject.name).sort()).toEqual(DEMO_PODS.map((p) => p.name).sort());
    const readyz = await getJson(`${base}/readyz`);
    expect(readyz.status).toBe(200);
    expect(readyz.text).toBe('ok');

    const before = out.text.length;
    await waitFor(
      'a refreshed table',
      () => (out.text.slice(before).includes('DEMO LOAD NOW') ? true : undefined),
      5000,
    );
    const prometheusUrl = /prometheus: +(http:\/\/127\.0\.0\.1:\d+)/.exec(out.text)?.[1] ?? '';
    const workerUrl = /at (http:\/\/127\.0\.0\.1:\d+)\/metrics/.exec(out.text)?.[1] ?? '';

    stop.abort();
    await done;
    expect(out.text).toContain('stopping the demo');
    expect(await refused(`${prometheusUrl}/-/ready`)).toBe(true);
    expect(await refused(`${workerUrl}/metrics`)).toBe(true);
    await expect(getJson(`${base}/readyz`, { timeoutMs: 2000 })).rejects.toThrow();
  });

  it('rejects after cleaning up, printing the last log lines, when the adapter dies', async () => {
    const { out, done } = await start();
    const pid = Number(
      await waitFor(
        'the adapter pid',
        () => /adapter: +https:\/\/\S+ \(pid (\d+)/.exec(out.text)?.[1],
        25_000,
      ),
    );
    process.kill(pid, 'SIGKILL');
    await expect(done).rejects.toThrow('adapter exited unexpectedly (signal SIGKILL)');
    expect(out.text).toContain('"msg":"adapter listening"');
    const prometheusUrl = /prometheus: +(http:\/\/127\.0\.0\.1:\d+)/.exec(out.text)?.[1] ?? '';
    expect(await refused(`${prometheusUrl}/-/ready`)).toBe(true);
  });

  it('gives up with the last answer and the adapter log when counter_qps is never served', async () => {
    const config = join(await tempDir(), 'no-match.yaml');
    await writeFile(
      config,
      (await readFile(QUEUE_WORKER_RULES, 'utf8')).replaceAll('job="kubernetes-pods"', 'job="no-such-job"'),
    );
    const { out, done } = await start(config, 6000);
    await expect(done).rejects.toThrow(
      /counter_qps was not served for every pod within 6 s \(last answer 404: the server could not find the metric counter_qps for pods/,
    );
    expect(out.text).toContain(`the adapter's last log lines:`);
    const prometheusUrl = /prometheus: +(http:\/\/127\.0\.0\.1:\d+)/.exec(out.text)?.[1] ?? '';
    expect(await refused(`${prometheusUrl}/-/ready`)).toBe(true);
  });

  it('refuses to wipe a work directory it did not create', async () => {
    const workDir = join(await tempDir(), 'precious');
    await mkdir(workDir);
    await writeFile(join(workDir, 'keep.txt'), 'mine');
    await expect(
      runDemo({ adapterEntry: ADAPTER_ENTRY, config: QUEUE_WORKER_RULES, workDir, out: new Capture() }),
    ).rejects.toThrow(/refusing to wipe/);
    expect(await readFile(join(workDir, 'keep.txt'), 'utf8')).toBe('mine');
  });
});
