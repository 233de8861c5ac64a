/**
 * Synthetic Prometheus series for the relist and discovery measurements: deterministic label sets shaped like a
 * cluster's (kubernetes-pods app metrics relabelled the usual way, cadvisor container metrics), a matcher for the
 * series selectors rules use, and `/api/v1/series` answer bodies.
 */

export type Labels = Readonly<Record<string, string>>;

const APP_METRICS = [
  'http_requests_total',
  'http_request_duration_seconds_sum',
  'qps',
  'queue_size',
  'process_resident_memory_bytes',
] as const;
const CONTAINER_METRICS = [
  'container_cpu_usage_seconds_total',
  'container_memory_working_set_bytes',
  'container_network_receive_bytes_total',
  'container_fs_usage_bytes',
  'container_cpu_cfs_throttled_seconds_total',
] as const;
const SERIES_PER_POD = APP_METRICS.length + CONTAINER_METRICS.length;
const NAMESPACES = 200;
const NODES = 100;

function podLabels(pod: number): { namespace: string; pod: string; ip: string; node: string } {
  const namespace = `team-${String(pod % NAMESPACES).padStart(3, '0')}`;
  const hash = ((pod * 2654435761) >>> 0).toString(36).padStart(7, '0').slice(-7);
  return {
    namespace,
    pod: `svc-${pod % 997}-${hash.slice(0, 5)}-${hash.slice(2, 7)}`,
    ip: `10.${(pod >> 16) & 255}.${(pod >> 8) & 255}.${pod & 255}`,
    node: `node-${String(pod % NODES).padStart(3, '0')}`,
  };
}

/**
 * `count` series, ten per pod: five app metrics (job kubernetes-pods, with both the relabelled
 * kubernetes_namespace/kubernetes_pod_name and namespace/pod) and five cadvisor container metrics (job
 * kubernetes-nodes-cadvisor, namespace, pod, container; every tenth pod's are its `POD` sandbox container).
 */
export function* clusterSeries(count: number): Generator<Labels> {
  for (let i = 0; i < count; i++) {
    const podIndex = Math.floor(i / SERIES_PER_POD);
    const k = i % SERIES_PER_POD;
    const p = podLabels(podIndex);
    const app = APP_METRICS[k];
    if (app !== undefined) {
      yield {
        __name__: app,
        instance: `${p.ip}:8080`,
        job: 'kubernetes-pods',
        kubernetes_namespace: p.namespace,
        kubernetes_pod_name: p.pod,
        namespace: p.namespace,
        pod: p.pod,
      };
    } else {
      yield {
        __name__: CONTAINER_METRICS[k - APP_METRICS.length] ?? 'container_unknown',
        container: podIndex % 10 === 9 ? 'POD' : 'app',
        instance: p.node,
        job: 'kubernetes-nodes-cadvisor',
        namespace: p.namespace,
        pod: p.pod,
      };
    }
  }
}

/** `names` distinct metric names, one kubernetes-pods series each: with the queue-worker rules, 4 metrics each. */
export function* manyNamesSeries(names: number): Generator<Labels> {
  for (let i = 0; i < names; i++) {
    const p = podLabels(i);
    yield {
      __name__: `app_metric_${String(i).padStart(6, '0')}`,
      instance: `${p.ip}:8080`,
      job: 'kubernetes-pods',
      kubernetes_namespace: p.namespace,
      kubernetes_pod_name: p.pod,
    };
  }
}

type Matcher = (labels: Labels) => boolean;
const MATCHER = /^\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"\s*(?:,|$)/;

/**
 * A predicate for a series selector (`name{l="v",l!="",l=~"re",l!~"re"}`), with Prometheus' semantics: a missing
 * label is the empty string and regexes are fully anchored. Throws on anything else, naming the selector.
 */
export function seriesSelector(selector: string): Matcher {
  const shape = /^\s*([a-zA-Z_:][a-zA-Z0-9_:]*)?\s*(?:\{(.*)\})?\s*$/s.exec(selector);
  if (shape === null) throw new Error(`cannot parse series selector ${JSON.stringify(selector)}`);
  const matchers: Matcher[] = [];
  const name = shape[1];
  if (name !== undefined) matchers.push((l) => l.__name__ === name);
  let rest = shape[2] ?? '';
  while (rest.trim() !== '') {
    const m = MATCHER.exec(rest);
    if (m === null)
      throw new Error(`cannot parse matchers ${JSON.stringify(rest)} of ${JSON.stringify(selector)}`);
    const [all, label = '', op, raw = ''] = m;
    const value = JSON.parse(`"${raw}"`) as string;
    const re = new RegExp(`^(?:${value})$`);
    const get = (l: Labels) => l[label] ?? '';
    matchers.push(
      op === '='
        ? (l) => get(l) === value
        : op === '!='
          ? (l) => get(l) !== value
          : op === '=~'
            ? (l) => re.test(get(l))
            : (l) => !re.test(get(l)),
    );
    rest = rest.slice(all.length);
  }
  return (labels) => matchers.every((m) => m(labels));
}

/** The `/api/v1/series` answer for `selector` over `series`, as Prometheus writes it, and how many series it holds. */
export function seriesAnswer(series: Iterable<Labels>, selector: string): { body: Buffer; count: number } {
  const matches = seriesSelector(selector);
  const chunks: Buffer[] = [Buffer.from('{"status":"success","data":[')];
  let batch: string[] = [];
  let count = 0;
  for (const labels of series) {
    if (!matches(labels)) continue;
    batch.push(JSON.stringify(labels));
    count++;
    if (batch.length === 10_000) {
      chunks.push(Buffer.from((chunks.length > 1 ? ',' : '') + batch.join(',')));
      batch = [];
    }
  }
  if (batch.length > 0) chunks.push(Buffer.from((chunks.length > 1 ? ',' : '') + batch.join(',')));
  chunks.push(Buffer.from(']}'));
  return { body: Buffer.concat(chunks), count };
}
