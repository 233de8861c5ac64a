/** Kubernetes label selectors (the `labelSelector` / `metricLabelSelector` query parameters). */

import type { LabelSelector, LabelSelectorRequirement } from './types.js';

export type SelectorOperator =
  | 'Equals' // k=v
  | 'DoubleEquals' // k==v
  | 'NotEquals' // k!=v
  | 'In' // k in (a,b)
  | 'NotIn' // k notin (a,b)
  | 'Exists' // k
  | 'DoesNotExist' // !k
  | 'GreaterThan' // k>1
  | 'LessThan'; // k<1

/** One requirement of a selector. `values` are sorted and de-duplicated; empty for Exists/DoesNotExist. */
export interface Requirement {
  key: string;
  operator: SelectorOperator;
  values: string[];
}

/** Raised for a selector that does not parse or does not validate; its message names the problem. */
export class SelectorError extends Error {
  override readonly name = 'SelectorError';
}

type TokenKind =
  'end' | 'identifier' | 'in' | 'notin' | '(' | ')' | ',' | '!' | '=' | '==' | '!=' | '<' | '>';

interface Token {
  kind: TokenKind;
  text: string;
  /** Index of the token's first character in the selector text. */
  position: number;
}

const SYMBOL_TOKENS: ReadonlySet<string> = new Set(['(', ')', ',', '!', '=', '==', '!=', '<', '>']);
const SPECIAL_CHARS = '=!(),<>';
const WHITESPACE = ' \t\r\n';

const BINARY_OPERATORS: ReadonlyMap<TokenKind, SelectorOperator> = new Map([
  ['in', 'In'],
  ['notin', 'NotIn'],
  ['=', 'Equals'],
  ['==', 'DoubleEquals'],
  ['!=', 'NotEquals'],
  ['<', 'LessThan'],
  ['>', 'GreaterThan'],
]);

const OPERATOR_TEXT: Record<SelectorOperator, string> = {
  Equals: '=',
  DoubleEquals: '==',
  NotEquals: '!=',
  In: 'in',
  NotIn: 'notin',
  Exists: 'exists',
  DoesNotExist: '!',
  GreaterThan: '>',
  LessThan: '<',
};

/** Splits selector text into tokens the way apimachinery's `labels.Lexer` does. */
function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let pos = 0;
  for (;;) {
    while (pos < text.length && WHITESPACE.includes(text.charAt(pos))) pos++;
    const start = pos;
    if (pos >= text.length) {
      tokens.push({ kind: 'end', text: '', position: start });
      return tokens;
    }
    if (SPECIAL_CHARS.includes(text.charAt(pos))) {
      // NB: like Go's scanSpecialSymbol: extend while the text is still a symbol token, so `!=(` → `!=`, `(`
      // and `===` → `==`, `=`.
      let end = pos + 1;
      while (end < text.length && SYMBOL_TOKENS.has(text.slice(pos, end + 1))) end++;
      const symbol = text.slice(pos, end);
      tokens.push({ kind: symbol as TokenKind, text: symbol, position: start });
      pos = end;
      continue;
    }
    while (
      pos < text.length &&
      !SPECIAL_CHARS.includes(text.charAt(pos)) &&
      !WHITESPACE.includes(text.charAt(pos))
    ) {
      pos++;
    }
    const word = text.slice(start, pos);
    const kind: TokenKind = word === 'in' || word === 'notin' ? word : 'identifier';
    tokens.push({ kind, text: word, position: start });
  }
}

function describe(token: Token): string {
  return token.kind === 'end' ? 'end of string' : `'${token.text}'`;
}

/** Recursive-descent parser over the token list, mirroring apimachinery's `labels.Parser`. */
class Parser {
  private index = 0;

  constructor(private readonly tokens: readonly Token[]) {}

  parse(): Requirement[] {
    const requirements: Requirement[] = [];
    for (;;) {
      const first = this.peek();
      if (first.kind === 'end') return requirements;
      if (!this.startsRequirement(first)) {
        throw this.syntaxError(first, "expected: !, identifier, or 'end of string'");
      }
      requirements.push(this.parseRequirement());
      const next = this.next();
      if (next.kind === 'end') return requirements;
      if (next.kind !== ',') throw this.syntaxError(next, "expected: ',' or 'end of string'");
      const afterComma = this.peek();
      if (!this.startsRequirement(afterComma)) {
        throw this.syntaxError(afterComma, "expected: identifier after ','");
      }
    }
  }

  /** NB: a requirement may start with the keywords `in`/`notin` used as keys (`in in (in)` is valid), as in Go. */
  private startsRequirement(token: Token): boolean {
    return token.kind === 'identifier' || token.kind === 'in' || token.kind === 'notin' || token.kind === '!';
  }

  private parseRequirement(): Requirement {
    let keyToken = this.next();
    const negated = keyToken.kind === '!';
    if (negated) keyToken = this.next();
    if (!isWord(keyToken)) throw this.requirementError(keyToken, 'expected: identifier');
    const key = keyToken.text;
    const keyProblem = validateLabelKey(key);
    if (keyProblem) throw selectorError(`invalid label key "${key}": ${keyProblem}`, keyToken.position);

    const lookahead = this.peek();
    // NB: `!k=v` ends the requirement at `!k`, so the caller rejects the `=`, as in Go.
    if (negated || lookahead.kind === 'end' || lookahead.kind === ',') {
      return { key, operator: negated ? 'DoesNotExist' : 'Exists', values: [] };
    }

    const operatorToken = this.next();
    const operator = BINARY_OPERATORS.get(operatorToken.kind);
    if (!operator) {
      throw this.requirementError(operatorToken, 'expected: in, notin, =, ==, !=, >, <');
    }
    const values =
      operator === 'In' || operator === 'NotIn'
        ? this.parseValueList(operator, operatorToken)
        : [this.parseExactValue()];
    return makeRequirement(key, operator, values);
  }

  /** `(a,b)`; like Go, empty items between commas are the empty value: `(a,)` is `a` and `""`. */
  private parseValueList(operator: SelectorOperator, operatorToken: Token): ValueToken[] {
    const open = this.next();
    if (open.kind !== '(') throw this.requirementError(open, "expected: '('");
    const values: ValueToken[] = [];
    let expectValue = true;
    for (;;) {
      const token = this.next();
      if (token.kind === ')') {
        if (values.length === 0 && expectValue) {
          throw selectorError(
            `values for '${OPERATOR_TEXT[operator]}' must not be empty`,
            operatorToken.position,
          );
        }
        if (expectValue) values.push({ text: '', position: token.position });
        return values;
      }
      if (token.kind === ',') {
        if (expectValue) values.push({ text: '', position: token.position });
        expectValue = true;
        continue;
      }
      if (isWord(token) && expectValue) {
        values.push({ text: token.text, position: token.position });
        expectValue = false;
        continue;
      }
      throw this.requirementError(
        token,
        expectValue ? "expected: ',', ')' or identifier" : "expected: ',' or ')'",
      );
    }
  }

  /** One value; a missing value before `,` or the end is the empty value (`k=` selects `k=""`), as in Go. */
  private parseExactValue(): ValueToken {
    const token = this.peek();
    if (token.kind === 'end' || token.kind === ',') return { text: '', position: token.position };
    this.next();
    if (!isWord(token)) throw this.requirementError(token, 'expected: identifier');
    return { text: token.text, position: token.position };
  }

  private peek(): Token {
    const token = this.tokens[this.index];
    if (!token) throw new Error('label selector parser read past the end token');
    return token;
  }

  private next(): Token {
    const token = this.peek();
    if (token.kind !== 'end') this.index++;
    return token;
  }

  private syntaxError(token: Token, expected: string): SelectorError {
    return selectorError(`found ${describe(token)}, ${expected}`, token.position);
  }

  private requirementError(token: Token, expected: string): SelectorError {
    return selectorError(
      `unable to parse requirement: found ${describe(token)}, ${expected}`,
      token.position,
    );
  }
}

interface ValueToken {
  text: string;
  position: number;
}

function isWord(token: Token): boolean {
  return token.kind === 'identifier' || token.kind === 'in' || token.kind === 'notin';
}

function selectorError(message: string, position: number): SelectorError {
  return new SelectorError(`${message} at position ${position}`);
}

/** Validates the values of one requirement (Go's `NewRequirement`) and returns them sorted and de-duplicated. */
function makeRequirement(key: string, operator: SelectorOperator, values: ValueToken[]): Requirement {
  for (const value of values) {
    const problem = validateLabelValue(value.text);
    if (problem) {
      throw selectorError(`invalid label value "${value.text}" for key "${key}": ${problem}`, value.position);
    }
    if ((operator === 'GreaterThan' || operator === 'LessThan') && !isInt64(value.text)) {
      throw selectorError(
        `invalid value "${value.text}" for '${OPERATOR_TEXT[operator]}': the value must be an integer`,
        value.position,
      );
    }
  }
  return { key, operator, values: [...new Set(values.map((v) => v.text))].sort(compareStrings) };
}

function isInt64(text: string): boolean {
  if (!/^[+-]?\d+$/.test(text)) return false;
  const n = BigInt(text);
  return n >= -(2n ** 63n) && n < 2n ** 63n;
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

const QUALIFIED_NAME_RE = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE_RE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const DNS1123_SUBDOMAIN_RE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const QUALIFIED_NAME_MESSAGE =
  "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric " +
  "character (e.g. 'MyName', or 'my.name', or '123-abc', regex used for validation is " +
  "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";

/**
 * Checks a label key as apimachinery's `validation.IsQualifiedName`: an optional DNS-1123 subdomain prefix
 * (≤ 253 characters) and `/`, then a name of ≤ 63 characters. Returns the problems joined by `; `, or `undefined`.
 */
export function validateLabelKey(key: string): string | undefined {
  const problems: string[] = [];
  const parts = key.split('/');
  if (parts.length > 2) {
    return (
      `a qualified name ${QUALIFIED_NAME_MESSAGE} with an optional DNS subdomain prefix and '/' ` +
      "(e.g. 'example.com/MyName')"
    );
  }
  const name = parts.length === 2 ? (parts[1] ?? '') : key;
  if (parts.length === 2) {
    const prefix = parts[0] ?? '';
    if (prefix === '') {
      problems.push('prefix part must be non-empty');
    } else {
      if (prefix.length > 253) problems.push('prefix part must be no more than 253 characters');
      if (!DNS1123_SUBDOMAIN_RE.test(prefix)) {
        problems.push(
          'prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, ' +
            "'-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used " +
            "for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
        );
      }
    }
  }
  if (name === '') problems.push('name part must be non-empty');
  else if (name.length > 63) problems.push('name part must be no more than 63 characters');
  if (!QUALIFIED_NAME_RE.test(name)) problems.push(`name part ${QUALIFIED_NAME_MESSAGE}`);
  return problems.length > 0 ? problems.join('; ') : undefined;
}

/**
 * Checks a label value as apimachinery's `validation.IsValidLabelValue`: empty, or ≤ 63 characters of
 * `[-A-Za-z0-9_.]` starting and ending with an alphanumeric. Returns the problems joined by `; `, or `undefined`.
 */
export function validateLabelValue(value: string): string | undefined {
  const problems: string[] = [];
  if (value.length > 63) problems.push('must be no more than 63 characters');
  if (!LABEL_VALUE_RE.test(value)) {
    problems.push(
      "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must " +
        "start and end with an alphanumeric character (e.g. 'MyValue', or 'my_value', or '12345', regex used " +
        "for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')",
    );
  }
  return problems.length > 0 ? problems.join('; ') : undefined;
}

/**
 * Parses a selector with the full Kubernetes grammar and validation (apimachinery `labels.Parse`).
 * Returns requirements sorted by key (stable for equal keys). The empty string is the empty selector `[]`.
 *
 * Grammar: requirements separated by `,`; each is `k=v`, `k==v`, `k!=v` (a missing value is the empty value, so
 * `k=` means `k=""`), `k in (a,b)`, `k notin (a,b)`, `k` (exists), `!k` (does not exist), `k>n`, `k<n` (n an
 * int64). Whitespace may appear between any tokens. Keys must be qualified names and values valid label values.
 *
 * NB: one deliberate difference from Go: `k in ()` is rejected ("values for 'in' must not be empty"), where Go
 * reads it as `k in ("")`. `(,)` and `(a,)` still contain the empty value, as in Go.
 *
 * Never throws anything but SelectorError, whose message ends with ` at position N` (0-based index in `text`).
 * @throws SelectorError
 */
export function parseLabelSelector(text: string): Requirement[] {
  const requirements = new Parser(tokenize(text)).parse();
  return requirements.sort((a, b) => compareStrings(a.key, b.key));
}

/**
 * Converts parsed requirements to a `metav1.LabelSelector` (as `metav1.ParseToLabelSelector`): `=`/`==` go to
 * `matchLabels`; `!=` becomes `NotIn [v]`; `in`, `notin`, exists and `!k` become `In`, `NotIn`, `Exists`,
 * `DoesNotExist` expressions in the given order. Empty fields (and `values` of Exists/DoesNotExist) are omitted;
 * no requirements at all is `null`.
 *
 * NB: a second `=` on a key already in `matchLabels` with another value becomes an `In [v]` expression, so the
 * selector keeps meaning "both" (Go's map would silently keep only the last value); an identical repeat is dropped.
 * @throws SelectorError for `>` and `<`, which LabelSelector cannot express.
 */
export function toLabelSelector(requirements: readonly Requirement[]): LabelSelector | null {
  if (requirements.length === 0) return null;
  const matchLabels: Record<string, string> = {};
  const matchExpressions: LabelSelectorRequirement[] = [];
  for (const { key, operator, values } of requirements) {
    switch (operator) {
      case 'Equals':
      case 'DoubleEquals': {
        const [value, ...rest] = values;
        if (value === undefined || rest.length > 0) {
          throw new SelectorError(
            `operator '${OPERATOR_TEXT[operator]}' for key "${key}" needs exactly one value`,
          );
        }
        const existing = Object.hasOwn(matchLabels, key) ? matchLabels[key] : undefined;
        if (existing === undefined) matchLabels[key] = value;
        else if (existing !== value) matchExpressions.push({ key, operator: 'In', values: [value] });
        break;
      }
      case 'NotEquals':
      case 'In':
      case 'NotIn':
        matchExpressions.push({ key, operator: operator === 'In' ? 'In' : 'NotIn', values: [...values] });
        break;
      case 'Exists':
      case 'DoesNotExist':
        matchExpressions.push({ key, operator });
        break;
      case 'GreaterThan':
      case 'LessThan':
        throw new SelectorError(
          `operator '${OPERATOR_TEXT[operator]}' (key "${key}") isn't supported in label selectors`,
        );
    }
  }
  const selector: LabelSelector = {};
  if (Object.keys(matchLabels).length > 0) selector.matchLabels = matchLabels;
  if (matchExpressions.length > 0) selector.matchExpressions = matchExpressions;
  return selector;
}

/**
 * Renders requirements as the canonical selector string, as Go's `Selector.String()`: requirements in the given
 * order joined by `,`, values sorted (`a=b,c in (x,y),!d,e`). `parseLabelSelector` of the result gives the same
 * requirements back (for requirements that came from it). Never throws.
 */
export function formatLabelSelector(requirements: readonly Requirement[]): string {
  return requirements.map(formatRequirement).join(',');
}

function formatRequirement({ key, operator, values }: Requirement): string {
  const sorted = [...values].sort(compareStrings).join(',');
  switch (operator) {
    case 'Exists':
      return key;
    case 'DoesNotExist':
      return `!${key}`;
    case 'In':
      return `${key} in (${sorted})`;
    case 'NotIn':
      return `${key} notin (${sorted})`;
    default:
      return `${key}${OPERATOR_TEXT[operator]}${sorted}`;
  }
}

/**
 * Whether a set of labels satisfies every requirement (Go's `Requirement.Matches`): `=`, `==`, `in` need the label
 * with one of the values; `!=`, `notin` hold when the label is absent or has none of them; `>`/`<` need the label
 * with an int64 value compared numerically (otherwise false). Empty requirements match everything. Never throws.
 */
export function matchesLabels(
  requirements: readonly Requirement[],
  labels: Readonly<Record<string, string>>,
): boolean {
  return requirements.every((requirement) => matchesRequirement(requirement, labels));
}

function matchesRequirement(
  { key, operator, values }: Requirement,
  labels: Readonly<Record<string, string>>,
): boolean {
  const value = Object.hasOwn(labels, key) ? labels[key] : undefined;
  switch (operator) {
    case 'Equals':
    case 'DoubleEquals':
    case 'In':
      return value !== undefined && values.includes(value);
    case 'NotEquals':
    case 'NotIn':
      return value === undefined || !values.includes(value);
    case 'Exists':
      return value !== undefined;
    case 'DoesNotExist':
      return value === undefined;
    case 'GreaterThan':
    case 'LessThan': {
      const [bound, ...rest] = values;
      if (value === undefined || bound === undefined || rest.length > 0) return false;
      if (!isInt64(value) || !isInt64(bound)) return false;
      return operator === 'GreaterThan' ? BigInt(value) > BigInt(bound) : BigInt(value) < BigInt(bound);
    }
  }
}
