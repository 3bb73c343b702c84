import { describe, expect, it } from 'vitest';
import { parseRuleFile, RuleManager, type Transition } from '../../../alerting/rules/index.ts';
import { isStaleNaN, MemoryStore, newMatcher } from '../../../alerting/store/index.ts';
import { ManualClock } from '../../../core/index.ts';

const groups = parseRuleFile(
  'rules.yml',
  `groups:
  - name: g
    interval: 10s
    rules:
      - record: job:errors:sum
        expr: sum by (job) (errors)
      - alert: Errors
        expr: job:errors:sum > 2
        for: 20s
`,
);

describe('RuleManager', () => {
  it('evaluates groups on their interval, writes results and staleness, and notifies transitions', async () => {
    const clock = new ManualClock(0);
    const store = new MemoryStore();
    const transitions: string[] = [];
    const manager = new RuleManager(groups, store, (l, t, v) => store.append(l, t, v), {
      clock,
      defaultIntervalMs: 60_000,
      notify: (_rule, list: Transition[], t) => {
        for (const x of list) transitions.push(`${t / 1000}s ${x.from}->${x.to}`);
      },
    });
    for (let t = 0; t <= 60_000; t += 5_000)
      store.append({ __name__: 'errors', job: 'api', i: 'a' }, t, t < 45_000 ? 3 : 0);
    manager.start();
    await clock.advance(60_000);
    manager.stop();
    expect(transitions).toEqual(['10s new->pending', '30s pending->firing', '50s firing->inactive']);
    const [alerts] = store.select(
      [newMatcher('__name__', '=', 'ALERTS'), newMatcher('alertstate', '=', 'firing')],
      0,
      60_000,
    );
    expect(Array.from(alerts!.t)).toEqual([30_000, 40_000, 50_000]);
    expect(isStaleNaN(alerts!.v[2]!)).toBe(true);
    const [recorded] = store.select([newMatcher('__name__', '=', 'job:errors:sum')], 0, 60_000);
    expect(Array.from(recorded!.v)).toEqual([3, 3, 3, 3, 0, 0]);
  });

  it('keeps alert state across a reload of the same rules, and resets changed ones', async () => {
    const clock = new ManualClock(0);
    const store = new MemoryStore();
    for (let t = 0; t <= 120_000; t += 5_000) store.append({ __name__: 'errors', job: 'api' }, t, 5);
    const manager = new RuleManager(groups, store, (l, t, v) => store.append(l, t, v), {
      clock,
      defaultIntervalMs: 60_000,
    });
    manager.start();
    await clock.advance(30_000);
    const firing = manager.evaluators[0]!.activeAlerts().map((a) => [a.alert.state, a.alert.activeAt]);
    expect(firing).toEqual([['firing', 10_000]]);
    manager.replaceGroups(
      parseRuleFile(
        'rules.yml',
        'groups:\n  - name: g\n    interval: 10s\n    rules:\n      - record: job:errors:sum\n        expr: sum by (job) (errors)\n      - alert: Errors\n        expr: job:errors:sum > 2\n        for: 20s\n      - alert: New\n        expr: job:errors:sum > 1\n        for: 1m\n',
      ),
    );
    await clock.advance(10_000);
    const states = manager.evaluators[0]!.activeAlerts().map((a) => [
      a.rule.name,
      a.alert.state,
      a.alert.activeAt,
    ]);
    expect(states).toEqual([
      ['Errors', 'firing', 10_000],
      ['New', 'pending', 40_000],
    ]);
    manager.stop();
  });

  it('reports a full store on the rule and keeps evaluating the group', () => {
    const store = new MemoryStore({ maxSeries: 1, retentionMs: 3_600_000 });
    store.append({ __name__: 'errors', job: 'api' }, 0, 5);
    const manager = new RuleManager(groups, store, (l, t, v) => store.append(l, t, v), {
      defaultIntervalMs: 60_000,
    });
    const ev = manager.evaluators[0]!;
    manager.evaluateGroup(ev, 10_000);
    // The recording rule could not write; the alert rule after it still ran (and found nothing).
    expect(ev.lastResults.map((r) => r.error)).toEqual([
      expect.stringMatching(/series limit of 1 reached/),
      undefined,
    ]);
  });
});
