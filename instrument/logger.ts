import { context, trace } from '@opentelemetry/api';
import pino, { type DestinationStream, type Logger } from 'pino';

/**
 * Keys whose values are secrets wherever they appear in a log record. pino redaction matches
 * exact keys, so the usual spellings are listed rather than guessed at run time (which would
 * cost a scan of every record).
 */
export const secretKeys: readonly string[] = [
  'password',
  'passwd',
  'secret',
  'client_secret',
  'clientSecret',
  'token',
  'access_token',
  'accessToken',
  'refresh_token',
  'refreshToken',
  'id_token',
  'api_key',
  'apiKey',
  'apikey',
  'x-api-key',
  'private_key',
  'privateKey',
  'authorization',
  'cookie',
  'set-cookie',
];

/**
 * Nesting depth redaction reaches: a secret key is censored at the top level and inside up to
 * three levels of objects (`{ req: { headers: { authorization } } }` is depth 3). Each extra
 * level adds one compiled path per key; four covers request/response objects and typical
 * config dumps.
 */
export const redactDepth = 4;

/** The censor written in place of a secret. */
export const redactCensor = '[Redacted]';

/**
 * pino `redact` paths censoring every secret key at depths 1 to `depth` (`key`, `*.key`,
 * `*.*.key`, ...). Keys with characters outside identifiers use bracket notation.
 *
 * @example
 * redactPaths(['password'], 2); // ['password', '*.password']
 */
export function redactPaths(keys: readonly string[] = secretKeys, depth = redactDepth): string[] {
  const paths: string[] = [];
  for (const key of keys) {
    const leaf = /^[A-Za-z_$][\w$]*$/.test(key) ? key : `["${key}"]`;
    for (let level = 0; level < depth; level++) {
      const prefix = '*.'.repeat(level);
      paths.push(leaf.startsWith('[') ? (level === 0 ? leaf : prefix.slice(0, -1) + leaf) : prefix + leaf);
    }
  }
  return paths;
}

export interface LoggerOptions {
  service: string;
  version: string | undefined;
  level: string;
  destination?: DestinationStream;
}

/**
 * Adds the active span's ids to a record. pino calls it for every line written, after the level
 * check, so disabled levels cost nothing; reading the active context is one AsyncLocalStorage
 * lookup. Ids come from the context rather than child bindings, so a logger created before a
 * span (a module-level logger) still gets the ids of whatever span it logs inside.
 */
function traceMixin(): Record<string, string> {
  const span = trace.getSpan(context.active());
  if (span === undefined) return {};
  const ctx = span.spanContext();
  if (!trace.isSpanContextValid(ctx)) return {};
  return {
    trace_id: ctx.traceId,
    span_id: ctx.spanId,
    trace_flags: ctx.traceFlags === 1 ? '01' : '00',
  };
}

/**
 * The service logger: JSON lines with `service` (and `version`) on every record, trace ids of
 * the active span, ISO timestamps, and secrets censored.
 *
 * The default destination is pino's own asynchronous file-descriptor stream on stderr: the
 * hot path copies into a buffer and returns; `flushLogger` drains it at shutdown.
 *
 * @example
 * const log = createLogger({ service: 'blobs', version: '1.2.0', level: 'info' });
 * log.info({ user: { password: 'x' } }, 'signed in'); // password written as "[Redacted]"
 */
export function createLogger(options: LoggerOptions): Logger {
  const destination = options.destination ?? pino.destination({ dest: 2, sync: false });
  return pino(
    {
      level: options.level,
      base:
        options.version === undefined
          ? { service: options.service }
          : { service: options.service, version: options.version },
      timestamp: pino.stdTimeFunctions.isoTime,
      mixin: traceMixin,
      redact: { paths: redactPaths(), censor: redactCensor },
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
}

/** Writes out whatever the logger's destination still buffers. Never rejects. */
export function flushLogger(logger: Logger): Promise<void> {
  return new Promise((resolve) => {
    try {
      logger.flush(() => resolve());
    } catch {
      // A destination without flush (a plain stream in tests) has nothing buffered here.
      resolve();
    }
  });
}
