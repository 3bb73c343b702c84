import { beforeAll, describe, expect, it } from 'vitest';
import { exportRuleFile } from '../../../alerting/kinds/index.ts';
import { Engine, parseExpr } from '../../../alerting/promql/index.ts';
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
 * One customer 100% down while the total error rate stays near 1%: twelve customers of very
 * different sizes, a normal 1% of 5xx each; on day 8, the small customer c07 fails every
 * request for an hour.
 */

const rules = `
apiVersion: vigil/v1
anomalies:
  - name: CustomerErrorRatio
    errors: requests_total{code=~"5.."}
    total: requests_total
    by: [customer]
    min_volume: 0.05
    threshold: 6
    for: 10m
`;

const start = monday;
const down = monday + 7 * day + 15 * hour;
const up = down + hour;
const end = monday + 8 * day;

function workload(incident: boolean) {
  const random = seededRandom(7);
  const store = scenarioStore();
  const counters: CounterSpec[] = [];
  for (let i = 0; i < 12; i++) {
    const customer = `c${String(i).padStart(2, '0')}`;
    // Sizes from 10/s down to 1.3/s, and c07 at 0.2/s: about 0.5% of all requests.
    const base = i === 7 ? 0.2 : 10 / (1 + i * 0.6);
    const broken = (t: number) => incident && i === 7 && t >= down && t < up;
    counters.push({
      labels: { __name__: 'requests_total', customer, code: '200' },
      rate: (t) => (broken(t) ? 0 : 0.99 * base * seasonal(t)),
    });
    counters.push({
      labels: { __name__: 'requests_total', customer, code: '500' },
      rate: (t) => (broken(t) ? base * seasonal(t) : 0.01 * base * seasonal(t)),
    });
  }
  writeCounters(store, counters, {
    random,
    start,
    end,
    stepMs: minute,
    deploys: deployTimes(random, start, end, 4),
  });
  return store;
}

describe('anomalies: one customer down', () => {
  let store: ReturnType<typeof workload>;
  let run: Awaited<ReturnType<typeof runScenario>>;
  beforeAll(async () => {
    store = workload(true);
    run = await runScenario(rules, store, { start, end, intervalMs: 10 * minute });
  });

  it('stays silent over the normal week before it: weekend, nights, noise, deploys, small customers', () => {
    expect(run.errors).toEqual([]);
    expect(run.fired.filter((f) => f.at < down)).toEqual([]);
  });

  it('pages for that customer alone while the total error ratio stays under 2%', () => {
    const { fired, manager } = run;
    expect(fired.length).toBeGreaterThan(0);
    expect(new Set(fired.map((f) => f.labels.customer))).toEqual(new Set(['c07']));
    // rate()'s 5m window, then `for: 10m` on a 10m evaluation grid.
    expect(fired[0]!.at - down).toBeLessThanOrEqual(30 * minute);
    const engine = new Engine(store);
    const total = engine.instant(
      parseExpr('sum(rate(requests_total{code=~"5.."}[5m])) / sum(rate(requests_total[5m]))'),
      down + 30 * minute,
    );
    expect(total.type === 'vector' && total.samples[0]!.v).toBeLessThan(0.02);
    // The score is a series, graphable and alertable: c07's is far above the threshold.
    const score = manager.query(parseExpr('vigil:anomaly:score{customer="c07"}'), down + 30 * minute);
    expect(score[0]!.v).toBeGreaterThan(20);
  });
});

describe('anomalies: the exported PromQL approximation', () => {
  it('pages for c07 alone on the same data, and not in the normal week before', async () => {
    const exported = exportRuleFile(parseVigilRuleFile('anomaly.yaml', rules));
    const { fired, errors } = await runScenario(exported, workload(true), {
      start,
      end,
      intervalMs: 10 * minute,
    });
    expect(errors).toEqual([]);
    expect(fired.filter((f) => f.at < down)).toEqual([]);
    expect(new Set(fired.map((f) => f.labels.customer))).toEqual(new Set(['c07']));
    expect(fired[0]!.at - down).toBeLessThanOrEqual(30 * minute);
  });
});
