import { describe, expect, it } from 'vitest';
import { type Alert, shouldFire, shouldForget, stepAlerts } from '../../../alerting/rules/index.ts';

const rule = { forMs: 5 * 60_000, keepFiringForMs: 0 };
const candidate = { labels: { alertname: 'X', instance: 'a' }, annotations: {}, value: 1 };

function states(active: Map<string, Alert>): string[] {
  return [...active.values()].map((a) => a.state);
}

describe('alert lifecycle', () => {
  it('goes pending, then firing after `for`, then inactive, then is forgotten after 15m', () => {
    const active = new Map<string, Alert>();
    expect(stepAlerts(active, [candidate], 0, rule).transitions.map((t) => t.to)).toEqual(['pending']);
    stepAlerts(active, [candidate], 4 * 60_000, rule);
    expect(states(active)).toEqual(['pending']);
    expect(stepAlerts(active, [candidate], 5 * 60_000, rule).transitions.map((t) => t.to)).toEqual([
      'firing',
    ]);
    expect(stepAlerts(active, [], 6 * 60_000, rule).transitions.map((t) => `${t.from}->${t.to}`)).toEqual([
      'firing->inactive',
    ]);
    stepAlerts(active, [], 20 * 60_000, rule);
    expect(states(active)).toEqual(['inactive']);
    stepAlerts(active, [], 22 * 60_000, rule);
    expect(active.size).toBe(0);
  });

  it('drops a pending alert that vanishes, so it waits its `for` again from scratch', () => {
    const active = new Map<string, Alert>();
    stepAlerts(active, [candidate], 0, rule);
    stepAlerts(active, [], 60_000, rule);
    expect(active.size).toBe(0);
    stepAlerts(active, [candidate], 120_000, rule);
    expect([...active.values()][0]!.activeAt).toBe(120_000);
  });

  it('keeps firing through a gap shorter than keep_firing_for', () => {
    const active = new Map<string, Alert>();
    const keep = { forMs: 0, keepFiringForMs: 3 * 60_000 };
    stepAlerts(active, [candidate], 0, keep);
    expect(states(active)).toEqual(['firing']);
    stepAlerts(active, [], 60_000, keep);
    stepAlerts(active, [], 3 * 60_000, keep);
    expect(states(active)).toEqual(['firing']);
    stepAlerts(active, [], 4 * 60_000, keep);
    expect(states(active)).toEqual(['inactive']);
  });

  it('has small predicates that say why', () => {
    const alert: Alert = {
      labels: {},
      annotations: {},
      state: 'pending',
      value: 1,
      activeAt: 0,
      firedAt: undefined,
      resolvedAt: undefined,
      keepFiringSince: undefined,
    };
    expect(shouldFire(alert, 299_999, 300_000)).toBe(false);
    expect(shouldFire(alert, 300_000, 300_000)).toBe(true);
    expect(shouldForget(alert, 0)).toBe(true);
    expect(shouldForget({ ...alert, state: 'inactive', resolvedAt: 0 }, 15 * 60_000)).toBe(false);
  });
});
