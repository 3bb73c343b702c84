import diagnostics from 'node:diagnostics_channel';
import { createRequire, syncBuiltinESMExports } from 'node:module';
import {
  context,
  type Span,
  SpanKind,
  SpanStatusCode,
  type TextMapSetter,
  type TracerProvider,
  trace,
} from '@opentelemetry/api';
import { isTracingSuppressed, W3CTraceContextPropagator } from '@opentelemetry/core';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';

/**
 * Outgoing HTTP tracing: a client span per request and `traceparent` injected into it, for
 * `node:http`/`node:https` (through OpenTelemetry's HttpInstrumentation) and for `fetch` /
 * undici (through undici's diagnostics channels).
 *
 * Why not simply register the instrumentation: it patches modules when they are loaded, through
 * require hooks, and a library called at run time comes after `import http from 'node:http'`
 * has run. Under ESM (and tsx) the loaded module is never seen again, so `enable()` alone patches
 * nothing. The CommonJS exports object of a built-in is the same object ESM's default import
 * shares, so requiring it again after `enable()` lets the hook patch it in place, and
 * `syncBuiltinESMExports()` refreshes the named exports (`import { request } from 'node:http'`).
 * Incoming requests are not taken from this instrumentation (see middleware.ts).
 *
 * The http module is one per process while telemetry objects may be several (tests, or a library
 * and its host), so this is a process-wide singleton; client spans go to the most recently
 * created telemetry still running.
 */

const providers: TracerProvider[] = [];
let httpInstrumentation: HttpInstrumentation | undefined;
let undiciSubscribed = false;
const scopeName = 'vigil-instrument-http-client';
const propagator = new W3CTraceContextPropagator();
const require = createRequire(import.meta.url);

/**
 * Routes outgoing HTTP spans to `provider` until the returned function is called.
 *
 * @example
 * const detach = attachClientTracing(provider);
 * // ... http.get / fetch now carry traceparent and make client spans ...
 * detach();
 */
export function attachClientTracing(provider: TracerProvider): () => void {
  providers.push(provider);
  if (!httpInstrumentation) {
    httpInstrumentation = new HttpInstrumentation({
      enabled: false,
      // Server spans come from the middleware, which knows the route and the error class.
      ignoreIncomingRequestHook: () => true,
    });
  }
  httpInstrumentation.setTracerProvider(provider);
  if (providers.length === 1) {
    httpInstrumentation.enable();
    repatchBuiltins();
    subscribeUndici();
  }
  let attached = true;
  return () => {
    if (!attached) return;
    attached = false;
    providers.splice(providers.indexOf(provider), 1);
    const current = providers.at(-1);
    if (current) {
      httpInstrumentation?.setTracerProvider(current);
      return;
    }
    httpInstrumentation?.disable();
    syncBuiltinESMExports();
    unsubscribeUndici();
  };
}

function repatchBuiltins(): void {
  // A require after enable() hands the already-loaded exports to the hook (see above).
  require('node:http');
  require('node:https');
  syncBuiltinESMExports();
}

// ---------------------------------------------------------------------------------------------
// fetch / undici. Node's fetch is undici, which does not use node:http; it publishes each
// request's life on diagnostics channels instead, synchronously in the caller's context.

interface UndiciRequest {
  method: string;
  origin: string;
  path: string;
  headers: string | string[] | Record<string, string>;
  addHeader(name: string, value: string): unknown;
}

const spans = new WeakMap<UndiciRequest, Span>();

const headerSetter: TextMapSetter<UndiciRequest> = {
  set(request, key, value) {
    request.addHeader(key, value);
  },
};

function hasTraceparent(headers: UndiciRequest['headers']): boolean {
  if (typeof headers === 'string') return /(^|\r\n)traceparent:/i.test(headers);
  if (Array.isArray(headers)) {
    for (let i = 0; i < headers.length; i += 2) if (headers[i]?.toLowerCase() === 'traceparent') return true;
    return false;
  }
  return headers !== null && typeof headers === 'object' && 'traceparent' in headers;
}

function onCreate(message: unknown): void {
  const { request } = message as { request: UndiciRequest };
  const provider = providers.at(-1);
  const active = context.active();
  if (!provider || isTracingSuppressed(active) || hasTraceparent(request.headers)) return;
  let url: URL | undefined;
  try {
    url = new URL(request.origin);
  } catch {
    url = undefined;
  }
  const method = request.method.toUpperCase();
  const span = provider.getTracer(scopeName).startSpan(
    method,
    {
      kind: SpanKind.CLIENT,
      attributes: {
        'http.request.method': method,
        // The query string is left out: it is where tokens hide.
        'url.full': `${request.origin}${request.path.split('?')[0]}`,
        'server.address': url?.hostname ?? '',
        'server.port': url ? Number(url.port || (url.protocol === 'https:' ? 443 : 80)) : 0,
      },
    },
    active,
  );
  spans.set(request, span);
  // Injected from the client span's context, so the server's span is this span's child.
  propagator.inject(trace.setSpan(active, span), request, headerSetter);
}

function onHeaders(message: unknown): void {
  const { request, response } = message as { request: UndiciRequest; response: { statusCode: number } };
  const span = spans.get(request);
  if (!span) return;
  span.setAttribute('http.response.status_code', response.statusCode);
  if (response.statusCode >= 400) {
    span.setAttribute('error.type', String(response.statusCode));
    span.setStatus({ code: SpanStatusCode.ERROR });
  }
}

function onTrailers(message: unknown): void {
  const { request } = message as { request: UndiciRequest };
  const span = spans.get(request);
  if (!span) return;
  spans.delete(request);
  span.end();
}

function onError(message: unknown): void {
  const { request, error } = message as { request: UndiciRequest; error: Error };
  const span = spans.get(request);
  if (!span) return;
  spans.delete(request);
  span.setAttribute('error.type', error?.name || 'Error');
  span.setStatus({ code: SpanStatusCode.ERROR, message: error?.message });
  span.end();
}

const channels: Array<[string, (message: unknown) => void]> = [
  ['undici:request:create', onCreate],
  ['undici:request:headers', onHeaders],
  ['undici:request:trailers', onTrailers],
  ['undici:request:error', onError],
];

function subscribeUndici(): void {
  if (undiciSubscribed) return;
  undiciSubscribed = true;
  for (const [name, fn] of channels) diagnostics.subscribe(name, fn);
}

function unsubscribeUndici(): void {
  if (!undiciSubscribed) return;
  undiciSubscribed = false;
  for (const [name, fn] of channels) diagnostics.unsubscribe(name, fn);
}
