/**
 * The cluster resource mapping (SPEC 8): learnt from the API server's discovery documents, refreshed periodically
 * and on a miss, so resources and CRDs created later resolve without a restart.
 */
import type { ResourceInfo } from '../api/resources.js';
import { KubeApiError, type KubeClient, type ResourceMapper } from './contract.js';
import { SILENT_LOGGER, type KubeLogger } from './kube-logger.js';
import { createStaticResourceMapper } from './standalone.js';
import { isRecord } from './json.js';

export interface DiscoveryMapperOptions {
  /** How often the whole mapping is re-read (at least every second). */
  refreshIntervalMs: number;
  /** A lookup miss starts a refresh at most this often. Default 10 s. */
  missRefreshMinIntervalMs?: number;
  /** How many `/apis/<group>/<version>` documents are read at once. Default 8. */
  concurrency?: number;
  logger?: KubeLogger;
}

/** A ResourceMapper over discovery, with its refresh cycle. */
export interface DiscoveryResourceMapper extends ResourceMapper {
  /**
   * Re-reads discovery and swaps the mapping in. Concurrent calls share one refresh. A group whose document fails
   * keeps its previous resources; a group no longer listed is dropped.
   * @throws KubeApiError when `/api/v1` or `/apis` cannot be read (that part of the mapping stays as it was).
   */
  refresh(): Promise<void>;
  /** Refreshes now and then every `refreshIntervalMs`; failures are logged. Idempotent. */
  start(): void;
  /** Stops the timer and aborts a refresh in flight. Lookups keep answering from the last mapping. */
  stop(): void;
}

export const DEFAULT_MISS_REFRESH_MIN_INTERVAL_MS = 10_000;
const DEFAULT_CONCURRENCY = 8;

/**
 * NB: the metrics groups are served by aggregated metrics adapters (this one among them, which would be asking
 * itself through the aggregator); their entries name metrics, not objects, and an unavailable adapter would only
 * produce failures here.
 */
const SKIPPED_GROUPS: ReadonlySet<string> = new Set([
  'custom.metrics.k8s.io',
  'external.metrics.k8s.io',
  'metrics.k8s.io',
]);

interface GroupEntry {
  group: string;
  /** `apps/v1` */
  groupVersion: string;
  version: string;
}

function badDocument(path: string, problem: string): KubeApiError {
  return new KubeApiError('bad_response', `GET ${path}: ${problem}`);
}

/**
 * Reads an APIResourceList: top-level resources only (subresources have a `/` in their name), with their scope,
 * kind and singular name (lower-cased kind when the server sends an empty `singularName`, as before 1.21).
 * Entries without a name or kind are skipped.
 */
export function parseResourceList(
  body: unknown,
  group: string,
  version: string,
  path: string,
): ResourceInfo[] {
  if (!isRecord(body) || !Array.isArray(body.resources)) {
    throw badDocument(path, 'the response is not an APIResourceList');
  }
  const out: ResourceInfo[] = [];
  for (const entry of body.resources as unknown[]) {
    if (!isRecord(entry)) continue;
    const { name, kind, namespaced, singularName } = entry;
    if (typeof name !== 'string' || name === '' || name.includes('/')) continue;
    if (typeof kind !== 'string' || kind === '') continue;
    out.push({
      group,
      version,
      resource: name,
      singular: typeof singularName === 'string' && singularName !== '' ? singularName : kind.toLowerCase(),
      kind,
      namespaced: namespaced === true,
    });
  }
  return out;
}

/** Reads an APIGroupList: each group's preferred version (the first listed version when none is preferred). */
export function parseGroupList(body: unknown, path = '/apis'): GroupEntry[] {
  if (!isRecord(body) || !Array.isArray(body.groups)) {
    throw badDocument(path, 'the response is not an APIGroupList');
  }
  const out: GroupEntry[] = [];
  for (const entry of body.groups as unknown[]) {
    if (!isRecord(entry) || typeof entry.name !== 'string' || entry.name === '') continue;
    const versions = Array.isArray(entry.versions) ? (entry.versions as unknown[]) : [];
    const preferred = isRecord(entry.preferredVersion) ? entry.preferredVersion : versions.find(isRecord);
    if (preferred === undefined) continue;
    const { groupVersion, version } = preferred;
    if (typeof groupVersion !== 'string' || typeof version !== 'string' || version === '') continue;
    out.push({ group: entry.name, groupVersion, version });
  }
  return out;
}

async function mapConcurrently<T>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/**
 * Creates the discovery-backed mapper. It starts empty: call `refresh()` (or `start()`) before serving. `lookup()`
 * answers from memory and never throws; a miss starts a background refresh (at most once per
 * `missRefreshMinIntervalMs`), whose result serves later lookups. Scope is the server's: a cluster-scoped
 * resource is never reported as namespaced (SPEC 11).
 */
export function createDiscoveryResourceMapper(
  client: KubeClient,
  options: DiscoveryMapperOptions,
): DiscoveryResourceMapper {
  const logger = options.logger ?? SILENT_LOGGER;
  const missInterval = options.missRefreshMinIntervalMs ?? DEFAULT_MISS_REFRESH_MIN_INTERVAL_MS;
  const concurrency = Math.max(1, options.concurrency ?? DEFAULT_CONCURRENCY);

  let core: readonly ResourceInfo[] = [];
  let groups = new Map<string, readonly ResourceInfo[]>();
  let mapper = createStaticResourceMapper([]);
  let inFlight: Promise<void> | undefined;
  let lastMissRefresh = Number.NEGATIVE_INFINITY;
  let timer: NodeJS.Timeout | undefined;
  let stopper = new AbortController();

  const rebuild = () => {
    mapper = createStaticResourceMapper([...core, ...[...groups.values()].flat()]);
  };

  async function readGroups(signal: AbortSignal): Promise<void> {
    const entries = parseGroupList(await client.getJson('/apis', { signal })).filter(
      (entry) => !SKIPPED_GROUPS.has(entry.group),
    );
    const next = new Map<string, readonly ResourceInfo[]>();
    await mapConcurrently(entries, concurrency, async ({ group, groupVersion, version }) => {
      const path = `/apis/${groupVersion}`;
      try {
        next.set(group, parseResourceList(await client.getJson(path, { signal }), group, version, path));
      } catch (error) {
        const previous = groups.get(group);
        if (previous !== undefined) next.set(group, previous);
        logger.warn(
          { err: error, group: groupVersion, kept: previous?.length ?? 0 },
          'reading a discovery document failed; the group keeps its previous resources',
        );
      }
    });
    groups = next;
  }

  async function refreshOnce(): Promise<void> {
    const signal = stopper.signal;
    const [coreResult, groupsResult] = await Promise.allSettled([
      client.getJson('/api/v1', { signal }).then((body) => parseResourceList(body, '', 'v1', '/api/v1')),
      readGroups(signal),
    ]);
    if (coreResult.status === 'fulfilled') core = coreResult.value;
    rebuild();
    const failure = [coreResult, groupsResult].find((r) => r.status === 'rejected');
    if (failure !== undefined) throw failure.reason;
    logger.debug({ resources: mapper.all().length }, 'resource mapping refreshed');
  }

  const refresh = (): Promise<void> => {
    inFlight ??= refreshOnce().finally(() => {
      inFlight = undefined;
    });
    return inFlight;
  };

  const refreshLogged = (why: string) => {
    refresh().catch((error: unknown) => {
      if (stopper.signal.aborted) return;
      logger.warn({ err: error, why }, 'refreshing the resource mapping failed; the last good mapping stays');
    });
  };

  return {
    all: () => mapper.all(),
    lookup(resource, group) {
      const found = mapper.lookup(resource, group);
      if (found === undefined && !stopper.signal.aborted) {
        const now = Date.now();
        if (now - lastMissRefresh >= missInterval) {
          lastMissRefresh = now;
          logger.debug({ resource, group }, 'resource not in the mapping; refreshing discovery');
          refreshLogged('miss');
        }
      }
      return found;
    },
    refresh,
    start() {
      if (timer !== undefined) return;
      if (stopper.signal.aborted) stopper = new AbortController();
      refreshLogged('start');
      // NB: unref: the mapping never keeps the process alive by itself; the server does.
      timer = setInterval(() => refreshLogged('interval'), Math.max(1000, options.refreshIntervalMs)).unref();
    },
    stop() {
      clearInterval(timer);
      timer = undefined;
      stopper.abort();
    },
  };
}
