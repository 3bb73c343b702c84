import { closeSync, fsyncSync, openSync, readFileSync, writeSync } from 'node:fs';
import { crc32 } from 'node:zlib';
import type { Labels } from './labels.ts';

/**
 * The record format shared by the write-ahead log and snapshots. Each record is
 * `[payload length u32][crc32 of payload u32][payload]`, little-endian; the payload starts
 * with a type byte:
 *
 * - 1 series:  id u32, labels as JSON (UTF-8)
 * - 2 samples: count u32, then count x (id u32, timestamp f64, value f64)
 *
 * A record whose length or checksum is wrong ends the file: that is the torn tail a `kill -9`
 * or power loss leaves, and replay reports how many bytes it discarded.
 */

export type WalRecord =
  | { type: 'series'; id: number; labels: Labels }
  | { type: 'samples'; ids: Uint32Array; t: Float64Array; v: Float64Array };

const typeSeries = 1;
const typeSamples = 2;
const headerBytes = 8;
/** A record larger than this is corruption, not data: a samples batch is capped well below. */
const maxRecordBytes = 64 * 1024 * 1024;
/** Samples per record: keeps records far below maxRecordBytes (20 bytes per sample). */
export const maxSamplesPerRecord = 65_536;

export function encodeSeries(id: number, labels: Labels): Buffer {
  const json = Buffer.from(JSON.stringify(labels), 'utf8');
  const payload = Buffer.allocUnsafe(5 + json.length);
  payload.writeUInt8(typeSeries, 0);
  payload.writeUInt32LE(id, 1);
  json.copy(payload, 5);
  return frame(payload);
}

export function encodeSamples(
  ids: ArrayLike<number>,
  t: ArrayLike<number>,
  v: ArrayLike<number>,
  count: number,
): Buffer {
  const payload = Buffer.allocUnsafe(5 + count * 20);
  payload.writeUInt8(typeSamples, 0);
  payload.writeUInt32LE(count, 1);
  let off = 5;
  for (let i = 0; i < count; i++) {
    payload.writeUInt32LE(ids[i]!, off);
    payload.writeDoubleLE(t[i]!, off + 4);
    payload.writeDoubleLE(v[i]!, off + 12);
    off += 20;
  }
  return frame(payload);
}

function frame(payload: Buffer): Buffer {
  const header = Buffer.allocUnsafe(headerBytes);
  header.writeUInt32LE(payload.length, 0);
  header.writeUInt32LE(crc32(payload), 4);
  return Buffer.concat([header, payload]);
}

export interface DecodeResult {
  records: WalRecord[];
  /** Bytes after the last good record (a torn or corrupt tail), 0 for a clean file. */
  discardedBytes: number;
}

/** Decodes every intact record of a buffer, stopping at the first torn or corrupt one. */
export function decodeRecords(buf: Buffer): DecodeResult {
  const records: WalRecord[] = [];
  let off = 0;
  while (off + headerBytes <= buf.length) {
    const len = buf.readUInt32LE(off);
    const sum = buf.readUInt32LE(off + 4);
    if (len < 1 || len > maxRecordBytes || off + headerBytes + len > buf.length) break;
    const payload = buf.subarray(off + headerBytes, off + headerBytes + len);
    if (crc32(payload) !== sum) break;
    const record = decodePayload(payload);
    if (!record) break;
    records.push(record);
    off += headerBytes + len;
  }
  return { records, discardedBytes: buf.length - off };
}

function decodePayload(p: Buffer): WalRecord | undefined {
  const type = p.readUInt8(0);
  if (type === typeSeries && p.length >= 5) {
    try {
      const labels = JSON.parse(p.subarray(5).toString('utf8')) as Labels;
      return { type: 'series', id: p.readUInt32LE(1), labels };
    } catch {
      return undefined;
    }
  }
  if (type === typeSamples && p.length >= 5) {
    const count = p.readUInt32LE(1);
    if (p.length !== 5 + count * 20) return undefined;
    const ids = new Uint32Array(count);
    const t = new Float64Array(count);
    const v = new Float64Array(count);
    let off = 5;
    for (let i = 0; i < count; i++) {
      ids[i] = p.readUInt32LE(off);
      t[i] = p.readDoubleLE(off + 4);
      v[i] = p.readDoubleLE(off + 12);
      off += 20;
    }
    return { type: 'samples', ids, t, v };
  }
  return undefined;
}

/** Reads and decodes a whole record file. */
export function readRecordFile(path: string): DecodeResult {
  return decodeRecords(readFileSync(path));
}

/**
 * An append-only record file. Writes go to the OS with `writeSync` (they survive the process
 * being killed); `sync` forces them to the disk (they survive the machine losing power).
 */
export class RecordFile {
  private fd: number;
  bytes = 0;

  constructor(readonly path: string) {
    this.fd = openSync(path, 'a');
  }

  write(buf: Buffer): void {
    let off = 0;
    while (off < buf.length) off += writeSync(this.fd, buf, off, buf.length - off);
    this.bytes += buf.length;
  }

  sync(): void {
    fsyncSync(this.fd);
  }

  close(): void {
    if (this.fd < 0) return;
    fsyncSync(this.fd);
    closeSync(this.fd);
    this.fd = -1;
  }
}
