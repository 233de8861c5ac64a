#!/usr/bin/env node
/**
 * The process: subcommand dispatch, flags, wiring of the concrete parts, listen, signals. The only place where
 * concrete clients are constructed.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino, type Logger } from 'pino';
import { buildApp } from './app.js';
import { readFailure, tokenizeArgs, UsageError } from './cli/args.js';
import { connectKubeSide, type KubeSide } from './cluster.js';
import type { PrometheusAuth } from './kube/prometheus-auth-config.js';
import { HELP_TEXT, OptionsError, parseOptions, type AdapterOptions } from './options.js';
import { createHttpPrometheusClient } from './prometheus/http-client.js';
import { coalesceCalls } from './prometheus/coalescing-client.js';
import { observeCalls } from './prometheus/observed-client.js';
import { createEngine } from './providers/engine.js';
import { createRulesReloader } from './providers/rules-reloader.js';
import { loadRules } from './rules/compile-rules.js';
import { ConfigError } from './rules/config-error.js';
import { createSelfMetrics, type SelfMetrics } from './server/metrics.js';
import { currentRequestId } from './server/request-context.js';
import { loadServingCert, ServingCertError } from './server/serving-cert.js';
import { cipherSuitesToOpenSSL, watchServingCert } from './server/tls-settings.js';

const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const IN_CLUSTER_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';
const IN_CLUSTER_CA = '/var/run/secrets/kubernetes.io/serviceaccount/ca.crt';

/** A startup problem: printed as one line, exit code 1. */
class StartupError extends Error {
  override readonly name = 'StartupError';
}

// NB: each subcommand's modules are imported only when it runs, so no command pays for another's libraries.
async function main(argv: string[]): Promise<number> {
  const [first, ...rest] = argv;
  switch (first) {
    case 'demo': {
      const { runDemo } = await import('./cli/demo/run-demo.js');
      await runDemo({
        adapterEntry: fileURLToPath(import.meta.url),
        config: resolve(PACKAGE_ROOT, 'config/queue-worker.yaml'),
      });
      return 0;
    }
    case 'values-to-rules':
      return valuesToRulesCommand(rest);
    case 'default-rules':
      return (await import('./cli/default-rules.js')).defaultRulesCommand(rest, process.stdout);
    case 'check':
      return (await import('./cli/check/command.js')).checkCommand(rest, process);
    case 'explain':
      return (await import('./cli/explain/command.js')).explainCommand(rest, process);
    case 'hpa':
      return (await import('./cli/hpa/command.js')).hpaCommand(rest, process);
    default:
      return serve(argv);
  }
}

async function valuesToRulesCommand(argv: string[]): Promise<number> {
  const usage =
    'usage: prometheus-metrics-adapter values-to-rules --values=VALUES.yaml [--output=RULES.yaml]';
  let values: string | undefined;
  let output: string | undefined;
  try {
    const args = tokenizeArgs(argv, { values: ['--values', '--output'], aliases: { '-o': '--output' } });
    if (args.help) {
      process.stdout.write(`${usage}\n`);
      return 0;
    }
    values = args.values['--values'].at(-1);
    output = args.values['--output'].at(-1);
  } catch (e) {
    if (e instanceof UsageError) throw new StartupError(`${e.message}; ${usage}`, { cause: e });
    throw e;
  }
  if (values === undefined) throw new StartupError(`--values is required; ${usage}`);
  const { valuesToRules } = await import('./cli/values-to-rules.js');
  const text = valuesToRules(readFile(values, '--values'), values);
  if (output === undefined) process.stdout.write(text);
  else writeFileSync(output, text);
  return 0;
}

async function serve(argv: string[]): Promise<number> {
  const options = parseOptions(argv);
  if (options.help) {
    process.stdout.write(HELP_TEXT);
    return 0;
  }
  const rootLogger = pino({
    level: options.verbosity >= 8 ? 'trace' : options.verbosity >= 6 ? 'debug' : 'info',
    redact: ['req.headers.authorization', 'headers.authorization'],
  });
  const logger = rootLogger.child({ component: 'adapter' });
  const rulesText = readFile(options.config, '--config');
  const rules = loadRules(rulesText, options.config);
  const responseLogger = rootLogger.child({ component: 'prometheus' });
  const metrics = createSelfMetrics();
  const httpPrometheus = createHttpPrometheusClient({
    ...(await prometheusClientOptions(options)),
    // NB: upstream logs every response body at --v=8 and above.
    ...(options.verbosity >= 8
      ? {
          onResponse: (endpoint: string, status: number, body: unknown) =>
            responseLogger.trace({ endpoint, status, body }, 'response'),
        }
      : {}),
  });
  // NB: observed below the coalescing, so the self-metrics count the calls that reach Prometheus.
  const prometheus = coalesceCalls(
    observeCalls(httpPrometheus, (endpoint, durationMs, ok) =>
      metrics.observePrometheusCall(endpoint, durationMs, ok),
    ),
  );
  let kubeSide: KubeSide;
  try {
    kubeSide = await connectKubeSide(options, rootLogger);
  } catch (e) {
    throw new StartupError(e instanceof Error ? e.message : String(e), { cause: e });
  }
  const { mapper, lister } = kubeSide;
  const queryLogger = rootLogger.child({ component: 'prometheus' });
  const engine = createEngine({
    prometheus,
    mapper,
    lister,
    rules,
    relistIntervalMs: options.relistIntervalMs,
    maxAgeMs: options.maxAgeMs,
    logger: rootLogger.child({ component: 'relist' }),
    logQuery: (query, rule) => queryLogger.debug({ query, rule, reqId: currentRequestId() }, 'query'),
    onRelist: (outcome) => metrics.observeRelist(outcome),
  });
  const { relister } = engine;

  let ciphers: string | undefined;
  try {
    ciphers =
      options.serving.cipherSuites.length === 0
        ? undefined
        : cipherSuitesToOpenSSL(options.serving.cipherSuites);
  } catch (e) {
    throw new StartupError((e as Error).message, { cause: e });
  }
  const cert = await loadServingCert({
    certDir: options.serving.certDir,
    ...(options.serving.certFile === undefined ? {} : { certFile: options.serving.certFile }),
    ...(options.serving.keyFile === undefined ? {} : { keyFile: options.serving.keyFile }),
  });
  let servingPair = { key: cert.key, cert: cert.cert };
  let clientCas = kubeSide.clientCas;
  const tlsSettings = () => ({
    ...servingPair,
    minVersion: options.serving.tlsMinVersion,
    ...(ciphers === undefined ? {} : { ciphers }),
    ...(kubeSide.auth === undefined ? {} : { ca: clientCas }),
  });
  let stopping = false;
  const app = buildApp({
    customMetrics: engine.customMetrics,
    externalMetrics: engine.externalMetrics,
    resourceMetrics: engine.resourceMetrics,
    served: engine.served,
    // NB: not ready once shutting down, so endpoints stop routing here while in-flight requests finish.
    readiness: { isReady: () => !stopping && relister.isReady() },
    metrics,
    logger: rootLogger.child({ component: 'http' }),
    https: tlsSettings(),
    ...(kubeSide.auth === undefined ? {} : { auth: kubeSide.auth }),
    requestTimeoutMs: options.prometheus.timeoutMs + 5000,
  });
  kubeSide.onClientCasChange((cas) => {
    clientCas = cas;
    (app.server as HttpsServer).setSecureContext(tlsSettings());
    logger.info({ count: cas.length }, 'client CA bundle updated');
  });
  if (options.standalone) {
    logger.warn(
      { bindAddress: options.serving.bindAddress },
      'standalone mode: requests are NOT authenticated or authorized, objects are not listed from Kubernetes; ' +
        'use it for local development only',
    );
  }
  if (cert.generated) logger.info({ certPath: cert.certPath }, 'wrote a self-signed serving certificate');
  await app.listen({ host: options.serving.bindAddress, port: options.serving.securePort });
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : options.serving.securePort;
  logger.info(
    {
      host: options.serving.bindAddress,
      port,
      rules: rules.custom.length,
      externalRules: rules.external.length,
    },
    'adapter listening',
  );

  void relister.start();
  const reloader = createRulesReloader(rulesText, {
    path: options.config,
    load: loadRules,
    apply: (next) => engine.replaceRules(next),
    logger: rootLogger.child({ component: 'config' }),
    onResult: (result) => metrics.observeReload(result.ok, result.at),
  });
  const metricsServer =
    options.metricsListen === undefined ? undefined : await listenMetrics(metrics, options.metricsListen);
  if (metricsServer !== undefined) {
    logger.info({ ...options.metricsListen, port: metricsServer.port }, 'metrics listening');
  }

  const { certFile, keyFile } = options.serving;
  const stopCertWatch =
    certFile === undefined || keyFile === undefined
      ? () => undefined
      : watchServingCert(
          { certFile, keyFile, certDir: options.serving.certDir },
          (pair) => {
            servingPair = pair;
            (app.server as HttpsServer).setSecureContext(tlsSettings());
            logger.info({ certFile }, 'serving certificate reloaded');
          },
          (e) =>
            logger.error(
              { err: e },
              'the changed serving certificate does not load; the previous one keeps serving',
            ),
        );

  const shutdown = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: finishing in-flight requests');
    relister.stop();
    reloader.stop();
    metricsServer?.close();
    stopCertWatch();
    kubeSide.stop();
    const force = setTimeout(() => {
      logger.warn({}, 'grace period over; exiting with requests still in flight');
      process.exit(0);
    }, options.shutdownGracePeriodMs);
    force.unref();
    app.close().then(
      () => process.exit(0),
      (e: unknown) => {
        logger.error({ err: e }, 'error while closing the server');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
  return new Promise<number>(() => {
    // NB: runs until a signal; shutdown() exits the process.
  });
}

/** A plain-HTTP listener serving only GET /metrics, without authentication (`--metrics-bind-address`). */
async function listenMetrics(
  metrics: SelfMetrics,
  at: { host: string; port: number },
): Promise<{ port: number; close(): void }> {
  const server = createHttpServer((request, response) => {
    if (request.method !== 'GET' || request.url?.split('?', 1)[0] !== '/metrics') {
      response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('404 page not found\n');
      return;
    }
    metrics.render().then(
      (text) => response.writeHead(200, { 'content-type': metrics.contentType }).end(text),
      (e: unknown) =>
        response.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end(`${String(e)}\n`),
    );
  });
  server.requestTimeout = 30_000;
  try {
    await new Promise<void>((resolveListen, reject) => {
      server.once('error', reject);
      server.listen(at.port, at.host, () => resolveListen());
    });
  } catch (e) {
    throw new StartupError(
      `--metrics-bind-address: cannot listen on ${at.host}:${at.port}: ${(e as Error).message}`,
      { cause: e },
    );
  }
  const address = server.address();
  return {
    port: typeof address === 'object' && address !== null ? address.port : at.port,
    close: () => server.close(),
  };
}

async function prometheusClientOptions(
  options: AdapterOptions,
): Promise<Parameters<typeof createHttpPrometheusClient>[0]> {
  const p = options.prometheus;
  let authConfig: PrometheusAuth | undefined;
  if (p.authConfig !== undefined) {
    try {
      const { readPrometheusAuthConfig } = await import('./kube/prometheus-auth-config.js');
      authConfig = readPrometheusAuthConfig(p.authConfig);
    } catch (e) {
      throw new StartupError((e as Error).message, { cause: e });
    }
  }
  const tokenFile = p.tokenFile ?? (p.authInCluster ? IN_CLUSTER_TOKEN : undefined);
  const caFile = p.caFile ?? (p.authInCluster ? IN_CLUSTER_CA : undefined);
  for (const [flag, file] of [
    ['--prometheus-token-file', tokenFile],
    ['--prometheus-ca-file', caFile],
    ['--prometheus-client-tls-cert-file', p.clientCertFile],
    ['--prometheus-client-tls-key-file', p.clientKeyFile],
  ] as const) {
    if (file !== undefined)
      readFile(file, p.authInCluster && !flag.includes('client') ? '--prometheus-auth-incluster' : flag);
  }
  return {
    url: p.url,
    verb: p.verb,
    headers: p.headers,
    timeoutMs: p.timeoutMs,
    ...(tokenFile === undefined ? {} : { tokenFile }),
    ...(caFile === undefined ? {} : { caFile }),
    ...(p.clientCertFile === undefined ? {} : { clientCertFile: p.clientCertFile }),
    ...(p.clientKeyFile === undefined ? {} : { clientKeyFile: p.clientKeyFile }),
    ...(authConfig === undefined ? {} : { inline: authConfig }),
  };
}

function readFile(path: string, flag: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new StartupError(`${flag}: cannot read ${path}: ${readFailure(e)}`, { cause: e });
  }
}

/** Startup errors are one line saying what is wrong; anything else is a bug and gets its stack. */
function reportFatal(e: unknown, logger?: Logger): number {
  if (e instanceof OptionsError || e instanceof StartupError || e instanceof ServingCertError) {
    process.stderr.write(`error: ${e.message}\n`);
    return 2;
  }
  if (e instanceof ConfigError) {
    process.stderr.write(`error: invalid rules file:\n${e.message}\n`);
    return 1;
  }
  if (e instanceof Error && e.name === 'ValuesError') {
    process.stderr.write(`error: ${e.message}\n`);
    return 1;
  }
  if (logger !== undefined) logger.fatal({ err: e }, 'fatal error');
  else process.stderr.write(`fatal: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  return 1;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => process.exit(reportFatal(e)),
);
