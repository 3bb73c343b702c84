import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { VigilError } from '../../core/index.ts';
import type { KeyWalker } from './blob-store.ts';
import { isSha256Hex } from './checksum.ts';

/**
 * Where the index verifier gets the list of what should exist: a manifest file, a store's own
 * listing, or a database query. Each is an async sequence of entries, read lazily.
 */

export interface IndexEntry {
  key: string;
  size?: number | undefined;
  sha256?: string | undefined;
}

/**
 * Parses one manifest line: a JSON object `{"key":..,"size":..,"sha256":..}` or tab-separated
 * `key<TAB>size<TAB>sha256` (size and sha256 optional). Blank lines and `#` comments yield
 * undefined. Anything else is a parse error naming the file and line.
 *
 * @example
 * parseManifestLine('a/b\t3\tba78...', 'index.tsv', 1); // { key: 'a/b', size: 3, sha256: 'ba78...' }
 */
export function parseManifestLine(line: string, source: string, lineNo: number): IndexEntry | undefined {
  const text = line.trim();
  if (text === '' || text.startsWith('#')) return undefined;
  const where = `${source}:${lineNo}`;
  let key: unknown;
  let size: unknown;
  let sha256: unknown;
  if (text.startsWith('{')) {
    let obj: Record<string, unknown>;
    try {
      obj = JSON.parse(text) as Record<string, unknown>;
    } catch {
      throw new VigilError('parse', `${where}: not valid JSON`, { details: { file: source, line: lineNo } });
    }
    if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) {
      throw new VigilError('parse', `${where}: expected a JSON object`, {
        details: { file: source, line: lineNo },
      });
    }
    ({ key, size, sha256 } = obj);
  } else {
    const fields = line.replace(/\r$/, '').split('\t');
    key = fields[0];
    size = fields[1] === undefined || fields[1] === '' ? undefined : Number(fields[1]);
    sha256 = fields[2] === '' ? undefined : fields[2];
  }
  if (typeof key !== 'string' || key === '') {
    throw new VigilError('parse', `${where}: key: expected a non-empty string`, {
      details: { file: source, line: lineNo },
    });
  }
  if (size !== undefined && (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0)) {
    throw new VigilError('parse', `${where}: size: expected a whole number of bytes`, {
      details: { file: source, line: lineNo },
    });
  }
  if (sha256 !== undefined && (typeof sha256 !== 'string' || !isSha256Hex(sha256.toLowerCase()))) {
    throw new VigilError('parse', `${where}: sha256: expected 64 hex digits`, {
      details: { file: source, line: lineNo },
    });
  }
  return { key, size: size as number | undefined, sha256: (sha256 as string | undefined)?.toLowerCase() };
}

/**
 * Entries of a manifest file, read line by line.
 *
 * @example
 * for await (const e of manifestEntries('index.jsonl')) console.log(e.key);
 */
export function manifestEntries(file: string): AsyncIterable<IndexEntry> {
  return fileRecords(file, parseManifestLine);
}

/**
 * Any line-oriented file of records, read lazily: `parse` returns undefined for lines to skip
 * and throws a parse VigilError naming the line for bad ones.
 */
export async function* fileRecords<T>(
  file: string,
  parse: (line: string, source: string, lineNo: number) => T | undefined,
): AsyncIterable<T> {
  const input = createReadStream(file);
  const opened = new Promise<void>((resolve, reject) => {
    input.once('open', () => resolve());
    input.once('error', reject);
  });
  try {
    await opened;
  } catch (err) {
    throw new VigilError(
      'config',
      `${file}: cannot read: ${(err as NodeJS.ErrnoException).code ?? 'unreadable'}`,
      {
        cause: err,
      },
    );
  }
  const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  let n = 0;
  try {
    for await (const line of lines) {
      n++;
      const entry = parse(line, file, n);
      if (entry !== undefined) yield entry;
    }
  } finally {
    lines.close();
    input.destroy();
  }
}

/** A store's own listing as an index: proves that what LIST shows, HEAD finds. */
export async function* listingEntries(walker: KeyWalker, prefix?: string): AsyncIterable<IndexEntry> {
  for await (const key of walker.keys(prefix ? { prefix } : {})) yield { key };
}

/** The part of a node-postgres client the query source uses. */
export interface SqlClient {
  query(text: string, values: unknown[]): Promise<{ rows: Record<string, unknown>[] }>;
}

/**
 * Entries from a database: `query` must return a `key` column and may return `size` and
 * `sha256`. It is read in pages by key (keyset pagination), so a table of any size streams.
 *
 * @example
 * sqlEntries(pgClient, 'SELECT path AS key, bytes AS size, sha256 FROM blobs WHERE live');
 */
export async function* sqlEntries(
  client: SqlClient,
  query: string,
  pageSize = 1000,
): AsyncIterable<IndexEntry> {
  let after: string | null = null;
  for (;;) {
    const sql = `SELECT * FROM (${query}) AS vigil_index WHERE ($1::text IS NULL OR vigil_index.key::text COLLATE "C" > $1::text) ORDER BY vigil_index.key::text COLLATE "C" LIMIT ${Math.floor(pageSize)}`;
    const { rows }: { rows: Record<string, unknown>[] } = await client
      .query(sql, [after])
      .catch((err: unknown) => {
        throw new VigilError('unavailable', `index query failed: ${(err as Error).message}`, { cause: err });
      });
    for (const [i, row] of rows.entries()) {
      const size = row['size'] === null || row['size'] === undefined ? undefined : Number(row['size']);
      const sha = row['sha256'];
      const entry = parseManifestLine(
        JSON.stringify({ key: row['key'], size, sha256: typeof sha === 'string' ? sha : undefined }),
        'index query',
        i + 1,
      );
      if (entry) yield entry;
    }
    if (rows.length < pageSize) return;
    after = String(rows.at(-1)!['key']);
  }
}
