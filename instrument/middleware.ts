import {
  context,
  defaultTextMapGetter,
  propagation,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Logger } from 'pino';
import { classifyHttpOutcome, normalizeMethod, routeLabel, unmatchedRoute } from './classify.ts';
import type { InstrumentMetrics } from './metrics.ts';

declare global {
  namespace Express {
    interface Request {
      /** Request-scoped logger (set by vigil's telemetry middleware); its records carry the trace ids. */
      log: Logger;
    }
  }
}

/**
 * The server side of a request: RED metrics, a server span and a request logger, from one
 * Express middleware.
 *
 * Why the server span is made here rather than by OpenTelemetry's http and express
 * instrumentations: those patch `node:http` and `express` when they are loaded, through module
 * hooks. A service imports express (ESM importing CommonJS, which require hooks never see)
 * before it calls createTelemetry, so under ESM and tsx the express instrumentation never
 * hooks, and the http one needs re-patching tricks (see http-client.ts). Making the span here
 * works whatever the load order, uses the same route template and error class as the
 * metrics, and keeps the span and the histogram observation in one place.
 */

const stateKey = Symbol('vigil.instrument.request');
const expectedKey = Symbol('vigil.instrument.expected');
const logKey = Symbol('vigil.instrument.log');
const getterMark = Symbol('vigil.instrument.logGetter');

interface Owner {
  metrics: InstrumentMetrics;
  logger: Logger;
}

interface RequestState {
  owner: Owner;
  req: Request;
  span: Span;
  method: string;
  path: string;
  startNs: bigint;
}

type Tagged = Response & { [stateKey]?: RequestState; [expectedKey]?: string };
type TaggedRequest = Request & { [stateKey]?: RequestState; [logKey]?: Logger };

/**
 * `req.log` is made on first use. A pino child logger costs about 14 µs when redaction is on
 * (pino runs the redaction over the bindings; measured with bench/instrument-overhead.ts and a
 * micro loop), more than the rest of the middleware together, and most requests never log.
 * The getter lives on Express' request prototype (one per app), so a request pays nothing
 * until its handler logs.
 */
function lazyRequestLogger(this: TaggedRequest): Logger | undefined {
  const made = this[logKey];
  if (made) return made;
  const state = this[stateKey];
  if (!state) return undefined;
  const log = state.owner.logger.child({ http_request_method: state.method, url_path: state.path });
  this[logKey] = log;
  return log;
}

function setRequestLogger(this: TaggedRequest, log: Logger): void {
  this[logKey] = log;
}

/** True when `req.log` is (now) served by the lazy getter; false when the app defined its own `log`. */
function ensureLogGetter(proto: object | null): boolean {
  if (proto === null) return false;
  if ((proto as { [getterMark]?: true })[getterMark]) return true;
  if (Object.hasOwn(proto, 'log')) return false;
  Object.defineProperty(proto, 'log', { configurable: true, get: lazyRequestLogger, set: setRequestLogger });
  Object.defineProperty(proto, getterMark, { value: true });
  return true;
}

/**
 * Marks a failure as expected (a 404 on a probe for a deleted blob): counted with
 * `error_type="expected"`, and the span records the reason.
 *
 * @example
 * if (req.query.probe === '1') telemetry.markExpected(res, 'probe for a deleted blob');
 * res.status(404).end();
 */
export function markExpected(res: Response, reason = 'expected'): void {
  (res as Tagged)[expectedKey] = reason;
}

export interface MiddlewareDeps {
  tracer: Tracer;
  logger: Logger;
  metrics: InstrumentMetrics;
}

/**
 * Builds the middleware. Per request it allocates the span and one state object; the child
 * logger only when used; the completion handler is one shared function (no closure per
 * request), and label values come from fixed sets or the route table.
 *
 * @example
 * app.use(telemetry.middleware());
 */
export function createMiddleware(deps: MiddlewareDeps): RequestHandler {
  const { tracer, logger, metrics } = deps;
  const owner: Owner = { metrics, logger };
  let lastProto: object | null = null;
  let lazy = false;
  return function vigilTelemetry(req: Request, res: Response, next: NextFunction): void {
    // Installed twice (app and sub-app): measure once, or the first span would never end.
    if ((res as Tagged)[stateKey]) {
      next();
      return;
    }
    const method = normalizeMethod(req.method);
    const url = req.url;
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    const parent = propagation.extract(ROOT_CONTEXT, req.headers, defaultTextMapGetter);
    const span = tracer.startSpan(
      method === '_OTHER' ? 'HTTP' : method,
      {
        kind: SpanKind.SERVER,
        attributes: {
          'http.request.method': method,
          'url.path': path,
          'url.scheme': (req.socket as { encrypted?: boolean }).encrypted ? 'https' : 'http',
          'network.peer.address': req.socket.remoteAddress ?? '',
          'user_agent.original': req.headers['user-agent'] ?? '',
        },
      },
      parent,
    );
    const state: RequestState = { owner, req, span, method, path, startNs: process.hrtime.bigint() };
    (res as Tagged)[stateKey] = state;
    (req as TaggedRequest)[stateKey] = state;
    metrics.httpActive.inc({ http_request_method: method });
    res.once('close', onResponseClose);
    const ctx = trace.setSpan(parent, span);
    // The ids reach req.log's records through the logger's mixin, which reads the active context.
    const proto = Object.getPrototypeOf(req) as object | null;
    if (proto !== lastProto) {
      lastProto = proto;
      lazy = ensureLogGetter(proto);
    }
    if (!lazy) req.log = logger.child({ http_request_method: method, url_path: path });
    context.with(ctx, next);
  };
}

/**
 * Runs once per response, when it is complete or its connection closed first. Node emits
 * `close` on a ServerResponse in both cases; `writableFinished` tells them apart.
 */
function onResponseClose(this: Response): void {
  const res = this as Tagged;
  const state = res[stateKey];
  if (!state) return;
  res[stateKey] = undefined;
  const { owner, req, span, method } = state;
  const seconds = Number(process.hrtime.bigint() - state.startNs) / 1e9;
  const finished = res.writableFinished;
  const expectedReason = res[expectedKey];
  const status = res.statusCode;
  const errorType = classifyHttpOutcome({ status, finished, expected: expectedReason !== undefined });
  const route = routeLabel(req.baseUrl, req.route?.path);
  // A response that never started has no status: the label is empty, as the attribute is absent.
  const statusLabel = finished || res.headersSent ? String(status) : '';
  owner.metrics.httpDuration.observe(
    {
      http_request_method: method,
      http_route: route,
      http_response_status_code: statusLabel,
      error_type: errorType,
    },
    seconds,
  );
  owner.metrics.httpActive.dec({ http_request_method: method });

  if (route !== unmatchedRoute) {
    span.setAttribute('http.route', route);
    span.updateName(`${method === '_OTHER' ? 'HTTP' : method} ${route}`);
  }
  if (statusLabel !== '') span.setAttribute('http.response.status_code', status);
  if (errorType !== '') span.setAttribute('error.type', errorType);
  if (expectedReason !== undefined && errorType === 'expected') {
    span.setAttribute('vigil.expected_reason', expectedReason);
  }
  // Server spans: 4xx is the client's fault, not an error of this span (HTTP span conventions).
  if (errorType === 'server' || errorType === 'timeout') {
    span.setStatus({
      code: SpanStatusCode.ERROR,
      message: finished ? `HTTP ${status}` : 'connection closed before the response completed',
    });
  }
  span.end();
}
