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
  return {
    metricNameFor(seriesName) {
      for (const f of filters) if (f.re.test(seriesName) !== f.want) return undefined;
      const m = matches.exec(seriesName);
      if (m === null) return undefined;
      return goExpand(template, m);
    },
  };
}
