/**
 * `hpa preview` end to end: the built CLI against a real Prometheus with the queue-worker backfill, reading the
 * metrics through a running adapter in cluster mode (pods selected by label through the fake kube-apiserver, bearer
 * token authenticated by TokenReview), directly and through the aggregator front, and in-process from the rules
 * file. A second data set (a growing backlog at low traffic) makes the queue size win instead of qps.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { AdapterProcess } from '../../src/cli/demo/adapter-process.js';
import { aroundNow, linearCounter, openMetrics } from '../../src/cli/demo/openmetrics.js';
import { startPrometheus, type PrometheusProcess } from '../../src/cli/demo/prometheus-process.js';
import { ADAPTER_ENTRY, QUEUE_WORKER_RULES, startStandaloneAdapter } from '../support/adapter.js';
import { startClusterHarness, type ClusterHarness } from '../support/cluster-harness.js';
import { POD, QPS, queueWorkerOpenMetrics } from '../support/queue-worker-data.js';

const HPA_FILE = 'test/fixtures/queue-worker/hpa-qps-and-queue-v2beta1.yaml';
const DEPLOYMENT_FILE = 'test/fixtures/hpa/deployment-example.yaml';
const GOLDEN = 'test/fixtures/hpa/preview-queue-worker.txt';
const HPA_USER = {
  username: 'system:serviceaccount:kube-system:horizontal-pod-autoscaler',
  groups: ['system:serviceaccounts', 'system:authenticated'],
};

/** The backlog data set: three busy-but-quiet workers, 40 requests/s each, each backlog growing 1500 items/s. */
const BACKLOG = { pods: ['worker-0', 'worker-1', 'worker-2'], qps: 40, queueGrowth: 1500 } as const;

function backlogOpenMetrics(): string {
  const window = { ...aroundNow(15 * 60, 60 * 60), stepSeconds: 15 };
  const labels = (pod: string) => ({
    job: 'kubernetes-pods',
    kubernetes_namespace: 'default',
    kubernetes_pod_name: pod,
  });
  return openMetrics([
    {
      name: 'qps',
      type: 'gauge',
      samples: BACKLOG.pods.flatMap((pod) =>
        linearCounter({ ...window, ratePerSecond: BACKLOG.qps, labels: labels(pod) }),
      ),
    },
    {
      name: 'queue_size',
      type: 'gauge',
      samples: BACKLOG.pods.flatMap((pod) =>
        linearCounter({ ...window, ratePerSecond: BACKLOG.queueGrowth, labels: labels(pod) }),
      ),
    },
  ]);
}

let cluster: ClusterHarness;
let backlog: PrometheusProcess;
let standalone: AdapterProcess;

beforeAll(async () => {
  cluster = await startClusterHarness({
    rulesFile: QUEUE_WORKER_RULES,
    backfill: queueWorkerOpenMetrics(),
    users: { 'hpa-token': HPA_USER },
    allow: (spec) => spec.nonResourceAttributes !== undefined || spec.user === HPA_USER.username,
    // The Deployment's three pods carry app=example; the staging pod does not matter (another namespace).
    prepare: (fake) => {
      for (const name of [POD.a, POD.b, POD.c]) {
        fake.addPod({
          namespace: 'default',
          name,
          labels: { app: 'example', 'pod-template-hash': '6b8f7c9d4' },
        });
      }
    },
  });
  backlog = await startPrometheus({
    dir: mkdtempSync(join(tmpdir(), 'pma-hpa-backlog-')),
    backfill: backlogOpenMetrics(),
  });
  standalone = await startStandaloneAdapter(cluster.prometheus.url);
}, 120_000);

afterAll(async () => {
  await standalone?.child.stop();
  await backlog?.stop();
  await cluster?.stop();
});

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function cli(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [ADAPTER_ENTRY, 'hpa', 'preview', ...args],
      { timeout: 60_000 },
      (error, stdout, stderr) => {
        resolve({
          code: error === null ? 0 : typeof error.code === 'number' ? error.code : null,
          stdout,
          stderr,
        });
      },
    );
  });
}

interface JsonPreview {
  hpas: Array<{
    name: string;
    podSelector?: { value: string; source: string };
    currentReplicas: { value: number; source: string };
    metrics: Array<{
      name: string;
      current?: string;
      proposedReplicas?: number;
      pods?: unknown[];
      error?: string;
    }>;
    winner?: number;
    decision: { desiredReplicas?: number; reason: string; metricsProposal?: number };
  }>;
}

function json(run: Run): JsonPreview['hpas'][number] {
  expect(run.stderr.split('\n').filter((l) => l.startsWith('error:'))).toEqual([]);
  expect(run.code).toBe(0);
  const [hpa] = (JSON.parse(run.stdout) as JsonPreview).hpas;
  return hpa!;
}

const winnerOf = (hpa: JsonPreview['hpas'][number]) =>
  hpa.winner === undefined ? undefined : hpa.metrics[hpa.winner]?.name;

const viaAdapter = () => [
  '--adapter',
  cluster.adapter.url,
  '--token',
  'hpa-token',
  '--insecure-skip-tls-verify',
];
const inProcess = (prometheusUrl: string) => [
  '--config',
  QUEUE_WORKER_RULES,
  '--prometheus-url',
  prometheusUrl,
];

describe('hpa preview of the queue-worker HPA (SPEC 7: how the HPA reads the answers)', () => {
  it('through the adapter: prints the per-metric values, proposals and the winner (golden text)', async () => {
    const run = await cli([
      '-f',
      HPA_FILE,
      '--selector',
      'app=example',
      '--current-replicas',
      '3',
      ...viaAdapter(),
    ]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(readFileSync(GOLDEN, 'utf8'));
  });

  it('through the kube-apiserver front (aggregated API) gives the same report', async () => {
    const run = await cli([
      '-f',
      HPA_FILE,
      '--selector',
      'app=example',
      '--current-replicas',
      '3',
      '--adapter',
      cluster.front.url,
      '--token',
      'hpa-token',
      '--insecure-skip-tls-verify',
    ]);
    expect([run.code, run.stderr]).toEqual([0, '']);
    expect(run.stdout).toBe(readFileSync(GOLDEN, 'utf8'));
  });

  it('in-process from the rules file and Prometheus gives the same report', async () => {
    const run = await cli([
      '-f',
      HPA_FILE,
      '--selector',
      'app=example',
      '--current-replicas',
      '3',
      ...inProcess(cluster.prometheus.url),
    ]);
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/^warning: in-process \(--config\) there is no Kubernetes API/);
    expect(run.stdout).toBe(readFileSync(GOLDEN, 'utf8'));
  });

  it('the values are the known QPS averaged as the HPA does: (3.5 + 80.5 + 120) / 3 = 68 of 80 → 3 replicas', async () => {
    const hpa = json(
      await cli(['-f', HPA_FILE, '--selector', 'app=example', '--output', 'json', ...viaAdapter()]),
    );
    const qps = hpa.metrics[0]!;
    expect((QPS[POD.a] + QPS[POD.b] + QPS[POD.c]) / 3).toBe(68);
    expect(qps).toMatchObject({ name: 'counter_qps', current: '68', proposedReplicas: 3 });
    expect(qps.pods).toEqual([
      { pod: POD.a, value: '3500m' },
      { pod: POD.b, value: '80500m' },
      { pod: POD.c, value: '120' },
    ]);
    expect(hpa.metrics[1]).toMatchObject({ name: 'counter_queue_size', current: '83m', proposedReplicas: 1 });
    // Without --current-replicas and without a Deployment manifest: the HPA's minReplicas.
    expect(hpa.currentReplicas).toEqual({ value: 2, source: 'minReplicas' });
  });

  it('takes the pod selector and current replicas from a Deployment manifest given with -f', async () => {
    const hpa = json(await cli(['-f', DEPLOYMENT_FILE, '-f', HPA_FILE, '--output', 'json', ...viaAdapter()]));
    expect(hpa.podSelector).toEqual({ value: 'app=example', source: 'Deployment example' });
    expect(hpa.currentReplicas).toEqual({ value: 3, source: 'Deployment example spec.replicas' });
    expect(hpa.decision).toMatchObject({ desiredReplicas: 3, reason: 'DesiredWithinRange' });
  });

  it('counts current replicas without a value as missing pods: at 6 replicas qps stays within the band', async () => {
    const hpa = json(
      await cli([
        '-f',
        HPA_FILE,
        '--selector',
        'app=example',
        '--current-replicas',
        '6',
        '--output',
        'json',
        ...viaAdapter(),
      ]),
    );
    expect(hpa.metrics.map((m) => m.proposedReplicas)).toEqual([6, 4]);
    expect(winnerOf(hpa)).toBe('counter_qps');
    expect(hpa.decision).toMatchObject({ desiredReplicas: 6, reason: 'DesiredWithinRange' });
  });
});

describe('hpa preview: qps and queue size trade places', () => {
  it('with the queue-worker data qps wins (68 of 80 per pod; the queue barely grows)', async () => {
    const hpa = json(
      await cli([
        '-f',
        HPA_FILE,
        '--current-replicas',
        '3',
        '--output',
        'json',
        ...inProcess(cluster.prometheus.url),
      ]),
    );
    expect(winnerOf(hpa)).toBe('counter_qps');
    expect(hpa.decision).toMatchObject({ desiredReplicas: 3, metricsProposal: 3 });
  });

  it('with a growing backlog at low traffic the queue size wins (1500/s of 1k → 5; qps 40 of 80 → 2)', async () => {
    const hpa = json(
      await cli(['-f', HPA_FILE, '--current-replicas', '3', '--output', 'json', ...inProcess(backlog.url)]),
    );
    expect(hpa.metrics.map((m) => [m.name, m.current, m.proposedReplicas])).toEqual([
      ['counter_qps', '40', 2],
      ['counter_queue_size', '1500', 5],
    ]);
    expect(winnerOf(hpa)).toBe('counter_queue_size');
    expect(hpa.decision).toMatchObject({ desiredReplicas: 5, reason: 'DesiredWithinRange' });
  });
});

describe('hpa preview: errors', () => {
  it('without --selector or a Deployment manifest the adapter mode refuses, naming the scale target', async () => {
    const run = await cli(['-f', HPA_FILE, ...viaAdapter()]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(
      'no pod selector for Deployment/example: give --selector, or add its manifest with -f',
    );
  });

  it("a standalone adapter cannot select pods by label: each metric shows the adapter's 400, exit 1", async () => {
    const run = await cli([
      '-f',
      HPA_FILE,
      '--selector',
      'app=example',
      '--adapter',
      standalone.url,
      '--insecure-skip-tls-verify',
    ]);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(
      'counter_qps: GET /apis/custom.metrics.k8s.io/v1beta2/namespaces/default/pods/*/counter_qps?labelSelector=app%3Dexample: 400 BadRequest: selecting pods by label (labelSelector) needs the Kubernetes API',
    );
    expect(run.stdout).toContain('desired replicas:  unchanged (the HPA would not act)');
  });

  it("sends the pod selector: a selector no pod matches gets the adapter's 404 for every metric", async () => {
    const run = await cli(['-f', HPA_FILE, '--selector', 'app=nothing', ...viaAdapter()]);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(
      'counter_qps: GET /apis/custom.metrics.k8s.io/v1beta2/namespaces/default/pods/*/counter_qps?labelSelector=app%3Dnothing: ' +
        '404 NotFound: no pods in namespace default matching app=nothing, so there is no value of the metric counter_qps',
    );
  });

  it('an unknown token is refused by the adapter with 401', async () => {
    const run = await cli([
      '-f',
      HPA_FILE,
      '--selector',
      'app=example',
      '--adapter',
      cluster.adapter.url,
      '--token',
      'nope',
      '--insecure-skip-tls-verify',
    ]);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/counter_qps: GET \/apis\/custom\.metrics\.k8s\.io: 401 /);
  });
});
