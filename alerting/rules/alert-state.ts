import { type Labels, labelsKey } from '../store/index.ts';

/**
 * The alert lifecycle of one alerting rule as a pure step function, following Prometheus'
 * AlertingRule.Eval: a new result becomes `pending`, turns `firing` once it has been active
 * for `for`, becomes `inactive` (resolved) when the expression stops returning it unless
 * `keep_firing_for` holds it, and a resolved alert is forgotten after 15 minutes.
 */

export type AlertState = 'inactive' | 'pending' | 'firing';

export interface Alert {
  labels: Labels;
  annotations: Labels;
  state: AlertState;
  value: number;
  /** When the expression first returned this alert (ms); `for` counts from here. */
  activeAt: number;
  firedAt: number | undefined;
  resolvedAt: number | undefined;
  keepFiringSince: number | undefined;
}

/** One element of the rule's query result, with labels and annotations already expanded. */
export interface AlertCandidate {
  labels: Labels;
  annotations: Labels;
  value: number;
}

/** How long a resolved alert is kept so that it is still reported as resolved (Prometheus: 15m). */
export const resolvedRetentionMs = 15 * 60_000;

/** A pending alert fires once it has been active for the rule's `for`. */
export function shouldFire(alert: Alert, now: number, forMs: number): boolean {
  return alert.state === 'pending' && now - alert.activeAt >= forMs;
}

/** A firing alert missing from the result stays firing while within `keep_firing_for`. */
export function keepsFiring(alert: Alert, now: number, keepFiringForMs: number): boolean {
  return (
    alert.state === 'firing' && keepFiringForMs > 0 && now - (alert.keepFiringSince ?? now) < keepFiringForMs
  );
}

/** A pending alert that vanished, or a resolved one past retention, is forgotten. */
export function shouldForget(alert: Alert, now: number): boolean {
  return (
    alert.state === 'pending' ||
    (alert.resolvedAt !== undefined && now - alert.resolvedAt > resolvedRetentionMs)
  );
}

export interface Transition {
  alert: Alert;
  from: AlertState | 'new';
  to: AlertState;
}

/**
 * Advances the active alerts of one rule by one evaluation at `now`. Mutates and returns
 * `active` (keyed by label set) and lists the state changes.
 *
 * @example
 * const { transitions } = stepAlerts(active, candidates, now, { forMs: 300_000, keepFiringForMs: 0 });
 */
export function stepAlerts(
  active: Map<string, Alert>,
  candidates: readonly AlertCandidate[],
  now: number,
  rule: { forMs: number; keepFiringForMs: number },
): { active: Map<string, Alert>; transitions: Transition[] } {
  const transitions: Transition[] = [];
  const present = new Set<string>();
  for (const c of candidates) {
    const key = labelsKey(c.labels);
    present.add(key);
    const existing = active.get(key);
    if (existing && existing.state !== 'inactive') {
      existing.value = c.value;
      existing.annotations = c.annotations;
      continue;
    }
    const alert: Alert = {
      labels: c.labels,
      annotations: c.annotations,
      state: 'pending',
      value: c.value,
      activeAt: now,
      firedAt: undefined,
      resolvedAt: undefined,
      keepFiringSince: undefined,
    };
    active.set(key, alert);
    transitions.push({ alert, from: existing ? 'inactive' : 'new', to: 'pending' });
  }
  for (const [key, alert] of active) {
    if (!present.has(key)) {
      let keep = false;
      if (alert.state === 'firing' && rule.keepFiringForMs > 0) {
        alert.keepFiringSince ??= now;
        keep = keepsFiring(alert, now, rule.keepFiringForMs);
      }
      if (shouldForget(alert, now)) active.delete(key);
      if (alert.state !== 'inactive' && !keep) {
        transitions.push({ alert, from: alert.state, to: 'inactive' });
        alert.state = 'inactive';
        alert.resolvedAt = now;
      }
      if (!keep) continue;
    } else {
      alert.keepFiringSince = undefined;
    }
    if (shouldFire(alert, now, rule.forMs)) {
      alert.state = 'firing';
      alert.firedAt = now;
      transitions.push({ alert, from: 'pending', to: 'firing' });
    }
  }
  return { active, transitions };
}
