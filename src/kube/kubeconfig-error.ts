/**
 * Errors from loading a kubeconfig, made safe to print. NB: js-yaml's syntax errors quote the lines around the
 * mistake in their message (a token, a password, key data) and hold the whole file in `mark.buffer`.
 */

interface YamlError extends Error {
  reason: string;
  mark: { line: number; column: number };
}

function isYamlError(error: unknown): error is YamlError {
  if (!(error instanceof Error) || error.name !== 'YAMLException') return false;
  const { reason, mark } = error as Partial<YamlError>;
  return (
    typeof reason === 'string' &&
    typeof mark === 'object' &&
    mark !== null &&
    typeof mark.line === 'number' &&
    typeof mark.column === 'number'
  );
}

/**
 * The error to report (as message and cause) for a failure of `KubeConfig.loadFromFile`: a YAML syntax error
 * becomes a plain Error with its reason and position only (`bad indentation of a mapping entry at line 10,
 * column 30`); any other error is returned as it is.
 */
export function safeKubeconfigError(error: unknown): unknown {
  if (!isYamlError(error)) return error;
  const safe = new Error(`${error.reason} at line ${error.mark.line + 1}, column ${error.mark.column + 1}`);
  safe.name = 'YAMLException';
  return safe;
}
