/**
 * Startup errors never repeat a credential (issue 8, "no secrets in logs"): a malformed kubeconfig (the lister's
 * or `--prometheus-auth-config`), a `--prometheus-url` with a password, a mistyped `--prometheus-header`.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { describe, expect, it } from '@jest/globals';
import { createKubeClient, KubeConfigError } from '../../src/kube/kube-client.js';
import { safeKubeconfigError } from '../../src/kube/kubeconfig-error.js';
import { readPrometheusAuthConfig } from '../../src/kube/prometheus-auth-config.js';
import { withoutUrlPassword } from '../../src/api/redacted-url.js';
import { parseHttpUrl } from '../../src/cli/args.js';
import { OptionsError, parseOptions } from '../../src/options.js';

const TOKEN = 'tok-3f9a1c7e5b2d';
const PASSWORD = 'pw-8e6d4c2a0b1f';
const dir = mkdtempSync(join(tmpdir(), 'pma-secret-errors-'));
/** A kubeconfig whose user has a token and a password, with a YAML mistake on the token's line. */
const MALFORMED = join(dir, 'malformed.yaml');
writeFileSync(
  MALFORMED,
  [
    'apiVersion: v1',
    'kind: Config',
    'clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]',
    'users:',
    '- name: u',
    '  user:',
    `    token: ${TOKEN}: oops`,
    `    password: ${PASSWORD}`,
    'contexts: [{name: c, context: {cluster: c, user: u}}]',
    'current-context: c',
    '',
  ].join('\n'),
);

/** The message and everything reachable from the error (causes, properties), as one text. */
const everything = (error: unknown) => `${(error as Error).message}\n${inspect(error, { depth: 10 })}`;

async function rejection(run: () => unknown): Promise<unknown> {
  try {
    await run();
  } catch (error) {
    return error;
  }
  throw new Error('did not throw');
}

describe('a malformed kubeconfig', () => {
  it.each([
    [
      'the kube client (--lister-kubeconfig and the others)',
      () => createKubeClient({ kubeconfig: MALFORMED }),
    ],
    ['--prometheus-auth-config', () => readPrometheusAuthConfig(MALFORMED)],
  ])(
    '%s: the error names the file, the mistake and its position, not the lines around it',
    async (_what, run) => {
      const error = await rejection(run);
      expect((error as Error).message).toMatch(
        /malformed\.yaml: bad indentation of a mapping entry at line 7, column \d+$/,
      );
      expect(everything(error)).not.toContain(TOKEN);
      expect(everything(error)).not.toContain(PASSWORD);
    },
  );

  it('the kube client rejects with a KubeConfigError', async () => {
    expect(await rejection(() => createKubeClient({ kubeconfig: MALFORMED }))).toBeInstanceOf(
      KubeConfigError,
    );
  });

  it('errors other than YAML syntax errors are kept as they are', () => {
    const notFound = Object.assign(new Error('ENOENT: no such file'), { code: 'ENOENT' });
    expect(safeKubeconfigError(notFound)).toBe(notFound);
  });
});

function optionsError(flag: string): OptionsError {
  try {
    parseOptions(['--config=config/queue-worker.yaml', flag]);
  } catch (error) {
    if (error instanceof OptionsError) return error;
    throw error;
  }
  throw new Error(`${flag} was accepted`);
}

describe('flags holding credentials', () => {
  it.each([
    [
      `--prometheus-url=ftp://user:${PASSWORD}@prometheus:9090`,
      /"ftp:\/\/user:xxxxx@prometheus:9090": the scheme/,
    ],
    [
      `--prometheus-url=http://user:${PASSWORD}@prometheus:port`,
      /"http:\/\/user:xxxxx@prometheus:port": expected/,
    ],
    [
      `--prometheus-url=http://user:${PASSWORD}@[::1`,
      /"http:\/\/user:xxxxx@\[::1": expected an http or https URL/,
    ],
    [`--prometheus-header=Authorization: Bearer ${TOKEN}`, /"Authorization…": expected Key=Value/],
    [
      `--prometheus-header=Authorization: Basic ${TOKEN}==`,
      /"Authorization…" is not a valid HTTP header name/,
    ],
    [`--prometheus-header=X-Api-Key=${TOKEN}\u0001`, /"X-Api-Key=…": the value has a control/],
  ])('%s: the error does not repeat the secret', (flag, message) => {
    const error = optionsError(flag);
    expect(error.message).toMatch(message);
    expect(everything(error)).not.toContain(TOKEN);
    expect(everything(error)).not.toContain(PASSWORD);
  });

  it.each([`ftp://user:${PASSWORD}@prometheus`, `http://user:${PASSWORD}@[::1`])(
    "the subcommands' URL flags (%s): the error does not repeat the password",
    (text) => {
      let error: unknown;
      try {
        parseHttpUrl('--prometheus-url', text);
      } catch (e) {
        error = e;
      }
      expect((error as Error).message).toMatch(
        /^--prometheus-url must be an http or https URL, got ".*user:xxxxx@/,
      );
      expect(everything(error)).not.toContain(PASSWORD);
    },
  );

  it.each([
    ['https://user:pass@host:9090/prom?x=1', 'https://user:xxxxx@host:9090/prom?x=1'],
    ['http://user@host', 'http://user@host'],
    ['http://host/a@b', 'http://host/a@b'],
    ['http://u:p@ss@host', 'http://u:xxxxx@host'],
    ['not a url', 'not a url'],
  ])('withoutUrlPassword(%s) = %s', (given, shown) => {
    expect(withoutUrlPassword(given)).toBe(shown);
  });
});
