/** The structured logger the adapter's parts take (a pino logger or child satisfies it), and a silent one. */
export interface StructuredLogger {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** Drops every line; the default when no logger is given. */
export const SILENT_LOGGER: StructuredLogger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};
