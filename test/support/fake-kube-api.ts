/**
 * A test-only fake kube-apiserver over real TLS. It replays recorded real responses (test/fixtures/kube/, see its
 * README): discovery, /version, and pods built from recorded pod objects (only name, namespace, labels, uid and
 * resourceVersion are changed). Pods live in a mutable store whose changes reach open watches, with
 * resourceVersions, history replay, 410 Expired after compaction and BOOKMARKs, as the real server does. Every
 * request needs the bearer token of the kubeconfig it writes. `route()` adds endpoints (or overrides built-in ones).
 *
 * Honest limits: only pods are stored; a continued (paged) LIST reads the current store, not a snapshot;
 * `fieldSelector` is refused with 400; `/apis` lists only the groups whose discovery documents were recorded.
 */
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { matchesLabels, parseLabelSelector, type Requirement } from '../../src/api/label-selector.js';
import { loadServingCert } from '../../src/server/serving-cert.js';

/** A request as a route handler sees it. */
export interface FakeRequest {
  method: string;
  /** The path without the query string. */
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  /** The raw body, and the body parsed as JSON (undefined when it is not JSON). */
  body: string;
  json: unknown;
}

/** Answers one request by writing `response` (see `sendJson`, `sendStatus`); may never answer, to simulate a hang. */
export type FakeHandler = (request: FakeRequest, response: ServerResponse) => void | Promise<void>;

/** What `requests()` returns for each request received (in arrival order). */
export interface RecordedRequest {
  method: string;
  /** The path without the query string. */
  path: string;
  query: Record<string, string>;
  headers: IncomingHttpHeaders;
}

export interface FakePod {
  namespace: string;
  name: string;
  labels?: Record<string, string>;
}

/** An APIResourceList to serve for a group added later (a CRD group). */
export interface FakeResourceList {
  groupVersion: string;
  resources: unknown[];
}

export interface FakeKubeApi {
  /** `https://127.0.0.1:<port>` */
  url: string;
  caCertPem: string;
  /** A kubeconfig (JSON) whose current context points at the fake with a token user. */
  kubeconfigPath: string;
  /** The bearer token every request must carry. */
  token: string;
  /** Writes another kubeconfig for the fake with the given token (e.g. a wrong one) and returns its path. */
  writeKubeconfig(token: string): Promise<string>;
  /** Adds a pod (MODIFIED when it exists) from the recorded template and pushes the event to open watches. */
  addPod(pod: FakePod): Record<string, unknown>;
  /** Deletes a pod and pushes DELETED to open watches; false when there is no such pod. */
  deletePod(namespace: string, name: string): boolean;
  /** Serves a new API group (listed in `/apis`, its document at `/apis/<groupVersion>`), like an installed CRD. */
  addApiGroup(resourceList: FakeResourceList): void;
  /** Adds an endpoint; the latest route matching method and path wins, before the built-in ones. */
  route(method: string, path: string | RegExp, handler: FakeHandler): void;
  /** Every request received so far. */
  requests(): RecordedRequest[];
  /** Sends a BOOKMARK with the current resourceVersion to the watches that allowed bookmarks. */
  bookmark(): void;
  /** The current (cluster-wide) resourceVersion. */
  resourceVersion(): string;
  /** Moves the resourceVersion on, as writes to other resources do, without pod events. */
  advanceResourceVersion(by: number): void;
  /** Ends every open watch stream cleanly (as the server does when `timeoutSeconds` passes). */
  endWatches(): void;
  /** Forgets the event history: a watch from an older resourceVersion then gets 410 Expired. */
  compact(): void;
  /** How many watches are open. */
  openWatches(): number;
  stop(): Promise<void>;
}

const FIXTURES = fileURLToPath(new URL('../fixtures/kube/', import.meta.url));
const HISTORY_LIMIT = 1000;

function fixture(path: string): string {
  return readFileSync(join(FIXTURES, path), 'utf8');
}

type Json = Record<string, unknown>;

/** Writes a JSON body the way the apiserver does (compact, trailing newline, its usual headers). */
export function sendJson(response: ServerResponse, status: number, body: unknown): void {
  sendRaw(response, status, `${JSON.stringify(body)}\n`);
}

function sendRaw(response: ServerResponse, status: number, text: string): void {
  response.writeHead(status, {
    'audit-id': randomUUID(),
    'cache-control': 'no-cache, private',
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
  });
  response.end(text);
}

/** A `metav1.Status` failure body, field for field as the apiserver writes it. */
export function statusBody(code: number, reason: string, message: string, details?: Json): Json {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason,
    ...(details === undefined ? {} : { details }),
    code,
  };
}

export function sendStatus(
  response: ServerResponse,
  code: number,
  reason: string,
  message: string,
  details?: Json,
): void {
  sendJson(response, code, statusBody(code, reason, message, details));
}

/** The recorded discovery documents of `/apis/<group>/<version>`, by groupVersion. */
function recordedGroupDocuments(): Map<string, string> {
  const documents = new Map<string, string>();
  for (const file of readdirSync(join(FIXTURES, 'discovery'))) {
    const match = /^apis__(.+)__(v[^_]+)\.json$/.exec(file);
    if (match) documents.set(`${match[1]}/${match[2]}`, fixture(`discovery/${file}`));
  }
  return documents;
}

interface Watcher {
  response: ServerResponse;
  namespace: string | undefined;
  selector: Requirement[];
  bookmarks: boolean;
  timer: NodeJS.Timeout | undefined;
}

interface HistoryEntry {
  rv: number;
  type: string;
  object: Json;
}

function podKey(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

function metadataOf(object: Json): Json {
  return object.metadata as Json;
}

function labelsOf(object: Json): Record<string, string> {
  return (metadataOf(object).labels as Record<string, string> | undefined) ?? {};
}

function sortedLabels(labels: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/**
 * Starts the fake on 127.0.0.1 (a random port) with a fresh self-signed certificate. With `seedPods` (default true)
 * the store starts with the 8 recorded kube-system pods of a kind v1.35 cluster, at their list's resourceVersion.
 */
export async function startFakeKubeApi(
  options: { token?: string; seedPods?: boolean } = {},
): Promise<FakeKubeApi> {
  const token = options.token ?? `fake-token-${randomUUID()}`;
  const dir = await mkdtemp(join(tmpdir(), 'fake-kube-api-'));
  const cert = await loadServingCert({ certDir: '' });

  const podList = JSON.parse(
    fixture('k8s-openapi-kind/v1-35/GET_api_v1_namespaces_kube-system_pods.PodList.json'),
  ) as {
    metadata: { resourceVersion: string };
    items: Json[];
  };
  const podTemplate = podList.items[0];
  if (podTemplate === undefined) throw new Error('the recorded PodList has no pods');
  const bookmarkLines = fixture(
    'k8s-openapi-kind/v1-35/GET_api_v1_namespaces_kube-system_pods_watch_sendInitialEvents.WatchEvents.jsonl',
  )
    .split('\n')
    .filter((line) => line.includes('"BOOKMARK"'));
  const bookmarkTemplate = (JSON.parse(bookmarkLines[0] ?? '{}') as { object?: Json }).object;
  if (bookmarkTemplate === undefined) throw new Error('the recorded watch has no BOOKMARK');
  // NB: a periodic bookmark lacks the `k8s.io/initial-events-end` annotation of the recorded initial-events one.
  delete metadataOf(bookmarkTemplate).annotations;

  const groupDocuments = recordedGroupDocuments();
  const addedGroups: Json[] = [];
  const recordedGroupList = JSON.parse(
    fixture('k8s-openapi-kind/v1-35/GET_apis.APIGroupList.json'),
  ) as Json & {
    groups: Json[];
  };

  const pods = new Map<string, Json>();
  let resourceVersion = Number(podList.metadata.resourceVersion);
  let compactedRv = resourceVersion;
  const history: HistoryEntry[] = [];
  const watchers = new Set<Watcher>();
  const routes: Array<{ method: string; path: string | RegExp; handler: FakeHandler }> = [];
  const recorded: RecordedRequest[] = [];

  if (options.seedPods !== false) {
    for (const item of podList.items) {
      const meta = metadataOf(item);
      pods.set(podKey(String(meta.namespace), String(meta.name)), structuredClone(item));
    }
  }

  const watchObject = (item: Json): Json => ({ kind: 'Pod', apiVersion: 'v1', ...item });

  const writeEvent = (watcher: Watcher, type: string, object: Json) => {
    watcher.response.write(`${JSON.stringify({ type, object })}\n`);
  };

  const selects = (watcher: Watcher, object: Json) => {
    const meta = metadataOf(object);
    return (
      (watcher.namespace === undefined || meta.namespace === watcher.namespace) &&
      matchesLabels(watcher.selector, labelsOf(object))
    );
  };

  const publish = (type: string, item: Json) => {
    const object = watchObject(item);
    history.push({ rv: resourceVersion, type, object });
    if (history.length > HISTORY_LIMIT) compactedRv = history.shift()?.rv ?? compactedRv;
    for (const watcher of watchers) if (selects(watcher, object)) writeEvent(watcher, type, object);
  };

  const endWatcher = (watcher: Watcher) => {
    clearTimeout(watcher.timer);
    watchers.delete(watcher);
    watcher.response.end();
  };

  const sortedPods = (namespace: string | undefined, selector: Requirement[]): Json[] =>
    [...pods.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, pod]) => pod)
      .filter(
        (pod) =>
          (namespace === undefined || metadataOf(pod).namespace === namespace) &&
          matchesLabels(selector, labelsOf(pod)),
      );

  const servePods = (request: FakeRequest, response: ServerResponse, namespace: string | undefined) => {
    if (request.query.has('fieldSelector')) {
      sendStatus(response, 400, 'BadRequest', 'fieldSelector is not supported by the fake kube API');
      return;
    }
    let selector: Requirement[];
    try {
      selector = parseLabelSelector(request.query.get('labelSelector') ?? '');
    } catch (error) {
      sendStatus(response, 400, 'BadRequest', `unable to parse requirement: ${(error as Error).message}`);
      return;
    }
    const watch = request.query.get('watch');
    if (watch === 'true' || watch === '1') {
      serveWatch(request, response, namespace, selector);
      return;
    }
    const all = sortedPods(namespace, selector);
    const limit = Number(request.query.get('limit') ?? '0');
    let start = 0;
    let listRv = resourceVersion;
    const continueToken = request.query.get('continue');
    if (continueToken) {
      const decoded = JSON.parse(Buffer.from(continueToken, 'base64').toString('utf8')) as {
        rv: number;
        start: string;
      };
      listRv = decoded.rv;
      start = all.findIndex(
        (pod) => podKey(String(metadataOf(pod).namespace), String(metadataOf(pod).name)) >= decoded.start,
      );
      if (start < 0) start = all.length;
    }
    const page = limit > 0 ? all.slice(start, start + limit) : all.slice(start);
    const rest = all.length - start - page.length;
    const metadata: Json = { resourceVersion: String(listRv) };
    const next = all[start + page.length];
    if (rest > 0 && next !== undefined) {
      const key = podKey(String(metadataOf(next).namespace), String(metadataOf(next).name));
      metadata.continue = Buffer.from(
        JSON.stringify({ v: 'meta.k8s.io/v1', rv: listRv, start: key }),
      ).toString('base64');
      metadata.remainingItemCount = rest;
    }
    sendJson(response, 200, { kind: 'PodList', apiVersion: 'v1', metadata, items: page });
  };

  const serveWatch = (
    request: FakeRequest,
    response: ServerResponse,
    namespace: string | undefined,
    selector: Requirement[],
  ) => {
    response.writeHead(200, {
      'audit-id': randomUUID(),
      'cache-control': 'no-cache, private',
      'content-type': 'application/json',
    });
    // NB: the apiserver flushes the headers at once; node would hold them until the first event.
    response.flushHeaders();
    const watcher: Watcher = {
      response,
      namespace,
      selector,
      bookmarks: request.query.get('allowWatchBookmarks') === 'true',
      timer: undefined,
    };
    const from = request.query.get('resourceVersion') ?? '';
    if (from === '' || from === '0') {
      for (const pod of sortedPods(namespace, selector)) writeEvent(watcher, 'ADDED', watchObject(pod));
    } else if (Number(from) < compactedRv) {
      writeEvent(
        watcher,
        'ERROR',
        statusBody(410, 'Expired', `too old resource version: ${from} (${compactedRv})`),
      );
      response.end();
      return;
    } else {
      for (const entry of history) {
        if (entry.rv > Number(from) && selects(watcher, entry.object))
          writeEvent(watcher, entry.type, entry.object);
      }
    }
    const timeoutSeconds = Number(request.query.get('timeoutSeconds') ?? '0');
    if (timeoutSeconds > 0) watcher.timer = setTimeout(() => endWatcher(watcher), timeoutSeconds * 1000);
    watchers.add(watcher);
    response.on('close', () => {
      clearTimeout(watcher.timer);
      watchers.delete(watcher);
    });
  };

  const servePod = (response: ServerResponse, namespace: string, name: string) => {
    const pod = pods.get(podKey(namespace, name));
    if (pod === undefined) {
      sendStatus(response, 404, 'NotFound', `pods "${name}" not found`, { name, kind: 'pods' });
    } else sendJson(response, 200, watchObject(pod));
  };

  const builtIn = (request: FakeRequest, response: ServerResponse): boolean => {
    if (request.method !== 'GET') return false;
    const path = request.path.replace(/\/+$/, '');
    if (path === '/version')
      sendRaw(response, 200, fixture('version/GET_version.v1.32.3.kubernetes-the-hard-way.json'));
    else if (path === '/api') sendRaw(response, 200, fixture('discovery/api.json'));
    else if (path === '/api/v1') sendRaw(response, 200, fixture('discovery/api__v1.json'));
    else if (path === '/apis') {
      const groups = recordedGroupList.groups.filter((group) =>
        groupDocuments.has(String((group.preferredVersion as Json).groupVersion)),
      );
      sendJson(response, 200, { ...recordedGroupList, groups: [...groups, ...addedGroups] });
    } else if (path.startsWith('/apis/') && groupDocuments.has(path.slice('/apis/'.length))) {
      sendRaw(response, 200, groupDocuments.get(path.slice('/apis/'.length)) ?? '');
    } else if (path === '/api/v1/pods') servePods(request, response, undefined);
    else {
      const match = /^\/api\/v1\/namespaces\/([^/]+)\/pods(?:\/([^/]+))?$/.exec(path);
      if (match === null) return false;
      const [, namespace = '', name] = match;
      if (name === undefined) servePods(request, response, namespace);
      else servePod(response, namespace, name);
    }
    return true;
  };

  const handle = async (message: IncomingMessage, response: ServerResponse) => {
    const url = new URL(message.url ?? '/', 'https://fake');
    const chunks: Buffer[] = [];
    for await (const chunk of message as AsyncIterable<Buffer>) chunks.push(chunk);
    const body = Buffer.concat(chunks).toString('utf8');
    let json: unknown;
    try {
      json = body === '' ? undefined : (JSON.parse(body) as unknown);
    } catch {
      json = undefined;
    }
    const request: FakeRequest = {
      method: message.method ?? 'GET',
      path: url.pathname,
      query: url.searchParams,
      headers: message.headers,
      body,
      json,
    };
    recorded.push({
      method: request.method,
      path: request.path,
      query: Object.fromEntries(url.searchParams),
      headers: message.headers,
    });
    if (message.headers.authorization !== `Bearer ${token}`) {
      sendStatus(response, 401, 'Unauthorized', 'Unauthorized');
      return;
    }
    for (let i = routes.length - 1; i >= 0; i--) {
      const route = routes[i];
      if (route === undefined || route.method !== request.method) continue;
      const matches =
        typeof route.path === 'string' ? route.path === request.path : route.path.test(request.path);
      if (matches) {
        await route.handler(request, response);
        return;
      }
    }
    if (!builtIn(request, response)) {
      sendStatus(response, 404, 'NotFound', 'the server could not find the requested resource', {});
    }
  };

  const server = https.createServer({ cert: cert.cert, key: cert.key }, (message, response) => {
    handle(message, response).catch((error: unknown) => {
      if (!response.headersSent) {
        sendStatus(response, 500, 'InternalError', `fake kube API handler failed: ${String(error)}`);
      } else response.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;

  let kubeconfigCount = 0;
  const writeKubeconfig = async (userToken: string): Promise<string> => {
    const path = join(dir, `kubeconfig-${kubeconfigCount++}.json`);
    const config = {
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [
        {
          name: 'fake',
          cluster: { server: url, 'certificate-authority-data': Buffer.from(cert.cert).toString('base64') },
        },
      ],
      users: [{ name: 'fake-user', user: { token: userToken } }],
      contexts: [{ name: 'fake', context: { cluster: 'fake', user: 'fake-user' } }],
      'current-context': 'fake',
    };
    await writeFile(path, JSON.stringify(config, null, 2), { mode: 0o600 });
    return path;
  };
  const kubeconfigPath = await writeKubeconfig(token);

  return {
    url,
    caCertPem: cert.cert,
    kubeconfigPath,
    token,
    writeKubeconfig,
    addPod({ namespace, name, labels = {} }) {
      const key = podKey(namespace, name);
      const existed = pods.has(key);
      const pod = structuredClone(podTemplate);
      const meta = metadataOf(pod);
      resourceVersion++;
      meta.name = name;
      meta.namespace = namespace;
      meta.uid = existed ? metadataOf(pods.get(key) ?? pod).uid : randomUUID();
      meta.resourceVersion = String(resourceVersion);
      if (Object.keys(labels).length > 0) meta.labels = sortedLabels(labels);
      else delete meta.labels;
      pods.set(key, pod);
      publish(existed ? 'MODIFIED' : 'ADDED', pod);
      return watchObject(pod);
    },
    deletePod(namespace, name) {
      const key = podKey(namespace, name);
      const pod = pods.get(key);
      if (pod === undefined) return false;
      pods.delete(key);
      resourceVersion++;
      const deleted = structuredClone(pod);
      metadataOf(deleted).resourceVersion = String(resourceVersion);
      publish('DELETED', deleted);
      return true;
    },
    addApiGroup(resourceList) {
      const [group = '', version = ''] = resourceList.groupVersion.split('/');
      const gv = { groupVersion: resourceList.groupVersion, version };
      addedGroups.push({ name: group, versions: [gv], preferredVersion: gv });
      groupDocuments.set(
        resourceList.groupVersion,
        `${JSON.stringify({ kind: 'APIResourceList', apiVersion: 'v1', ...resourceList })}\n`,
      );
    },
    route(method, path, handler) {
      routes.push({ method: method.toUpperCase(), path, handler });
    },
    requests: () => [...recorded],
    bookmark() {
      const object = structuredClone(bookmarkTemplate);
      metadataOf(object).resourceVersion = String(resourceVersion);
      for (const watcher of watchers) if (watcher.bookmarks) writeEvent(watcher, 'BOOKMARK', object);
    },
    resourceVersion: () => String(resourceVersion),
    advanceResourceVersion(by) {
      resourceVersion += by;
    },
    endWatches() {
      for (const watcher of [...watchers]) endWatcher(watcher);
    },
    compact() {
      history.length = 0;
      compactedRv = resourceVersion;
    },
    openWatches: () => watchers.size,
    async stop() {
      for (const watcher of [...watchers]) endWatcher(watcher);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}
