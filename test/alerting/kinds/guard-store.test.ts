import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { GuardStore, guardsFileName, isTripped } from '../../../alerting/kinds/index.ts';
import {
  type Alert,
  type AlertingRule,
  parseRuleFile,
  type Transition,
} from '../../../alerting/rules/index.ts';
import { isVigilError } from '../../../core/index.ts';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'vigil-guard-store-'));
  dirs.push(d);
  return d;
};

const groups = parseRuleFile(
  'g.yaml',
  [
    'apiVersion: vigil/v1',
    'rate_guards:',
    '  - name: GcDeletes',
    '    expr: sum(rate(d[5m]))',
    '  - name: Evictions',
    '    expr: sum(rate(e[5m]))',
    '    breaker: false',
    '',
  ].join('\n'),
);
const rule = groups[0]!.rules.find((r) => r.kind === 'alerting') as AlertingRule;

function transition(
  from: Transition['from'],
  to: Transition['to'],
  labels: Record<string, string>,
): Transition {
  const alert: Alert = {
    labels,
    annotations: {},
    state: to,
    value: 140,
    activeAt: 0,
    firedAt: undefined,
    resolvedAt: undefined,
    keepFiringSince: undefined,
  };
  return { alert, from, to };
}

describe('GuardStore', () => {
  it('knows the guards with a breaker from the rules, not those with breaker: false', () => {
    const store = new GuardStore(undefined);
    store.setRules(groups);
    expect(store.list().map((b) => b.name)).toEqual(['GcDeletes']);
    expect(store.get('Evictions')).toBeUndefined();
  });

  it('trips only on a transition into firing of an alert labelled vigil_guard, and counts repeats', () => {
    const store = new GuardStore(tmp());
    store.setRules(groups);
    store.observe(rule, [transition('new', 'pending', { vigil_guard: 'GcDeletes' })], 1000);
    store.observe(rule, [transition('pending', 'firing', { alertname: 'X' })], 1000);
    expect(isTripped(store.get('GcDeletes')!)).toBe(false);
    store.observe(rule, [transition('pending', 'firing', { vigil_guard: 'GcDeletes' })], 2000);
    store.observe(rule, [transition('firing', 'inactive', { vigil_guard: 'GcDeletes' })], 3000);
    store.observe(rule, [transition('new', 'firing', { vigil_guard: 'GcDeletes' })], 4000);
    expect(store.get('GcDeletes')).toMatchObject({ state: 'tripped', since: 2000, trips: 2 });
  });

  it('keeps a tripped breaker whose rule was removed, and persists resets', () => {
    const dir = tmp();
    const store = new GuardStore(dir);
    store.setRules(groups);
    store.observe(rule, [transition('pending', 'firing', { vigil_guard: 'GcDeletes' })], 2000);
    const reloaded = new GuardStore(dir);
    reloaded.setRules([]);
    expect(reloaded.list().map((b) => [b.name, b.state])).toEqual([['GcDeletes', 'tripped']]);
    reloaded.reset('GcDeletes', 5000, 'bob', '');
    expect(JSON.parse(readFileSync(join(dir, guardsFileName), 'utf8')).breakers[0]).toMatchObject({
      state: 'closed',
      lastReset: { by: 'bob', at: 5000 },
    });
    expect(() => reloaded.reset('Nope', 1, 'bob', '')).toThrow(/no guard named Nope/);
  });

  it('refuses to start from an unreadable state file instead of forgetting a tripped breaker', () => {
    const dir = tmp();
    writeFileSync(join(dir, guardsFileName), '{"breakers": [{"name": 1}]');
    try {
      new GuardStore(dir);
      expect.unreachable();
    } catch (err) {
      expect(isVigilError(err, 'config')).toBe(true);
      expect((err as Error).message).toContain(guardsFileName);
    }
  });
});
