import type { IncomingMessage, ServerResponse } from 'node:http';
import { hasBearerToken, isVigilError, readBody, sendJson, VigilError } from '../../core/index.ts';
import type { Breaker, GuardStore } from '../kinds/index.ts';

/**
 * The circuit breakers of rate guards over HTTP, for the jobs that must stop themselves and
 * the person who lets them go on:
 *
 * - `GET /api/v1/guards`: every guard;
 * - `GET /api/v1/guards/{name}`: one guard, `{tripped, since, why, ...}` (404 when unknown);
 * - `POST /api/v1/guards/{name}/reset` with `by` (who; required) and `reason`, as JSON or a
 *   form: closes it. It needs the server's bearer token when one is set (always, off loopback).
 *
 * Shapes follow the rest of the API: `{status: "success", data}` or `{status: "error", errorType, error}`.
 */

export interface GuardsDeps {
  guards: GuardStore;
  now: () => number;
  /** The server's bearer token; undefined on a loopback server without one. */
  token: string | undefined;
}

/** Most bytes of a reset request: a name and a sentence. */
const resetBodyLimitBytes = 16 * 1024;

export function isGuardsPath(path: string): boolean {
  return path === '/api/v1/guards' || path.startsWith('/api/v1/guards/');
}

export function formatBreaker(b: Breaker) {
  return {
    name: b.name,
    tripped: b.state === 'tripped',
    since: b.since === undefined ? null : new Date(b.since).toISOString(),
    why: b.why ?? null,
    trips: b.trips,
    lastReset: b.lastReset
      ? { by: b.lastReset.by, at: new Date(b.lastReset.at).toISOString(), reason: b.lastReset.reason }
      : null,
  };
}

/**
 * Answers a guards request (the caller checked `isGuardsPath`).
 *
 * @example
 * if (isGuardsPath(url.pathname)) return handleGuards(deps, req, res);
 */
export async function handleGuards(
  deps: GuardsDeps,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const path = new URL(req.url ?? '/', 'http://localhost').pathname;
  try {
    const rest = path.slice('/api/v1/guards'.length).split('/').filter(Boolean).map(decodeURIComponent);
    if (rest.length === 0) {
      requireMethod(req, 'GET');
      sendJson(res, 200, { status: 'success', data: deps.guards.list().map(formatBreaker) });
      return;
    }
    const name = rest[0]!;
    if (rest.length === 1) {
      requireMethod(req, 'GET');
      const b = deps.guards.get(name);
      if (!b) throw new VigilError('not_found', `no guard named ${name}`);
      sendJson(res, 200, { status: 'success', data: formatBreaker(b) });
      return;
    }
    if (rest.length === 2 && rest[1] === 'reset') {
      requireMethod(req, 'POST');
      if (!hasBearerToken(req, deps.token))
        throw new VigilError('unauthorized', 'resetting a guard requires the bearer token');
      const { by, reason } = await resetFields(req);
      sendJson(res, 200, {
        status: 'success',
        data: formatBreaker(deps.guards.reset(name, deps.now(), by, reason)),
      });
      return;
    }
    throw new VigilError('not_found', `unknown endpoint ${path}`);
  } catch (err) {
    if (isVigilError(err)) {
      const status =
        err.code === 'not_found'
          ? 404
          : err.code === 'unauthorized'
            ? 401
            : err.code === 'too_large'
              ? 413
              : 400;
      sendJson(res, status, {
        status: 'error',
        errorType:
          err.code === 'not_found' ? 'not_found' : err.code === 'unauthorized' ? 'unauthorized' : 'bad_data',
        error: err.message,
      });
    } else {
      sendJson(res, 500, { status: 'error', errorType: 'internal', error: 'internal error' });
    }
  }
}

function requireMethod(req: IncomingMessage, method: string): void {
  if (req.method !== method)
    throw new VigilError('usage', `method ${req.method} not allowed here; use ${method}`);
}

async function resetFields(req: IncomingMessage): Promise<{ by: string; reason: string }> {
  const text = (await readBody(req, resetBodyLimitBytes)).toString('utf8');
  let fields: Record<string, unknown>;
  if ((req.headers['content-type'] ?? '').includes('application/json')) {
    try {
      const parsed: unknown = text === '' ? {} : JSON.parse(text);
      fields = typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {};
    } catch (err) {
      throw new VigilError('parse', `request body is not valid JSON: ${(err as Error).message}`);
    }
  } else {
    fields = Object.fromEntries(new URLSearchParams(text));
  }
  const by = typeof fields.by === 'string' ? fields.by.trim() : '';
  const reason = typeof fields.reason === 'string' ? fields.reason.trim() : '';
  if (by === '' || by.length > 200)
    throw new VigilError('usage', 'a reset needs "by": who resets the guard (at most 200 characters)');
  if (reason.length > 2000) throw new VigilError('usage', '"reason" is longer than 2000 characters');
  return { by, reason };
}
