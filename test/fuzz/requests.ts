/**
 * Fuzzed requests over every route of the adapter: a route shape whose segments are fuzzed, query parameters and
 * a method; rendered to a URL, and decoded back to what the server must see when the encoding leaves no doubt.
 */
import fc from 'fast-check';
import {
  decodedParams,
  encodeSegment,
  encoding,
  method,
  queryParams,
  renderQuery,
  segment,
  segmentValue,
  selectorText,
  validSelectorText,
  type Encoding,
  type QueryParam,
  type Segment,
} from './arbitraries.js';

export const NAMESPACES = ['default', 'staging', 'kube-system'];
export const RESOURCES = [
  'pods',
  'pod',
  'Pod',
  'PODS',
  'namespaces',
  'namespace',
  'nodes',
  'deployments.apps',
  'services',
  'pods.',
  '.pods',
];
export const NAMES = ['worker-1', 'worker-2', 'batch-1', '*'];

export type CustomVersion = 'v1beta1' | 'v1beta2';

export type Route =
  | {
      kind: 'custom';
      version: CustomVersion;
      namespace?: Segment;
      resource: Segment;
      name: Segment;
      metric: Segment;
    }
  | { kind: 'custom-namespace-metric'; version: CustomVersion; namespace: Segment; metric: Segment }
  | { kind: 'external'; namespace: Segment; metric: Segment }
  | {
      kind: 'resource';
      shape: 'pods' | 'nodes' | 'ns-pods' | 'pod' | 'node';
      namespace: Segment;
      name: Segment;
    }
  | { kind: 'fixed'; path: string }
  | { kind: 'random'; prefix: string; segments: Segment[] };

export interface FuzzRequest {
  method: string;
  route: Route;
  params: QueryParam[];
  /** Appended to the path: a trailing slash or an empty segment changes the route. */
  trailing: '' | '/' | '//' | '/.' | '/..';
  body?: string;
}

const CUSTOM = '/apis/custom.metrics.k8s.io';
const EXTERNAL = '/apis/external.metrics.k8s.io/v1beta1';
const RESOURCE = '/apis/metrics.k8s.io/v1beta1';

const FIXED_PATHS = [
  '/apis',
  '/apis/',
  '/apis/custom.metrics.k8s.io',
  '/apis/custom.metrics.k8s.io/v1beta1',
  '/apis/custom.metrics.k8s.io/v1beta2',
  '/apis/custom.metrics.k8s.io/v1',
  '/apis/external.metrics.k8s.io',
  '/apis/external.metrics.k8s.io/v1beta1',
  '/apis/metrics.k8s.io',
  '/apis/metrics.k8s.io/v1beta1',
  '/healthz',
  '/readyz',
  '/livez',
  '/readyz/ping',
  '/openapi/v2',
  '/openapi/v3',
  '/metrics',
  '/',
  '/*',
  '//apis',
  '/APIS',
];

const RANDOM_PREFIXES = [
  '',
  CUSTOM,
  `${CUSTOM}/v1beta2`,
  `${CUSTOM}/v1beta2/namespaces`,
  `${CUSTOM}/v1beta1/namespaces/default`,
  EXTERNAL,
  `${EXTERNAL}/namespaces`,
  RESOURCE,
  `${RESOURCE}/namespaces`,
  '/apis',
];

export function routeArbitrary(metrics: readonly string[]): fc.Arbitrary<Route> {
  const version = fc.constantFrom<CustomVersion>('v1beta1', 'v1beta2');
  const ns = segment(NAMESPACES);
  const metric = segment(metrics);
  return fc.oneof(
    {
      weight: 8,
      arbitrary: fc.record(
        {
          kind: fc.constant('custom' as const),
          version,
          namespace: ns,
          resource: segment(RESOURCES),
          name: segment(NAMES),
          metric,
        },
        { requiredKeys: ['kind', 'version', 'resource', 'name', 'metric'] },
      ),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        kind: fc.constant('custom-namespace-metric' as const),
        version,
        namespace: ns,
        metric,
      }),
    },
    {
      weight: 4,
      arbitrary: fc.record({ kind: fc.constant('external' as const), namespace: ns, metric }),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        kind: fc.constant('resource' as const),
        shape: fc.constantFrom('pods', 'nodes', 'ns-pods', 'pod', 'node'),
        namespace: ns,
        name: segment(['worker-1', 'node-1', 'batch-1']),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({ kind: fc.constant('fixed' as const), path: fc.constantFrom(...FIXED_PATHS) }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant('random' as const),
        prefix: fc.constantFrom(...RANDOM_PREFIXES),
        segments: fc.array(segment([...NAMESPACES, ...RESOURCES, ...NAMES, ...metrics]), { maxLength: 7 }),
      }),
    },
  );
}

export function requestArbitrary(metrics: readonly string[]): fc.Arbitrary<FuzzRequest> {
  return fc.record(
    {
      method,
      route: routeArbitrary(metrics),
      params: queryParams(['metricLabelSelector', 'labelSelector']),
      trailing: fc.constantFrom<FuzzRequest['trailing']>(
        '',
        '',
        '',
        '',
        '',
        '',
        '',
        '',
        '/',
        '//',
        '/.',
        '/..',
      ),
      body: fc.string({ maxLength: 200 }),
    },
    { requiredKeys: ['method', 'route', 'params', 'trailing'] },
  );
}

const enc = (s: Segment) => encodeSegment(s.value, s.how, s.salt);

export function pathOf(route: Route): string {
  switch (route.kind) {
    case 'custom': {
      const ns = route.namespace === undefined ? '' : `/namespaces/${enc(route.namespace)}`;
      return `${CUSTOM}/${route.version}${ns}/${enc(route.resource)}/${enc(route.name)}/${enc(route.metric)}`;
    }
    case 'custom-namespace-metric':
      return `${CUSTOM}/${route.version}/namespaces/${enc(route.namespace)}/metrics/${enc(route.metric)}`;
    case 'external':
      return `${EXTERNAL}/namespaces/${enc(route.namespace)}/${enc(route.metric)}`;
    case 'resource':
      switch (route.shape) {
        case 'pods':
          return `${RESOURCE}/pods`;
        case 'nodes':
          return `${RESOURCE}/nodes`;
        case 'ns-pods':
          return `${RESOURCE}/namespaces/${enc(route.namespace)}/pods`;
        case 'pod':
          return `${RESOURCE}/namespaces/${enc(route.namespace)}/pods/${enc(route.name)}`;
        case 'node':
          return `${RESOURCE}/nodes/${enc(route.name)}`;
      }
      break;
    case 'fixed':
      return route.path;
    case 'random':
      return [route.prefix, ...route.segments.map(enc)].join('/') || '/';
  }
}

export function urlOf(request: FuzzRequest): string {
  return pathOf(request.route) + request.trailing + renderQuery(request.params);
}

/** Every segment of the route, decoded. */
export function segmentsOf(route: Route): Segment[] {
  switch (route.kind) {
    case 'custom':
      return [route.namespace, route.resource, route.name, route.metric].filter((s) => s !== undefined);
    case 'custom-namespace-metric':
    case 'external':
      return [route.namespace, route.metric];
    case 'resource':
      return [route.namespace, route.name];
    case 'fixed':
      return [];
    case 'random':
      return route.segments;
  }
}

/** What the server must see for a request whose encoding leaves no doubt. */
export interface Decoded {
  route: Route;
  namespace?: string;
  resource?: string;
  name?: string;
  metric?: string;
  params: Map<string, string>;
}

function plain(s: Segment): boolean {
  if (s.how !== 'canonical' || s.value === '' || s.value === '.' || s.value === '..') return false;
  try {
    encodeURIComponent(s.value);
    return true;
  } catch {
    return false;
  }
}

/** The decoded request when every segment and parameter was sent canonically; `undefined` otherwise. */
export function decode(request: FuzzRequest): Decoded | undefined {
  const { route } = request;
  if (request.trailing !== '' || route.kind === 'random' || route.kind === 'fixed') return undefined;
  if (!segmentsOf(route).every(plain)) return undefined;
  const params = decodedParams(request.params);
  if (params === undefined) return undefined;
  switch (route.kind) {
    case 'custom':
      return {
        route,
        ...(route.namespace === undefined ? {} : { namespace: route.namespace.value }),
        resource: route.resource.value,
        name: route.name.value,
        metric: route.metric.value,
        params,
      };
    case 'custom-namespace-metric':
      return {
        route,
        resource: 'namespaces',
        name: route.namespace.value,
        metric: route.metric.value,
        params,
      };
    case 'external':
      return { route, namespace: route.namespace.value, metric: route.metric.value, params };
    case 'resource':
      return { route, namespace: route.namespace.value, name: route.name.value, params };
  }
}

const servedSegment = (known: readonly string[]): fc.Arbitrary<Segment> =>
  fc.record({
    value: segmentValue(known),
    how: fc.oneof(
      { weight: 9, arbitrary: fc.constant<Encoding>('canonical') },
      { weight: 1, arbitrary: encoding },
    ),
    salt: fc.nat(1000),
  });

const fixed = (value: string): Segment => ({ value, how: 'canonical', salt: 0 });

/**
 * GET requests for metrics that exist, over resources that have them, with fuzzed namespaces, names and selectors:
 * most reach the query builder and the backend. No external requests when `externalMetrics` is empty.
 */
export function servedRequestArbitrary(
  customMetrics: readonly string[],
  externalMetrics: readonly string[],
  known: { namespaces: readonly string[]; pods: readonly string[] } = {
    namespaces: ['default'],
    pods: ['worker-1'],
  },
): fc.Arbitrary<FuzzRequest> {
  const version = fc.constantFrom<CustomVersion>('v1beta1', 'v1beta2');
  const selector = fc.option(
    fc.oneof({ weight: 3, arbitrary: validSelectorText }, { weight: 1, arbitrary: selectorText }),
    { nil: undefined, freq: 3 },
  );
  const params = (name: string, text: string | undefined): QueryParam[] =>
    text === undefined ? [] : [{ name, value: text, how: 'canonical' }];
  const get = (route: Route, ps: QueryParam[]): FuzzRequest => ({
    method: 'GET',
    route,
    params: ps,
    trailing: '',
  });
  const external = () =>
    fc
      .tuple(servedSegment(known.namespaces), fc.constantFrom(...externalMetrics), selector)
      .map(([ns, metric, s]) =>
        get({ kind: 'external', namespace: ns, metric: fixed(metric) }, params('labelSelector', s)),
      );
  return fc.oneof(
    {
      weight: 4,
      arbitrary: fc
        .tuple(
          version,
          servedSegment(known.namespaces),
          fc.constantFrom('pods', 'pod', 'Pod'),
          servedSegment([...known.pods, '*']),
          fc.constantFrom(...customMetrics),
          selector,
        )
        .map(([v, ns, resource, name, metric, s]) =>
          get(
            {
              kind: 'custom',
              version: v,
              namespace: ns,
              resource: fixed(resource),
              name,
              metric: fixed(metric),
            },
            params('metricLabelSelector', s),
          ),
        ),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(
          version,
          servedSegment([...known.namespaces, '*']),
          fc.constantFrom(...customMetrics),
          selector,
        )
        .map(([v, name, metric, s]) =>
          get(
            { kind: 'custom', version: v, resource: fixed('namespaces'), name, metric: fixed(metric) },
            params('metricLabelSelector', s),
          ),
        ),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(version, servedSegment(known.namespaces), fc.constantFrom(...customMetrics), selector)
        .map(([v, ns, metric, s]) =>
          get(
            { kind: 'custom-namespace-metric', version: v, namespace: ns, metric: fixed(metric) },
            params('metricLabelSelector', s),
          ),
        ),
    },
    ...(externalMetrics.length === 0 ? [] : [{ weight: 3, arbitrary: external() }]),
  );
}
