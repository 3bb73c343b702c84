import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { VigilError, writeAll } from '../../core/index.ts';
import type { PendingCheck, WriteEvent } from './schedule.ts';

/**
 * The watcher's schedule on disk: a snapshot plus an append-only journal, so that a restart,
 * even after `kill -9`, loses no pending verification.
 *
 * Durability policy: every `commit()` writes the buffered records and fsyncs the journal before
 * it returns. The watcher commits before it acknowledges a fed write event and after each batch
 * of verdicts, so an acknowledged write is always on disk. A verdict whose record had not been
 * committed when the process died is simply checked again (at least once, never zero times).
 *
 * Compaction writes `snapshot.json` (pending checks + the last record number it includes) to a
 * temporary file, fsyncs it, renames it into place, fsyncs the directory, then starts a new empty
 * journal. A crash between the rename and the truncation is harmless: replay skips records
 * numbered at or below the snapshot's.
 */

export type JournalRecord =
  | { n: number; r: 'w'; seq: number; write: WriteEvent; ages: number[] }
  | { n: number; r: 'd'; id: string }
  | { n: number; r: 't'; id: string; attempt: number; dueAt: number };

type RecordBody =
  | { r: 'w'; seq: number; write: WriteEvent; ages: number[] }
  | { r: 'd'; id: string }
  | { r: 't'; id: string; attempt: number; dueAt: number };

interface Snapshot {
  version: 1;
  /** The last journal record number folded into this snapshot. */
  lsn: number;
  nextSeq: number;
  pending: PendingCheck[];
}

export interface ReplayedState {
  pending: PendingCheck[];
  nextSeq: number;
  lsn: number;
  /** A torn last line (the process died mid-append) that was ignored. */
  tornTail: boolean;
}

const journalFile = 'journal.log';
const snapshotFile = 'snapshot.json';

/**
 * Rebuilds the schedule from a snapshot and a journal. Pure given the two texts, so it can be
 * tested and fuzzed without files.
 *
 * @example
 * const state = replayJournal(undefined, '{"n":1,"r":"w",...}\n', 'journal.log');
 */
export function replayJournal(
  snapshotText: string | undefined,
  journalText: string,
  source: string,
): ReplayedState {
  let snapshot: Snapshot = { version: 1, lsn: 0, nextSeq: 1, pending: [] };
  if (snapshotText !== undefined) {
    try {
      snapshot = JSON.parse(snapshotText) as Snapshot;
    } catch (err) {
      throw new VigilError('parse', `${source}: snapshot is not valid JSON`, { cause: err });
    }
    if (snapshot.version !== 1 || !Array.isArray(snapshot.pending)) {
      throw new VigilError('parse', `${source}: snapshot version ${String(snapshot.version)} is not 1`);
    }
  }
  const pending = new Map<string, PendingCheck>(snapshot.pending.map((c) => [c.id, c]));
  let nextSeq = snapshot.nextSeq;
  let lsn = snapshot.lsn;
  let tornTail = false;
  const lines = journalText.split('\n');
  // A file that ends without a newline ends in a line the process never finished writing.
  if (lines.at(-1) === '') lines.pop();
  else if (lines.length > 0) {
    lines.pop();
    tornTail = true;
  }
  lines.forEach((line, i) => {
    let rec: JournalRecord;
    try {
      rec = JSON.parse(line) as JournalRecord;
    } catch (err) {
      throw new VigilError('parse', `${source}:${i + 1}: journal record is not valid JSON`, { cause: err });
    }
    if (typeof rec.n !== 'number')
      throw new VigilError('parse', `${source}:${i + 1}: journal record has no number`);
    if (rec.n <= lsn) return;
    lsn = rec.n;
    if (rec.r === 'w') {
      rec.ages.forEach((ageMs, k) => {
        const id = `${rec.seq}/${k}`;
        pending.set(id, {
          ...rec.write,
          id,
          seq: rec.seq,
          ageMs,
          dueAt: rec.write.writtenAt + ageMs,
          attempt: 1,
        });
      });
      nextSeq = Math.max(nextSeq, rec.seq + 1);
    } else if (rec.r === 'd') {
      pending.delete(rec.id);
    } else if (rec.r === 't') {
      const c = pending.get(rec.id);
      if (c) pending.set(rec.id, { ...c, attempt: rec.attempt, dueAt: rec.dueAt });
    } else {
      throw new VigilError('parse', `${source}:${i + 1}: unknown journal record type`);
    }
  });
  return { pending: [...pending.values()], nextSeq, lsn, tornTail };
}

/** The journal files of one watcher. Not safe for two processes at once: one directory per watcher. */
export class Journal {
  private fd: number;
  private buffer: string[] = [];
  private lsn: number;
  private recordsSinceSnapshot = 0;

  private constructor(
    readonly dir: string,
    state: ReplayedState,
  ) {
    this.lsn = state.lsn;
    this.fd = openSync(join(dir, journalFile), 'a');
  }

  /**
   * Opens (creating) the journal in `dir` and replays it. A lock file holds the owner's pid: a
   * second live process is refused, a dead owner's lock (after `kill -9`) is taken over.
   */
  static open(dir: string): { journal: Journal; state: ReplayedState } {
    mkdirSync(dir, { recursive: true });
    takeLock(dir);
    const snapPath = join(dir, snapshotFile);
    const journalPath = join(dir, journalFile);
    const snapshotText = existsSync(snapPath) ? readFileSync(snapPath, 'utf8') : undefined;
    const journalText = existsSync(journalPath) ? readFileSync(journalPath, 'utf8') : '';
    const state = replayJournal(snapshotText, journalText, journalPath);
    if (state.tornTail) {
      // Cut the torn line off so the next append starts on a fresh line.
      const whole = journalText.slice(0, journalText.lastIndexOf('\n') + 1);
      writeFileSync(journalPath, whole);
    }
    const journal = new Journal(dir, state);
    journal.recordsSinceSnapshot = journalText.length === 0 ? 0 : journalText.split('\n').length;
    return { journal, state };
  }

  /** Buffers a record; it is durable only after `commit()`. */
  append(body: RecordBody): void {
    this.lsn++;
    this.buffer.push(`${JSON.stringify({ n: this.lsn, ...body })}\n`);
  }

  /** Writes buffered records and fsyncs. */
  commit(): void {
    if (this.buffer.length === 0) return;
    const text = this.buffer.join('');
    this.recordsSinceSnapshot += this.buffer.length;
    this.buffer = [];
    writeAll(this.fd, text);
    fsyncSync(this.fd);
  }

  get sinceSnapshot(): number {
    return this.recordsSinceSnapshot;
  }

  /** Folds everything into a snapshot and starts an empty journal (see the policy above). */
  compact(pending: readonly PendingCheck[], nextSeq: number): void {
    this.commit();
    const snapshot: Snapshot = { version: 1, lsn: this.lsn, nextSeq, pending: [...pending] };
    const tmp = join(this.dir, `${snapshotFile}.tmp`);
    const fd = openSync(tmp, 'w');
    try {
      writeAll(fd, JSON.stringify(snapshot));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, join(this.dir, snapshotFile));
    syncDir(this.dir);
    closeSync(this.fd);
    this.fd = openSync(join(this.dir, journalFile), 'w');
    fsyncSync(this.fd);
    this.recordsSinceSnapshot = 0;
  }

  close(): void {
    this.commit();
    closeSync(this.fd);
    rmSync(join(this.dir, lockFile), { force: true });
  }
}

const lockFile = 'lock';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function takeLock(dir: string): void {
  const path = join(dir, lockFile);
  let owner: number | undefined;
  try {
    owner = Number(readFileSync(path, 'utf8').trim());
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new VigilError('config', `${path}: cannot read the journal lock`, { cause: err });
    }
  }
  // Our own pid: this process reopens a journal it had open (a restart inside one process).
  if (owner !== undefined && Number.isInteger(owner) && owner > 0 && owner !== process.pid && alive(owner)) {
    throw new VigilError(
      'conflict',
      `${dir}: watcher journal in use by process ${owner}; one watcher per journal directory`,
      {
        details: { dir, pid: owner },
      },
    );
  }
  writeFileSync(path, `${process.pid}\n`);
}

function syncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
