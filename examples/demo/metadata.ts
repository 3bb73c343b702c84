import { mkdir, open, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { z } from 'zod';
import { type PhotoEvent, photoEventSchema } from './events.ts';

/**
 * The worker's metadata index: one JSON line per event it processed, in
 * `<data-dir>/worker/photos.jsonl`. Append-only, so a worker killed mid-write loses at most its
 * last line, and JetStream redelivers that event (it was not acked). The index is derived data:
 * the photos service answers from S3, and a later index verifier compares this file with S3.
 */
export interface MetadataRecord {
  /** JetStream stream sequence: identifies the event, makes redeliveries harmless. */
  seq: number;
  event: PhotoEvent;
  /** Trace id from the message's `traceparent`, linking the record to the upload request. */
  traceId: string | undefined;
  /** When the worker recorded it (ISO time). */
  recordedAt: string;
}

/** What the index says about one photo. */
export interface IndexedPhoto {
  user: string;
  id: string;
  key: string;
  generation: number;
  size: number;
  sha256: string;
  traceId: string | undefined;
}

/**
 * Folds records into the current index (key to photo). Pure. A record seen twice (redelivery)
 * applies once; an erasure removes every photo of the erased generation and older.
 *
 * @example
 * foldMetadata(records).get('alice/g0/cat.jpg')?.sha256;
 */
export function foldMetadata(records: Iterable<MetadataRecord>): Map<string, IndexedPhoto> {
  const index = new Map<string, IndexedPhoto>();
  const seen = new Set<number>();
  for (const { seq, event, traceId } of records) {
    if (seen.has(seq)) continue;
    seen.add(seq);
    switch (event.type) {
      case 'photo.uploaded':
        index.set(event.key, {
          user: event.user,
          id: event.id,
          key: event.key,
          generation: event.generation,
          size: event.size,
          sha256: event.sha256,
          traceId,
        });
        break;
      case 'photo.deleted':
        index.delete(event.key);
        break;
      case 'user.erased':
        for (const [key, photo] of index) {
          if (photo.user === event.user && photo.generation <= event.erasedGeneration) index.delete(key);
        }
        break;
    }
  }
  return index;
}

const recordSchema = z.object({
  seq: z.number().int().nonnegative(),
  event: photoEventSchema,
  traceId: z.string().optional(),
  recordedAt: z.string(),
});

/**
 * Parses the lines of a metadata file. A line that is not a valid record (torn by a kill
 * mid-write, or damaged on disk) is skipped and counted, never fatal: the count is what an
 * index verifier reports.
 */
export function parseMetadataLines(text: string): { records: MetadataRecord[]; skipped: number } {
  const records: MetadataRecord[] = [];
  let skipped = 0;
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch {
      skipped++;
      continue;
    }
    const parsed = recordSchema.safeParse(json);
    if (parsed.success) records.push({ ...parsed.data, traceId: parsed.data.traceId });
    else skipped++;
  }
  return { records, skipped };
}

/**
 * Reads a metadata file (absent = empty).
 *
 * @example
 * const { records, skipped } = await readMetadata(`${dataDir}/worker/photos.jsonl`);
 */
export async function readMetadata(file: string): Promise<{ records: MetadataRecord[]; skipped: number }> {
  try {
    return parseMetadataLines(await readFile(file, 'utf8'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { records: [], skipped: 0 };
    throw err;
  }
}

/** The append side, used by the worker. Each append is handed to the OS before it resolves. */
export class MetadataLog {
  private constructor(
    readonly file: string,
    private readonly handle: import('node:fs/promises').FileHandle,
  ) {}

  static async open(file: string): Promise<MetadataLog> {
    await mkdir(dirname(file), { recursive: true });
    const handle = await open(file, 'a');
    // A torn line left by a kill would glue onto the next record: start on a fresh line.
    const { size } = await handle.stat();
    if (size > 0) {
      const last = Buffer.alloc(1);
      const reader = await open(file, 'r');
      try {
        await reader.read(last, 0, 1, size - 1);
      } finally {
        await reader.close();
      }
      if (last[0] !== 0x0a) await handle.write('\n');
    }
    return new MetadataLog(file, handle);
  }

  async append(record: MetadataRecord): Promise<void> {
    await this.handle.write(`${JSON.stringify(record)}\n`);
  }

  async close(): Promise<void> {
    await this.handle.close();
  }
}
