/** A template that failed to parse or to execute. */
export class TemplateError extends Error {
  override readonly name = 'TemplateError';

  /**
   * @param templateName the template's name, as in Go's messages
   * @param line 1-based line of the offending token (parse) or of the node being executed (exec)
   * @param column 1-based column, in Unicode code points, of the same position
   * @param phase `parse` when the source was rejected, `exec` when `execute` failed
   * @param problem the message without its `template: name:line:col:` prefix
   */
  constructor(
    readonly templateName: string,
    readonly line: number,
    readonly column: number,
    readonly phase: 'parse' | 'exec',
    readonly problem: string,
    options?: ErrorOptions,
  ) {
    super(`template: ${templateName}:${line}:${column}: ${problem}`, options);
  }
}

/** 1-based line and column (in code points) of a UTF-16 offset in a source text. */
export function lineColumn(source: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = source.indexOf('\n'); i !== -1 && i < offset; i = source.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  let column = 1;
  for (let i = lineStart; i < offset && i < source.length; i++) {
    const c = source.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < offset) i++;
    column++;
  }
  return { line, column };
}
