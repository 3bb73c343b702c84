import { Counter, Gauge, type Registry } from 'prom-client';
import { type Clock, systemClock } from '../../core/index.ts';
import { parsePhotoKey } from './keys.ts';
import type { PhotoStore } from './store.ts';

/** What one GC pass will do with the objects it listed. */
export interface GcPlan {
  /** Photos of an erased generation: to delete. */
  delete: string[];
  /** Photos of a current generation: kept. */
  keep: number;
  /** Keys the demo did not write (another tool's objects): never touched. */
  foreign: number;
}

/**
 * The GC decision, pure: an object is garbage when it is a photo whose generation is older
 * than its user's current generation (the user was erased after it was written). Unknown keys
 * are kept, so a GC pointed at a shared bucket cannot destroy what it does not own.
 *
 * @example
 * planGc(['alice/g0/a.jpg', 'alice/g1/b.jpg', 'notes.txt'], new Map([['alice', 1]]));
 * // { delete: ['alice/g0/a.jpg'], keep: 1, foreign: 1 }
 */
export function planGc(keys: Iterable<string>, generations: ReadonlyMap<string, number>): GcPlan {
  const plan: GcPlan = { delete: [], keep: 0, foreign: 0 };
  for (const key of keys) {
    const parsed = parsePhotoKey(key);
    if (!parsed) plan.foreign++;
    else if (parsed.generation < (generations.get(parsed.user) ?? 0)) plan.delete.push(key);
    else plan.keep++;
  }
  return plan;
}

/** The GC's default period; erasures are rare, a few seconds of delay is invisible to users. */
export const defaultGcIntervalMs = 5_000;
// One pass deletes at most this many objects, so a mass erasure is spread over passes and
// shows on demo_gc_deleted_objects_total as a rate rather than one spike of unbounded work.
const maxDeletesPerPass = 1_000;
const deleteBatch = 250;

export interface GcResult {
  deleted: number;
  failed: number;
  remaining: number;
}

/**
 * The GC job: every interval, lists the photos of erased users and deletes the old
 * generations. `demo_gc_deleted_objects_total` is what the "deletes far above normal" rule
 * watches; a chaos experiment that makes the GC delete live data shows up there first.
 */
export class GcJob {
  private timer: { cancel(): void } | undefined;
  private running: Promise<GcResult> | undefined;
  private stopped = true;
  private readonly deletedTotal: Counter;
  private readonly runs: Counter<'result'>;
  private readonly deletable: Gauge;

  constructor(
    private readonly store: PhotoStore,
    private readonly generations: () => ReadonlyMap<string, number>,
    registry: Registry,
    private readonly options: { intervalMs?: number; clock?: Clock; onError?: (err: Error) => void } = {},
  ) {
    const registers = [registry];
    this.deletedTotal = new Counter({
      name: 'demo_gc_deleted_objects_total',
      help: 'Photo blobs deleted by the garbage collector (photos of erased users).',
      registers,
    });
    this.runs = new Counter({
      name: 'demo_gc_runs_total',
      help: 'Garbage collector passes, by result.',
      labelNames: ['result'],
      registers,
    });
    this.deletable = new Gauge({
      name: 'demo_gc_deletable_objects',
      help: 'Photo blobs of erased users still in the store at the last pass.',
      registers,
    });
    this.runs.inc({ result: 'ok' }, 0);
    this.runs.inc({ result: 'error' }, 0);
  }

  private get clock(): Clock {
    return this.options.clock ?? systemClock;
  }

  start(): void {
    this.stopped = false;
    this.schedule();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.timer?.cancel();
    await this.running?.catch(() => {});
  }

  /** One pass now (also what the timer runs). Passes never overlap. */
  runOnce(): Promise<GcResult> {
    this.running ??= this.pass().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = this.clock.setTimeout(() => {
      this.runOnce()
        .catch((err: Error) => this.options.onError?.(err))
        .finally(() => this.schedule());
    }, this.options.intervalMs ?? defaultGcIntervalMs);
  }

  private async pass(): Promise<GcResult> {
    try {
      const generations = this.generations();
      const keys: string[] = [];
      // Only erased users can have garbage: list their prefixes, not the whole bucket.
      for (const [user, generation] of generations) {
        if (generation > 0) for (const o of await this.store.list(`${user}/`)) keys.push(o.key);
      }
      const plan = planGc(keys, generations);
      this.deletable.set(plan.delete.length);
      const batch = plan.delete.slice(0, maxDeletesPerPass);
      let deleted = 0;
      let failed = 0;
      for (let i = 0; i < batch.length; i += deleteBatch) {
        const chunk = batch.slice(i, i + deleteBatch);
        const failures = await this.store.deleteMany(chunk);
        failed += failures.length;
        deleted += chunk.length - failures.length;
        this.deletedTotal.inc(chunk.length - failures.length);
      }
      this.deletable.set(plan.delete.length - deleted);
      this.runs.inc({ result: failed > 0 ? 'error' : 'ok' });
      return { deleted, failed, remaining: plan.delete.length - deleted };
    } catch (err) {
      this.runs.inc({ result: 'error' });
      throw err;
    }
  }
}
