/** A JSON object (not an array, not null): the narrowing used at every Kubernetes API answer. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
