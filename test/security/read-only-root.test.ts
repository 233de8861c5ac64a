/**
 * The container's security posture without a Docker engine (issue 8, "Security"): the image's `/adapter` entry script
 * (from the Dockerfile) runs the built adapter the way the chart's securityContext runs the image: in a mount
 * namespace whose root filesystem is remounted read-only, with only a tmpfs writable (the chart's /tmp emptyDir), as
 * the image's non-root uid/gid with no capabilities and no_new_privs. Needs root and mount namespaces (`unshare -m`);
 * skipped with the reason printed otherwise.
 */
import { spawnSync } from 'node:child_process';
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
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { listeningPort, waitUntilReady } from '../../src/cli/demo/adapter-process.js';
import { spawnManaged, type ManagedChild } from '../../src/cli/demo/child.js';
import { startPrometheus, type PrometheusProcess } from '../../src/cli/demo/prometheus-process.js';
import { ADAPTER_ENTRY, QUEUE_WORKER_RULES } from '../support/adapter.js';
import { entryScriptLines, readDockerfile } from '../support/dockerfile.js';
import { getJson } from '../support/https.js';
import { POD, queueWorkerOpenMetrics } from '../support/queue-worker-data.js';

/** The Dockerfile's `USER`, as uid and gid. */
function imageUser(): { uid: number; gid: number } {
  const final = readDockerfile().parsed.stages.at(-1);
  const user = final?.instructions.filter((i) => i.keyword === 'USER').at(-1)?.args ?? '';
  const match = /^(\d+):(\d+)$/.exec(user);
  if (match === null)
    throw new Error(`the Dockerfile's final stage has no numeric USER uid:gid (got "${user}")`);
  return { uid: Number(match[1]), gid: Number(match[2]) };
}

/** Why this machine cannot build the sandbox, or undefined when it can. */
function sandboxUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'not running as root (mounting needs CAP_SYS_ADMIN)';
  for (const tool of ['unshare', 'setpriv']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0)
      return `${tool} (util-linux) is not installed`;
  }
  const probe = spawnSync('unshare', [
    '-m',
    '--propagation',
    'private',
    'mount',
    '-o',
    'remount,ro,bind',
    '/',
    '/',
  ]);
  return probe.status === 0
    ? undefined
    : `cannot remount / read-only in a mount namespace: ${probe.stderr.toString().trim()}`;
}

/**
 * In a new mount namespace: a tmpfs on `$1` (writable by all, like an emptyDir), then `/` remounted read-only, a
 * check that it really is, then the rest of the arguments exec'd as the image's user without capabilities.
 */
const SANDBOX = [
  'set -e',
  'writable="$1"; uid="$2"; gid="$3"; shift 3',
  'mount -t tmpfs -o size=16m,mode=1777 tmpfs "$writable"',
  'mount -o remount,ro,bind / /',
  'if touch /.pma-read-only-probe 2>/dev/null; then echo "sandbox: / is still writable" >&2; exit 97; fi',
  'exec setpriv --reuid="$uid" --regid="$gid" --clear-groups --inh-caps=-all --bounding-set=-all --no-new-privs "$@"',
].join('\n');

const reason = sandboxUnavailable();
const describeIf = reason === undefined ? describe : describe.skip;
if (reason !== undefined) process.stdout.write(`read-only-root.test.ts: skipped: ${reason}\n`);

const root = mkdtempSync(join(tmpdir(), 'pma-rofs-'));
const { uid, gid } = imageUser();
let prometheus: PrometheusProcess;
const children: ManagedChild[] = [];

/** Runs the image's entry script with `args` in the sandbox, `writable` being the tmpfs. */
async function runSandboxed(writable: string, args: string[]): Promise<ManagedChild> {
  const child = await spawnManaged(
    'unshare',
    [
      '-m',
      '--propagation',
      'private',
      'sh',
      '-c',
      SANDBOX,
      'sandbox',
      writable,
      String(uid),
      String(gid),
      join(root, 'adapter'),
      ...args,
    ],
    {
      cwd: join(root, 'home'),
      env: { PATH: `${dirname(process.execPath)}:/usr/bin:/bin`, HOME: join(root, 'home') },
    },
  );
  children.push(child);
  return child;
}

beforeAll(async () => {
  if (reason !== undefined) return;
  if (!existsSync(ADAPTER_ENTRY)) throw new Error(`${ADAPTER_ENTRY} is missing: run \`npm run build\` first`);
  prometheus = await startPrometheus({ dir: join(root, 'prom'), backfill: queueWorkerOpenMetrics() });
  const script = entryScriptLines(readDockerfile().parsed).map((l) =>
    l.replace('/app/dist/main.js', ADAPTER_ENTRY),
  );
  writeFileSync(join(root, 'adapter'), `${script.join('\n')}\n`);
  chmodSync(join(root, 'adapter'), 0o555);
  mkdirSync(join(root, 'etc-adapter'));
  copyFileSync(QUEUE_WORKER_RULES, join(root, 'etc-adapter', 'config.yaml'));
  mkdirSync(join(root, 'home'));
  mkdirSync(join(root, 'tmp'));
  // NB: the image's user must be able to reach the checkout (dist/, node_modules/) and this directory.
  chmodSync(root, 0o755);
}, 60_000);

afterAll(async () => {
  for (const c of children) await c.stop();
  await prometheus?.stop();
});

describeIf(`the image's entry script on a read-only root filesystem as uid ${uid}`, () => {
  let adapter: ManagedChild;
  let url: string;
  const tmp = join(root, 'tmp');

  beforeAll(async () => {
    adapter = await runSandboxed(tmp, [
      '--standalone',
      '--secure-port=0',
      '--bind-address=127.0.0.1',
      `--cert-dir=${join(tmp, 'cert')}`,
      `--config=${join(root, 'etc-adapter', 'config.yaml')}`,
      `--prometheus-url=${prometheus.url}`,
    ]);
    url = `https://127.0.0.1:${await listeningPort(adapter, 30_000)}`;
    await waitUntilReady(url);
  }, 60_000);

  it('serves the queue-worker metrics from the real Prometheus', async () => {
    const res = await getJson(
      `${url}/apis/custom.metrics.k8s.io/v1beta2/namespaces/default/pods/${POD.a}/counter_qps`,
    );
    expect(res.status).toBe(200);
    expect((res.body as { items: Array<{ value: string }> }).items.map((i) => i.value)).toEqual(['3500m']);
  });

  it('runs as the image user with no capabilities and no_new_privs, with / mounted read-only', () => {
    const status = readFileSync(`/proc/${adapter.pid}/status`, 'utf8');
    const field = (name: string) => new RegExp(`^${name}:[ \\t]*(.*)$`, 'm').exec(status)?.[1]?.split(/\s+/);
    expect(field('Name')).toEqual(['node']);
    expect(field('Uid')).toEqual([uid, uid, uid, uid].map(String));
    expect(field('Gid')).toEqual([gid, gid, gid, gid].map(String));
    expect(field('Groups')).toEqual(['']);
    for (const set of ['CapInh', 'CapPrm', 'CapEff', 'CapBnd', 'CapAmb'])
      expect(field(set)).toEqual(['0000000000000000']);
    expect(field('NoNewPrivs')).toEqual(['1']);
    // NB: mountinfo fields: id, parent, major:minor, root, mount point, mount options, ...
    const mounts = readFileSync(`/proc/${adapter.pid}/mountinfo`, 'utf8')
      .split('\n')
      .map((l) => l.split(' '));
    expect(mounts.find((m) => m[4] === '/')?.[5]?.split(',')).toContain('ro');
    expect(mounts.find((m) => m[4] === tmp)?.[5]?.split(',')).toContain('rw');
  });

  it('wrote only its self-signed serving certificate, into the writable tmpfs', () => {
    // NB: the tmpfs exists only in the adapter's mount namespace; /proc/<pid>/root is its view of the filesystem.
    const inside = `/proc/${adapter.pid}/root${tmp}`;
    expect(readdirSync(inside)).toEqual(['cert']);
    expect(readdirSync(join(inside, 'cert')).sort()).toEqual(['apiserver.crt', 'apiserver.key']);
    expect(readdirSync(tmp)).toEqual([]);
    expect(readdirSync(join(root, 'home'))).toEqual([]);
  });
});

describeIf('the same sandbox with --cert-dir on the read-only filesystem', () => {
  it('exits 2 naming the directory it cannot write, instead of serving without a certificate', async () => {
    const child = await runSandboxed(join(root, 'tmp'), [
      '--standalone',
      '--secure-port=0',
      `--cert-dir=${join(root, 'cert-on-read-only-root')}`,
      `--config=${join(root, 'etc-adapter', 'config.yaml')}`,
      `--prometheus-url=${prometheus.url}`,
    ]);
    expect(await child.exited).toEqual({ code: 2, signal: null });
    expect(child.logs()).toContain(
      `cannot write the self-signed serving certificate to ${join(root, 'cert-on-read-only-root')}: EROFS: read-only file system`,
    );
    expect(child.logs()).toContain(
      'point --cert-dir at a writable directory (on a read-only root filesystem, a mounted emptyDir',
    );
  }, 30_000);
});
