/**
 * RE2 (Go regexp) patterns → JavaScript RegExp. Rules are written for Go, so a pattern must mean the same thing
 * here: RE2-only syntax is translated, and constructs that JavaScript accepts but RE2 rejects (look-around,
 * back-references, possessive quantifiers, unknown escapes) are refused with a message saying why.
 */

export class RegexSyntaxError extends Error {
  override readonly name = 'RegexSyntaxError';
}

const POSIX_CLASSES: Record<string, string> = {
  alnum: '0-9A-Za-z',
  alpha: 'A-Za-z',
  ascii: '\\x00-\\x7F',
  blank: '\\t ',
  cntrl: '\\x00-\\x1F\\x7F',
  digit: '0-9',
  graph: '!-~',
  lower: 'a-z',
  print: ' -~',
  punct: '!-\\/:-@\\[-`{-~',
  space: '\\t\\n\\v\\f\\r ',
  upper: 'A-Z',
  word: '0-9A-Za-z_',
  xdigit: '0-9A-Fa-f',
};
const PERL_ESCAPES = new Set(['d', 'D', 's', 'S', 'w', 'W']);
/** Go's `unicode.Categories`; any other `\p{Name}` is a script (`Greek`), which JavaScript spells `Script=Greek`. */
const GENERAL_CATEGORIES = new Set(
  'C Cc Cf Co Cs L Ll Lm Lo Lt Lu M Mc Me Mn N Nd Nl No P Pc Pd Pe Pf Pi Po Ps S Sc Sk Sm So Z Zl Zp Zs'.split(
    ' ',
  ),
);
/** Characters that JavaScript lets be escaped with `\` in unicode mode (its SyntaxCharacter set and `/`). */
const JS_SYNTAX_CHARS = /[\^$\\.*+?()[\]{}|/]/;
const SIMPLE_ESCAPES: Record<string, string> = {
  a: '\\x07',
  f: '\\f',
  t: '\\t',
  n: '\\n',
  r: '\\r',
  v: '\\v',
};

/**
 * Compiles an RE2 pattern. Matching is an unanchored search, as in Go's `MatchString` (SPEC 3).
 * @throws RegexSyntaxError naming the construct and its offset
 */
export function compileRE2(pattern: string): RegExp {
  const { source, flags } = translate(pattern);
  try {
    return new RegExp(source, flags);
  } catch (e) {
    throw new RegexSyntaxError(
      `invalid regular expression ${JSON.stringify(pattern)}: ${(e as Error).message}`,
      {
        cause: e,
      },
    );
  }
}

function translate(pattern: string): { source: string; flags: string } {
  let i = 0;
  let out = '';
  const flags = new Set<string>();
  let unicode = false;
  let depth = 0;
  const fail = (what: string, offset = i): never => {
    throw new RegexSyntaxError(
      `invalid RE2 regular expression ${JSON.stringify(pattern)} at offset ${offset}: ${what}`,
    );
  };

  // Leading flag groups like (?i) or (?is) apply to the whole pattern.
  for (
    let m = /^\(\?([imsU]+)\)/.exec(pattern.slice(i));
    m !== null;
    m = /^\(\?([imsU]+)\)/.exec(pattern.slice(i))
  ) {
    for (const f of m[1]!) {
      if (f === 'U') fail('the ungreedy flag (?U) has no JavaScript equivalent');
      flags.add(f);
    }
    i += m[0].length;
  }

  const escape = (inClass: boolean): string => {
    const start = i;
    const c = pattern[i + 1];
    if (c === undefined) fail('trailing backslash', start);
    i += 2;
    if (c === undefined) return '';
    if (PERL_ESCAPES.has(c)) return `\\${c}`;
    if (c in SIMPLE_ESCAPES) return SIMPLE_ESCAPES[c]!;
    if (!inClass && (c === 'b' || c === 'B')) return `\\${c}`;
    if (!inClass && c === 'A') return '(?<![\\s\\S])';
    if (!inClass && c === 'z') return '(?![\\s\\S])';
    if (c === 'x') {
      if (pattern[i] === '{') {
        const end = pattern.indexOf('}', i);
        const hex = end < 0 ? '' : pattern.slice(i + 1, end);
        if (!/^[0-9A-Fa-f]{1,6}$/.test(hex) || parseInt(hex, 16) > 0x10ffff)
          fail('invalid \\x{...} escape', start);
        i = end + 1;
        unicode = true;
        return `\\u{${hex}}`;
      }
      const hex = pattern.slice(i, i + 2);
      if (!/^[0-9A-Fa-f]{2}$/.test(hex)) fail('invalid \\x escape', start);
      i += 2;
      return `\\x${hex}`;
    }
    if (c === 'p' || c === 'P') {
      unicode = true;
      if (pattern[i] === '{') {
        const end = pattern.indexOf('}', i);
        if (end < 0) fail('unterminated \\p{...}', start);
        const name = pattern.slice(i + 1, end);
        i = end + 1;
        const negated = name.startsWith('^');
        return `\\${negated === (c === 'p') ? 'P' : 'p'}{${unicodeProperty(negated ? name.slice(1) : name)}}`;
      }
      const name = pattern[i];
      if (name === undefined) return fail('missing Unicode class name after \\p', start);
      i += 1;
      return `\\${c}{${unicodeProperty(name)}}`;
    }
    if (c >= '0' && c <= '7') {
      const digits = /^[0-7]{0,2}/.exec(pattern.slice(i))![0];
      if (c !== '0' && digits.length === 0) fail(`back-reference \\${c} is not supported by RE2`, start);
      i += digits.length;
      return `\\x${parseInt(c + digits, 8)
        .toString(16)
        .padStart(2, '0')}`;
    }
    if (c === '8' || c === '9') fail(`back-reference \\${c} is not supported by RE2`, start);
    if (c === 'k') fail('named back-reference \\k is not supported by RE2', start);
    // NB: like Go, only ASCII punctuation may be escaped. JavaScript's unicode mode (used for \p and \x{...})
    // refuses identity escapes such as `\:` or `\#`, so those are written as hex escapes.
    if (/[A-Za-z0-9]/.test(c) || c > '\x7f') fail(`unknown escape \\${c}`, start);
    return JS_SYNTAX_CHARS.test(c) ? `\\${c}` : hexEscape(c);
  };

  const charClass = (): string => {
    // at '['
    let s = '[';
    i += 1;
    if (pattern[i] === '^') {
      s += '^';
      i += 1;
    }
    let first = true;
    for (;;) {
      const c = pattern[i];
      if (c === undefined) fail('missing closing ]');
      if (c === ']' && !first) {
        i += 1;
        return `${s}]`;
      }
      // NB: a `]` right after `[` or `[^` is a literal in RE2, but would close an empty class in JavaScript.
      if (c === ']') {
        s += '\\]';
        i += 1;
        first = false;
        continue;
      }
      first = false;
      if (c === '[' && pattern[i + 1] === ':') {
        const end = pattern.indexOf(':]', i + 2);
        const name = end < 0 ? '' : pattern.slice(i + 2, end);
        const negated = name.startsWith('^');
        const cls = POSIX_CLASSES[negated ? name.slice(1) : name];
        if (cls === undefined) fail(`unknown POSIX class [:${name}:]`);
        if (negated) fail('negated POSIX classes inside brackets are not supported');
        s += cls;
        i = end + 2;
      } else if (c === '\\') {
        s += escape(true);
      } else if (c === '[') {
        s += '\\[';
        i += 1;
      } else {
        s += c;
        i += 1;
      }
    }
  };

  let last: 'none' | 'atom' | 'quantifier' | 'lazy' = 'none';
  while (i < pattern.length) {
    const c = pattern[i]!;
    if (c === '\\') {
      if (pattern[i + 1] === 'Q') {
        const end = pattern.indexOf('\\E', i + 2);
        const literal = end < 0 ? pattern.slice(i + 2) : pattern.slice(i + 2, end);
        out += literal.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
        i = end < 0 ? pattern.length : end + 2;
        if (literal !== '') last = 'atom';
        continue;
      }
      out += escape(false);
    } else if (c === '[') {
      out += charClass();
    } else if (c === '(') {
      depth += 1;
      if (pattern[i + 1] === '?') {
        const rest = pattern.slice(i + 2);
        if (rest.startsWith('P<') || rest.startsWith('<')) {
          const start = rest.startsWith('P<') ? 2 : 1;
          if (rest.startsWith('<=') || rest.startsWith('<!')) fail('look-behind is not supported by RE2');
          const end = rest.indexOf('>');
          const name = end < 0 ? '' : rest.slice(start, end);
          if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name))
            fail(`invalid capture group name ${JSON.stringify(name)}`);
          out += `(?<${name}>`;
          i += 2 + end + 1;
        } else if (rest.startsWith(':')) {
          out += '(?:';
          i += 3;
        } else if (rest.startsWith('=') || rest.startsWith('!')) {
          fail('look-ahead is not supported by RE2');
        } else if (rest.startsWith('>')) {
          fail('atomic groups are not supported by RE2');
        } else if (/^[imsU-]+[:)]/.test(rest)) {
          fail('inline flags are only supported at the start of the pattern, e.g. (?i)abc');
        } else {
          fail('unknown group syntax (?');
        }
      } else {
        out += '(';
        i += 1;
      }
    } else if (c === ')') {
      depth -= 1;
      if (depth < 0) fail('unexpected )');
      out += ')';
      i += 1;
    } else if (c === '*' || c === '+' || c === '?' || c === '{') {
      let q: string = c;
      if (c === '{') {
        const m = /^\{(\d+)(,(\d*))?\}/.exec(pattern.slice(i));
        if (m === null) {
          // NB: like Go, a brace that does not start a repetition is a literal.
          out += '\\{';
          i += 1;
          last = 'atom';
          continue;
        }
        const min = Number(m[1]);
        const max = m[3] === undefined ? min : m[3] === '' ? Infinity : Number(m[3]);
        if (min > 1000 || (max !== Infinity && max > 1000)) fail('repeat count exceeds 1000');
        if (max < min) fail('invalid repeat count');
        q = m[0];
      }
      if (last === 'none') fail(`missing argument to repetition operator ${q}`);
      if (last === 'lazy' || (last === 'quantifier' && q !== '?')) {
        fail(
          q === '+'
            ? 'possessive quantifiers are not supported by RE2'
            : `invalid nested repetition operator ${q}`,
        );
      }
      last = last === 'quantifier' ? 'lazy' : 'quantifier';
      i += q.length;
      out += q;
      continue;
    } else if (c === '}' || c === ']') {
      // NB: literals in RE2; JavaScript's unicode mode rejects them unescaped.
      out += `\\${c}`;
      i += 1;
    } else {
      out += c;
      i += 1;
    }
    // NB: `(` and `|` leave nothing to repeat; everything else is an atom a quantifier may follow.
    last = c === '(' || c === '|' ? 'none' : 'atom';
  }
  if (depth !== 0) fail('missing closing )');
  return { source: out, flags: [...flags].join('') + (unicode ? 'u' : '') };
}

function unicodeProperty(name: string): string {
  return GENERAL_CATEGORIES.has(name) || name === 'Any' ? name : `Script=${name}`;
}

function hexEscape(c: string): string {
  return `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`;
}
