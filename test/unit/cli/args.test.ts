import { describe, it, expect } from '@jest/globals';

import {
  parseHttpUrl,
  parseKeyValue,
  parseOutputFormat,
  parsePositiveDuration,
  tokenizeArgs,
  UsageError,
} from '../../../src/cli/args.js';

const SPEC = {
  values: ['--config', '--output', '--header'],
  booleans: ['--strict'],
  aliases: { '-o': '--output', '-H': '--header', '-s': '--strict' },
} as const;

const WITH_POSITIONALS = { ...SPEC, positionals: true } as const;

type ValueFlag = (typeof SPEC.values)[number];

/** What tokenizeArgs returns for `values` (the rest absent), `--strict` set to `strict`, and `positionals`. */
const parsed = (
  values: Partial<Record<ValueFlag, string[]>>,
  strict?: boolean,
  positionals: string[] = [],
) => ({
  help: false,
  values: { '--config': [], '--output': [], '--header': [], ...values },
  booleans: { '--strict': strict },
  positionals,
});

/** The message of the UsageError that `f` throws; fails the test when it throws nothing or something else. */
function usageError(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    return (e as UsageError).message;
  }
  throw new Error('expected a UsageError, got none');
}

describe('tokenizeArgs: flags, values and positionals', () => {
  it.each<[name: string, argv: string[], expected: ReturnType<typeof parsed>]>([
    ['nothing', [], parsed({})],
    [
      '--flag=value and --flag value',
      ['--config=a.yaml', '--output', 'json'],
      parsed({ '--config': ['a.yaml'], '--output': ['json'] }),
    ],
    [
      'an alias, inline or apart, is stored under its flag',
      ['-o=json', '-H', 'A=1'],
      parsed({ '--output': ['json'], '--header': ['A=1'] }),
    ],
    [
      'every occurrence, in order',
      ['--header=A=1', '-H', 'B=2', '--header', 'A=3'],
      parsed({ '--header': ['A=1', 'B=2', 'A=3'] }),
    ],
    [
      'a value split at the first = only, and an empty value',
      ['--header=K=V=W', '--config='],
      parsed({ '--config': [''], '--header': ['K=V=W'] }),
    ],
    ['a separate value may look like a flag', ['--config', '--strict'], parsed({ '--config': ['--strict'] })],
    ['a boolean alone is true', ['--strict'], parsed({}, true)],
    ['a boolean takes =false, and its last setting counts', ['--strict', '-s=false'], parsed({}, false)],
  ])('%s', (_name, argv, expected) => {
    expect(tokenizeArgs(argv, SPEC)).toEqual(expected);
  });

  it.each<[name: string, argv: string[], expected: ReturnType<typeof parsed>]>([
    [
      'arguments that are not flags, in order',
      ['a', '--config=c', 'b'],
      parsed({ '--config': ['c'] }, undefined, ['a', 'b']),
    ],
    ['- alone (standard input)', ['-'], parsed({}, undefined, ['-'])],
    [
      'an = inside a positional does not split it',
      ['/x?labelSelector=a%3Db'],
      parsed({}, undefined, ['/x?labelSelector=a%3Db']),
    ],
    ['an empty argument', [''], parsed({}, undefined, [''])],
  ])('collects positionals when allowed: %s', (_name, argv, expected) => {
    expect(tokenizeArgs(argv, WITH_POSITIONALS)).toEqual(expected);
  });

  it.each<[argv: string[]]>([[['--help']], [['-h']], [['--config=a', '--help', '--bogus']], [['x', '-h']]])(
    '%j is help: what follows is not read',
    (argv) => {
      expect(tokenizeArgs(argv, WITH_POSITIONALS)).toEqual({ help: true });
    },
  );

  it('an error before --help wins', () => {
    expect(usageError(() => tokenizeArgs(['--bogus', '--help'], SPEC))).toBe('unknown flag --bogus');
  });

  it('a spec without booleans or aliases', () => {
    expect(tokenizeArgs(['--values', 'v.yaml'], { values: ['--values'] })).toEqual({
      help: false,
      values: { '--values': ['v.yaml'] },
      booleans: {},
      positionals: [],
    });
  });
});

describe('tokenizeArgs: usage errors name the argument as written', () => {
  it.each<[argv: string[], message: string]>([
    [['--bogus'], 'unknown flag --bogus'],
    [['--bogus=1'], 'unknown flag --bogus'],
    [['-x'], 'unknown flag -x'],
    [['--config'], '--config needs a value'],
    [['-o'], '-o needs a value'],
    [['--strict=maybe'], '--strict takes true or false, got "maybe"'],
    [['-s='], '-s takes true or false, got ""'],
    [['extra'], 'unexpected argument "extra"'],
    [['a=b'], 'unexpected argument "a=b"'],
    [['-'], 'unexpected argument "-"'],
    [['--strict', 'false'], 'unexpected argument "false"'],
  ])('%j', (argv, message) => {
    expect(usageError(() => tokenizeArgs(argv, SPEC))).toBe(message);
  });
});

/** Each validator as the commands call it, by a short name for the tables. */
const VALIDATORS = {
  output: (text: string) => parseOutputFormat('--output', text),
  duration: (text: string) => parsePositiveDuration('--timeout', text),
  url: (text: string) => parseHttpUrl('--prometheus-url', text).href,
  keyValue: (text: string) => parseKeyValue('--prometheus-header', text),
};

describe('value validators', () => {
  it.each<[validator: keyof typeof VALIDATORS, text: string, expected: unknown]>([
    ['output', 'text', 'text'],
    ['output', 'json', 'json'],
    ['duration', '10m', 600_000],
    ['duration', '1h30m', 5_400_000],
    ['duration', '1.5s', 1500],
    ['duration', '500us', 0.5],
    ['url', 'http://prometheus:9090', 'http://prometheus:9090/'],
    ['url', 'https://user:pw@prom.example/api/prom?x=1', 'https://user:pw@prom.example/api/prom?x=1'],
    ['url', 'HTTP://PROM:9090', 'http://prom:9090/'],
    ['keyValue', 'X-Scope-OrgID=team-a', ['X-Scope-OrgID', 'team-a']],
    ['keyValue', 'K=', ['K', '']],
    ['keyValue', 'K=a=b', ['K', 'a=b']],
  ])('%s %j → %j', (validator, text, expected) => {
    expect(VALIDATORS[validator](text)).toEqual(expected);
  });

  it.each<[validator: keyof typeof VALIDATORS, text: string, message: string]>([
    ['output', 'yaml', '--output must be text or json, got "yaml"'],
    ['output', '', '--output must be text or json, got ""'],
    ['output', 'JSON', '--output must be text or json, got "JSON"'],
    ['duration', '0s', '--timeout must be a positive duration, got "0s"'],
    ['duration', '0', '--timeout must be a positive duration, got "0"'],
    ['duration', '-1m', '--timeout must be a positive duration, got "-1m"'],
    [
      'duration',
      '10',
      '--timeout: missing unit in duration "10": add one of ns, us, µs, ms, s, m or h, e.g. "10s"',
    ],
    [
      'duration',
      'ten',
      '--timeout: invalid duration "ten": expected numbers with units, e.g. 30s, 1m or 1h30m',
    ],
    ['url', 'localhost:9090', '--prometheus-url must be an http or https URL, got "localhost:9090"'],
    ['url', 'prometheus', '--prometheus-url must be an http or https URL, got "prometheus"'],
    ['url', '', '--prometheus-url must be an http or https URL, got ""'],
    ['url', 'ftp://prom', '--prometheus-url must be an http or https URL, got "ftp://prom"'],
    ['url', 'file:///etc/passwd', '--prometheus-url must be an http or https URL, got "file:///etc/passwd"'],
    ['keyValue', 'novalue', '--prometheus-header must be KEY=VALUE, got "novalue"'],
    ['keyValue', '=value', '--prometheus-header must be KEY=VALUE, got "=value"'],
    ['keyValue', '', '--prometheus-header must be KEY=VALUE, got ""'],
  ])('%s %j is a usage error', (validator, text, message) => {
    expect(usageError(() => VALIDATORS[validator](text))).toBe(message);
  });

  it('parseOutputFormat words the error as the command asks', () => {
    expect(
      usageError(() => parseOutputFormat('--output', 'yaml', (f, t) => `invalid ${f} ${JSON.stringify(t)}`)),
    ).toBe('invalid --output "yaml"');
  });
});
