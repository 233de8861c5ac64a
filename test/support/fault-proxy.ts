/**
 * Fault-injecting proxies on an ephemeral port of 127.0.0.1, for the fault suite (test/faults): an HTTP one in
 * front of Prometheus whose behaviour is switched at runtime, per request, and a TCP one (TLS passes through)
 * in front of the Kubernetes API that can hang or refuse. Both count the client connections they hold open, so
 * a test can tell whether the adapter leaks sockets after a fault.
 */
import http from 'node:http';
import net from 'node:net';
import { withoutHopByHop } from './hop-by-hop.js';

/** What the proxy does with a request the fault applies to. */
export type FaultMode =
  /** Forward as a transparent reverse proxy; when the upstream fails, drop the client connection as it would. */
  | { kind: 'pass' }
  /** Read the request and never answer (a Prometheus whose query engine is stuck). */
  | { kind: 'hang' }
  /** Hold the request `ms` milliseconds, then forward it. */
  | { kind: 'delay'; ms: number }
  /** Answer this HTTP status with a plain-text body, as a gateway in front of Prometheus would. */
  | { kind: 'status'; code: number }
  /** Answer 200 with an HTML page (the login page of an authenticating proxy). */
  | { kind: 'html' }
  /** Forward, then answer the upstream's status with only the first half of its (uncompressed) JSON body. */
  | { kind: 'truncated-json' }
  /** Forward, then send the headers (full Content-Length) and half of the body, and close the connection. */
  | { kind: 'close-mid-body' }
  /** Stop listening (connections are refused) and reset the open connections; listen again on the next mode. */
  | { kind: 'refuse' };

/** A request as the HTTP proxy received it. */
export interface ProxiedRequest {
  method: string;
  /** Path without the query string. */
  path: string;
  /** Decoded query string and (form) body parameters, e.g. `query`, `match[]`. */
  params: URLSearchParams;
  /** Whether the current fault applied to it. */
  faulted: boolean;
}

/** Decides which requests a fault applies to (default: all). */
export type FaultMatch = (request: Omit<ProxiedRequest, 'faulted'>) => boolean;

interface ProxyBase {
  /** `http://127.0.0.1:PORT` (the TCP proxy: the host and port to put into a URL of the upstream's scheme). */
  url: string;
  port: number;
  /** Client connections open right now. */
  openSockets(): number;
  /** Client connections accepted so far. */
  acceptedSockets(): number;
  /** Closes the listener and every connection. Idempotent. */
  stop(): Promise<void>;
}

/** A running {@link startFaultProxy}. */
export interface FaultProxy extends ProxyBase {
  /** Switches the fault for the requests `match` selects (default: all); the others pass. Effective at once. */
  setMode(mode: FaultMode, match?: FaultMatch): Promise<void>;
  /** Requests received so far (copies), in arrival order. */
  requests(): ProxiedRequest[];
  /** Requests received but not answered yet (held by `hang` or `delay`, or waiting for the upstream). */
  pending(): ProxiedRequest[];
}

/** A running {@link startTcpFaultProxy}. */
export interface TcpFaultProxy extends ProxyBase {
  /** `pass`, `hang` (bytes in both directions are held until the next `pass`, as on a stalled link) or `refuse`. */
  setMode(mode: { kind: 'pass' | 'hang' | 'refuse' }): Promise<void>;
}

const UPSTREAM_TIMEOUT_MS = 30_000;
const LOGIN_PAGE =
  '<!DOCTYPE html>\n<html><head><title>Sign in</title></head>' +
  '<body><form method="post" action="/oauth2/start"><button>Sign in</button></form></body></html>\n';

/** A listener that can stop accepting (refuse) and accept again on the same port, counting its connections. */
class Listener {
  readonly sockets = new Set<net.Socket>();
  accepted = 0;
  port = 0;
  private listening = false;

  constructor(private readonly server: net.Server) {
    server.on('connection', (socket: net.Socket) => {
      this.accepted++;
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  async listen(): Promise<void> {
    if (this.listening) return;
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.port, '127.0.0.1', () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    this.port = (this.server.address() as net.AddressInfo).port;
    this.listening = true;
  }

  /** Stops accepting and resets every open connection. */
  async refuse(): Promise<void> {
    if (!this.listening) return;
    this.listening = false;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const socket of this.sockets) socket.resetAndDestroy();
    await closed;
  }
}

function base(listener: Listener, stop: () => Promise<void>): ProxyBase {
  return {
    url: `http://127.0.0.1:${listener.port}`,
    port: listener.port,
    openSockets: () => listener.sockets.size,
    acceptedSockets: () => listener.accepted,
    stop,
  };
}

interface Buffered {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/**
 * An HTTP reverse proxy to `upstream` whose behaviour is switched with `setMode` (see {@link FaultMode}); starts
 * in `pass`. Requests are read completely before the mode is applied, so a predicate can look at POST bodies.
 * Idle keep-alive connections are closed after `idleTimeoutMs` (default 2000).
 */
export async function startFaultProxy(
  upstream: string,
  options: { idleTimeoutMs?: number } = {},
): Promise<FaultProxy> {
  const target = new URL(upstream);
  let mode: FaultMode = { kind: 'pass' };
  let match: FaultMatch = () => true;
  const received: ProxiedRequest[] = [];
  const waiting = new Set<ProxiedRequest>();

  const send = (
    req: http.IncomingMessage,
    body: Buffer,
    identity: boolean,
    onAnswer: (answer: http.IncomingMessage) => void,
    onError: (err: Error) => void,
  ) => {
    const headers = withoutHopByHop(req.headers);
    // NB: the body is cut as text below, so ask for it uncompressed.
    if (identity) headers['accept-encoding'] = 'identity';
    const forward = http.request(
      {
        hostname: target.hostname,
        port: target.port,
        method: req.method,
        path: req.url,
        headers,
        agent: false,
        timeout: UPSTREAM_TIMEOUT_MS,
      },
      onAnswer,
    );
    forward.on('timeout', () => forward.destroy(new Error(`no answer within ${UPSTREAM_TIMEOUT_MS} ms`)));
    forward.on('error', onError);
    forward.end(body);
    return forward;
  };

  /** Forwards and streams the answer back; an upstream failure drops the client connection. */
  const pass = (req: http.IncomingMessage, res: http.ServerResponse, body: Buffer, done: () => void) => {
    const forward = send(
      req,
      body,
      false,
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, withoutHopByHop(answer.headers));
        answer.pipe(res);
        answer.on('error', () => res.destroy());
        answer.on('end', done);
      },
      () => {
        // NB: a dead upstream looks to the client like a connection closed without (the rest of) an answer.
        req.socket.destroy();
        done();
      },
    );
    res.on('close', () => forward.destroy());
  };

  const buffered = (
    req: http.IncomingMessage,
    res: http.ServerResponse,
    body: Buffer,
    then: (answer: Buffered) => void,
  ) => {
    const forward = send(
      req,
      body,
      true,
      (answer) => {
        const chunks: Buffer[] = [];
        answer.on('data', (c: Buffer) => chunks.push(c));
        answer.on('end', () =>
          then({ status: answer.statusCode ?? 502, headers: answer.headers, body: Buffer.concat(chunks) }),
        );
        answer.on('error', () => req.socket.destroy());
      },
      () => req.socket.destroy(),
    );
    res.on('close', () => forward.destroy());
  };

  const handle = (req: http.IncomingMessage, res: http.ServerResponse, body: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://proxy');
    const params = new URLSearchParams(url.search);
    if ((req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) {
      for (const [k, v] of new URLSearchParams(body.toString('utf8'))) params.append(k, v);
    }
    const seen = { method: req.method ?? '', path: url.pathname, params };
    const fault = match(seen) ? mode : ({ kind: 'pass' } as const);
    const request: ProxiedRequest = { ...seen, faulted: fault.kind !== 'pass' };
    received.push(request);
    waiting.add(request);
    const done = () => waiting.delete(request);
    res.on('close', done);
    switch (fault.kind) {
      case 'pass':
      case 'refuse':
        pass(req, res, body, done);
        return;
      case 'hang':
        return;
      case 'delay': {
        const timer = setTimeout(() => pass(req, res, body, done), fault.ms);
        res.on('close', () => clearTimeout(timer));
        return;
      }
      case 'status':
        res
          .writeHead(fault.code, { 'content-type': 'text/plain; charset=utf-8' })
          .end(`${fault.code} ${http.STATUS_CODES[fault.code] ?? 'Error'}\n`);
        return;
      case 'html':
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(LOGIN_PAGE);
        return;
      case 'truncated-json':
        buffered(req, res, body, (answer) => {
          const half = answer.body.subarray(0, Math.floor(answer.body.length / 2));
          res
            .writeHead(answer.status, {
              'content-type': answer.headers['content-type'] ?? 'application/json',
              'content-length': half.length,
            })
            .end(half);
        });
        return;
      case 'close-mid-body':
        buffered(req, res, body, (answer) => {
          res.writeHead(answer.status, {
            'content-type': answer.headers['content-type'] ?? 'application/json',
            'content-length': answer.body.length,
          });
          res.write(answer.body.subarray(0, Math.floor(answer.body.length / 2)), () => req.socket.destroy());
        });
        return;
    }
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => handle(req, res, Buffer.concat(chunks)));
  });
  // NB: idle keep-alive connections are closed after this, so the open ones are those in use or leaked.
  server.keepAliveTimeout = options.idleTimeoutMs ?? 2000;
  const listener = new Listener(server);
  await listener.listen();

  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      for (const socket of listener.sockets) socket.destroy();
      if (server.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
    })();
    return stopping;
  };
  return {
    ...base(listener, stop),
    async setMode(next, nextMatch) {
      if (next.kind === 'refuse' && nextMatch !== undefined) {
        throw new Error('refuse applies to the listener, not to selected requests');
      }
      mode = next;
      match = nextMatch ?? (() => true);
      if (next.kind === 'refuse') await listener.refuse();
      else await listener.listen();
    },
    requests: () => received.map((r) => ({ ...r })),
    pending: () => [...waiting].map((r) => ({ ...r })),
  };
}

/**
 * A TCP proxy to `upstream` (`host:port`, or a URL whose host and port are used); TLS passes through untouched, so
 * a client keeps verifying the upstream's certificate (its IP SANs hold for any port). Starts in `pass`.
 */
export async function startTcpFaultProxy(upstream: string): Promise<TcpFaultProxy> {
  const target = new URL(upstream.includes('://') ? upstream : `tcp://${upstream}`);
  let frozen = false;
  const held: Array<() => void> = [];

  const relay = (from: net.Socket, to: net.Socket) => {
    from.on('data', (chunk: Buffer) => {
      if (frozen) held.push(() => to.write(chunk));
      else to.write(chunk);
    });
  };

  const server = net.createServer((client) => {
    const peer = net.connect(Number(target.port), target.hostname);
    relay(client, peer);
    relay(peer, client);
    for (const [a, b] of [
      [client, peer],
      [peer, client],
    ] as const) {
      // NB: on a stalled link the FIN is held like the data: the other side learns of the close afterwards.
      const close = () => (frozen ? held.push(() => b.destroy()) : b.destroy());
      a.on('error', close);
      a.on('close', close);
    }
  });
  const listener = new Listener(server);
  await listener.listen();

  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      held.length = 0;
      for (const socket of listener.sockets) socket.destroy();
      if (server.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
    })();
    return stopping;
  };
  return {
    ...base(listener, stop),
    async setMode(next) {
      frozen = next.kind === 'hang';
      if (!frozen) for (const release of held.splice(0)) release();
      if (next.kind === 'refuse') await listener.refuse();
      else await listener.listen();
    },
  };
}
