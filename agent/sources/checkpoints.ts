import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { VigilError } from '../../core/index.ts';

/**
 * Read positions of followed files, kept in a state directory so that a restart resumes
 * where the last run's sink had accepted records. A file is known by device and inode, not
 * by path: a rename (rotation) keeps them, so a rotated file found under its new name resumes
 * where it was, and a new file at the old path starts at 0. Inode reuse is caught by the
 * fingerprint of the first bytes. Saves write a temporary file and
 * rename it, so a crash leaves either the old or the new state, never half of one.
 */

export interface FileCheckpoint {
  path: string;
  dev: number;
  ino: number;
  offset: number;
  /** Hash of the first `fpLen` bytes: the same inode with other first bytes was truncated and rewritten. */
  fp: string;
  fpLen: number;
}

const stateFile = 'checkpoints.json';

/** The identity of a file: device and inode. */
export function keyOf(dev: number, ino: number): string {
  return `${dev}:${ino}`;
}

export class Checkpoints {
  private readonly entries = new Map<string, FileCheckpoint>();
  private readonly file: string | undefined;

  /** `dir` undefined keeps positions in memory only (stdin-like runs, tests). */
  constructor(dir: string | undefined) {
    if (dir === undefined) return;
    try {
      mkdirSync(dir, { recursive: true });
    } catch (err) {
      throw new VigilError(
        'config',
        `state directory ${dir}: cannot create: ${(err as NodeJS.ErrnoException).code}`,
        { cause: err },
      );
    }
    this.file = join(dir, stateFile);
    let text: string | undefined;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch {
      return; // first run
    }
    try {
      const list = JSON.parse(text) as FileCheckpoint[];
      for (const c of list) {
        if (
          typeof c.path === 'string' &&
          Number.isFinite(c.offset) &&
          typeof c.fp === 'string' &&
          Number.isFinite(c.fpLen)
        ) {
          this.entries.set(keyOf(c.dev, c.ino), c);
        }
      }
    } catch (err) {
      throw new VigilError('config', `${this.file}: corrupt checkpoint file (remove it to start over)`, {
        cause: err,
      });
    }
  }

  get(dev: number, ino: number): FileCheckpoint | undefined {
    return this.entries.get(keyOf(dev, ino));
  }

  private dirty = false;

  /**
   * Records a position. With `save` (the default) the state is written at once; a source that
   * commits many files in one round passes false and calls `flush` at the end of the round,
   * so one write covers them all.
   */
  set(checkpoint: FileCheckpoint, save = true): void {
    this.entries.set(keyOf(checkpoint.dev, checkpoint.ino), checkpoint);
    this.dirty = true;
    if (save) this.save();
  }

  /** Writes the state if a position changed since the last write. */
  flush(): void {
    if (this.dirty) this.save();
  }

  delete(dev: number, ino: number): void {
    if (this.entries.delete(keyOf(dev, ino))) this.save();
  }

  /** Forgets files not in `keep` (deleted while the agent was down). */
  retain(keep: ReadonlySet<string>): void {
    let changed = false;
    for (const key of this.entries.keys()) {
      if (!keep.has(key)) {
        this.entries.delete(key);
        changed = true;
      }
    }
    if (changed) this.save();
  }

  list(): FileCheckpoint[] {
    return [...this.entries.values()];
  }

  private save(): void {
    this.dirty = false;
    if (!this.file) return;
    const tmp = `${this.file}.tmp`;
    writeFileSync(tmp, JSON.stringify(this.list()));
    renameSync(tmp, this.file);
  }
}
