/**
 * `text` with the password of its `scheme://user:password@` part replaced by `xxxxx`, as Go's URL.Redacted does;
 * also when `text` does not parse as a URL (for error messages about it).
 */
export function withoutUrlPassword(text: string): string {
  const authority = /^([^:/?#]+:\/\/)([^/?#]*)@/.exec(text);
  const colon = authority?.[2]?.indexOf(':') ?? -1;
  if (authority === null || colon < 0) return text;
  return `${authority[1]}${authority[2]?.slice(0, colon)}:xxxxx@${text.slice(authority[0].length)}`;
}
