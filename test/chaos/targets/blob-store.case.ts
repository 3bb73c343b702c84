import { expect, it } from 'vitest';
import { type BlobStore, isIntact } from '../../../chaos/targets/index.ts';

/**
 * What every blob store adapter must do, run against each real store: put records a checksum
 * that head returns, get returns the same bytes, list finds by prefix, delete removes, and a
 * missing key is undefined rather than an error.
 */
export function blobStoreConformance(open: () => BlobStore, prefix: string): void {
  it('put, head with checksum, get, list, delete', async () => {
    const store = open();
    const body = Buffer.from(Array.from({ length: 5000 }, (_, i) => i % 251));
    const put = await store.put(`${prefix}/a.bin`, body);
    await store.put(`${prefix}/b.bin`, Buffer.from('bee'));
    expect(put.size).toBe(5000);
    const head = await store.head(`${prefix}/a.bin`);
    expect(head).toMatchObject({ key: `${prefix}/a.bin`, size: 5000, sha256: put.sha256 });
    const got = await store.get(`${prefix}/a.bin`);
    expect(got?.equals(body)).toBe(true);
    expect(isIntact(head!, got!)).toBe(true);
    const flipped = Buffer.from(got!);
    flipped[10]! ^= 1;
    expect(isIntact(head!, flipped)).toBe(false);
    expect((await store.list(`${prefix}/`)).map((b) => b.key).sort()).toEqual([
      `${prefix}/a.bin`,
      `${prefix}/b.bin`,
    ]);
    expect(await store.list(`${prefix}/`, 1)).toHaveLength(1);
    await store.delete(`${prefix}/a.bin`);
    await store.delete(`${prefix}/b.bin`);
    expect(await store.head(`${prefix}/a.bin`)).toBeUndefined();
    expect(await store.get(`${prefix}/a.bin`)).toBeUndefined();
    expect(await store.list(`${prefix}/`)).toEqual([]);
  });
}
