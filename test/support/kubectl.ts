import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** What a kubectl run printed and how it exited. */
export interface KubectlResult {
  /** Exit code; -1 when it was killed (timeout) or could not be started. */
  code: number;
  stdout: string;
  stderr: string;
}

const TIMEOUT_MS = 20_000;

/**
 * Runs the real `kubectl --server=<serverUrl> --insecure-skip-tls-verify --token=<token> <args...>` with a fresh
 * temporary `HOME` (so no kubeconfig or cache of the user leaks in) and `KUBECONFIG` unset, killed after 20 s.
 * Never rejects: failures are in `code` and `stderr`.
 */
export async function kubectl(
  serverUrl: string,
  args: readonly string[],
  token = 'x',
): Promise<KubectlResult> {
  const home = await mkdtemp(join(tmpdir(), 'kubectl-home-'));
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: home };
  delete env.KUBECONFIG;
  try {
    return await new Promise<KubectlResult>((resolve) => {
      execFile(
        'kubectl',
        [`--server=${serverUrl}`, '--insecure-skip-tls-verify', `--token=${token}`, ...args],
        { env, timeout: TIMEOUT_MS, maxBuffer: 64 * 1024 * 1024 },
        (err, stdout, stderr) => {
          if (!err) {
            resolve({ code: 0, stdout, stderr });
            return;
          }
          const code = typeof err.code === 'number' ? err.code : -1;
          const why = err.killed
            ? `\nkubectl killed after ${TIMEOUT_MS} ms`
            : code === -1
              ? `\n${err.message}`
              : '';
          resolve({ code, stdout, stderr: `${stderr}${why}` });
        },
      );
    });
  } finally {
    await rm(home, { recursive: true, force: true });
  }
}

/** `kubectl get --raw <path>` (see {@link kubectl}); token default `x`. */
export function kubectlGetRaw(serverUrl: string, path: string, token = 'x'): Promise<KubectlResult> {
  return kubectl(serverUrl, ['get', '--raw', path], token);
}
