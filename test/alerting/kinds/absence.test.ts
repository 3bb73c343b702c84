import { describe, expect, it } from 'vitest';
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
 * The uploader that loses its permission: no uploads arrive, so no errors either, and the
 * error ratio reads 0% (or nothing at all). Eight normal days (a weekend, deploys, noise)
 * then, on day 9, region eu stops uploading at 10:00 and region ap's uploader disappears
 * (its series stop being exported) at 14:00.
 */

const rules = `
apiVersion: vigil/v1
absence:
  - name: UploadsStopped
    expr: sum by (region) (rate(uploads_total[5m]))
    below: 0.2
    min_baseline: 0.2
    baseline: { seasons: [1d, 1w], min_points: 6 }
    for: 10m
`;

const start = monday;
const euStops = monday + 8 * day + 10 * hour;
const apGone = monday + 8 * day + 14 * hour;
const end = monday + 8 * day + 18 * hour;

function workload(incidents: boolean) {
  const random = seededRandom(4);
  const store = scenarioStore();
  const counters: CounterSpec[] = [];
  for (const [region, base] of [
    ['eu', 3],
    ['us', 5],
    ['ap', 1],
  ] as const) {
    const stopped = (t: number) => incidents && region === 'eu' && t >= euStops;
    const gone = (t: number) => incidents && region === 'ap' && t >= apGone;
    counters.push({
      labels: { __name__: 'uploads_total', region },
      rate: (t) => (gone(t) ? undefined : stopped(t) ? 0 : base * seasonal(t)),
    });
    counters.push({
      labels: { __name__: 'upload_errors_total', region },
      rate: (t) => (gone(t) ? undefined : stopped(t) ? 0 : 0.005 * base * seasonal(t)),
    });
  }
  writeCounters(store, counters, {
    random,
    start,
    end,
    stepMs: minute,
    deploys: deployTimes(random, start, end, 12),
  });
  return store;
}

describe('absence: the uploader that loses its permission', () => {
  it('pages for the region whose uploads stopped and the one whose series vanished, while the error ratio reads no errors', async () => {
    const store = workload(true);
    const { fired, errors } = await runScenario(rules, store, { start, end, intervalMs: 5 * minute });
    expect(errors).toEqual([]);
    const eu = fired.filter((f) => f.labels.region === 'eu');
    const ap = fired.filter((f) => f.labels.region === 'ap');
    expect(fired.filter((f) => f.at < euStops)).toEqual([]);
    expect(eu.length).toBeGreaterThan(0);
    // rate()'s 5m window, then `for: 10m`, on a 5m evaluation grid: 15m measured.
    expect(eu[0]!.at - euStops).toBeLessThanOrEqual(20 * minute);
    expect(ap.length).toBeGreaterThan(0);
    expect(ap[0]!.at - apGone).toBeLessThanOrEqual(20 * minute);
    expect(fired.filter((f) => f.labels.region === 'us')).toEqual([]);
    // What a plain error-ratio alert sees meanwhile: no error ratio above 1% in eu, so it stays silent.
    const engine = new Engine(store);
    const ratio = engine.instant(
      parseExpr(
        'sum by (region) (rate(upload_errors_total{region="eu"}[5m])) / sum by (region) (rate(uploads_total{region="eu"}[5m])) > 0.01',
      ),
      euStops + hour,
    );
    expect(ratio.type === 'vector' && ratio.samples).toEqual([]);
  });

  it('stays silent over the same eight days and more without the incident: weekend, nights, deploys', async () => {
    const { fired, errors } = await runScenario(rules, workload(false), {
      start,
      end,
      intervalMs: 5 * minute,
    });
    expect(errors).toEqual([]);
    expect(fired).toEqual([]);
  });
});

describe('absence: the exported PromQL approximation', () => {
  it('pages for the same regions on the same data, as plain rules in the engine Prometheus agrees with', async () => {
    const exported = exportRuleFile(parseVigilRuleFile('absence.yaml', rules));
    expect(exported).not.toMatch(/^(absence|apiVersion):/m);
    const { fired, errors } = await runScenario(exported, workload(true), {
      start,
      end,
      intervalMs: 5 * minute,
    });
    expect(errors).toEqual([]);
    expect(fired.filter((f) => f.at < euStops)).toEqual([]);
    const first = (region: string) => fired.find((f) => f.labels.region === region)?.at;
    expect(first('eu')! - euStops).toBeLessThanOrEqual(20 * minute);
    expect(first('ap')! - apGone).toBeLessThanOrEqual(20 * minute);
    expect(first('us')).toBeUndefined();
  });
});

describe('absence: a whole job', () => {
  it('pages when every target of the job is down, and when its targets are gone altogether', async () => {
    const store = scenarioStore();
    const rule =
      'apiVersion: vigil/v1\nabsence:\n  - name: PhotosGone\n    expr: sum(up{job="photos"})\n    job: photos\n    for: 5m\n';
    // Two targets up for an hour; then both down for an hour; then no series at all.
    for (let t = start; t <= start + 4 * hour; t += minute) {
      if (t >= start + 2 * hour) continue;
      for (const instance of ['a:80', 'b:80'])
        store.append({ __name__: 'up', job: 'photos', instance }, t, t < start + hour ? 1 : 0);
    }
    const { fired, errors } = await runScenario(rule, store, {
      start,
      end: start + 4 * hour,
      intervalMs: minute,
    });
    expect(errors).toEqual([]);
    const jobDown = fired.filter((f) => f.labels.reason === 'job_down');
    expect(jobDown.map((f) => [f.labels.job, (f.at - start) / minute])).toEqual([['photos', 65]]);
    // Still firing once the series are gone (absent() takes over from max(up) == 0): no second page.
    expect(fired.filter((f) => f.at > start + 2 * hour && f.labels.reason === 'job_down')).toEqual([]);
  });
});
