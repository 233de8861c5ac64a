import { compileRE2 } from './re2.js';

/**
 * Expands a Go `Regexp.Expand` template over one match (SPEC 3.1): `$1`, `${1}`, `${name}`, `$$`; the longest
 * run of letters, digits and `_` after `$` is the group name, so `$1_total` names group `1_total`, which does not
 * exist and expands to "". A `$` not followed by a valid name is kept literally, as Go does.
 */
export function goExpand(template: string, match: RegExpExecArray): string {
  let out = '';
  let i = 0;
  while (i < template.length) {
    const dollar = template.indexOf('$', i);
    if (dollar < 0) {
      out += template.slice(i);
      break;
    }
    out += template.slice(i, dollar);
    i = dollar + 1;
    if (template[i] === '$') {
      out += '$';
      i += 1;
      continue;
    }
    const braced = template[i] === '{';
    const start = braced ? i + 1 : i;
    const m = /^[\p{L}\p{Nd}_]*/u.exec(template.slice(start))!;
    const name = m[0];
    const end = start + name.length;
    if (name === '' || (braced && template[end] !== '}')) {
      out += '$';
      continue;
    }
    i = braced ? end + 1 : end;
    out += groupValue(name, match) ?? '';
  }
  return out;
}

function groupValue(name: string, match: RegExpExecArray): string | undefined {
  if (/^\d+$/.test(name) && !(name.length > 1 && name.startsWith('0')) && name.length <= 8) {
    return match[Number(name)];
  }
  return match.groups?.[name];
}

/** Number of capture groups in a compiled regex. */
export function captureGroupCount(re: RegExp): number {
  return new RegExp(`${re.source}|`, re.flags).exec('')!.length - 1;
}

/** Which series a rule keeps and the metric name each gets (SPEC 3.1). */
export interface Namer {
  /** The API metric name for a series name, or undefined when a filter rejects it. */
  metricNameFor(seriesName: string): string | undefined;
  /** The same decision with its reason: what `check` reports for a series name. */
  explain(seriesName: string): NameVerdict;
}

/**
 * What a namer decides for a series name: a metric name, or why there is none (`filter`: `seriesFilters[index]`
 * rejects it; `matches`: `name.matches` is not found in it; `empty`: `name.as` expands to "").
 */
export type NameVerdict =
  | { readonly kind: 'named'; readonly metric: string }
  | { readonly kind: 'filter'; readonly index: number; readonly is?: string; readonly isNot?: string }
  | { readonly kind: 'matches'; readonly matches: string }
  | { readonly kind: 'empty'; readonly as: string };

/** A one-line reason for a verdict other than `named`, naming the rule field at fault. */
export function describeNameVerdict(verdict: NameVerdict): string {
  switch (verdict.kind) {
    case 'named':
      return `named ${verdict.metric}`;
    case 'filter':
      return verdict.is !== undefined
        ? `name does not match seriesFilters[${verdict.index}].is ${JSON.stringify(verdict.is)}`
        : `name matches seriesFilters[${verdict.index}].isNot ${JSON.stringify(verdict.isNot)}`;
    case 'matches':
      return `name does not match name.matches ${JSON.stringify(verdict.matches)}`;
    case 'empty':
      return `name.as ${JSON.stringify(verdict.as)} expands to an empty metric name`;
  }
}

export interface NamerConfig {
  filters: ReadonlyArray<{ is?: string; isNot?: string }>;
  matches?: string;
  as?: string;
}

/**
 * Compiles filters and the name mapping. Throws an Error naming the problem (the caller adds the YAML path).
 */
export function createNamer(config: NamerConfig): Namer {
  const filters = config.filters.map((f) => {
    if ((f.is === undefined) === (f.isNot === undefined)) {
      throw new Error('a series filter must have exactly one of "is" or "isNot"');
    }
    return f.is !== undefined
      ? { re: compileRE2(f.is), want: true }
      : { re: compileRE2(f.isNot!), want: false };
  });
  const matches = compileRE2(config.matches === undefined || config.matches === '' ? '.*' : config.matches);
  let as = config.as ?? '';
  if (as === '') {
    const groups = captureGroupCount(matches);
    if (groups === 0) as = '$0';
    else if (groups === 1) as = '$1';
    else {
      throw new Error(
        `"as" is required when "matches" has ${groups} capture groups (for example as: "\${1}")`,
      );
    }
  }
  const template = as;
  const matchesText = config.matches === undefined || config.matches === '' ? '.*' : config.matches;
  return {
    metricNameFor(seriesName) {
      for (const f of filters) if (f.re.test(seriesName) !== f.want) return undefined;
      const m = matches.exec(seriesName);
      if (m === null) return undefined;
      return goExpand(template, m);
    },
    explain(seriesName) {
      const failed = filters.findIndex((f) => f.re.test(seriesName) !== f.want);
      if (failed >= 0) return { kind: 'filter', index: failed, ...config.filters[failed] };
      const m = matches.exec(seriesName);
      if (m === null) return { kind: 'matches', matches: matchesText };
      const metric = goExpand(template, m);
      return metric === '' ? { kind: 'empty', as: template } : { kind: 'named', metric };
    },
  };
}
