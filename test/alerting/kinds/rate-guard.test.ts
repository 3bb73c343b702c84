import { beforeAll, describe, expect, it } from 'vitest';
import { exportRuleFile, isTripped } from '../../../alerting/kinds/index.ts';
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
 * A garbage collector that deletes 100x its usual rate: normally it deletes the photos of
 * erased users, about 0.3 a second in bursts; on day 8 at 16:00 it starts deleting live
 * photos at 60 a second for 20 minutes.
 */

const rules = `
apiVersion: vigil/v1
rate_guards:
  - name: GcDeletes
    expr: sum(rate(demo_gc_deleted_objects_total[5m]))
    factor: 100
    min_rate: 1
`;

const start = monday;
const runaway = monday + 7 * day + 16 * hour;
const stopped = runaway + 20 * minute;
const end = monday + 8 * day;

function workload(incident: boolean) {
  const random = seededRandom(23);
  const store = scenarioStore();
  const counters: CounterSpec[] = [
    {
      labels: { __name__: 'demo_gc_deleted_objects_total', job: 'demo-gc' },
      // A pass every 10 minutes that deletes for 2: bursts of 1.5/s, 0.3/s on average.
      rate: (t) =>
        incident && t >= runaway && t < stopped ? 60 : t % (10 * minute) < 2 * minute ? 1.5 * seasonal(t) : 0,
    },
  ];
  writeCounters(store, counters, {
    random,
    start,
    end,
    stepMs: minute,
    deploys: deployTimes(random, start, end, 6),
  });
  return store;
}

describe('rate_guards: a garbage collector deleting 100x', () => {
  let run: Awaited<ReturnType<typeof runScenario>>;
  beforeAll(async () => {
    run = await runScenario(rules, workload(true), { start, end, intervalMs: minute });
  });

  it('stays silent over the normal week before: bursty passes, nights, deploys', () => {
    expect(run.errors).toEqual([]);
    expect(run.fired.filter((f) => f.at < runaway)).toEqual([]);
  });

  it('pages at once and trips the breaker, which stays tripped after the deletes stop until a person resets it', () => {
    expect(run.fired.length).toBe(1);
    const page = run.fired[0]!;
    expect(page.labels.vigil_guard).toBe('GcDeletes');
    // Within rate()'s 5m window: 60/s shows as 100x the baseline after a few minutes of it.
    expect(page.at - runaway).toBeLessThanOrEqual(5 * minute);
    const breaker = run.guards.get('GcDeletes')!;
    expect(isTripped(breaker)).toBe(true);
    expect(breaker.since).toBe(page.at);
    expect(breaker.why).toMatch(/^GcDeletes fired with value \d+/);
    const after = run.guards.reset('GcDeletes', end, 'alice', 'GC config fixed');
    expect(isTripped(after)).toBe(false);
    expect(after.lastReset).toEqual({ by: 'alice', at: end, reason: 'GC config fixed' });
  });
});

describe('rate_guards: the exported PromQL approximation', () => {
  it('pages once, as fast, on the same data, with the breaker label', async () => {
    const exported = exportRuleFile(parseVigilRuleFile('deletes.yaml', rules));
    const { fired, errors, guards } = await runScenario(exported, workload(true), {
      start,
      end,
      intervalMs: minute,
    });
    expect(errors).toEqual([]);
    expect(fired.map((f) => f.labels.vigil_guard)).toEqual(['GcDeletes']);
    expect(fired[0]!.at - runaway).toBeLessThanOrEqual(5 * minute);
    expect(isTripped(guards.get('GcDeletes')!)).toBe(true);
  });
});
