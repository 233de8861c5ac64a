/**
 * MetricReader over HTTP(S): the requests the HPA controller sends, to a running adapter or to a kube-apiserver
 * (or `kubectl proxy`) that proxies the metrics APIs. Discovery picks the preferred custom metrics version.
 */
import http from 'node:http';
import https from 'node:https';
import type { ResourceLookup } from '../../api/resources.js';
import { objectResource, type MetricReader, type PodValue } from './metric-reader.js';
import { milliValue, parseQuantity } from '../../api/quantity.js';

export interface AdapterMetricReaderOptions {
  /** Base URL; a path prefix is kept (`https://host/prefix` → `/prefix/apis/...`). */
  url: URL;
  /** Sent as `Authorization: Bearer`. */
  token?: string;
  /** PEM CA bundle to verify the server with (default: Node's CAs). */
  ca?: string;
  insecureSkipTlsVerify: boolean;
  /** Per request, connect to last byte. */
  timeoutMs: number;
  resources: ResourceLookup;
}

const CUSTOM = 'custom.metrics.k8s.io';
const EXTERNAL = 'external.metrics.k8s.io';
const SUPPORTED_VERSIONS = ['v1beta2', 'v1beta1'];

interface Item {
  describedObject?: { name?: unknown };
  value?: unknown;
}

export function createAdapterMetricReader(options: AdapterMetricReaderOptions): MetricReader {
  let customVersion: Promise<string> | undefined;
  const base = options.url.href.replace(/\/+$/, '');

  const get = (path: string, query: Record<string, string> = {}): Promise<unknown> => {
    const params = new URLSearchParams(Object.entries(query).filter(([, v]) => v !== ''));
    const target = `${path}${params.size > 0 ? `?${params.toString()}` : ''}`;
    return getJson(`${base}${target}`, target, options);
  };

  const discover = async (): Promise<string> => {
    const group = (await get(`/apis/${CUSTOM}`)) as {
      preferredVersion?: { version?: unknown };
      versions?: Array<{ version?: unknown }>;
    };
    const preferred = group.preferredVersion?.version;
    if (typeof preferred === 'string' && SUPPORTED_VERSIONS.includes(preferred)) return preferred;
    const listed = (group.versions ?? []).map((v) => v.version);
    const usable = SUPPORTED_VERSIONS.find((v) => listed.includes(v));
    if (usable === undefined) {
      throw new Error(`${CUSTOM} serves none of the versions ${SUPPORTED_VERSIONS.join(', ')}`);
    }
    return usable;
  };
  const version = () => (customVersion ??= discover());

  const items = (body: unknown, what: string): Item[] => {
    const list = (body as { items?: unknown }).items;
    if (!Array.isArray(list)) throw new Error(`${what}: the answer has no items list`);
    return list as Item[];
  };
  const milli = (item: Item, what: string): bigint => {
    if (typeof item.value !== 'string' && typeof item.value !== 'number') {
      throw new Error(`${what}: an item has no value`);
    }
    try {
      return milliValue(parseQuantity(item.value));
    } catch (e) {
      throw new Error(`${what}: invalid value ${JSON.stringify(item.value)}: ${(e as Error).message}`, {
        cause: e,
      });
    }
  };

  return {
    appliesPodSelector: true,
    async podsMetric({ namespace, metric, metricSelector, podSelector }) {
      const path = `/apis/${CUSTOM}/${await version()}/namespaces/${segment(namespace)}/pods/*/${segment(metric)}`;
      const body = await get(path, { labelSelector: podSelector, metricLabelSelector: metricSelector });
      return items(body, path).map((item): PodValue => {
        const pod = item.describedObject?.name;
        if (typeof pod !== 'string') throw new Error(`${path}: an item has no describedObject.name`);
        return { pod, milli: milli(item, path) };
      });
    },
    async objectMetric({ namespace, object, metric, metricSelector }) {
      const resource = objectResource(object, options.resources);
      const v = await version();
      const path =
        resource === 'namespaces'
          ? `/apis/${CUSTOM}/${v}/namespaces/${segment(object.name)}/metrics/${segment(metric)}`
          : `/apis/${CUSTOM}/${v}/namespaces/${segment(namespace)}/${resource}/${segment(object.name)}/${segment(metric)}`;
      const list = items(await get(path, { metricLabelSelector: metricSelector }), path);
      if (list.length !== 1)
        throw new Error(`${path}: expected exactly one metric value, got ${list.length}`);
      return milli(list[0]!, path);
    },
    async externalMetric({ namespace, metric, metricSelector }) {
      const path = `/apis/${EXTERNAL}/v1beta1/namespaces/${segment(namespace)}/${segment(metric)}`;
      return items(await get(path, { labelSelector: metricSelector }), path).map((item) => milli(item, path));
    },
  };
}

function segment(value: string): string {
  return encodeURIComponent(value);
}

/**
 * GET `url` and parse its JSON. Rejects with an Error naming `label` (the path) and, for an HTTP error, the
 * status code and the Status message of the answer; on a timeout after `timeoutMs`.
 */
function getJson(
  url: string,
  label: string,
  options: Pick<AdapterMetricReaderOptions, 'token' | 'ca' | 'insecureSkipTlsVerify' | 'timeoutMs'>,
): Promise<unknown> {
  const signal = AbortSignal.timeout(options.timeoutMs);
  const secure = url.startsWith('https:');
  const headers: Record<string, string> = { accept: 'application/json' };
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  return new Promise((resolve, reject) => {
    const onResponse = (res: http.IncomingMessage) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', (err) => reject(new Error(`GET ${label}: ${err.message}`, { cause: err })));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown;
        try {
          body = JSON.parse(text) as unknown;
        } catch {
          body = undefined;
        }
        const status = res.statusCode ?? 0;
        if (status >= 200 && status < 300 && body !== undefined) return resolve(body);
        const status_ = body as { message?: unknown; reason?: unknown } | undefined;
        const detail =
          typeof status_?.message === 'string'
            ? `${typeof status_.reason === 'string' ? `${status_.reason}: ` : ''}${status_.message}`
            : status >= 200 && status < 300
              ? 'the answer is not JSON'
              : text.slice(0, 200).trim();
        reject(new Error(`GET ${label}: ${status} ${detail}`));
      });
    };
    const requestOptions = { method: 'GET', headers, signal, agent: false as const };
    const req = secure
      ? https.request(
          url,
          {
            ...requestOptions,
            rejectUnauthorized: !options.insecureSkipTlsVerify,
            ...(options.ca === undefined ? {} : { ca: options.ca }),
          },
          onResponse,
        )
      : http.request(url, requestOptions, onResponse);
    req.on('error', (err) => {
      const reason = signal.aborted ? `timed out after ${options.timeoutMs} ms` : err.message;
      reject(new Error(`GET ${label}: ${reason}`, { cause: err }));
    });
    req.end();
  });
}
