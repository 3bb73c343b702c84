/**
 * The one catalogue of vigil's errors. Every error vigil raises on purpose is a `VigilError`
 * with a `code` from this list; one function maps a code to a CLI exit code and one to an
 * HTTP status, so the same mistake reads the same everywhere.
 *
 * Messages name files, fields, lines and ids; never secrets or payloads.
 */

/** What went wrong, as a closed set. Add a code here before raising it anywhere. */
export const errorCodes = {
  /** The command line was wrong: unknown command, bad flag, missing argument. */
  usage: { exit: 2, http: 400 },
  /** A config or rule file is missing, unreadable or invalid. */
  config: { exit: 2, http: 400 },
  /** Input data (a log line, an exposition, a request body) could not be parsed. */
  parse: { exit: 2, http: 400 },
  /** Something asked for does not exist. */
  not_found: { exit: 3, http: 404 },
  /** Something to be created exists already. */
  conflict: { exit: 3, http: 409 },
  /** A request body or a response was larger than the stated limit. */
  too_large: { exit: 3, http: 413 },
  /** A control API was called without the bearer token it requires. */
  unauthorized: { exit: 3, http: 401 },
  /** A bounded resource (series limit, queue, buffer) is full. */
  limit: { exit: 3, http: 429 },
  /** A peer (broker, store, target) did not answer in time or refused. */
  unavailable: { exit: 3, http: 503 },
  /** An operation took longer than its deadline. */
  timeout: { exit: 3, http: 504 },
  /** A gate or check ran and found a failure: not an error of vigil, a verdict. */
  check_failed: { exit: 1, http: 200 },
  /** A bug or an unexpected state inside vigil. */
  internal: { exit: 3, http: 500 },
} as const satisfies Record<string, { exit: number; http: number }>;

export type ErrorCode = keyof typeof errorCodes;

export interface VigilErrorOptions {
  cause?: unknown;
  /** Structured context for logs and API bodies (file, field, line, id). Never secrets. */
  details?: Record<string, unknown>;
}

/**
 * The error class vigil throws for every expected failure.
 *
 * @example
 * throw new VigilError('config', `${file}: groups[0].interval: expected a duration like "30s"`);
 */
export class VigilError extends Error {
  override readonly name = 'VigilError';
  readonly code: ErrorCode;
  readonly details: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, options: VigilErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options.details ?? {};
  }
}

/** True when `err` is a VigilError, optionally of one code. */
export function isVigilError(err: unknown, code?: ErrorCode): err is VigilError {
  return err instanceof VigilError && (code === undefined || err.code === code);
}

/** The CLI exit code for an error: 0 ok, 1 a check failed, 2 usage or config, 3 runtime. */
export function exitCodeFor(err: unknown): number {
  return isVigilError(err) ? errorCodes[err.code].exit : errorCodes.internal.exit;
}

/** The HTTP status for an error raised while serving a request. */
export function httpStatusFor(err: unknown): number {
  return isVigilError(err) ? errorCodes[err.code].http : errorCodes.internal.http;
}

/** Wraps anything thrown into a VigilError, keeping VigilErrors as they are. */
export function toVigilError(err: unknown, code: ErrorCode = 'internal'): VigilError {
  if (err instanceof VigilError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new VigilError(code, message, { cause: err });
}
