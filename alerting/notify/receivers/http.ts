import { DeliveryError } from '../types.ts';

/**
 * The HTTP exchange every receiver shares: POST a JSON body and classify the answer the way
 * Alertmanager's notify.Retrier does: 2xx delivered; 5xx and 429 worth retrying (honouring
 * Retry-After); any other status a permanent refusal; a refused connection or a timeout
 * (the caller's AbortSignal) worth retrying. Error messages name the receiver and the status,
 * never the URL, which for Slack and many webhooks is itself the secret.
 */

export interface HttpDeps {
  /** fetch, injectable for tests of the classification; the global one by default. */
  fetch?: typeof fetch;
  /** Wall-clock time (ms), to turn an HTTP-date Retry-After into a delay. */
  now?: () => number;
}

/** How much of an error body is kept for the message: enough for PagerDuty's error JSON. */
const errorBodyChars = 512;

/**
 * Posts `body` as JSON; resolves on 2xx, throws DeliveryError otherwise.
 *
 * @example
 * await postJSON('webhook "ops"', url, payload, signal, {});
 */
export async function postJSON(
  what: string,
  url: string,
  body: unknown,
  signal: AbortSignal,
  deps: HttpDeps,
): Promise<void> {
  const doFetch = deps.fetch ?? fetch;
  let res: Response;
  try {
    res = await doFetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'vigil' },
      body: typeof body === 'string' ? body : JSON.stringify(body),
      signal,
      redirect: 'manual',
    });
  } catch (err) {
    const reason = signal.aborted ? 'timed out' : describeNetworkError(err);
    throw new DeliveryError(`${what}: ${reason}`, true);
  }
  if (res.status >= 200 && res.status < 300) {
    await res.body?.cancel().catch(() => {});
    return;
  }
  const text = await readSome(res);
  const retryable = res.status === 429 || res.status >= 500;
  const retryAfterMs = retryable
    ? parseRetryAfter(res.headers.get('retry-after'), deps.now ?? Date.now)
    : undefined;
  throw new HttpStatusError(
    `${what}: HTTP ${res.status}${text ? `: ${text}` : ''}`,
    retryable,
    retryAfterMs,
    res.status,
  );
}

/** A DeliveryError that carries the receiver's HTTP status (429 is told apart from an outage). */
export class HttpStatusError extends DeliveryError {
  constructor(
    message: string,
    retryable: boolean,
    retryAfterMs: number | undefined,
    readonly status: number,
  ) {
    super(message, retryable, retryAfterMs);
  }
}

/**
 * Retry-After as delay-seconds or an HTTP-date (RFC 9110 10.2.3); undefined when absent or
 * unreadable, so the backoff decides.
 */
export function parseRetryAfter(header: string | null, now: () => number): number | undefined {
  if (header === null) return undefined;
  const text = header.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now());
}

async function readSome(res: Response): Promise<string> {
  try {
    const text = await res.text();
    return text.slice(0, errorBodyChars).replace(/\s+/g, ' ').trim();
  } catch {
    return '';
  }
}

function describeNetworkError(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (err as Error).message ?? 'network error';
}

/** Go's RFC3339Nano, as Alertmanager's JSON writes times: no trailing zeros in the fraction. */
export function formatGoTime(ms: number | undefined): string {
  if (ms === undefined) return goZeroTime;
  return new Date(ms).toISOString().replace(/\.?0+Z$/, 'Z');
}

/** Go's zero time.Time, which Alertmanager sends as endsAt of a firing alert. */
export const goZeroTime = '0001-01-01T00:00:00Z';

/** Alertmanager's TruncateInRunes: at most `n` code points, the last one "…" when cut. */
export function truncateRunes(text: string, n: number): { text: string; truncated: boolean } {
  const runes = Array.from(text);
  if (runes.length <= n) return { text, truncated: false };
  return { text: `${runes.slice(0, n - 1).join('')}…`, truncated: true };
}
