import { describe, expect, it } from 'vitest';
import { rules, store as storeParts } from '../../../alerting/index.ts';
import { ManualClock } from '../../../core/index.ts';

/**
 * The SRE Workbook's burn-rate math, checked on vigil's own engine: a 99.9% SLO with the
 * default windows, a constant error rate starting at a known time after three healthy days,
 * evaluated every 30s on a ManualClock by the RuleManager the server runs. The time from the
 * start of the errors to the alert must equal burn-rate threshold x long window x budget /
 * error rate (the long window must fill up to the threshold; the short one fills sooner)
 * within one evaluation interval. docs/rules.md carries the same table.
 */

const minute = 60_000;
const hour = 60 * minute;
const day = 24 * hour;
const scrapeMs = 15_000;
const evalMs = 30_000;
const budget = 0.001;
const requestsPerScrape = 1000;
/** Three healthy days first, so every alert window is full of normal traffic at the onset. */
const onset = 3 * day;

const ruleFile = `
apiVersion: vigil/v1
slos:
  - name: api
    objective: 99.9
    sli:
      errors: sum(rate(requests_total{code="500"}[{{.window}}]))
      total: sum(rate(requests_total[{{.window}}]))
`;

interface Firing {
  severity: string;
  firedAt: number;
  resolvedAt: number | undefined;
}

/** Counters scraped every 15s; `errorRate(t)` is the share of the requests that fail. */
function fill(store: storeParts.MemoryStore, until: number, errorRate: (t: number) => number): void {
  let total = 0;
  let errors = 0;
  for (let t = 0; t <= until; t += scrapeMs) {
    total += requestsPerScrape;
    errors += requestsPerScrape * errorRate(t);
    store.append({ __name__: 'requests_total', code: '200' }, t, total - errors);
    store.append({ __name__: 'requests_total', code: '500' }, t, errors);
  }
}

async function simulate(
  errorRate: (t: number) => number,
  from: number,
  until: number,
  intervalMs = evalMs,
): Promise<Firing[]> {
  const store = new storeParts.MemoryStore({ maxSeries: 1000, retentionMs: Number.MAX_SAFE_INTEGER });
  fill(store, until, errorRate);
  const clock = new ManualClock(from);
  const firings: Firing[] = [];
  const open = new Map<string, Firing>();
  const append = (labels: storeParts.Labels, t: number, v: number) => {
    store.append(labels, t, v);
  };
  const manager = new rules.RuleManager(rules.parseRuleFile('slo.yaml', ruleFile), store, append, {
    clock,
    defaultIntervalMs: intervalMs,
    notify: (_rule, transitions, t) => {
      for (const tr of transitions) {
        const severity = tr.alert.labels.severity!;
        if (tr.to === 'firing') {
          const f = { severity, firedAt: t, resolvedAt: undefined };
          open.set(severity, f);
          firings.push(f);
        } else if (tr.from === 'firing') {
          const f = open.get(severity);
          if (f) f.resolvedAt = t;
          open.delete(severity);
        }
      }
    },
  });
  manager.start();
  await clock.advanceTo(until);
  manager.stop();
  return firings;
}

/** Workbook: the time for the long window's error ratio to reach burnRate x budget. */
function timeToDetect(burnRate: number, longMs: number, errorRate: number): number {
  return (burnRate * longMs * budget) / errorRate;
}

const first = (firings: Firing[], severity: string) => firings.find((f) => f.severity === severity);

describe('SLO burn-rate alerts follow the SRE Workbook (99.9%, default windows)', () => {
  // rate, expected page (the fastest page window that can reach its threshold), expected ticket
  const cases = [
    { rate: 0.002, page: undefined, ticket: timeToDetect(1, 3 * day, 0.002) }, // 36h
    { rate: 0.01, page: timeToDetect(6, 6 * hour, 0.01), ticket: timeToDetect(3, day, 0.01) }, // 3.6h, 7.2h
    { rate: 0.1, page: timeToDetect(14.4, hour, 0.1), ticket: timeToDetect(3, day, 0.1) }, // 8.64m, 43.2m
    { rate: 1, page: timeToDetect(14.4, hour, 1), ticket: timeToDetect(3, day, 1) }, // 51.84s, 4.32m
  ];

  for (const c of cases) {
    it(`an error rate of ${c.rate * 100}% pages after ${c.page === undefined ? 'never' : `${c.page / minute} min`} and tickets after ${c.ticket / minute} min`, async () => {
      const until = onset + c.ticket + 10 * minute;
      const firings = await simulate((t) => (t >= onset ? c.rate : 0), onset - 10 * minute, until);
      const page = first(firings, 'page');
      if (c.page === undefined) expect(page).toBeUndefined();
      else {
        expect(page, 'page').toBeDefined();
        expect(Math.abs(page!.firedAt - onset - c.page)).toBeLessThanOrEqual(evalMs);
      }
      const ticket = first(firings, 'ticket');
      expect(ticket, 'ticket').toBeDefined();
      expect(Math.abs(ticket!.firedAt - onset - c.ticket)).toBeLessThanOrEqual(evalMs);
    }, 120_000);
  }

  it('an error rate exactly at budget (burn rate 1) never pages nor tickets, over 4 days', async () => {
    // Evaluated every 2 minutes: nothing here is about timing, and four days are many steps.
    const firings = await simulate(
      (t) => (t >= onset ? budget : 0),
      onset - 10 * minute,
      onset + 4 * day,
      2 * minute,
    );
    expect(firings).toEqual([]);
  }, 120_000);

  it('a 10-minute full outage resets when no window pair holds any more (5m short window, then 30m)', async () => {
    const outage = 10 * minute;
    const end = onset + outage;
    const firings = await simulate(
      (t) => (t >= onset && t < end ? 1 : 0),
      onset - 10 * minute,
      end + 2 * hour,
    );
    const page = first(firings, 'page');
    expect(page).toBeDefined();
    // The error ratio of a window W at t is the share of W that overlaps the outage. Each page
    // pair holds while both of its windows are above burn x budget; the alert resets when none does.
    const ratio = (w: number, t: number) => Math.max(0, Math.min(t, end) - Math.max(t - w, onset)) / w;
    const pairs = [
      { long: hour, short: 5 * minute, burn: 14.4 },
      { long: 6 * hour, short: 30 * minute, burn: 6 },
    ];
    const holds = (t: number) =>
      pairs.some((p) => ratio(p.long, t) > p.burn * budget && ratio(p.short, t) > p.burn * budget);
    let expected = end;
    while (holds(expected)) expected += 1000;
    // Workbook: a pair resets short window x (1 - burn x budget / error rate) after the errors stop.
    expect(Math.abs(expected - end - 30 * minute * (1 - 6 * budget))).toBeLessThanOrEqual(1000);
    expect(page!.resolvedAt).toBeDefined();
    expect(Math.abs(page!.resolvedAt! - expected)).toBeLessThanOrEqual(evalMs);
    // With only the 1h/5m pair, it would have reset within 5 minutes: the 6h/30m pair holds it.
    expect(page!.resolvedAt! - end).toBeGreaterThan(5 * minute);
  });
});
