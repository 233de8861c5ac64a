import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';

/** NB: hop-by-hop headers (RFC 9110 7.6.1) are not forwarded by a proxy; `host` is the upstream's own. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
  'host',
]);

/** `headers` without the hop-by-hop ones, for a test proxy to forward. */
export const withoutHopByHop = (headers: IncomingHttpHeaders): OutgoingHttpHeaders =>
  Object.fromEntries(Object.entries(headers).filter(([name]) => !HOP_BY_HOP.has(name)));
