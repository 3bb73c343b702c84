import type { MemoryStore } from '../../../alerting/store/index.ts';
import type { Labels, RandomSource } from '../../../core/index.ts';

/**
 * A seeded, generated workload for the rule kinds' scenario tests: Poisson counts of events per
 * scrape, a daily cycle (busiest mid-afternoon, quietest at 3 am), quieter weekends, and
 * deploys that restart the process (counters reset to 0 and two scrapes are missed). Incidents
 * are written by changing a counter's rate function over a time range.
 */

export const minute = 60_000;
export const hour = 60 * minute;
export const day = 24 * hour;
/** A Monday 00:00 UTC, so that days 5 and 6 of the run are a weekend. */
export const monday = Date.UTC(2026, 0, 5);

/** Traffic multiplier at `t`: 0.3 at 3 am, 1 at 3 pm, weekends at 60%. */
export function seasonal(t: number): number {
  const hourOfDay = (t % day) / hour;
  const daily = 0.65 - 0.35 * Math.cos(((hourOfDay - 3) / 24) * 2 * Math.PI);
  const weekday = Math.floor((t - monday) / day) % 7;
  return daily * (weekday >= 5 ? 0.6 : 1);
}

/** A Poisson draw (Knuth below 30, a normal approximation above). */
export function poisson(random: RandomSource, lambda: number): number {
  if (lambda <= 0) return 0;
  if (lambda > 30) {
    const u = Math.max(random(), 1e-12);
    const z = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
    return Math.max(0, Math.round(lambda + Math.sqrt(lambda) * z));
  }
  const limit = Math.exp(-lambda);
  let k = 0;
  let p = 1;
  do {
    k++;
    p *= random();
  } while (p > limit && k < 1000);
  return k - 1;
}

export interface CounterSpec {
  labels: Labels;
  /** Events per second at `t`; undefined: the series is not exported at `t` (a gone process). */
  rate(t: number): number | undefined;
}

export interface WorkloadOptions {
  random: RandomSource;
  start: number;
  end: number;
  /** Scrape interval (ms). */
  stepMs: number;
  /** Times of deploys: every counter restarts from 0 and two scrapes are missed. */
  deploys: readonly number[];
}

/** Writes every counter's samples into `store`; returns how many samples it wrote. */
export function writeCounters(
  store: MemoryStore,
  counters: readonly CounterSpec[],
  o: WorkloadOptions,
): number {
  let written = 0;
  const deploys = [...o.deploys].sort((a, b) => a - b);
  for (const c of counters) {
    let value = 0;
    let nextDeploy = 0;
    for (let t = o.start; t <= o.end; t += o.stepMs) {
      const rate = c.rate(t);
      if (rate === undefined) continue;
      value += poisson(o.random, (rate * o.stepMs) / 1000);
      if (nextDeploy < deploys.length && t >= deploys[nextDeploy]!) {
        // The restart: a gap of two scrapes, then the counter starts again from 0.
        if (t < deploys[nextDeploy]! + 2 * o.stepMs) continue;
        nextDeploy++;
        value = 0;
      }
      store.append(c.labels, t, value);
      written++;
    }
  }
  return written;
}

/** `n` deploy times spread over [start, end), on weekdays' working hours. */
export function deployTimes(random: RandomSource, start: number, end: number, n: number): number[] {
  const out: number[] = [];
  for (let i = 0; out.length < n && i < 100 * n; i++) {
    const t = start + Math.floor(random() * (end - start));
    const hourOfDay = (t % day) / hour;
    const weekday = Math.floor((t - monday) / day) % 7;
    if (weekday < 5 && hourOfDay >= 9 && hourOfDay < 17) out.push(t - (t % minute));
  }
  return out;
}
