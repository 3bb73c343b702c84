import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { manifestEntries, parseManifestLine, sqlEntries } from '../../../chaos/verify/index-source.ts';
import { verifyIndex } from '../../../chaos/verify/index-verifier.ts';
import { parseTombstone } from '../../../chaos/verify/trash-inspector.ts';
import { isVigilError, systemClock } from '../../../core/index.ts';
import { needService } from '../../support/requires.ts';
import { collect, fsStore, TempDirs, violations } from './support.ts';

const dirs = new TempDirs();
afterAll(() => dirs.cleanup());
const sha = 'ab'.repeat(32);

describe('parseManifestLine', () => {
  it('reads JSON lines and tab-separated lines, skips blanks and comments', () => {
    expect(parseManifestLine(`{"key":"a/b","size":3,"sha256":"${sha.toUpperCase()}"}`, 'm', 1)).toEqual({
      key: 'a/b',
      size: 3,
      sha256: sha,
    });
    expect(parseManifestLine(`a b\t10\t${sha}`, 'm', 1)).toEqual({ key: 'a b', size: 10, sha256: sha });
    expect(parseManifestLine('only-key', 'm', 1)).toEqual({
      key: 'only-key',
      size: undefined,
      sha256: undefined,
    });
    expect(parseManifestLine('   ', 'm', 1)).toBeUndefined();
    expect(parseManifestLine('# header', 'm', 1)).toBeUndefined();
  });
  it('names the file, line and field of a bad line', () => {
    expect(() => parseManifestLine('k\t-1', 'index.tsv', 7)).toThrow(
      'index.tsv:7: size: expected a whole number of bytes',
    );
    expect(() => parseManifestLine('k\t1\tzz', 'index.tsv', 8)).toThrow(
      'index.tsv:8: sha256: expected 64 hex digits',
    );
    expect(() => parseManifestLine('{"size":1}', 'i.jsonl', 2)).toThrow(
      'i.jsonl:2: key: expected a non-empty string',
    );
  });
  it('never throws anything but a parse VigilError (fuzzed)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json()), (line) => {
        try {
          parseManifestLine(line, 'f', 1);
          parseTombstone(line, 'f', 1);
        } catch (err) {
          if (!isVigilError(err, 'parse')) throw err;
        }
      }),
    );
  });
  it('streams a manifest file', async () => {
    const file = join(dirs.make(), 'index.jsonl');
    writeFileSync(file, `{"key":"x","size":1}\n\n# c\r\nk2\t2\n`);
    const got = [];
    for await (const e of manifestEntries(file)) got.push(e);
    expect(got.map((e) => e.key)).toEqual(['x', 'k2']);
    await expect(async () => {
      for await (const _ of manifestEntries(join(dirs.make(), 'none'))) break;
    }).rejects.toThrow(/cannot read: ENOENT/);
  });
});

const noPostgres = await needService('PostgreSQL', 5432);

describe.skipIf(noPostgres)('sqlEntries (PostgreSQL)', () => {
  it('pages through a query in key order and feeds the index verifier', async () => {
    const client = new pg.Client({ host: '127.0.0.1', port: 5432, user: 'postgres', database: 'test' });
    await client.connect();
    const table = `vigil_index_${process.pid}_${Date.now()}`;
    try {
      await client.query(`CREATE TABLE ${table} (path text PRIMARY KEY, bytes bigint, sha256 text)`);
      const store = fsStore(dirs.make());
      const present: string[] = [];
      for (let i = 0; i < 250; i++) {
        const key = `k/${String(i).padStart(3, '0')}`;
        const stat = await store.put(key, Buffer.from(`value ${i}`));
        present.push(key);
        await client.query(`INSERT INTO ${table} VALUES ($1, $2, $3)`, [key, stat.size, stat.sha256]);
      }
      // Two rows the store never got, one with a wrong size.
      await client.query(`INSERT INTO ${table} VALUES ('k/lost-1', 5, NULL), ('k/lost-2', NULL, NULL)`);
      await client.query(`UPDATE ${table} SET bytes = 999 WHERE path = 'k/007'`);
      const entries = sqlEntries(client, `SELECT path AS key, bytes AS size, sha256 FROM ${table}`, 100);
      const results = await collect((onResult) =>
        verifyIndex({ entries, store, clock: systemClock, onResult }),
      );
      expect(results).toHaveLength(252);
      expect(violations(results)).toEqual(['k/007 corrupt', 'k/lost-1 missing', 'k/lost-2 missing']);
    } finally {
      await client.query(`DROP TABLE IF EXISTS ${table}`);
      await client.end();
    }
  });
});
