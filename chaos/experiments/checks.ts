import { VigilError } from '../../core/index.ts';
import type { Comparison, ProbeCondition, PromqlCondition } from './model.ts';

/** The outcome of one check: whether it held, and a line saying why, for the timeline. */
export interface CheckResult {
  ok: boolean;
  detail: string;
}

/** One sample of an instant query: labels and value. */
export interface Sample {
  metric: Record<string, string>;
  value: number;
}

/**
 * Applies a comparison operator of the experiment format.
 *
 * @example
 * compare(0.995, '>=', 0.99); // true
 */
export function compare(value: number, op: Comparison, threshold: number): boolean {
  switch (op) {
    case '<':
      return value < threshold;
    case '<=':
      return value <= threshold;
    case '>':
      return value > threshold;
    case '>=':
      return value >= threshold;
    case '==':
      return value === threshold;
    case '!=':
      return value !== threshold;
  }
}

/**
 * Judges, purely, a PromQL condition on its query result: with op and threshold every sample
 * must compare so (an empty result does not hold: no data is no evidence); without them the
 * condition holds when the result is not empty, as an alert expression fires.
 *
 * @example
 * judgePromql({ name: 'ok', promql: 'x', op: '>=', threshold: 0.99, phases: ['after'] }, [{ metric: {}, value: 1 }]); // ok
 */
export function judgePromql(condition: PromqlCondition, samples: Sample[]): CheckResult {
  const values = samples.map((s) => s.value);
  const shown =
    values.length === 0 ? 'no data' : values.map((v) => String(Math.round(v * 10000) / 10000)).join(', ');
  if (condition.op === undefined || condition.threshold === undefined) {
    return {
      ok: samples.length > 0,
      detail: samples.length > 0 ? `${samples.length} series` : 'empty result',
    };
  }
  const ok = samples.length > 0 && values.every((v) => compare(v, condition.op!, condition.threshold!));
  return { ok, detail: `${shown} (want ${condition.op} ${condition.threshold})` };
}

/**
 * Runs an instant query against a Prometheus-compatible API (`/api/v1/query`).
 *
 * @example
 * await queryPrometheus('http://127.0.0.1:9090', 'up'); // [{ metric: { job: 'x' }, value: 1 }]
 */
export async function queryPrometheus(
  baseUrl: string,
  expr: string,
  signal?: AbortSignal,
): Promise<Sample[]> {
  const url = new URL('/api/v1/query', baseUrl);
  url.searchParams.set('query', expr);
  const body = await fetchJson(url, signal);
  const data = (body as { data?: { resultType?: string; result?: unknown } }).data;
  if (data?.resultType === 'scalar') {
    const [, v] = data.result as [number, string];
    return [{ metric: {}, value: Number(v) }];
  }
  if (data?.resultType !== 'vector' || !Array.isArray(data.result)) {
    throw new VigilError(
      'parse',
      `${url.origin}: query "${expr}": expected an instant vector, got ${data?.resultType ?? 'nothing'}`,
    );
  }
  return (data.result as Array<{ metric: Record<string, string>; value: [number, string] }>).map((r) => ({
    metric: r.metric,
    value: Number(r.value[1]),
  }));
}

export interface AlertView {
  labels: Record<string, string>;
  state: string;
}

/**
 * Active alerts from a Prometheus-compatible API (`/api/v1/alerts`).
 *
 * @example
 * firingMatch(await fetchAlerts('http://127.0.0.1:9090'), { alertname: 'PhotosDown' });
 */
export async function fetchAlerts(baseUrl: string, signal?: AbortSignal): Promise<AlertView[]> {
  const body = await fetchJson(new URL('/api/v1/alerts', baseUrl), signal);
  return ((body as { data?: { alerts?: AlertView[] } }).data?.alerts ?? []).map((a) => ({
    labels: a.labels ?? {},
    state: a.state,
  }));
}

/**
 * The first firing alert whose labels include all of `labels`, or undefined.
 *
 * @example
 * firingMatch([{ labels: { alertname: 'A' }, state: 'firing' }], { alertname: 'A' }); // the alert
 */
export function firingMatch(alerts: AlertView[], labels: Record<string, string>): AlertView | undefined {
  return alerts.find(
    (a) => a.state === 'firing' && Object.entries(labels).every(([k, v]) => a.labels[k] === v),
  );
}

async function fetchJson(url: URL, signal?: AbortSignal): Promise<unknown> {
  let res: Response;
  try {
    res = await fetch(url, {
      signal: signal ? AbortSignal.any([signal, AbortSignal.timeout(10_000)]) : AbortSignal.timeout(10_000),
    });
  } catch (err) {
    throw new VigilError('unavailable', `${url.origin}${url.pathname}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  if (!res.ok)
    throw new VigilError(
      'unavailable',
      `${url.origin}${url.pathname}: HTTP ${res.status}: ${(await res.text()).slice(0, 200)}`,
    );
  return res.json();
}

/**
 * Runs an HTTP probe `samples` times and judges it by its tolerance: a sample fails on a
 * status outside the list, a latency over the maximum, or no answer in time.
 *
 * @example
 * await runProbe(condition); // { ok: true, detail: '3/3 healthy' }
 */
export async function runProbe(condition: ProbeCondition, signal?: AbortSignal): Promise<CheckResult> {
  const { http } = condition.probe;
  const t = condition.tolerance;
  let failures = 0;
  const notes: string[] = [];
  for (let i = 0; i < t.samples; i++) {
    const start = performance.now();
    try {
      const timeout = AbortSignal.timeout(http.timeout);
      const res = await fetch(http.url, {
        method: http.method,
        headers: http.headers,
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      });
      await res.arrayBuffer();
      const ms = performance.now() - start;
      if (!t.status.includes(res.status)) {
        failures++;
        notes.push(`status ${res.status}`);
      } else if (t.maxLatency !== undefined && ms > t.maxLatency) {
        failures++;
        notes.push(`${Math.round(ms)} ms`);
      }
    } catch (err) {
      failures++;
      notes.push((err as Error).name === 'TimeoutError' ? 'timeout' : 'no answer');
    }
  }
  const ok = failures <= t.maxFailures;
  return {
    ok,
    detail: `${t.samples - failures}/${t.samples} healthy${notes.length ? ` (${[...new Set(notes)].join(', ')})` : ''}`,
  };
}
