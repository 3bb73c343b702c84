/**
 * Pure label rules for HTTP server telemetry. The middleware calls these once per request, so
 * they allocate nothing and never look at the raw URL: every label value comes from a small,
 * fixed set (methods, error classes) or from the route table the application declared.
 */

/**
 * `error_type` values, a closed set. Empty string means success, as Prometheus needs a value
 * where OpenTelemetry would leave `error.type` unset.
 */
export type HttpErrorType = '' | 'client' | 'server' | 'expected' | 'timeout';

/** Route label of a request no route matched: one fixed value keeps cardinality bounded. */
export const unmatchedRoute = 'unmatched';

/**
 * The methods OpenTelemetry's HTTP conventions name (RFC 9110 plus PATCH); anything else is
 * reported as `_OTHER`, so a client inventing methods cannot create series.
 */
const knownMethods: ReadonlySet<string> = new Set([
  'CONNECT',
  'DELETE',
  'GET',
  'HEAD',
  'OPTIONS',
  'PATCH',
  'POST',
  'PUT',
  'TRACE',
]);

/**
 * `http.request.method` as the conventions want it: a known method as sent, else `_OTHER`.
 *
 * @example
 * normalizeMethod('GET'); // 'GET'
 * normalizeMethod('BREW'); // '_OTHER'
 */
export function normalizeMethod(method: string | undefined): string {
  return method !== undefined && knownMethods.has(method) ? method : '_OTHER';
}

/** What the middleware knows about a request once its response is done or abandoned. */
export interface RequestOutcome {
  /** Status code sent (or about to be sent). */
  status: number;
  /** True when the whole response was handed to the OS; false when the connection closed first. */
  finished: boolean;
  /** True when the handler called `markExpected`. */
  expected: boolean;
}

/**
 * Classifies a request for the `error_type` label and the span status.
 *
 * Order matters: a response that never completed is a `timeout` whatever status was planned
 * (the client saw no answer); a handler's `markExpected` wins over the status class, because
 * the handler knows that a 404 on a probe for a deleted blob is the system working; 408 and
 * 504 are timeouts reported by the server itself or by the gateway in front of a dependency.
 *
 * @example
 * classifyHttpOutcome({ status: 404, finished: true, expected: false }); // 'client'
 * classifyHttpOutcome({ status: 404, finished: true, expected: true }); // 'expected'
 * classifyHttpOutcome({ status: 200, finished: false, expected: false }); // 'timeout'
 */
export function classifyHttpOutcome(outcome: RequestOutcome): HttpErrorType {
  if (!outcome.finished) return 'timeout';
  const status = outcome.status;
  if (status < 400) return '';
  if (outcome.expected) return 'expected';
  if (status === 408 || status === 504) return 'timeout';
  return status >= 500 ? 'server' : 'client';
}

/**
 * The `http_route` label from Express' matched route: the template (`/blobs/:id`), prefixed by
 * the mount path of the router it lives in, never the raw URL. Regular-expression routes are
 * reported by their source, which is as fixed as a template.
 *
 * @example
 * routeLabel('/api', '/blobs/:id'); // '/api/blobs/:id'
 * routeLabel('', undefined); // 'unmatched'
 */
export function routeLabel(baseUrl: string | undefined, routePath: unknown): string {
  if (routePath === undefined || routePath === null) return unmatchedRoute;
  const path = typeof routePath === 'string' ? routePath : String(routePath);
  return baseUrl ? baseUrl + path : path;
}

/**
 * `error_type` for a failed queue handler: a VigilError's code, an error's class name for other
 * errors (low cardinality, as OpenTelemetry's `error.type` asks), `_OTHER` for thrown non-errors.
 *
 * @example
 * errorTypeOf(new TypeError('x')); // 'TypeError'
 */
export function errorTypeOf(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    if (err.name === 'VigilError' && typeof code === 'string') return code;
    // Capped: a name built at run time must not grow the label without bound.
    return (err.name || 'Error').slice(0, 64);
  }
  return '_OTHER';
}
