/**
 * The container image's entry point (issue 5 item 1) without a Docker engine: the `/adapter` script that the
 * Dockerfile writes, with `/app` pointed at this checkout, is run with exactly the arguments the Helm chart renders
 * for the queue-worker values, as uid 10001 with HOME and the working directory read-only, as in the image.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { waitUntilReady } from '../../src/cli/demo/adapter-process.js';
import { insecureGet } from '../../src/cli/demo/insecure-https.js';
import { ADAPTER_ENTRY, QUEUE_WORKER_RULES } from '../support/adapter.js';
import { entryScriptLines, readDockerfile } from '../support/dockerfile.js';

/** The container args the chart renders for ../shared/fixtures/queue-worker/values.yaml, verbatim. */
const CHART_ARGS = [
  '/adapter',
  '--secure-port=6443',
  '--cert-dir=/tmp/cert',
  '--prometheus-url=http://prometheus-for-adapter-server.kube-system.svc:80/',
  '--metrics-relist-interval=1m',
  '--v=4',
  '--config=/etc/adapter/config.yaml',
];
const IMAGE_UID = 10001;
const asRoot = process.getuid?.() === 0;

const root = mkdtempSync(join(tmpdir(), 'pma-image-'));
const home = join(root, 'home');
const configDir = join(root, 'etc-adapter');
const writableTmp = join(root, 'tmp');
const certDir = join(writableTmp, 'cert');
const script = join(root, 'adapter');
let child: ChildProcess;
let url: string;
let exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
const logs: string[] = [];

beforeAll(async () => {
  if (!existsSync(ADAPTER_ENTRY)) throw new Error(`${ADAPTER_ENTRY} is missing: run \`npm run build\` first`);
  const lines = entryScriptLines(readDockerfile().parsed);
  writeFileSync(script, lines.map((l) => l.replace('/app/dist/main.js', ADAPTER_ENTRY)).join('\n') + '\n');
  chmodSync(script, 0o555);
  mkdirSync(configDir);
  copyFileSync(QUEUE_WORKER_RULES, join(configDir, 'config.yaml'));
  chmodSync(configDir, 0o555);
  mkdirSync(home, { mode: 0o555 });
  chmodSync(home, 0o555);
  mkdirSync(writableTmp);
  chmodSync(writableTmp, 0o1777);
  chmodSync(root, 0o755);

  // NB: later flags win, so the chart's args stay verbatim and only the paths and port that differ outside the
  // image (and --standalone, as there is no cluster) are overridden after them.
  child = spawn(
    script,
    [
      ...CHART_ARGS,
      '--standalone',
      '--secure-port=0',
      `--cert-dir=${certDir}`,
      `--config=${join(configDir, 'config.yaml')}`,
    ],
    {
      cwd: home,
      env: { PATH: `${dirname(process.execPath)}:/usr/bin:/bin`, HOME: home },
      stdio: ['ignore', 'pipe', 'pipe'],
      // NB: as root, chmod 555 would not stop a write; the image's uid makes the read-only dirs really read-only.
      ...(asRoot ? { uid: IMAGE_UID, gid: IMAGE_UID } : {}),
    },
  );
  exited = new Promise((r) => child.once('exit', (code, signal) => r({ code, signal })));
  createInterface({ input: child.stderr! }).on('line', (l) => logs.push(l));
  const port = await new Promise<number>((resolvePort, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "adapter listening":\n${logs.join('\n')}`)), 30_000);
    void exited.then((info) =>
      reject(new Error(`adapter exited (${JSON.stringify(info)}):\n${logs.join('\n')}`)),
    );
    createInterface({ input: child.stdout! }).on('line', (line) => {
      logs.push(line);
      if (!line.startsWith('{')) return;
      const entry = JSON.parse(line) as { msg?: unknown; port?: unknown };
      if (entry.msg === 'adapter listening' && typeof entry.port === 'number') {
        clearTimeout(timer);
        resolvePort(entry.port);
      }
    });
  });
  url = `https://127.0.0.1:${port}`;
});

afterAll(async () => {
  if (child.exitCode === null && child.signalCode === null) {
    child.kill('SIGKILL');
    await exited;
  }
});

describe('the /adapter entry script of the image, with the chart-rendered arguments', () => {
  it('starts, ignoring the repeated leading /adapter, and answers /livez', async () => {
    const res = await insecureGet(`${url}/livez`);
    expect(res.status).toBe(200);
  });

  it('becomes ready after the first relist even though the chart’s Prometheus is unreachable here (SPEC 10)', async () => {
    await waitUntilReady(url, 20_000);
    const res = await insecureGet(`${url}/readyz`);
    expect(res.status).toBe(200);
  });

  it('writes the self-signed serving certificate into --cert-dir and nothing into HOME or the working directory', () => {
    expect(readdirSync(certDir).sort()).toEqual(['apiserver.crt', 'apiserver.key']);
    expect(readdirSync(home)).toEqual([]);
    expect(readdirSync(configDir)).toEqual(['config.yaml']);
    expect(readdirSync(writableTmp)).toEqual(['cert']);
  });

  (asRoot ? it : it.skip)(`runs as the image uid ${IMAGE_UID}`, () => {
    const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
    expect(status).toMatch(new RegExp(`^Uid:\\s+${IMAGE_UID}\\s`, 'm'));
  });

  it('execs node in place of the shell, so node gets SIGTERM directly and exits 0 after draining (SPEC 10)', async () => {
    const argv0 = readFileSync(`/proc/${child.pid}/cmdline`, 'utf8').split('\0')[0];
    expect(argv0).toBe('node');
    child.kill('SIGTERM');
    expect(await exited).toEqual({ code: 0, signal: null });
  });
});
