import { createHash } from 'node:crypto';
import { copyFile, mkdir, open, readdir, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { dirname, join, sep } from 'node:path';
import { type RandomSource, randomInt, VigilError } from '../../core/index.ts';

/**
 * Disk faults on a blob store's data directory: flip bits in N chosen objects, truncate them,
 * or delete them. Every change is recorded exactly (which object, which offset, which bit, the
 * byte before and after), so a durability verifier can be judged against the record, and every
 * change can be undone from the record and its backups.
 */
export type DiskFaultKind = 'flip' | 'truncate' | 'delete';

export type DiskChange =
  | { kind: 'flip'; object: string; offset: number; bit: number; before: number; after: number }
  | { kind: 'truncate'; object: string; fromSize: number; toSize: number; backup: string }
  | { kind: 'delete'; object: string; size: number; sha256: string; backup: string };

export interface FileEntry {
  /** Path relative to the data directory, with `/` separators. */
  path: string;
  size: number;
}

export type DiskPlanStep =
  | { kind: 'flip'; object: string; offset: number; bit: number }
  | { kind: 'truncate'; object: string; fromSize: number; toSize: number }
  | { kind: 'delete'; object: string; size: number };

/**
 * Chooses, purely, which objects to damage and where: `count` distinct files (non-empty for
 * flip and truncate), drawn from the seeded source, in a stable order.
 *
 * @example
 * planDiskFault([{ path: 'b/k1', size: 10 }], 'flip', 1, seededRandom(1)); // [{ kind: 'flip', object: 'b/k1', offset: ..., bit: ... }]
 */
export function planDiskFault(
  files: FileEntry[],
  kind: DiskFaultKind,
  count: number,
  random: RandomSource,
): DiskPlanStep[] {
  const candidates = [...files]
    .filter((f) => kind === 'delete' || f.size > 0)
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  if (candidates.length < count) {
    throw new VigilError(
      'check_failed',
      `disk fault ${kind}: wanted ${count} objects, only ${candidates.length} eligible`,
    );
  }
  // A partial Fisher-Yates shuffle: each pick is uniform among the rest.
  for (let i = 0; i < count; i++) {
    const j = i + randomInt(random, candidates.length - i);
    [candidates[i], candidates[j]] = [candidates[j]!, candidates[i]!];
  }
  return candidates.slice(0, count).map((f): DiskPlanStep => {
    if (kind === 'flip')
      return { kind, object: f.path, offset: randomInt(random, f.size), bit: randomInt(random, 8) };
    if (kind === 'truncate')
      return { kind, object: f.path, fromSize: f.size, toSize: randomInt(random, f.size) };
    return { kind, object: f.path, size: f.size };
  });
}

/**
 * Lists regular files under `dir` (relative paths), optionally only those matching `match`.
 *
 * @example
 * await listFiles('/data/s3', /\._S3rver_object$/); // [{ path: 'photos/a._S3rver_object', size: 12 }]
 */
export async function listFiles(dir: string, match?: RegExp): Promise<FileEntry[]> {
  const out: FileEntry[] = [];
  let entries: string[];
  try {
    entries = (await readdir(dir, { recursive: true })) as string[];
  } catch (err) {
    throw new VigilError(
      'not_found',
      `disk fault: cannot read data directory ${dir}: ${(err as NodeJS.ErrnoException).code}`,
    );
  }
  for (const entry of entries) {
    const full = join(dir, entry);
    const s = await stat(full).catch(() => undefined);
    if (!s?.isFile()) continue;
    const path = entry.split(sep).join('/');
    if (match && !match.test(path)) continue;
    out.push({ path, size: s.size });
  }
  return out;
}

export interface DiskFaultOptions {
  dir: string;
  kind: DiskFaultKind;
  count: number;
  random: RandomSource;
  /** Only files whose relative path matches, e.g. /\._S3rver_object$/ for s3rver's object bodies. */
  match?: RegExp;
  /** Where removed bytes are kept so the change can be undone. */
  backupDir: string;
}

/**
 * Applies a disk fault and returns the exact record of what changed.
 *
 * @example
 * const changes = await injectDiskFault({ dir, kind: 'flip', count: 3, random: seededRandom(7), backupDir });
 */
export async function injectDiskFault(options: DiskFaultOptions): Promise<DiskChange[]> {
  const files = await listFiles(options.dir, options.match);
  const plan = planDiskFault(files, options.kind, options.count, options.random);
  await mkdir(options.backupDir, { recursive: true });
  const changes: DiskChange[] = [];
  for (const [i, step] of plan.entries()) {
    const full = join(options.dir, step.object);
    if (step.kind === 'flip') {
      const fh = await open(full, 'r+');
      try {
        const buf = Buffer.alloc(1);
        await fh.read(buf, 0, 1, step.offset);
        const before = buf[0]!;
        const after = before ^ (1 << step.bit);
        buf[0] = after;
        await fh.write(buf, 0, 1, step.offset);
        await fh.sync();
        changes.push({
          kind: 'flip',
          object: step.object,
          offset: step.offset,
          bit: step.bit,
          before,
          after,
        });
      } finally {
        await fh.close();
      }
    } else if (step.kind === 'truncate') {
      const backup = join(options.backupDir, `${i}.tail`);
      const data = await readFile(full);
      await writeFile(backup, data.subarray(step.toSize));
      await truncate(full, step.toSize);
      changes.push({
        kind: 'truncate',
        object: step.object,
        fromSize: step.fromSize,
        toSize: step.toSize,
        backup,
      });
    } else {
      const backup = join(options.backupDir, `${i}.deleted`);
      const data = await readFile(full);
      await copyFile(full, backup);
      await rm(full);
      changes.push({
        kind: 'delete',
        object: step.object,
        size: step.size,
        sha256: createHash('sha256').update(data).digest('hex'),
        backup,
      });
    }
  }
  return changes;
}

/**
 * Undoes recorded changes, newest first: flips the bit back, appends the kept tail, restores
 * the deleted file.
 *
 * @example
 * await restoreDiskChanges(dir, changes); // every byte back
 */
export async function restoreDiskChanges(dir: string, changes: DiskChange[]): Promise<void> {
  for (const change of [...changes].reverse()) {
    const full = join(dir, change.object);
    if (change.kind === 'flip') {
      const fh = await open(full, 'r+');
      try {
        await fh.write(Buffer.from([change.before]), 0, 1, change.offset);
      } finally {
        await fh.close();
      }
    } else if (change.kind === 'truncate') {
      const tail = await readFile(change.backup);
      const fh = await open(full, 'r+');
      try {
        await fh.write(tail, 0, tail.length, change.toSize);
      } finally {
        await fh.close();
      }
    } else {
      await mkdir(dirname(full), { recursive: true });
      await copyFile(change.backup, full);
    }
  }
}

/**
 * The record as a verifier reads it: object paths relative to the data directory.
 *
 * @example
 * describeChange(change); // 'flipped bit 3 of byte 17 in photos/a (0x41 -> 0x49)'
 */
export function describeChange(change: DiskChange): string {
  switch (change.kind) {
    case 'flip':
      return `flipped bit ${change.bit} of byte ${change.offset} in ${change.object} (0x${change.before.toString(16)} -> 0x${change.after.toString(16)})`;
    case 'truncate':
      return `truncated ${change.object} from ${change.fromSize} to ${change.toSize} bytes`;
    case 'delete':
      return `deleted ${change.object} (${change.size} bytes, sha256 ${change.sha256.slice(0, 12)})`;
  }
}
