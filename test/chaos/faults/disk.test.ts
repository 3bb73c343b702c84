import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  injectDiskFault,
  listFiles,
  planDiskFault,
  restoreDiskChanges,
} from '../../../chaos/faults/index.ts';
import { seededRandom } from '../../../core/index.ts';

let dir: string;
let backups: string;
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

beforeEach(() => {
  const root = mkdtempSync(join(tmpdir(), 'vigil-disk-'));
  dir = join(root, 'data');
  backups = join(root, 'backups');
  mkdirSync(join(dir, 'bucket'), { recursive: true });
  for (let i = 0; i < 10; i++)
    writeFileSync(join(dir, 'bucket', `obj${i}._S3rver_object`), Buffer.alloc(100 + i, i + 1));
  writeFileSync(join(dir, 'bucket', 'obj0._S3rver_metadata.json'), '{}');
});
afterEach(() => rmSync(join(dir, '..'), { recursive: true, force: true }));

function snapshot(): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i < 10; i++) {
    const p = join(dir, 'bucket', `obj${i}._S3rver_object`);
    try {
      out.set(p, sha(readFileSync(p)));
    } catch {
      out.set(p, 'missing');
    }
  }
  return out;
}

describe('disk faults', () => {
  it('flips exactly one recorded bit in each of N objects, and undoes it', async () => {
    const before = snapshot();
    const changes = await injectDiskFault({
      dir,
      kind: 'flip',
      count: 3,
      random: seededRandom(11),
      match: /\._S3rver_object$/,
      backupDir: backups,
    });
    expect(changes).toHaveLength(3);
    expect(new Set(changes.map((c) => c.object)).size).toBe(3);
    for (const c of changes) {
      if (c.kind !== 'flip') throw new Error('expected flips');
      const data = readFileSync(join(dir, c.object));
      expect(data[c.offset]).toBe(c.after);
      expect(c.before ^ c.after).toBe(1 << c.bit);
    }
    const damaged = [...snapshot()]
      .filter(([p, h]) => before.get(p) !== h)
      .map(([p]) => p.slice(dir.length + 1))
      .sort();
    expect(damaged).toEqual(changes.map((c) => c.object).sort());
    await restoreDiskChanges(dir, changes);
    expect(snapshot()).toEqual(before);
  });

  it('truncates and deletes with exact records, and undoes both', async () => {
    const before = snapshot();
    const t = await injectDiskFault({
      dir,
      kind: 'truncate',
      count: 2,
      random: seededRandom(5),
      match: /_object$/,
      backupDir: join(backups, 't'),
    });
    for (const c of t)
      if (c.kind === 'truncate') expect(readFileSync(join(dir, c.object)).length).toBe(c.toSize);
    const d = await injectDiskFault({
      dir,
      kind: 'delete',
      count: 2,
      random: seededRandom(6),
      match: /_object$/,
      backupDir: join(backups, 'd'),
    });
    for (const c of d) expect(() => readFileSync(join(dir, c.object))).toThrow();
    await restoreDiskChanges(dir, d);
    await restoreDiskChanges(dir, t);
    expect(snapshot()).toEqual(before);
  });

  it('is replayable: the same seed damages the same places', async () => {
    const files = await listFiles(dir, /_object$/);
    expect(planDiskFault(files, 'flip', 4, seededRandom(9))).toEqual(
      planDiskFault(files, 'flip', 4, seededRandom(9)),
    );
  });

  it('plans distinct, in-range damage (fuzzed)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 1000 }), { minLength: 1, maxLength: 30 }),
        fc.integer(),
        fc.constantFrom('flip', 'truncate', 'delete' as const),
        (sizes, seed, kind) => {
          const files = sizes.map((size, i) => ({ path: `f${i}`, size }));
          const eligible = files.filter((f) => kind === 'delete' || f.size > 0).length;
          const count = Math.min(eligible, 3);
          const plan = planDiskFault(files, kind, count, seededRandom(seed));
          expect(new Set(plan.map((p) => p.object)).size).toBe(count);
          for (const step of plan) {
            const size = files.find((f) => f.path === step.object)!.size;
            if (step.kind === 'flip') expect(step.offset).toBeLessThan(size);
            if (step.kind === 'truncate') expect(step.toSize).toBeLessThan(size);
          }
        },
      ),
      { seed: 1, numRuns: 200 },
    );
  });

  it('refuses more objects than there are', async () => {
    await expect(
      injectDiskFault({ dir, kind: 'flip', count: 50, random: seededRandom(1), backupDir: backups }),
    ).rejects.toThrow(/only 11 eligible/);
  });
});
