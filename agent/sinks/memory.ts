import type { LogRecord } from '../record.ts';
import { newSinkStats, type Sink } from './sink.ts';

/**
 * Keeps records in an array: for tests, and for `vigil agent parse`-like tools. Bounded: past
 * `limit` records the oldest are dropped and counted.
 *
 * @example
 * const sink = memorySink();
 * await sink.send(records); // sink.records
 */
export function memorySink(limit = 1_000_000): Sink & { records: LogRecord[] } {
  const stats = newSinkStats();
  const records: LogRecord[] = [];
  return {
    name: 'memory',
    stats,
    records,
    async send(batch) {
      for (const r of batch) records.push(r);
      if (records.length > limit) stats.dropped += records.splice(0, records.length - limit).length;
      stats.sent += batch.length;
    },
    async close() {},
  };
}
