import { cpSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DiskChange, injectDiskFault } from '../../../chaos/index.ts';
import type { VerifiableStore } from '../../../chaos/verify/blob-store.ts';
import type { IndexEntry } from '../../../chaos/verify/index-source.ts';
import { verifyIndex } from '../../../chaos/verify/index-verifier.ts';
import { compareReplicas } from '../../../chaos/verify/replica-verifier.ts';
import { Scrubber } from '../../../chaos/verify/scrubber.ts';
import { inspectTrash } from '../../../chaos/verify/trash-inspector.ts';
import { seededRandom, systemClock } from '../../../core/index.ts';
import { collect, fill, fsStore, TempDirs, violations } from './support.ts';

const clean = 10_000;
const dirs = new TempDirs();
let root: string;
let replicaRoot: string;
let store: VerifiableStore;
let replica: VerifiableStore;
let keys: string[];
let manifest: IndexEntry[];
const fast = { retry: { attempts: 1, delayMs: 0 } };

beforeAll(async () => {
  root = dirs.make();
  store = fsStore(root);
  keys = await fill(store, clean);
  replicaRoot = dirs.make();
  cpSync(root, replicaRoot, { recursive: true });
  replica = fsStore(replicaRoot);
  manifest = [];
  for (const key of keys) {
    const stat = await store.head(key);
    manifest.push({ key, size: stat!.size, sha256: stat!.sha256 });
  }
}, 120_000);
afterAll(() => dirs.cleanup());

describe(`verifiers over ${clean} clean objects in a directory`, () => {
  it('the scrubber reads every object and reports nothing', async () => {
    const results = await collect((onResult) => new Scrubber({ store, clock: systemClock, onResult }).pass());
    expect(results).toHaveLength(clean);
    expect(violations(results)).toEqual([]);
  });
  it('the index verifier finds every manifest entry with HEAD alone and reports nothing', async () => {
    const results = await collect((onResult) =>
      verifyIndex({ entries: manifest, store, clock: systemClock, onResult }),
    );
    expect(results).toHaveLength(clean);
    expect(results.every((r) => r.bytes === 0)).toBe(true);
    expect(violations(results)).toEqual([]);
  });
  it('the cross-replica verifier, deep, finds the two copies identical', async () => {
    const results = await collect((onResult) =>
      compareReplicas({ a: store, b: replica, clock: systemClock, deep: true, onResult }),
    );
    expect(results).toHaveLength(clean);
    expect(violations(results)).toEqual([]);
  });
});

describe('verifiers against injected disk faults', () => {
  const changes: DiskChange[] = [];
  const damaged = new Map<string, 'flip' | 'truncate' | 'delete'>();

  beforeAll(async () => {
    // Object files only: the recorded checksums under .vigil-meta are what the damage is judged against.
    const match = /^(?!\.vigil-meta\/)/;
    for (const [kind, seed] of [
      ['flip', 1],
      ['truncate', 2],
      ['delete', 3],
    ] as const) {
      const made = await injectDiskFault({
        dir: root,
        kind,
        count: 7,
        random: seededRandom(seed),
        match,
        backupDir: join(dirs.make(), 'backup'),
      });
      changes.push(...made);
      for (const c of made) damaged.set(c.object, damaged.get(c.object) === 'delete' ? 'delete' : c.kind);
    }
    expect(changes).toHaveLength(21);
  });

  const expected = (verdictOf: (kind: 'flip' | 'truncate' | 'delete') => string | undefined) =>
    [...damaged]
      .flatMap(([key, kind]) => {
        const v = verdictOf(kind);
        return v ? [`${key} ${v}`] : [];
      })
      .sort();

  it('the scrubber reports every flipped and truncated object as corrupt, and nothing else', async () => {
    const results = await collect((onResult) =>
      new Scrubber({ store, clock: systemClock, onResult, ...fast }).pass(),
    );
    expect(violations(results)).toEqual(expected((k) => (k === 'delete' ? undefined : 'corrupt')));
  });

  it('the index verifier sees deletions and truncations with HEAD only, and cannot see a flipped bit', async () => {
    const results = await collect((onResult) =>
      verifyIndex({ entries: manifest, store, clock: systemClock, onResult, ...fast }),
    );
    expect(violations(results)).toEqual(
      expected((k) => (k === 'delete' ? 'missing' : k === 'truncate' ? 'corrupt' : undefined)),
    );
  });

  it('the cross-replica verifier names the side that lost an object and every copy that differs', async () => {
    const results = await collect((onResult) =>
      compareReplicas({ a: store, b: replica, clock: systemClock, deep: true, onResult, ...fast }),
    );
    expect(violations(results)).toEqual(expected((k) => (k === 'delete' ? 'missing a' : 'different')));
  });

  it('the trash inspector flags exactly the deleted keys that came back', async () => {
    const deletedKeys = keys.slice(0, 50);
    for (const k of deletedKeys) await store.delete(k);
    const tombstones = deletedKeys.map((key) => ({ key, deletedAt: 0 }));
    // A restore from an old backup brings three of them back.
    const back = [deletedKeys[3]!, deletedKeys[17]!, deletedKeys[42]!];
    for (const k of back) writeFileSync(join(root, k), 'restored');
    const results = await collect((onResult) =>
      inspectTrash({ tombstones, store, clock: systemClock, onResult }),
    );
    expect(results).toHaveLength(50);
    expect(violations(results)).toEqual(back.map((k) => `${k} resurrected`).sort());
  });
});
