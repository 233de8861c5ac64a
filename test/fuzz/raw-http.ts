/**
 * A raw HTTP/1.1 client for requests no well-behaved client sends (100 KB URLs, 20 KB of headers): writes the
 * request bytes as given over TCP or TLS (certificate not verified) and reads the answer until the server closes.
 */
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';

export interface RawAnswer {
  /** 0 when the connection closed without an HTTP answer. */
  status: number;
  headers: Record<string, string>;
  body: string;
  /** The socket error, when the server reset the connection. */
  error?: string;
}

const TIMEOUT_MS = 10_000;

function parse(raw: string, error?: string): RawAnswer {
  const end = raw.indexOf('\r\n\r\n');
  const head = end < 0 ? raw : raw.slice(0, end);
  const [statusLine = '', ...lines] = head.split('\r\n');
  const match = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine);
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  let body = end < 0 ? '' : raw.slice(end + 4);
  if (headers['transfer-encoding'] === 'chunked') body = unchunk(body);
  return {
    status: match === null ? 0 : Number(match[1]),
    headers,
    body,
    ...(error === undefined ? {} : { error }),
  };
}

function unchunk(text: string): string {
  let out = '';
  let rest = text;
  for (;;) {
    const eol = rest.indexOf('\r\n');
    if (eol < 0) return out;
    const size = parseInt(rest.slice(0, eol), 16);
    if (!(size > 0)) return out;
    out += rest.slice(eol + 2, eol + 2 + size);
    rest = rest.slice(eol + 2 + size + 2);
  }
}

/**
 * Sends `request` (a complete HTTP/1.1 request, `Connection: close` advised) to `port` on 127.0.0.1 and resolves
 * with the answer once the server closes the connection. A reset after an answer still resolves with the answer.
 * Rejects only on timeout.
 */
export function rawRequest(
  port: number,
  request: string,
  options: { tls?: boolean } = {},
): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let settled = false;
    const socket: Socket = options.tls
      ? tlsConnect({ host: '127.0.0.1', port, rejectUnauthorized: false })
      : netConnect({ host: '127.0.0.1', port });
    const finish = (error?: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(parse(Buffer.concat(chunks).toString('utf8'), error));
    };
    const timer = setTimeout(() => {
      if (settled) return;
      settled = true;
      socket.destroy();
      reject(new Error(`no answer within ${TIMEOUT_MS} ms to ${request.slice(0, 80)}…`));
    }, TIMEOUT_MS);
    // NB: written, not ended: a TLS end() sends close_notify, and the server would close without answering. The
    // request says `Connection: close`, so the server closes once it has answered.
    socket.on(options.tls ? 'secureConnect' : 'connect', () => socket.write(request));
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('end', () => finish());
    socket.on('close', () => finish());
    socket.on('error', (e: NodeJS.ErrnoException) => finish(e.code ?? e.message));
  });
}

/** A GET request line and headers, `Connection: close`. */
export function getRequest(path: string, headers: Record<string, string> = {}): string {
  const lines = [`GET ${path} HTTP/1.1`, 'Host: 127.0.0.1', 'Connection: close'];
  for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
  return `${lines.join('\r\n')}\r\n\r\n`;
}
