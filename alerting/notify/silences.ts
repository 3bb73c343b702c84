import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { z } from 'zod';
import { type Clock, isVigilError, systemClock, VigilError } from '../../core/index.ts';
import { type Labels, type Matcher, newMatcher } from '../store/index.ts';
import { matchesAll } from './matchers.ts';
import { readStateFile, writeStateFile } from './state-file.ts';

/**
 * Silences, as Alertmanager's silence package keeps them: a set of matchers muting every
 * alert they all match between startsAt and endsAt, with an author and a comment. A silence
 * is pending before it starts, active until it ends, then expired; expiring sets its end to
 * now. Expired silences stay listed for a retention (Alertmanager's --data.retention, 120h)
 * so that one can see what was muted, then they are dropped. Every change is written to
 * DATA_DIR/notify/silences.json before it is acknowledged, so a silence survives a crash.
 */

/** Alertmanager's default --data.retention. */
export const silenceRetentionMs = 120 * 3_600_000;

/**
 * At most this many silences that are not expired. Alertmanager 0.25 has no limit; a bound
 * keeps a runaway script from growing the file (and the per-alert matching) without end.
 */
export const maxLiveSilences = 10_000;

export type SilenceState = 'pending' | 'active' | 'expired';

/** A matcher in Alertmanager's API shape. */
export interface SilenceMatcher {
  name: string;
  value: string;
  isRegex: boolean;
  /** false for != and !~ (Alertmanager 0.22+). */
  isEqual: boolean;
}

export interface Silence {
  id: string;
  matchers: SilenceMatcher[];
  /** ms since the epoch. */
  startsAt: number;
  endsAt: number;
  updatedAt: number;
  createdBy: string;
  comment: string;
}

export type SilenceInput = Omit<Silence, 'id' | 'updatedAt'> & { id?: string | undefined };

/** pending before startsAt, expired from endsAt on, active in between. */
export function silenceState(s: Pick<Silence, 'startsAt' | 'endsAt'>, now: number): SilenceState {
  if (now < s.startsAt) return 'pending';
  if (now >= s.endsAt) return 'expired';
  return 'active';
}

/** The store's matcher for an API matcher; VigilError('parse') on a bad name or regex. */
export function toMatcher(m: SilenceMatcher): Matcher {
  if (!/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(m.name))
    throw new VigilError('parse', `invalid label name "${m.name}" in matcher`);
  const type = m.isRegex ? (m.isEqual ? '=~' : '!~') : m.isEqual ? '=' : '!=';
  return newMatcher(m.name, type, m.value);
}

/** The API shape of a parsed matcher. */
export function fromMatcher(m: Pick<Matcher, 'name' | 'type' | 'value'>): SilenceMatcher {
  return {
    name: m.name,
    value: m.value,
    isRegex: m.type === '=~' || m.type === '!~',
    isEqual: m.type === '=' || m.type === '=~',
  };
}

/**
 * Checks a silence as Alertmanager's validateSilence and API do; returns the compiled
 * matchers.
 *
 * @throws VigilError('parse') with the reason, worded as Alertmanager words it.
 */
export function validateSilence(s: SilenceInput): Matcher[] {
  if (s.matchers.length === 0) throw new VigilError('parse', 'at least one matcher required');
  const compiled = s.matchers.map(toMatcher);
  if (compiled.every((m) => m.matches('')))
    throw new VigilError('parse', 'at least one matcher must not match the empty string');
  if (!Number.isFinite(s.startsAt) || !Number.isFinite(s.endsAt))
    throw new VigilError('parse', 'startsAt and endsAt are required');
  if (s.endsAt <= s.startsAt) throw new VigilError('parse', 'start time must be before end time');
  if (s.createdBy.trim() === '') throw new VigilError('parse', 'createdBy is required');
  if (s.comment.trim() === '') throw new VigilError('parse', 'comment is required');
  return compiled;
}

const fileSchema = z.object({
  version: z.literal(1),
  silences: z.array(
    z.object({
      id: z.string(),
      matchers: z.array(
        z.object({ name: z.string(), value: z.string(), isRegex: z.boolean(), isEqual: z.boolean() }),
      ),
      startsAt: z.number(),
      endsAt: z.number(),
      updatedAt: z.number(),
      createdBy: z.string(),
      comment: z.string(),
    }),
  ),
});

export interface SilencesOptions {
  /** The data directory; the file is DATA_DIR/notify/silences.json. Omit to keep silences in memory. */
  dataDir?: string | undefined;
  clock?: Clock;
  retentionMs?: number;
  maxLive?: number;
}

export class Silences {
  private readonly byId = new Map<string, { silence: Silence; matchers: Matcher[] }>();
  private readonly file: string | undefined;
  private readonly clock: Clock;
  private readonly retentionMs: number;
  private readonly maxLive: number;
  /** Sweeps whose write failed (retried at the next sweep). */
  gcErrors = 0;

  /**
   * Opens the silences kept in the data directory.
   *
   * @example
   * const silences = new Silences({ dataDir: 'data' });
   * const id = silences.set({ matchers: [{ name: 'team', value: 'db', isRegex: false, isEqual: true }],
   *   startsAt: now, endsAt: now + 3_600_000, createdBy: 'ana', comment: 'failover drill' });
   */
  constructor(options: SilencesOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.retentionMs = options.retentionMs ?? silenceRetentionMs;
    this.maxLive = options.maxLive ?? maxLiveSilences;
    this.file = options.dataDir === undefined ? undefined : join(options.dataDir, 'notify', 'silences.json');
    if (!this.file) return;
    const data = readStateFile(this.file);
    if (data === undefined) return;
    const parsed = fileSchema.safeParse(data);
    if (!parsed.success)
      throw new VigilError('config', `${this.file}: not a vigil silences file; move it away to start afresh`);
    for (const s of parsed.data.silences) {
      try {
        this.byId.set(s.id, { silence: s, matchers: s.matchers.map(toMatcher) });
      } catch (err) {
        if (!isVigilError(err)) throw err;
        throw new VigilError('config', `${this.file}: silence ${s.id}: ${err.message}`);
      }
    }
    this.gc();
  }

  /** Every silence still kept (live ones and those expired within the retention), newest first. */
  list(): Silence[] {
    this.gc();
    return [...this.byId.values()].map((e) => e.silence).sort((a, b) => b.updatedAt - a.updatedAt);
  }

  get(id: string): Silence | undefined {
    return this.byId.get(id)?.silence;
  }

  /**
   * Creates a silence, or updates one when `id` is given: in place when only its end (or a
   * pending silence's start) changes, otherwise by expiring it and creating a new one with a
   * new id, as Alertmanager does. Returns the id of the silence now in force.
   *
   * @throws VigilError('parse') for an invalid silence, 'not_found' for an unknown id,
   * 'limit' when too many silences are live.
   */
  set(input: SilenceInput): string {
    const now = this.clock.now();
    const matchers = validateSilence(input);
    if (input.endsAt <= now) throw new VigilError('parse', "end time can't be in the past");
    const prev = input.id ? this.byId.get(input.id) : undefined;
    if (input.id && !prev) throw new VigilError('not_found', `silence ${input.id} not found`);
    const fields = {
      matchers: input.matchers.map((m) => ({ ...m })),
      startsAt: input.startsAt,
      endsAt: input.endsAt,
      createdBy: input.createdBy,
      comment: input.comment,
    };
    const undo = this.snapshot();
    if (prev && canUpdate(prev.silence, fields, now)) {
      this.byId.set(prev.silence.id, {
        silence: { ...fields, id: prev.silence.id, updatedAt: now },
        matchers,
      });
      this.save(undo);
      return prev.silence.id;
    }
    const live = [...this.byId.values()].filter((e) => silenceState(e.silence, now) !== 'expired').length;
    if (live >= this.maxLive)
      throw new VigilError(
        'limit',
        `too many silences: ${live} are pending or active (limit ${this.maxLive})`,
      );
    if (prev && silenceState(prev.silence, now) !== 'expired') this.expireAt(prev.silence.id, now);
    const id = randomUUID();
    const silence: Silence = { ...fields, startsAt: Math.max(fields.startsAt, now), id, updatedAt: now };
    this.byId.set(id, { silence, matchers });
    this.save(undo);
    return id;
  }

  /**
   * Ends a silence now (a pending one never starts).
   *
   * @throws VigilError('not_found') or VigilError('conflict') when it is already expired.
   */
  expire(id: string): void {
    const now = this.clock.now();
    const entry = this.byId.get(id);
    if (!entry) throw new VigilError('not_found', `silence ${id} not found`);
    if (silenceState(entry.silence, now) === 'expired')
      throw new VigilError('conflict', `silence ${id} already expired`);
    const undo = this.snapshot();
    this.expireAt(id, now);
    this.save(undo);
  }

  private expireAt(id: string, now: number): void {
    const entry = this.byId.get(id)!;
    const s = entry.silence;
    const startsAt = silenceState(s, now) === 'pending' ? now : s.startsAt;
    entry.silence = { ...s, startsAt, endsAt: now, updatedAt: now };
  }

  /**
   * The ids of the active silences that mute an alert with these labels.
   *
   * @example
   * silences.mutes({ alertname: 'DiskFull', team: 'db' }); // ['7c1…'] or []
   */
  mutes(labels: Labels, now = this.clock.now()): string[] {
    const ids: string[] = [];
    for (const { silence, matchers } of this.byId.values())
      if (silenceState(silence, now) === 'active' && matchesAll(matchers, labels)) ids.push(silence.id);
    return ids.sort();
  }

  /** Drops silences expired for longer than the retention; true when any was dropped. */
  gc(): boolean {
    const now = this.clock.now();
    const undo = this.snapshot();
    let dropped = false;
    for (const [id, { silence }] of this.byId)
      if (silence.endsAt + this.retentionMs < now) {
        this.byId.delete(id);
        dropped = true;
      }
    if (!dropped) return false;
    try {
      this.save(undo);
    } catch {
      // Dropping old expired silences can wait for the next sweep; nothing live is lost.
      this.gcErrors++;
      return false;
    }
    return true;
  }

  /**
   * Writes the file; on failure the change in memory is undone, so what the API acknowledged
   * is always what a restart finds.
   *
   * @throws VigilError('unavailable') when the file cannot be written.
   */
  private save(undo: Map<string, { silence: Silence; matchers: Matcher[] }>): void {
    if (!this.file) return;
    try {
      writeStateFile(this.file, { version: 1, silences: [...this.byId.values()].map((e) => e.silence) });
    } catch (err) {
      this.byId.clear();
      for (const [id, e] of undo) this.byId.set(id, e);
      throw new VigilError('unavailable', `cannot write ${this.file}: ${(err as Error).message}`, {
        cause: err,
      });
    }
  }

  private snapshot(): Map<string, { silence: Silence; matchers: Matcher[] }> {
    return new Map([...this.byId].map(([id, e]) => [id, { ...e }]));
  }
}

/** Alertmanager's canUpdate: same matchers, and only the times an update may change. */
function canUpdate(a: Silence, b: Pick<Silence, 'matchers' | 'startsAt' | 'endsAt'>, now: number): boolean {
  if (JSON.stringify(a.matchers) !== JSON.stringify(b.matchers)) return false;
  switch (silenceState(a, now)) {
    case 'active':
      return b.startsAt === a.startsAt && b.endsAt >= now;
    case 'pending':
      return b.startsAt >= now;
    case 'expired':
      return false;
  }
}
