import { recordToJson } from '../record.ts';
import { newSinkStats, type Sink } from './sink.ts';

/**
 * Records as JSON lines on a stream (stdout by default): the sidecar pattern where the
 * cluster's log collector reads the agent's stdout.
 *
 * @example
 * const sink = stdoutSink(process.stdout);
 */
export function stdoutSink(stream: NodeJS.WritableStream, name = 'stdout'): Sink {
  const stats = newSinkStats();
  return {
    name,
    stats,
    async send(records) {
      if (records.length === 0) return;
      let text = '';
      for (const r of records) text += `${JSON.stringify(recordToJson(r))}\n`;
      if (!stream.write(text)) await new Promise<void>((resolve) => stream.once('drain', resolve));
      stats.sent += records.length;
    },
    async close() {},
  };
}
