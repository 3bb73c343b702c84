import { beforeAll, describe, expect, it } from 'vitest';
import { exportRuleFile } from '../../../alerting/kinds/index.ts';
import { parseVigilRuleFile } from '../../../alerting/rules/index.ts';
import { seededRandom } from '../../../core/index.ts';
import { runScenario, scenarioStore } from './scenario.ts';
import {
  type CounterSpec,
  day,
  deployTimes,
  hour,
  minute,
  monday,
  seasonal,
  writeCounters,
} from './workload.ts';

/**
 * The broken authorizer: every user gets 401. Normally a few requests fail with 401 (expired
 * tokens) and one misconfigured client gets 401 on most of its calls; on day 8 at 11:00 every
 * user gets 401 on everything for an hour.
 */

const rules = `
apiVersion: vigil/v1
client_errors:
  - name: Unauthorized
    requests: http_server_request_duration_seconds_count{job="photos"}
    class: "401|403"
    segment: user
    for: 10m
`;

const start = monday;
const broken = monday + 7 * day + 11 * hour;
const fixed = broken + hour;
const end = monday + 8 * day;

function workload(incident: boolean) {
  const random = seededRandom(11);
  const store = scenarioStore();
  const counters: CounterSpec[] = [];
  const metric = 'http_server_request_duration_seconds_count';
  for (let i = 0; i < 20; i++) {
    const user = `u${String(i).padStart(2, '0')}`;
    const base = 0.2 + (i % 5) * 0.15;
    // u03 runs a client with a revoked key: most of its calls are refused, every day.
    const share401 = i === 3 ? 0.7 : 0.003;
    const authBroken = (t: number) => incident && t >= broken && t < fixed;
    const labels = (code: string) => ({
      __name__: metric,
      job: 'photos',
      user,
      http_response_status_code: code,
    });
    counters.push({
      labels: labels('200'),
      rate: (t) => (authBroken(t) ? 0 : (1 - share401) * base * seasonal(t)),
    });
    counters.push({
      labels: labels('401'),
      rate: (t) => (authBroken(t) ? 1 : share401) * base * seasonal(t),
    });
    counters.push({ labels: labels('404'), rate: (t) => 0.02 * base * seasonal(t) });
  }
  writeCounters(store, counters, {
    random,
    start,
    end,
    stepMs: minute,
    deploys: deployTimes(random, start, end, 6),
  });
  return store;
}

describe('client_errors: all users unauthorized', () => {
  let run: Awaited<ReturnType<typeof runScenario>>;
  beforeAll(async () => {
    run = await runScenario(rules, workload(true), { start, end, intervalMs: 10 * minute });
  });

  it('stays silent over the normal week before: one client always refused, expired tokens, nights, deploys', () => {
    expect(run.errors).toEqual([]);
    expect(run.fired.filter((f) => f.at < broken)).toEqual([]);
  });

  it('pages on both signals, the share that jumped and the spread over nearly all users', () => {
    const reasons = new Map(run.fired.map((f) => [f.labels.reason, f.at]));
    expect([...reasons.keys()].sort()).toEqual(['jump', 'spread']);
    for (const at of reasons.values()) expect(at - broken).toBeLessThanOrEqual(30 * minute);
  });
});

describe('client_errors: the exported PromQL approximation', () => {
  it('pages on both signals on the same data, and not in the normal week before', async () => {
    const exported = exportRuleFile(parseVigilRuleFile('client-errors.yaml', rules));
    const { fired, errors } = await runScenario(exported, workload(true), {
      start,
      end,
      intervalMs: 10 * minute,
    });
    expect(errors).toEqual([]);
    expect(fired.filter((f) => f.at < broken)).toEqual([]);
    const reasons = new Map(fired.map((f) => [f.labels.reason, f.at]));
    expect([...reasons.keys()].sort()).toEqual(['jump', 'spread']);
    for (const at of reasons.values()) expect(at - broken).toBeLessThanOrEqual(30 * minute);
  });
});
