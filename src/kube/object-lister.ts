/**
 * Object selection for `*` requests (SPEC 5.2) from a watch-backed cache per resource, as client-go's informers
 * do: one LIST, then a WATCH from its resourceVersion; requests filter the cache and never LIST.
 */
import { matchesLabels, type Requirement } from '../api/label-selector.js';
import { groupResourceString, type ResourceInfo } from '../api/resources.js';
import { serviceUnavailable, type StatusError } from '../api/status.js';
import {
  KubeApiError,
  type KubeClient,
  type ListedObject,
  type ObjectLister,
  type WatchEvent,
} from './contract.js';
import { SILENT_LOGGER, sleep, type KubeLogger } from './kube-logger.js';
import { isRecord } from './json.js';

export interface ObjectListerOptions {
  /** How long a request waits for a resource's first LIST. Default 10 s. */
  syncTimeoutMs?: number;
  /** LIST page size (`limit`). Default 500. */
  pageSize?: number;
  /** Retry delays after failures: doubling from `initialMs` up to `maxMs`, with jitter. Default 500 ms, 30 s. */
  backoff?: { initialMs: number; maxMs: number };
  logger?: KubeLogger;
}

/** An ObjectLister that owns background watches. */
export interface WatchingObjectLister extends ObjectLister {
  /** Ends every watch; waiting requests and later calls reject with 503. */
  stop(): void;
}

export const DEFAULT_SYNC_TIMEOUT_MS = 10_000;
const DEFAULT_PAGE_SIZE = 500;
const DEFAULT_BACKOFF = { initialMs: 500, maxMs: 30_000 };
/** NB: the server ends each watch after this long (client-go asks for 5–10 min), spreading re-watches out. */
const WATCH_MIN_SECONDS = 300;
/** A watch that ends sooner than this without events counts as a failure, so a server closing at once is not hammered. */
const SHORT_WATCH_MS = 1000;

type Labels = Readonly<Record<string, string>>;

/** What is kept of an object under its name: labels, and `status.phase` when it has one (pods). */
interface StoredObject {
  labels: Labels;
  phase?: string;
}

/** An object of a list or watch event, filed under its namespace ("" for cluster-scoped objects). */
interface ObjectMeta extends StoredObject {
  name: string;
  namespace: string;
}

/** The watch said the resourceVersion is too old (410 Gone / Expired): the cache must be re-listed. */
class ResourceExpired extends Error {
  override readonly name = 'ResourceExpired';
}

function readLabels(value: unknown): Labels {
  if (!isRecord(value)) return {};
  const labels: Record<string, string> = {};
  for (const [key, v] of Object.entries(value)) if (typeof v === 'string') labels[key] = v;
  return labels;
}

/** The metadata (and phase) of one object of a list or watch event, or undefined when it has no name. */
function readMeta(object: unknown): ObjectMeta | undefined {
  if (!isRecord(object) || !isRecord(object.metadata)) return undefined;
  const { name, namespace, labels } = object.metadata;
  if (typeof name !== 'string' || name === '') return undefined;
  const phase = isRecord(object.status) ? object.status.phase : undefined;
  return {
    name,
    namespace: typeof namespace === 'string' ? namespace : '',
    labels: readLabels(labels),
    ...(typeof phase === 'string' && phase !== '' ? { phase } : {}),
  };
}

/** `metadata.resourceVersion` of a watch event's object (BOOKMARKs carry only that). */
function readResourceVersion(object: unknown): string | undefined {
  if (!isRecord(object) || !isRecord(object.metadata)) return undefined;
  const { resourceVersion } = object.metadata;
  return typeof resourceVersion === 'string' && resourceVersion !== '' ? resourceVersion : undefined;
}

function isExpired(error: unknown): boolean {
  return error instanceof ResourceExpired || (error instanceof KubeApiError && error.status === 410);
}

/** The path that lists every object of `r` in all namespaces. */
export function listPath(r: ResourceInfo): string {
  return r.group === '' ? `/api/${r.version}/${r.resource}` : `/apis/${r.group}/${r.version}/${r.resource}`;
}

/** One resource's cache: filled by LIST, kept current by WATCH, re-listed when the watch expires. */
class Informer {
  private readonly byNamespace = new Map<string, Map<string, StoredObject>>();
  private synced = false;
  private lastError: unknown;
  private readonly waiters = new Set<(error?: unknown) => void>();
  private resourceVersion: string | undefined;
  private failures = 0;
  private readonly path: string;
  private readonly what: string;

  constructor(
    private readonly client: KubeClient,
    resource: ResourceInfo,
    private readonly options: Required<Omit<ObjectListerOptions, 'logger'>> & { logger: KubeLogger },
    private readonly signal: AbortSignal,
  ) {
    this.path = listPath(resource);
    this.what = groupResourceString(resource);
    this.run().catch((error: unknown) => {
      options.logger.error({ err: error, resource: this.what }, 'the object cache stopped unexpectedly');
    });
  }

  /**
   * Names in `namespace` whose labels match, sorted and distinct. Undefined means cluster scope, where every object
   * is filed under "", so a cluster-scoped resource answers; for a namespaced one it spans all namespaces.
   */
  names(namespace: string | undefined, selector: readonly Requirement[]): string[] {
    const out = new Set<string>();
    const scan = (objects: Map<string, StoredObject>) => {
      for (const [name, { labels }] of objects) if (matchesLabels(selector, labels)) out.add(name);
    };
    if (namespace === undefined) for (const objects of this.byNamespace.values()) scan(objects);
    else {
      const objects = this.byNamespace.get(namespace);
      if (objects !== undefined) scan(objects);
    }
    return [...out].sort();
  }

  /** Objects in `namespace` (undefined: every namespace) whose labels match, sorted by namespace then name. */
  objects(namespace: string | undefined, selector: readonly Requirement[]): ListedObject[] {
    const out: ListedObject[] = [];
    const namespaces =
      namespace === undefined ? [...this.byNamespace.keys()].sort(compareStrings) : [namespace];
    for (const ns of namespaces) {
      const objects = this.byNamespace.get(ns);
      if (objects === undefined) continue;
      const names = [...objects.keys()].sort(compareStrings);
      for (const name of names) {
        const stored = objects.get(name)!;
        if (!matchesLabels(selector, stored.labels)) continue;
        out.push({
          name,
          namespace: ns,
          labels: stored.labels,
          ...(stored.phase === undefined ? {} : { phase: stored.phase }),
        });
      }
    }
    return out;
  }

  /** Resolves once the first LIST has landed; rejects with 503 when it fails, times out, or `signal` aborts. */
  waitForSync(signal: AbortSignal): Promise<void> {
    if (this.synced) return Promise.resolve();
    if (this.signal.aborted) return Promise.reject(this.unavailable(new Error('the lister is stopped')));
    // NB: fail fast while the latest LIST attempt failed: an HPA retries every 15 s, a waiting request only stalls.
    if (this.lastError !== undefined) return Promise.reject(this.unavailable(this.lastError));
    return new Promise<void>((resolve, reject) => {
      const cleanUp = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        this.waiters.delete(done);
      };
      const done = (error?: unknown) => {
        cleanUp();
        if (error === undefined) resolve();
        else reject(this.unavailable(error));
      };
      const onAbort = () => {
        cleanUp();
        // NB: a StatusError reason (the server's request deadline or closed client) is passed through as is.
        reject(
          signal.reason instanceof Error
            ? signal.reason
            : this.unavailable(new Error('the request was aborted')),
        );
      };
      const timer = setTimeout(
        () => done(new Error(`no LIST completed within ${this.options.syncTimeoutMs} ms`)),
        this.options.syncTimeoutMs,
      );
      this.waiters.add(done);
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  private unavailable(cause: unknown): StatusError {
    return serviceUnavailable(`unable to list ${this.what} from the Kubernetes API`, cause);
  }

  private notify(error?: unknown): void {
    for (const waiter of [...this.waiters]) waiter(error);
  }

  private async run(): Promise<void> {
    while (!this.signal.aborted) {
      try {
        if (this.resourceVersion === undefined) this.resourceVersion = await this.list();
        const started = Date.now();
        const before = this.resourceVersion;
        await this.watch(this.resourceVersion);
        if (Date.now() - started < SHORT_WATCH_MS && this.resourceVersion === before) {
          await sleep(this.nextDelay(), this.signal);
        } else this.failures = 0;
      } catch (error) {
        if (this.signal.aborted) break;
        if (isExpired(error)) {
          this.options.logger.info({ resource: this.what }, 'watch expired; re-listing');
          this.resourceVersion = undefined;
          if (this.failures++ === 0) continue;
        } else {
          if (!this.synced) {
            this.lastError = error;
            this.notify(error);
          }
          this.options.logger.warn(
            { err: error, resource: this.what, synced: this.synced },
            this.resourceVersion === undefined ? 'listing objects failed' : 'watching objects failed',
          );
        }
        await sleep(this.nextDelay(), this.signal);
      }
    }
    this.notify(new Error('the lister is stopped'));
  }

  private nextDelay(): number {
    const { initialMs, maxMs } = this.options.backoff;
    const base = Math.min(maxMs, initialMs * 2 ** Math.min(this.failures, 20));
    this.failures++;
    return base / 2 + Math.random() * (base / 2);
  }

  /** Lists every object (paged), swaps the cache in, and returns the list's resourceVersion. */
  private async list(): Promise<string> {
    const next = new Map<string, Map<string, StoredObject>>();
    let resourceVersion = '';
    let continueToken: string | undefined;
    do {
      const query: Record<string, string> = { limit: String(this.options.pageSize) };
      if (continueToken !== undefined) query.continue = continueToken;
      const body = await this.client.getJson(this.path, { query, signal: this.signal });
      if (!isRecord(body) || !Array.isArray(body.items) || !isRecord(body.metadata)) {
        throw new KubeApiError('bad_response', `GET ${this.path}: the response is not a list`);
      }
      for (const item of body.items as unknown[]) {
        const meta = readMeta(item);
        if (meta !== undefined) fileObject(next, meta);
      }
      const { resourceVersion: rv, continue: token } = body.metadata;
      if (typeof rv === 'string') resourceVersion = rv;
      continueToken = typeof token === 'string' && token !== '' ? token : undefined;
    } while (continueToken !== undefined);
    if (resourceVersion === '') {
      throw new KubeApiError('bad_response', `GET ${this.path}: the list has no resourceVersion`);
    }
    this.byNamespace.clear();
    for (const [namespace, objects] of next) this.byNamespace.set(namespace, objects);
    this.failures = 0;
    this.lastError = undefined;
    if (!this.synced) {
      this.synced = true;
      this.options.logger.info({ resource: this.what, resourceVersion }, 'object cache synced');
    }
    this.notify();
    return resourceVersion;
  }

  private watch(resourceVersion: string): Promise<void> {
    const timeoutSeconds = WATCH_MIN_SECONDS + Math.floor(Math.random() * WATCH_MIN_SECONDS);
    return this.client.watch(
      this.path,
      { resourceVersion, allowWatchBookmarks: 'true', timeoutSeconds: String(timeoutSeconds) },
      (event) => this.apply(event),
      this.signal,
    );
  }

  private apply(event: WatchEvent): void {
    if (event.type === 'ERROR') {
      const status = isRecord(event.object) ? event.object : {};
      const message = typeof status.message === 'string' ? status.message : 'watch error';
      if (status.code === 410 || status.reason === 'Expired' || status.reason === 'Gone') {
        throw new ResourceExpired(message);
      }
      throw new KubeApiError(
        'http',
        `watch ${this.path}: ${message}`,
        typeof status.code === 'number' ? status.code : undefined,
      );
    }
    const meta = readMeta(event.object);
    const rv = readResourceVersion(event.object);
    switch (event.type) {
      case 'ADDED':
      case 'MODIFIED':
        if (meta !== undefined) fileObject(this.byNamespace, meta);
        break;
      case 'DELETED':
        if (meta !== undefined) {
          const objects = this.byNamespace.get(meta.namespace);
          objects?.delete(meta.name);
          if (objects?.size === 0) this.byNamespace.delete(meta.namespace);
        }
        break;
      case 'BOOKMARK':
        break;
      default:
        this.options.logger.warn({ resource: this.what, type: event.type }, 'unknown watch event type');
        return;
    }
    if (rv !== undefined) this.resourceVersion = rv;
  }
}

function fileObject(byNamespace: Map<string, Map<string, StoredObject>>, meta: ObjectMeta): void {
  let objects = byNamespace.get(meta.namespace);
  if (objects === undefined) {
    objects = new Map();
    byNamespace.set(meta.namespace, objects);
  }
  objects.set(
    meta.name,
    meta.phase === undefined ? { labels: meta.labels } : { labels: meta.labels, phase: meta.phase },
  );
}

/** Code-unit order, as Go sorts strings (and as the results are documented to be sorted). */
function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Creates the cluster ObjectLister. The first request for a resource starts its informer (LIST all namespaces,
 * then WATCH with bookmarks); requests wait for that first LIST (bounded by their signal and `syncTimeoutMs`),
 * then answer from memory. A watch that ends is resumed from the last resourceVersion; an expired one (410) is
 * re-listed; failures retry with backoff. Only name, namespace, labels and `status.phase` are kept per object.
 * `listNames` and `listObjects` reject with StatusError 503 `unable to list <resource> from the Kubernetes API` when the cache is
 * not (yet) available, or with the request signal's reason when that aborts first. Concurrency-safe.
 */
export function createObjectLister(
  client: KubeClient,
  options: ObjectListerOptions = {},
): WatchingObjectLister {
  const settings = {
    syncTimeoutMs: options.syncTimeoutMs ?? DEFAULT_SYNC_TIMEOUT_MS,
    pageSize: options.pageSize ?? DEFAULT_PAGE_SIZE,
    backoff: options.backoff ?? DEFAULT_BACKOFF,
    logger: options.logger ?? SILENT_LOGGER,
  };
  const stopper = new AbortController();
  const informers = new Map<string, Informer>();

  const synced = async (resource: ResourceInfo, signal: AbortSignal): Promise<Informer> => {
    const key = `${resource.group}/${resource.version}/${resource.resource}`;
    let informer = informers.get(key);
    if (informer === undefined) {
      if (stopper.signal.aborted) {
        throw serviceUnavailable(`unable to list ${groupResourceString(resource)} from the Kubernetes API`);
      }
      informer = new Informer(client, resource, settings, stopper.signal);
      informers.set(key, informer);
    }
    await informer.waitForSync(signal);
    return informer;
  };

  return {
    async listNames(resource, namespace, selector, signal) {
      return (await synced(resource, signal)).names(namespace, selector);
    },
    async listObjects(resource, namespace, selector, signal) {
      return (await synced(resource, signal)).objects(namespace, selector);
    },
    stop() {
      stopper.abort();
    },
  };
}
