import { join } from 'node:path';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DiskChange, injectDiskFault, S3BlobStore } from '../../../chaos/index.ts';
import { type VerifiableStore, verifiable } from '../../../chaos/verify/blob-store.ts';
import type { IndexEntry } from '../../../chaos/verify/index-source.ts';
import { verifyIndex } from '../../../chaos/verify/index-verifier.ts';
import { compareReplicas } from '../../../chaos/verify/replica-verifier.ts';
import { Scrubber } from '../../../chaos/verify/scrubber.ts';
import { s3Walker } from '../../../chaos/verify/walkers.ts';
import { Watcher } from '../../../chaos/verify/watcher.ts';
import { ManualClock, seededRandom, systemClock } from '../../../core/index.ts';
import { freePort } from '../../support/ports.ts';
import { collect, fill, fsStore, TempDirs, violations } from './support.ts';

const count = 600;
const bucket = 'verify';
const dirs = new TempDirs();
let server: S3rver;
let dataDir: string;
let store: VerifiableStore;
let closeWalker: () => void;
let keys: string[];
let manifest: IndexEntry[];
let replica: VerifiableStore;
const fast = { retry: { attempts: 1, delayMs: 0 } };

beforeAll(async () => {
  dataDir = dirs.make('vigil-s3rver-');
  const port = await freePort();
  server = new S3rver({ port, address: '127.0.0.1', silent: true, directory: dataDir });
  await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  const credentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
  const admin = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials });
  await admin.send(new CreateBucketCommand({ Bucket: bucket }));
  admin.destroy();
  // Small pages: the walk must cross many pages (StartAfter paging, no continuation tokens).
  const walker = s3Walker({ bucket, endpoint, ...credentials, pageSize: 100 });
  closeWalker = walker.close;
  store = verifiable(new S3BlobStore({ bucket, endpoint, ...credentials }), walker);
  keys = await fill(store, count);
  manifest = [];
  // A second zone in a directory: the cross-replica verifier compares an S3 bucket with it.
  replica = fsStore(dirs.make('vigil-replica-'));
  for (const key of keys) {
    const stat = await store.head(key);
    manifest.push({ key, size: stat!.size, sha256: stat!.sha256 });
    await replica.put(key, (await store.get(key))!);
  }
}, 120_000);
afterAll(async () => {
  await store?.close();
  closeWalker?.();
  await server?.close();
  dirs.cleanup();
});

describe('S3 store (s3rver)', () => {
  it('walks in key order across pages, resumes after a key, and tells absent from present', async () => {
    const listed: string[] = [];
    for await (const k of store.keys()) listed.push(k);
    expect(listed).toEqual([...keys].sort());
    const after: string[] = [];
    for await (const k of store.keys({ startAfter: listed[149]! })) after.push(k);
    expect(after).toEqual(listed.slice(150));
    expect(await store.head('no/such/key')).toBeUndefined();
    expect(await store.get('no/such/key')).toBeUndefined();
  });

  it(`scrubs and index-verifies ${count} clean objects with no false positive`, async () => {
    const scrubbed = await collect((onResult) =>
      new Scrubber({ store, clock: systemClock, onResult }).pass(),
    );
    expect(scrubbed).toHaveLength(count);
    expect(violations(scrubbed)).toEqual([]);
    const indexed = await collect((onResult) =>
      verifyIndex({ entries: manifest, store, clock: systemClock, onResult }),
    );
    expect(indexed).toHaveLength(count);
    expect(violations(indexed)).toEqual([]);
  });

  it('a watcher reading back through S3 finds a week of synthetic writes intact', async () => {
    const clock = new ManualClock(Date.parse('2026-11-23T00:00:00Z'));
    const results = await collect(async (onResult) => {
      const watcher = Watcher.open({
        store,
        clock,
        journalDir: dirs.make(),
        onResult,
        syntheticPrefix: 'watch/',
      });
      for (let i = 0; i < 20; i++) await watcher.writeSynthetic(1024);
      for (let guard = 0; guard < 100 && watcher.nextDueAt() !== undefined; guard++) {
        await clock.advanceTo(watcher.nextDueAt()!);
        await watcher.runDue();
      }
      await watcher.close();
    });
    expect(results).toHaveLength(80);
    expect(violations(results)).toEqual([]);
    for await (const k of store.keys({ prefix: 'watch/' })) await store.delete(k);
  });

  it('reports every bit flip, truncation and deletion made in the server data directory, with the right key', async () => {
    const changes: DiskChange[] = [];
    for (const [kind, seed] of [
      ['flip', 11],
      ['truncate', 12],
      ['delete', 13],
    ] as const) {
      changes.push(
        ...(await injectDiskFault({
          dir: join(dataDir, bucket),
          kind,
          count: 5,
          random: seededRandom(seed),
          match: /\._S3rver_object$/,
          backupDir: join(dirs.make(), 'backup'),
        })),
      );
    }
    const damaged = new Map<string, string>();
    for (const c of changes) {
      const key = c.object.replace(/\._S3rver_object$/, '');
      if (damaged.get(key) !== 'delete') damaged.set(key, c.kind);
    }
    const scrubbed = await collect((onResult) =>
      new Scrubber({ store, clock: systemClock, onResult, ...fast }).pass(),
    );
    expect(violations(scrubbed)).toEqual(
      [...damaged]
        .filter(([, k]) => k !== 'delete')
        .map(([key]) => `${key} corrupt`)
        .sort(),
    );
    const indexed = await collect((onResult) =>
      verifyIndex({ entries: manifest, store, clock: systemClock, onResult, ...fast }),
    );
    expect(violations(indexed)).toEqual(
      [...damaged]
        .filter(([, k]) => k !== 'flip')
        .map(([key, k]) => `${key} ${k === 'delete' ? 'missing' : 'corrupt'}`)
        .sort(),
    );
    const compared = await collect((onResult) =>
      compareReplicas({ a: store, b: replica, clock: systemClock, deep: true, onResult, ...fast }),
    );
    expect(violations(compared)).toEqual(
      [...damaged].map(([key, k]) => `${key} ${k === 'delete' ? 'missing a' : 'different'}`).sort(),
    );
  });
});
