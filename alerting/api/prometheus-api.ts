import type { IncomingMessage, ServerResponse } from 'node:http';
import { formatDuration, isVigilError, type Labels, readBody, sendJson } from '../../core/index.ts';
import { compareLabels, type Engine, formatFloatF, parseExpr, type Value } from '../promql/index.ts';
import type { GroupEvaluator } from '../rules/index.ts';
import type { TargetStatus } from '../scrape/index.ts';
import type { Matcher, MemoryStore } from '../store/index.ts';
import { type GuardsDeps, handleGuards, isGuardsPath } from './guards-api.ts';

/**
 * The Prometheus HTTP API subset that Grafana's Prometheus data source and scripts use, with
 * Prometheus' JSON shapes: `{status: "success", data}` and `{status: "error", errorType, error}`
 * with errorType bad_data (400), execution (422) or internal (500).
 */

export interface ApiDeps {
  engine: Engine;
  store: MemoryStore;
  rules: () => readonly GroupEvaluator[];
  targets: () => TargetStatus[];
  /** Now, in ms. */
  now: () => number;
  /** The text of /metrics. */
  metrics: () => string;
  ready: () => boolean;
  /** The rate guards' circuit breakers (/api/v1/guards); absent: no such endpoints. */
  guards?: GuardsDeps;
}

class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly errorType: 'bad_data' | 'execution' | 'internal' | 'not_found',
    message: string,
  ) {
    super(message);
  }
}

const bad = (message: string) => new ApiError(400, 'bad_data', message);

/** Parses Prometheus API times: Unix seconds (fractions allowed) or RFC 3339. */
export function parseTime(text: string, name: string): number {
  const n = Number(text);
  if (text.trim() !== '' && Number.isFinite(n)) return Math.round(n * 1000);
  const d = Date.parse(text);
  if (Number.isNaN(d)) throw bad(`invalid parameter "${name}": cannot parse "${text}" to a valid timestamp`);
  return d;
}

function parseStep(text: string): number {
  const n = Number(text);
  if (Number.isFinite(n)) return Math.round(n * 1000);
  const m = /^(\d+)(ms|s|m|h|d|w|y)$/.exec(text);
  if (!m) throw bad(`invalid parameter "step": cannot parse "${text}" to a valid duration`);
  return (
    Number(m[1]) *
    { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000, y: 31_536_000_000 }[m[2] as 's']
  );
}

const sample = (t: number, v: number): [number, string] => [t / 1000, formatFloatF(v)];

function formatValue(value: Value, t: number) {
  switch (value.type) {
    case 'scalar':
      return { resultType: 'scalar', result: sample(t, value.v) };
    case 'string':
      return { resultType: 'string', result: [t / 1000, value.s] };
    case 'vector':
      return {
        resultType: 'vector',
        result: value.samples.map((s) => ({ metric: s.labels, value: sample(t, s.v) })),
      };
    case 'matrix':
      return {
        resultType: 'matrix',
        result: value.series.map((s) => ({
          metric: s.labels,
          values: Array.from(s.t, (ts, i) => sample(ts, s.v[i]!)),
        })),
      };
  }
}

function selectorMatchers(text: string): Matcher[] {
  let expr: ReturnType<typeof parseExpr>;
  try {
    expr = parseExpr(text);
  } catch (err) {
    throw bad(`invalid parameter "match[]": ${(err as Error).message}`);
  }
  if (expr.kind !== 'vector') throw bad(`invalid parameter "match[]": ${text} is not a series selector`);
  return expr.matchers;
}

/**
 * Handles one request; resolves false when the path is not an API path (404 is then the
 * caller's).
 *
 * @example
 * http.createServer((req, res) => void handleApi(deps, req, res).then((ok) => ok || notFound(res)));
 */
export async function handleApi(deps: ApiDeps, req: IncomingMessage, res: ServerResponse): Promise<boolean> {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const path = url.pathname;
  if (path === '/healthz') {
    res.writeHead(200, { 'content-type': 'text/plain' }).end('OK\n');
    return true;
  }
  if (path === '/readyz') {
    const ready = deps.ready();
    res.writeHead(ready ? 200 : 503, { 'content-type': 'text/plain' }).end(ready ? 'OK\n' : 'replaying\n');
    return true;
  }
  if (path === '/metrics') {
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }).end(deps.metrics());
    return true;
  }
  if (deps.guards && isGuardsPath(path)) {
    await handleGuards(deps.guards, req, res);
    return true;
  }
  if (!path.startsWith('/api/v1/')) return false;
  try {
    const params = new URLSearchParams(url.search);
    if (req.method === 'POST') {
      const body = (await readBody(req, 1024 * 1024)).toString('utf8');
      for (const [k, v] of new URLSearchParams(body)) params.append(k, v);
    } else if (req.method !== 'GET') {
      throw new ApiError(405, 'bad_data', `method ${req.method} not allowed`);
    }
    sendJson(res, 200, { status: 'success', data: route(deps, path.slice('/api/v1/'.length), params) });
  } catch (err) {
    if (err instanceof ApiError) {
      sendJson(res, err.status, { status: 'error', errorType: err.errorType, error: err.message });
    } else if (isVigilError(err, 'parse')) {
      sendJson(res, 400, { status: 'error', errorType: 'bad_data', error: err.message });
    } else if (isVigilError(err)) {
      sendJson(res, 422, { status: 'error', errorType: 'execution', error: err.message });
    } else {
      sendJson(res, 500, { status: 'error', errorType: 'internal', error: 'internal error' });
    }
  }
  return true;
}

function route(deps: ApiDeps, endpoint: string, params: URLSearchParams): unknown {
  const required = (name: string) => {
    const v = params.get(name);
    if (v === null || v === '') throw bad(`invalid parameter "${name}": missing`);
    return v;
  };
  switch (endpoint) {
    case 'query': {
      const t = params.get('time') ? parseTime(params.get('time')!, 'time') : deps.now();
      return formatValue(deps.engine.instant(parseExpr(required('query')), t), t);
    }
    case 'query_range': {
      const start = parseTime(required('start'), 'start');
      const end = parseTime(required('end'), 'end');
      const step = parseStep(required('step'));
      if (end < start) throw bad('invalid parameter "end": end timestamp must not be before start time');
      if (step <= 0)
        throw bad(
          'invalid parameter "step": zero or negative query resolution step widths are not accepted. Try a positive integer',
        );
      if ((end - start) / step > 11_000)
        throw bad(
          'exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)',
        );
      const result = deps.engine.range(parseExpr(required('query')), start, end, step);
      return {
        resultType: 'matrix',
        result: result.series.map((s) => ({
          metric: s.labels,
          values: Array.from(s.t, (ts, i) => sample(ts, s.v[i]!)),
        })),
      };
    }
    case 'series': {
      const matches = params.getAll('match[]');
      if (matches.length === 0) throw bad('no match[] parameter provided');
      const seen = new Map<string, Labels>();
      for (const m of matches)
        for (const l of deps.store.seriesLabels(selectorMatchers(m)))
          seen.set(JSON.stringify(Object.entries(l).sort()), l);
      return [...seen.values()].sort(compareLabels);
    }
    case 'labels':
      return labelNames(deps, params.getAll('match[]'));
    case 'rules':
      return { groups: deps.rules().map((ev) => formatGroup(ev, params.get('type'))) };
    case 'alerts':
      return {
        alerts: deps.rules().flatMap((ev) => ev.activeAlerts().map(({ alert }) => formatAlert(alert))),
      };
    case 'targets':
      return {
        activeTargets: deps.targets().map((s) => ({
          discoveredLabels: s.target.discoveredLabels,
          labels: s.target.labels,
          scrapePool: s.target.job,
          scrapeUrl: s.scrapeUrl,
          globalUrl: s.scrapeUrl,
          lastError: s.lastError,
          lastScrape: s.lastScrape ? new Date(s.lastScrape).toISOString() : '0001-01-01T00:00:00Z',
          lastScrapeDuration: s.lastScrapeDurationSeconds,
          health: s.health,
          scrapeInterval: formatDuration(s.scrapeIntervalMs),
          scrapeTimeout: formatDuration(s.scrapeTimeoutMs),
        })),
        droppedTargets: [],
      };
    default: {
      const m = /^label\/([^/]+)\/values$/.exec(endpoint);
      if (m) {
        const name = decodeURIComponent(m[1]!);
        if (!/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(name)) throw bad(`invalid label name: "${name}"`);
        return deps.store.labelValues(name);
      }
      throw new ApiError(404, 'not_found', `unknown endpoint /api/v1/${endpoint}`);
    }
  }
}

function labelNames(deps: ApiDeps, matches: string[]): string[] {
  if (matches.length === 0) return deps.store.labelNames();
  const names = new Set<string>();
  for (const m of matches)
    for (const l of deps.store.seriesLabels(selectorMatchers(m)))
      for (const k of Object.keys(l)) names.add(k);
  return [...names].sort();
}

function formatAlert(alert: ReturnType<GroupEvaluator['activeAlerts']>[number]['alert']) {
  return {
    labels: alert.labels,
    annotations: alert.annotations,
    state: alert.state,
    activeAt: new Date(alert.activeAt).toISOString(),
    value: formatFloatF(alert.value),
  };
}

function formatGroup(ev: GroupEvaluator, type: string | null) {
  const rules = ev.group.rules
    .map((rule, index) => {
      const result = ev.lastResults[index];
      const common = {
        name: rule.name,
        query: rule.exprText,
        health: result ? (result.error ? 'err' : 'ok') : 'unknown',
        lastError: result?.error ?? '',
        evaluationTime: (result?.durationMs ?? 0) / 1000,
        lastEvaluation: new Date(ev.lastEvaluation).toISOString(),
      };
      if (rule.kind === 'recording') return { ...common, type: 'recording', labels: rule.labels };
      // A detector writes series like a recording rule; Grafana and scripts know only the two
      // Prometheus types, so it is shown as one, its description standing in for the query.
      if (rule.kind === 'detector') return { ...common, type: 'recording', labels: {}, detector: true };
      const alerts = [...(ev.alerts.get(index)?.values() ?? [])].filter((a) => a.state !== 'inactive');
      const state = alerts.some((a) => a.state === 'firing')
        ? 'firing'
        : alerts.length > 0
          ? 'pending'
          : 'inactive';
      return {
        ...common,
        type: 'alerting',
        state,
        duration: rule.forMs / 1000,
        keepFiringFor: rule.keepFiringForMs / 1000,
        labels: Object.fromEntries(rule.labels.map((l) => [l.name, l.template.source])),
        annotations: Object.fromEntries(rule.annotations.map((a) => [a.name, a.template.source])),
        alerts: alerts.map(formatAlert),
      };
    })
    .filter(
      (r) =>
        type === null ||
        (type === 'alert' ? r.type === 'alerting' : type === 'record' ? r.type === 'recording' : true),
    );
  return {
    name: ev.group.name,
    file: ev.group.file,
    rules,
    interval: (ev.group.intervalMs ?? 0) / 1000,
    evaluationTime: ev.lastDurationMs / 1000,
    lastEvaluation: new Date(ev.lastEvaluation).toISOString(),
  };
}
