import type { InhibitRuleConfig } from './config.ts';
import { matchesAll } from './matchers.ts';
import type { NotifyAlert } from './types.ts';

/**
 * Inhibition, as Alertmanager's inhibit package: an alert matching a rule's target matchers
 * is muted while a firing alert matches the rule's source matchers and carries the same
 * values of every `equal` label (absent counts as empty on both sides). An alert that matches
 * both sides is not muted by another alert that also matches both sides, so a rule cannot
 * make a group of alerts silence each other.
 */

export class Inhibitor {
  private sources: NotifyAlert[][] = [];

  constructor(private readonly rules: readonly InhibitRuleConfig[]) {}

  /** Indexes the firing alerts that may inhibit (call once per set of alerts). */
  update(alerts: Iterable<NotifyAlert>): void {
    this.sources = this.rules.map(() => []);
    for (const a of alerts) {
      if (a.endsAt !== undefined) continue;
      this.rules.forEach((r, i) => {
        if (matchesAll(r.sourceMatchers, a.labels)) this.sources[i]!.push(a);
      });
    }
  }

  /**
   * The fingerprints of the alerts that inhibit `alert`, empty when it is not inhibited.
   *
   * @example
   * inhibitor.update(alerts);
   * inhibitor.inhibitedBy(warning); // ['a1b2…'] while a matching critical alert fires
   */
  inhibitedBy(alert: NotifyAlert): string[] {
    const labels = alert.labels;
    for (const [i, rule] of this.rules.entries()) {
      if (!matchesAll(rule.targetMatchers, labels)) continue;
      const twoSided = matchesAll(rule.sourceMatchers, labels);
      for (const source of this.sources[i] ?? []) {
        if (source.fingerprint === alert.fingerprint) continue;
        if (!rule.equal.every((n) => (source.labels[n] ?? '') === (labels[n] ?? ''))) continue;
        if (twoSided && matchesAll(rule.targetMatchers, source.labels)) continue;
        return [source.fingerprint];
      }
    }
    return [];
  }
}
