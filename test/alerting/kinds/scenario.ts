import { GuardStore } from '../../../alerting/kinds/index.ts';
import { parseRuleFile, RuleManager, type Transition } from '../../../alerting/rules/index.ts';
import { type Labels, MemoryStore } from '../../../alerting/store/index.ts';
import { ManualClock } from '../../../core/index.ts';

/**
 * Runs a vigil rule file over a store on a simulated clock, through the real RuleManager (its
 * engine, its scheduler on a ManualClock, GroupEvaluator and the detectors), and records every
 * alert that started firing, and every breaker trip, with its time.
 */

export interface Fired {
  alertname: string;
  labels: Labels;
  at: number;
}

export function scenarioStore(): MemoryStore {
  return new MemoryStore({ maxSeries: 1_000_000, retentionMs: Number.MAX_SAFE_INTEGER });
}

export async function runScenario(
  ruleText: string,
  store: MemoryStore,
  o: { start: number; end: number; intervalMs: number },
): Promise<{ fired: Fired[]; guards: GuardStore; errors: string[]; manager: RuleManager }> {
  const groups = parseRuleFile('scenario.yaml', ruleText);
  const clock = new ManualClock(o.start);
  const guards = new GuardStore(undefined);
  guards.setRules(groups);
  const fired: Fired[] = [];
  const manager = new RuleManager(groups, store, (labels, t, v) => void store.append(labels, t, v), {
    clock,
    defaultIntervalMs: o.intervalMs,
    notify: (rule, transitions: Transition[], t) => {
      for (const tr of transitions)
        if (tr.to === 'firing' && tr.from !== 'firing')
          fired.push({ alertname: rule.name, labels: tr.alert.labels, at: t });
      guards.observe(rule, transitions, t);
    },
  });
  const errors = new Set<string>();
  manager.start();
  // Bounded: one step per evaluation interval, reading every rule's result after each.
  const steps = Math.ceil((o.end - o.start) / o.intervalMs);
  for (let i = 0; i < steps; i++) {
    await clock.advance(o.intervalMs);
    for (const ev of manager.evaluators)
      for (const r of ev.lastResults) if (r.error) errors.add(`${r.rule.name}: ${r.error}`);
  }
  manager.stop();
  return { fired, guards, errors: [...errors], manager };
}
