import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { VigilError } from '../../core/index.ts';
import type { AlertingRule, RuleGroup, Transition } from '../rules/index.ts';
import { type Breaker, closedBreaker, isTripped, reset, trip } from './breaker.ts';
import { guardLabel } from './rate-guard.ts';

/**
 * The shell around the breakers: knows the guards of the loaded rules, trips a breaker when an
 * alert labelled `vigil_guard` fires, and keeps every breaker in `<data_dir>/guards.json`
 * (written to a temporary file and renamed, so a crash leaves the old or the new file, never
 * half of one). A tripped breaker survives restarts and reloads, even a reload that removes
 * its rule: only a reset closes it.
 */

const fileSchema = z.object({
  breakers: z.array(
    z.object({
      name: z.string(),
      state: z.enum(['closed', 'tripped']),
      since: z.number().optional(),
      why: z.string().optional(),
      trips: z.number().default(0),
      lastReset: z.object({ by: z.string(), at: z.number(), reason: z.string() }).optional(),
    }),
  ),
});

export const guardsFileName = 'guards.json';

export class GuardStore {
  private readonly breakers = new Map<string, Breaker>();
  private known = new Set<string>();

  /** `dir` undefined: in memory only (tests, backtests). */
  constructor(private readonly dir: string | undefined) {
    if (dir === undefined) return;
    const file = join(dir, guardsFileName);
    if (!existsSync(file)) return;
    let parsed: z.output<typeof fileSchema>;
    try {
      parsed = fileSchema.parse(JSON.parse(readFileSync(file, 'utf8')));
    } catch (err) {
      // Refusing to start beats forgetting a tripped breaker: the GC would resume deleting.
      throw new VigilError('config', `${file}: unreadable guard state: ${(err as Error).message}`, {
        cause: err,
      });
    }
    for (const b of parsed.breakers)
      this.breakers.set(b.name, {
        name: b.name,
        state: b.state,
        since: b.since,
        why: b.why,
        trips: b.trips,
        lastReset: b.lastReset,
      });
  }

  /** Learns the guards of the loaded rules (after a start or a reload). */
  setRules(groups: readonly RuleGroup[]): void {
    this.known = new Set(guardNames(groups));
  }

  /** Every guard: those of the rules and those with a persisted breaker, by name. */
  list(): Breaker[] {
    const names = new Set([...this.known, ...this.breakers.keys()]);
    return [...names].sort().map((n) => this.breakers.get(n) ?? closedBreaker(n));
  }

  get(name: string): Breaker | undefined {
    return this.breakers.get(name) ?? (this.known.has(name) ? closedBreaker(name) : undefined);
  }

  /** The rules' notify hook: a guard alert that starts firing trips its breaker. */
  observe(rule: AlertingRule, transitions: readonly Transition[], t: number): void {
    let changed = false;
    for (const tr of transitions) {
      const name = tr.alert.labels[guardLabel];
      if (tr.to !== 'firing' || tr.from === 'firing' || !name) continue;
      const before = this.breakers.get(name) ?? closedBreaker(name);
      this.breakers.set(name, trip(before, t, `${rule.name} fired with value ${tr.alert.value}`));
      changed = true;
    }
    if (changed) this.save();
  }

  /** Closes a breaker; throws VigilError('not_found') for an unknown guard. */
  reset(name: string, t: number, by: string, reason: string): Breaker {
    const b = this.get(name);
    if (!b) throw new VigilError('not_found', `no guard named ${name}`);
    const next = reset(b, t, by, reason);
    this.breakers.set(name, next);
    this.save();
    return next;
  }

  tripped(): Breaker[] {
    return this.list().filter(isTripped);
  }

  private save(): void {
    if (this.dir === undefined) return;
    mkdirSync(this.dir, { recursive: true });
    const file = join(this.dir, guardsFileName);
    const tmp = `${file}.tmp`;
    writeFileSync(tmp, `${JSON.stringify({ breakers: [...this.breakers.values()] }, null, 2)}\n`);
    renameSync(tmp, file);
  }
}

/** Names of the guards whose alerts the groups hold. */
export function guardNames(groups: readonly RuleGroup[]): string[] {
  const names = new Set<string>();
  for (const g of groups)
    for (const r of g.rules)
      if (r.kind === 'alerting')
        for (const l of r.labels) if (l.name === guardLabel) names.add(l.template.source);
  return [...names];
}
