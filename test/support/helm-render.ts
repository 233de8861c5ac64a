/**
 * A test-only Helm renderer (no Helm binary can be installed here): renders a chart's `templates/*.yaml` with the
 * project's Go-template engine plus the handful of Helm/Sprig functions the chart uses, implemented with Helm's
 * semantics. `define` blocks are taken from `templates/_*.tpl` and called with `include`. As in Helm, `.Values`
 * is a Go map (YAML objects become `Map`s), `.Release`, `.Chart` are structs, and `<no value>` prints as "".
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments, parse as parseYaml, stringify } from 'yaml';
import { parseTemplate } from '../../src/rules/go-template/index.js';
import type { Template } from '../../src/rules/go-template/index.js';
import { quote as goQuote, sprint } from '../../src/rules/go-template/go-format.js';

/** A rendered Kubernetes object. */
export type K8sObject = Record<string, unknown> & {
  apiVersion: string;
  kind: string;
  metadata: { name: string };
};

export interface RenderOptions {
  /** User values, deep-merged over the chart's values.yaml (maps merge, everything else replaces). */
  values?: unknown;
  releaseName?: string;
  namespace?: string;
}

export interface RenderedChart {
  /** Rendered text per template file. */
  files: Map<string, string>;
  objects: K8sObject[];
}

/** Plain JSON-like value → Go data: objects become `Map`s recursively. */
export function toGo(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(toGo);
  if (v !== null && typeof v === 'object' && !(v instanceof Map)) {
    return new Map(Object.entries(v).map(([k, x]) => [k, toGo(x)]));
  }
  return v;
}

/** Go data → plain JSON-like value. */
export function fromGo(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(fromGo);
  if (v instanceof Map) return Object.fromEntries([...v].map(([k, x]) => [String(k), fromGo(x)]));
  return v;
}

/** Helm's coalesce of user values over chart defaults: maps merge; a user `null` deletes the key. */
export function mergeValues(base: unknown, over: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(over)) return over === undefined ? base : over;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    if (v === null) delete out[k];
    else out[k] = k in base ? mergeValues(base[k], v) : v;
  }
  return out;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Sprig's `empty`. */
function isEmpty(v: unknown): boolean {
  if (v === null || v === undefined || v === false || v === 0 || v === '') return true;
  if (Array.isArray(v)) return v.length === 0;
  if (v instanceof Map) return v.size === 0;
  return false;
}

function asList(v: unknown, fn: string): unknown[] {
  if (v === null) return [];
  if (!Array.isArray(v)) throw new Error(`${fn}: cannot handle a ${typeof v} as a list`);
  return v;
}

/** Sprig's strval. */
function strval(v: unknown): string {
  return typeof v === 'string' ? v : sprint([v]);
}

function indentLines(n: number, s: string): string {
  const pad = ' '.repeat(n);
  return pad + s.replaceAll('\n', '\n' + pad);
}

/** Extracts `{{ define "name" }}...{{ end }}` blocks, honouring nested if/range/with and trim markers. */
export function extractDefines(source: string): Map<string, string> {
  const out = new Map<string, string>();
  const action = /\{\{(-?)\s*(define|if|range|with|block|end)\b([^}]*?)\s*(-?)\}\}/g;
  let depth = 0;
  let current: { name: string; bodyStart: number; trimLeft: boolean } | null = null;
  for (const m of source.matchAll(action)) {
    const keyword = m[2];
    if (keyword === 'define' && depth === 0) {
      const name = /"([^"]+)"/.exec(m[3] ?? '')?.[1];
      if (name === undefined) throw new Error(`define without a name at offset ${m.index}`);
      current = { name, bodyStart: m.index + m[0].length, trimLeft: m[4] === '-' };
      depth = 1;
    } else if (keyword === 'end') {
      depth--;
      if (depth === 0 && current !== null) {
        let body = source.slice(current.bodyStart, m.index);
        if (current.trimLeft) body = body.trimStart();
        if (m[1] === '-') body = body.trimEnd();
        out.set(current.name, body);
        current = null;
      }
    } else if (depth > 0) {
      depth++;
    }
  }
  if (depth !== 0) throw new Error('unterminated define');
  return out;
}

/** Sprig's `kindIs` kinds of a Go value decoded from YAML. */
function goKind(v: unknown): string {
  if (v === null || v === undefined) return 'invalid';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int64' : 'float64';
  if (Array.isArray(v)) return 'slice';
  if (v instanceof Map) return 'map';
  return typeof v;
}

/**
 * The Helm functions the chart may use, bound to the chart's named templates; `parse` compiles a string with
 * these same functions (for `tpl`).
 */
function helmFunctions(
  named: Map<string, Template>,
  parse: (source: string, name: string) => Template,
): Record<string, (...args: unknown[]) => unknown> {
  return {
    tpl: (source, data) => parse(strval(source), 'tpl').execute(data).replaceAll('<no value>', ''),
    fail: (msg) => {
      throw new Error(`execution error: fail: ${strval(msg)}`);
    },
    kindIs: (kind, v) => goKind(v) === strval(kind),
    include: (name, data) => {
      const t = named.get(String(name));
      if (t === undefined) throw new Error(`template: no template "${String(name)}" associated`);
      return t.execute(data).replaceAll('<no value>', '');
    },
    default: (def, ...given) => (given.length === 0 || isEmpty(given[0]) ? def : given[0]),
    empty: (v) => isEmpty(v),
    required: (msg, v) => {
      if (v === null || v === '') throw new Error(String(msg));
      return v;
    },
    quote: (...args) =>
      args
        .filter((a) => a !== null)
        .map((a) => goQuote(strval(a)))
        .join(' '),
    toYaml: (v) => (v === null ? 'null' : stringify(fromGo(v), { lineWidth: 0 }).replace(/\n$/, '')),
    toJson: (v) => JSON.stringify(fromGo(v)),
    indent: (n, s) => indentLines(Number(n), strval(s)),
    nindent: (n, s) => '\n' + indentLines(Number(n), strval(s)),
    trunc: (n, s) => {
      const str = strval(s);
      const k = Number(n);
      return k >= 0 ? str.slice(0, k) : str.slice(Math.max(0, str.length + k));
    },
    trimSuffix: (suffix, s) => {
      const str = strval(s);
      const suf = strval(suffix);
      return suf !== '' && str.endsWith(suf) ? str.slice(0, -suf.length) : str;
    },
    replace: (old, repl, s) => strval(s).replaceAll(strval(old), strval(repl)),
    contains: (sub, s) => strval(s).includes(strval(sub)),
    dict: (...kv) => {
      const m = new Map<string, unknown>();
      for (let i = 0; i < kv.length; i += 2) m.set(strval(kv[i]), kv[i + 1] ?? '');
      return m;
    },
    list: (...items) => items,
    append: (l, v) => [...asList(l, 'append'), v],
    concat: (...lists) => lists.flatMap((l) => asList(l, 'concat')),
    uniq: (l) => [...new Set(asList(l, 'uniq'))],
    set: (m, k, v) => {
      if (!(m instanceof Map)) throw new Error('set: not a dict');
      m.set(strval(k), v);
      return m;
    },
    fromYaml: (s) => toGo(parseYaml(strval(s)) ?? {}),
    toString: (v: unknown) => (v instanceof Uint8Array ? Buffer.from(v).toString('utf8') : strval(v)),
    hasSuffix: (suffix, s) => strval(s).endsWith(strval(suffix)),
    hasKey: (m, k) => m instanceof Map && m.has(strval(k)),
    ternary: (a, b, cond) => (cond === true ? a : b),
    int: (v) => {
      const n = typeof v === 'string' ? Number.parseInt(v, 10) : Number(v ?? 0);
      return Number.isFinite(n) ? Math.trunc(n) : 0;
    },
    lower: (s) => strval(s).toLowerCase(),
    b64enc: (s) => Buffer.from(strval(s)).toString('base64'),
  };
}

function chartFiles(chartDir: string): string[] {
  return readdirSync(chartDir, { recursive: true, encoding: 'utf8' })
    .map((f) => f.split('\\').join('/'))
    .filter((f) => !f.startsWith('templates/') && statSync(join(chartDir, f)).isFile());
}

/** Renders the chart at `chartDir`; throws on a template error or a document that is not YAML. */
export function renderChart(chartDir: string, options: RenderOptions = {}): RenderedChart {
  const chart = parseYaml(readFileSync(join(chartDir, 'Chart.yaml'), 'utf8')) as Record<string, unknown>;
  const defaults = parseYaml(readFileSync(join(chartDir, 'values.yaml'), 'utf8')) as unknown;
  const values = mergeValues(defaults, options.values ?? {});
  const templatesDir = join(chartDir, 'templates');
  const names = readdirSync(templatesDir).sort();

  const named = new Map<string, Template>();
  const parse = (source: string, name: string): Template =>
    parseTemplate(source, { name, leftDelim: '{{', rightDelim: '}}', functions });
  const functions = helmFunctions(named, parse);
  for (const file of names.filter((n) => n.startsWith('_'))) {
    for (const [name, body] of extractDefines(readFileSync(join(templatesDir, file), 'utf8'))) {
      named.set(name, parse(body, name));
    }
  }

  const data = {
    Values: toGo(values),
    Release: {
      Name: options.releaseName ?? 'prometheus-adapter',
      Namespace: options.namespace ?? 'monitoring',
      Service: 'Helm',
      IsInstall: true,
      IsUpgrade: false,
    },
    Chart: { Name: chart.name, Version: chart.version, AppVersion: chart.appVersion },
    // NB: Helm's .Files is a map[string][]byte of the chart's non-template files.
    Files: new Map(chartFiles(chartDir).map((f) => [f, readFileSync(join(chartDir, f))])),
  };

  const files = new Map<string, string>();
  const objects: K8sObject[] = [];
  for (const file of names.filter((n) => !n.startsWith('_') && /\.ya?ml$/.test(n))) {
    const source = readFileSync(join(templatesDir, file), 'utf8');
    const text = parse(source, `templates/${file}`).execute(data).replaceAll('<no value>', '');
    files.set(file, text);
    for (const doc of parseAllDocuments(text)) {
      if (doc.errors.length > 0) {
        throw new Error(`templates/${file}: invalid YAML: ${doc.errors[0]?.message ?? ''}\n${text}`, {
          cause: doc.errors[0],
        });
      }
      const obj = doc.toJS() as unknown;
      if (obj === null || obj === undefined) continue;
      objects.push(obj as K8sObject);
    }
  }
  return { files, objects };
}
