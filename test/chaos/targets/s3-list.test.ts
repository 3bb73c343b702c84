import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import S3rver from 's3rver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3BlobStore } from '../../../chaos/targets/index.ts';
import { s3Walker } from '../../../chaos/verify/index.ts';
import { freePort } from '../../support/ports.ts';

/** More than one page (S3 pages hold at most 1000 keys): the case s3rver fails with ListObjectsV2. */
const objects = 1234;

describe('S3 listing beyond one page, against s3rver', () => {
  let dir: string;
  let server: S3rver;
  let store: S3BlobStore;
  let endpoint: string;
  const keys = Array.from({ length: objects }, (_, i) => `k/${String(i).padStart(5, '0')}`);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vigil-s3list-'));
    const port = await freePort();
    server = new S3rver({
      port,
      address: '127.0.0.1',
      silent: true,
      directory: dir,
      configureBuckets: [{ name: 'big' }],
    });
    await server.run();
    endpoint = `http://127.0.0.1:${port}`;
    store = new S3BlobStore({ bucket: 'big', endpoint, accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' });
    for (let i = 0; i < keys.length; i += 32)
      await Promise.all(keys.slice(i, i + 32).map((k) => store.put(k, Buffer.from(k))));
    await store.put('other/x', Buffer.from('x'));
  }, 120_000);
  afterAll(async () => {
    await store?.close();
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('list() returns every key past 1000, in order, with sizes', async () => {
    const listed = await store.list('k/', 10_000);
    expect(listed.map((b) => b.key)).toEqual(keys);
    expect(listed.every((b) => b.size === 7)).toBe(true);
    expect((await store.list('', 10_000)).length).toBe(objects + 1);
  }, 60_000);

  it('list() stops at its limit, also past the first page', async () => {
    expect((await store.list('k/', 1100)).map((b) => b.key)).toEqual(keys.slice(0, 1100));
    expect((await store.list('k/', 10)).map((b) => b.key)).toEqual(keys.slice(0, 10));
  }, 60_000);

  it('the verifiers’ walker pages the same way and resumes after any key', async () => {
    const walker = s3Walker({
      bucket: 'big',
      endpoint,
      accessKeyId: 'S3RVER',
      secretAccessKey: 'S3RVER',
      pageSize: 500,
    });
    try {
      const walked: string[] = [];
      for await (const k of walker.keys({ prefix: 'k/', startAfter: keys[99] })) walked.push(k);
      expect(walked).toEqual(keys.slice(100));
    } finally {
      walker.close();
    }
  }, 60_000);
});
