/** A problem in the rules file, located by YAML path and, when known, by line and column. */
export interface ConfigProblem {
  /** YAML path such as `rules[0].name.as`; empty for the document itself. */
  path: string;
  line?: number;
  column?: number;
  message: string;
}

/** Raised when a rules file cannot be used; lists every problem found, each with its path. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly source: string,
    readonly problems: readonly ConfigProblem[],
    options?: { cause?: unknown },
  ) {
    super(problems.map((p) => formatProblem(source, p)).join('\n'), options);
  }
}

export function formatProblem(source: string, p: ConfigProblem): string {
  const where = p.line === undefined ? source : `${source}:${p.line}:${p.column ?? 1}`;
  return p.path === '' ? `${where}: ${p.message}` : `${where}: ${p.path}: ${p.message}`;
}
