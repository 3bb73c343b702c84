import type { IncomingMessage, ServerResponse } from 'node:http';
import { hasBearerToken, isVigilError, readJsonBody, sendJson } from '../../core/index.ts';
import {
  type AlertStatus,
  matchesAll,
  type Notifier,
  parseMatchers,
  type Silence,
  type SilenceInput,
  silenceState,
} from '../notify/index.ts';
import { compileMatcherRegex, type Matcher } from '../store/index.ts';

/**
 * The part of Alertmanager's v2 API that silences and alert listings need, with its JSON
 * shapes, so `amtool --alertmanager.url=http://vigil:9090` works against vigil:
 * GET/POST /api/v2/silences, GET/DELETE /api/v2/silence/{id}, GET /api/v2/alerts and
 * GET /api/v2/receivers. Errors are a JSON string, as Alertmanager's are (amtool prints it).
 * Creating or expiring a silence needs the bearer token when the server has one.
 */

export interface AlertmanagerApiDeps {
  /** The notifier; undefined when the server config has no `notify:` section. */
  notifier: () => Notifier | undefined;
  /** The bearer token that mutations need; none on a loopback server started without one. */
  token: string | undefined;
  /** Now, in ms. */
  now: () => number;
}

/** Silence bodies are small; a megabyte is already absurd. */
const bodyLimitBytes = 64 * 1024;

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const iso = (ms: number) => new Date(ms).toISOString();

function formatSilence(s: Silence, now: number) {
  return {
    id: s.id,
    status: { state: silenceState(s, now) },
    updatedAt: iso(s.updatedAt),
    matchers: s.matchers,
    startsAt: iso(s.startsAt),
    endsAt: iso(s.endsAt),
    createdBy: s.createdBy,
    comment: s.comment,
  };
}

function formatAlert(s: AlertStatus) {
  return {
    labels: s.alert.labels,
    annotations: s.alert.annotations,
    startsAt: iso(s.alert.startsAt),
    // Alertmanager shows a firing alert's end as its expected expiry; vigil resolves alerts
    // explicitly, so it shows the zero time Go prints for an unset time.
    endsAt: s.alert.endsAt === undefined ? '0001-01-01T00:00:00.000Z' : iso(s.alert.endsAt),
    updatedAt: iso(s.updatedAt),
    generatorURL: s.alert.generatorURL,
    fingerprint: s.alert.fingerprint,
    receivers: s.receivers.map((name) => ({ name })),
    status: { state: s.state, silencedBy: s.silencedBy, inhibitedBy: s.inhibitedBy },
  };
}

/** Alertmanager's order: active by soonest end, then pending by soonest start, then expired, latest first. */
function sortSilences(list: Silence[], now: number): Silence[] {
  const rank = { active: 0, pending: 1, expired: 2 } as const;
  return [...list].sort((a, b) => {
    const sa = silenceState(a, now);
    const sb = silenceState(b, now);
    if (sa !== sb) return rank[sa] - rank[sb];
    if (sa === 'active') return a.endsAt - b.endsAt;
    if (sa === 'pending') return a.startsAt - b.startsAt;
    return b.endsAt - a.endsAt;
  });
}

function filters(params: URLSearchParams): Matcher[] {
  const out: Matcher[] = [];
  for (const f of params.getAll('filter')) {
    try {
      out.push(...parseMatchers(f));
    } catch (err) {
      if (!isVigilError(err)) throw err;
      throw new HttpError(400, `bad matcher in filter: ${err.message}`);
    }
  }
  return out;
}

function bool(params: URLSearchParams, name: string): boolean {
  const v = params.get(name);
  if (v === null || v === '') return true;
  if (v === 'true') return true;
  if (v === 'false') return false;
  throw new HttpError(400, `${name}: expected true or false, got "${v}"`);
}

function time(value: unknown, field: string): number {
  if (typeof value !== 'string') throw new HttpError(400, `${field}: expected an RFC 3339 time`);
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw new HttpError(400, `${field}: cannot parse "${value}" as an RFC 3339 time`);
  return t;
}

/** Reads a postableSilence; every problem is a 400 that names the field. */
function parseSilenceBody(body: unknown): SilenceInput {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw new HttpError(400, 'expected a JSON object with matchers, startsAt, endsAt, createdBy and comment');
  const b = body as Record<string, unknown>;
  if (!Array.isArray(b.matchers)) throw new HttpError(400, 'matchers: expected a list');
  const matchers = b.matchers.map((m, i) => {
    if (typeof m !== 'object' || m === null) throw new HttpError(400, `matchers[${i}]: expected an object`);
    const { name, value, isRegex, isEqual } = m as Record<string, unknown>;
    if (typeof name !== 'string' || typeof value !== 'string' || typeof isRegex !== 'boolean')
      throw new HttpError(400, `matchers[${i}]: name and value (strings) and isRegex (boolean) are required`);
    if (isEqual !== undefined && typeof isEqual !== 'boolean')
      throw new HttpError(400, `matchers[${i}].isEqual: expected a boolean`);
    // isEqual arrived in Alertmanager 0.22; older clients leave it out and mean "=".
    return { name, value, isRegex, isEqual: isEqual ?? true };
  });
  for (const field of ['createdBy', 'comment'] as const)
    if (typeof b[field] !== 'string') throw new HttpError(400, `${field}: expected a string`);
  if (b.id !== undefined && typeof b.id !== 'string') throw new HttpError(400, 'id: expected a string');
  return {
    id: b.id === '' ? undefined : (b.id as string | undefined),
    matchers,
    startsAt: time(b.startsAt, 'startsAt'),
    endsAt: time(b.endsAt, 'endsAt'),
    createdBy: b.createdBy as string,
    comment: b.comment as string,
  };
}

/**
 * Handles one request; resolves false when the path is not one of these endpoints.
 *
 * @example
 * void handleAlertmanagerApi(deps, req, res).then((ok) => ok || notFound(res));
 */
export async function handleAlertmanagerApi(
  deps: AlertmanagerApiDeps,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<boolean> {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const path = url.pathname;
  if (!path.startsWith('/api/v2/')) return false;
  try {
    const notifier = deps.notifier();
    if (!notifier)
      throw new HttpError(
        404,
        'notifications are not configured: add a notify: section to the server config',
      );
    const now = deps.now();
    const method = req.method ?? 'GET';
    const mutating = method === 'POST' || method === 'DELETE';
    if (mutating && !hasBearerToken(req, deps.token)) throw new HttpError(401, 'a bearer token is required');
    const silenceId = /^\/api\/v2\/silence\/([^/]+)$/.exec(path)?.[1];
    if (path === '/api/v2/silences' && method === 'GET') {
      const match = filters(url.searchParams);
      const list = notifier.silences
        .list()
        .filter((s) => matchesAll(match, Object.fromEntries(s.matchers.map((m) => [m.name, m.value]))));
      sendJson(
        res,
        200,
        sortSilences(list, now).map((s) => formatSilence(s, now)),
      );
    } else if (path === '/api/v2/silences' && method === 'POST') {
      const input = parseSilenceBody(await readJsonBody(req, bodyLimitBytes));
      sendJson(res, 200, { silenceID: notifier.silences.set(input) });
    } else if (silenceId !== undefined && method === 'GET') {
      const s = notifier.silences.get(decodeURIComponent(silenceId));
      if (!s) throw new HttpError(404, `silence ${silenceId} not found`);
      sendJson(res, 200, formatSilence(s, now));
    } else if (silenceId !== undefined && method === 'DELETE') {
      notifier.silences.expire(decodeURIComponent(silenceId));
      res.writeHead(200).end();
    } else if (path === '/api/v2/alerts' && method === 'GET') {
      const p = url.searchParams;
      const match = filters(p);
      const [active, silenced, inhibited] = [bool(p, 'active'), bool(p, 'silenced'), bool(p, 'inhibited')];
      bool(p, 'unprocessed');
      let receiver: Matcher['matches'] | undefined;
      const receiverParam = p.get('receiver');
      if (receiverParam) {
        try {
          const re = compileMatcherRegex(receiverParam);
          receiver = (v) => re.test(v);
        } catch (err) {
          throw new HttpError(400, `receiver: ${(err as Error).message}`);
        }
      }
      const out = notifier.alerts(now).filter((s) => {
        if (!matchesAll(match, s.alert.labels)) return false;
        if (receiver && !s.receivers.some((r) => receiver(r))) return false;
        if (s.state === 'active') return active;
        if (s.silencedBy.length > 0 && !silenced) return false;
        if (s.inhibitedBy.length > 0 && !inhibited) return false;
        return true;
      });
      sendJson(res, 200, out.map(formatAlert));
    } else if (path === '/api/v2/receivers' && method === 'GET') {
      sendJson(
        res,
        200,
        notifier.receiverNames.map((name) => ({ name })),
      );
    } else if (['/api/v2/silences', '/api/v2/alerts', '/api/v2/receivers'].includes(path) || silenceId) {
      throw new HttpError(405, `method ${method} not allowed on ${path}`);
    } else {
      throw new HttpError(404, `no such endpoint: ${path}`);
    }
  } catch (err) {
    if (err instanceof HttpError) sendJson(res, err.status, err.message);
    else if (isVigilError(err, 'parse')) sendJson(res, 400, err.message);
    else if (isVigilError(err, 'too_large')) sendJson(res, 413, err.message);
    else if (isVigilError(err, 'not_found')) sendJson(res, 404, err.message);
    else if (isVigilError(err, 'conflict')) sendJson(res, 409, err.message);
    else if (isVigilError(err, 'limit')) sendJson(res, 429, err.message);
    else if (isVigilError(err, 'unavailable')) sendJson(res, 503, err.message);
    else sendJson(res, 500, 'internal error');
  }
  return true;
}
