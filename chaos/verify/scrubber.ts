import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync } from 'node:fs';
import { dirname } from 'node:path';
import { type Clock, VigilError, writeAll } from '../../core/index.ts';
import { sleepUnlessAborted } from './abortable-sleep.ts';
import { describeObservation, withRetries } from './attempt.ts';
import type { VerifiableStore } from './blob-store.ts';
import { forEachBounded } from './pool.ts';
import { Pacer } from './rate-limit.ts';
import { observeRecordedRead } from './read-check.ts';
import type { VerifyResult } from './report.ts';
import { classify, defaultRetryPolicy, type Expectation, type RetryPolicy } from './verdict.ts';

/**
 * The scrubber: a continuous, rate-limited walk over every object that reads it in full and
 * checks it against the checksum recorded when it was written (the store's metadata, or a
 * manifest). It proves that what is listed is intact; it does not find objects that vanished
 * from the listing itself (the index verifier does). Its position is a cursor file, saved as it
 * goes, so a restart resumes where it stopped instead of starting over.
 */
export interface ScrubberOptions {
  store: VerifiableStore;
  clock: Clock;
  /** Where the cursor is kept; without it a restart begins a new pass. */
  cursorFile?: string | undefined;
  objectsPerSecond?: number | undefined;
  bytesPerSecond?: number | undefined;
  concurrency?: number | undefined;
  timeoutMs?: number | undefined;
  retry?: RetryPolicy | undefined;
  prefix?: string | undefined;
  /** Overrides the store's metadata, e.g. from a manifest. */
  expectation?: ((key: string) => Expectation | undefined) | undefined;
  /** Objects between cursor saves. */
  checkpointEvery?: number | undefined;
  onResult: (result: VerifyResult) => void;
}

export interface ScrubCursor {
  version: 1;
  pass: number;
  /** Every key up to and including this one (in store order) has been scrubbed in this pass. */
  after: string | null;
}

/** Reads a cursor file; a missing file is a fresh start. */
export function loadCursor(file: string | undefined): ScrubCursor {
  const fresh: ScrubCursor = { version: 1, pass: 1, after: null };
  if (!file) return fresh;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return fresh;
    throw new VigilError('config', `${file}: cannot read scrub cursor`, { cause: err });
  }
  try {
    const c = JSON.parse(text) as ScrubCursor;
    if (c.version !== 1 || typeof c.pass !== 'number' || !(c.after === null || typeof c.after === 'string'))
      throw 0;
    return c;
  } catch (err) {
    throw new VigilError('parse', `${file}: not a scrub cursor (delete it to start a new pass)`, {
      cause: err,
    });
  }
}

function saveCursor(file: string, cursor: ScrubCursor): void {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.tmp`;
  const fd = openSync(tmp, 'w');
  try {
    writeAll(fd, JSON.stringify(cursor));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
}

/** Between passes over an empty store: listing it again at once would only burn the CPU. */
const emptyPassPauseMs = 1000;

export class Scrubber {
  private cursor: ScrubCursor;
  private readonly pacer: Pacer;

  constructor(private readonly options: ScrubberOptions) {
    this.cursor = loadCursor(options.cursorFile);
    this.pacer = new Pacer(options.clock, {
      objectsPerSecond: options.objectsPerSecond,
      bytesPerSecond: options.bytesPerSecond,
    });
  }

  /** Where the next pass step starts. */
  get position(): Readonly<ScrubCursor> {
    return this.cursor;
  }

  /**
   * Scrubs from the cursor to the end of the listing (or until `signal` aborts), then starts
   * the next pass at the beginning. Resolves with whether the pass was completed.
   *
   * @example
   * const scrubber = new Scrubber({ store, clock: systemClock, cursorFile: 'scrub.json', bytesPerSecond: 50e6, onResult });
   * await scrubber.pass();
   */
  async pass(signal?: AbortSignal): Promise<{ completed: boolean; objects: number }> {
    const { store, clock } = this.options;
    const retry = this.options.retry ?? defaultRetryPolicy;
    const timeoutMs = this.options.timeoutMs ?? 30_000;
    const checkpointEvery = this.options.checkpointEvery ?? 1000;
    // Keys finish out of order under concurrency; the cursor only moves over a finished prefix.
    const keys: string[] = [];
    const finished: boolean[] = [];
    let base = 0;
    let sinceSave = 0;
    let objects = 0;
    const advance = () => {
      while (finished[0]) {
        finished.shift();
        this.cursor.after = keys.shift()!;
        base++;
      }
      if (this.options.cursorFile && sinceSave >= checkpointEvery) {
        sinceSave = 0;
        saveCursor(this.options.cursorFile, this.cursor);
      }
    };
    const listing = store.keys({
      ...(this.cursor.after !== null ? { startAfter: this.cursor.after } : {}),
      ...(this.options.prefix ? { prefix: this.options.prefix } : {}),
    });
    const tracked = (async function* () {
      for await (const key of listing) {
        keys.push(key);
        finished.push(false);
        yield key;
      }
    })();
    await forEachBounded(
      tracked,
      this.options.concurrency ?? 8,
      async (key, index) => {
        const given = this.options.expectation?.(key);
        await this.pacer.take(given?.size ?? 0);
        // One request per object: bytes and the recorded checksum come from the same read.
        const { observation, bytes, recorded, attempts } = await withRetries(clock, retry, () =>
          observeRecordedRead(store, key, clock, timeoutMs),
        );
        // Listed, then gone before we looked: deleted while the pass ran, nothing to judge
        // (unless a manifest says it must exist).
        if (observation.kind === 'absent' && !given) return done(index);
        if (given?.size === undefined) await this.pacer.takeBytes(bytes);
        const expected: Expectation = given ?? { sha256: recorded };
        const verdict = classify(expected, observation);
        let detail = describeObservation(observation, attempts);
        if (verdict === 'corrupt' && observation.kind === 'present') {
          detail =
            expected.size !== undefined && expected.size !== observation.size
              ? `size ${observation.size}, recorded ${expected.size}`
              : `sha256 mismatch (${observation.size} bytes read)`;
        }
        this.options.onResult({ verifier: 'scrub', key, verdict, at: clock.now(), bytes, detail });
        objects++;
        done(index);
      },
      signal,
    );
    function done(index: number) {
      finished[index - base] = true;
      sinceSave++;
      advance();
    }
    const completed = !signal?.aborted;
    if (completed) this.cursor = { version: 1, pass: this.cursor.pass + 1, after: null };
    if (this.options.cursorFile) saveCursor(this.options.cursorFile, this.cursor);
    return { completed, objects };
  }

  /**
   * Pass after pass until `signal` aborts, pausing `pauseMs` between passes.
   *
   * @example
   * await scrubber.run(controller.signal, 60_000);
   */
  async run(signal: AbortSignal, pauseMs = 0): Promise<void> {
    // Bounded by the signal: each pass ends, and the pause is on the injected clock.
    while (!signal.aborted) {
      const { objects } = await this.pass(signal);
      // An empty store would otherwise be listed in a tight loop.
      const pause = objects === 0 ? Math.max(pauseMs, emptyPassPauseMs) : pauseMs;
      if (!signal.aborted && pause > 0) await sleepUnlessAborted(this.options.clock, pause, signal);
    }
  }
}
