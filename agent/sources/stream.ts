import type { Readable } from 'node:stream';
import type { Clock } from '../../core/index.ts';
import { type FormatCounts, Normalizer, newFormatCounts } from '../normalize.ts';
import type { LogRecord } from '../record.ts';
import { LineSplitter } from './line-splitter.ts';
import { type Deliver, newSourceStats, type Source, type SourceStats } from './source.ts';

export interface StreamSourceOptions {
  name: string;
  format?: string;
  innerFormat?: string;
  resource?: Record<string, string>;
  clock: Clock;
  /** A multiline record with no further line for this long is emitted. */
  multilineFlushMs?: number;
  counts?: FormatCounts;
}

/**
 * Lines from a readable stream (stdin, a command's stdout). A stream cannot be re-read, so
 * there is no checkpoint; backpressure holds the producer while the sink is slow (the stream
 * is paused between batches).
 */
export class StreamSource implements Source {
  readonly name: string;
  readonly stats: SourceStats;
  private closed = false;

  constructor(
    private readonly open: () => Readable,
    private readonly options: StreamSourceOptions,
  ) {
    this.name = options.name;
    this.stats = newSourceStats(options.counts ?? newFormatCounts());
  }

  async run(deliver: Deliver): Promise<void> {
    const input = this.open();
    let batch: LogRecord[] = [];
    const normalizer = new Normalizer(
      {
        format: this.options.format,
        innerFormat: this.options.innerFormat,
        resource: this.options.resource ?? {},
        counts: this.stats.counts,
      },
      (record) => batch.push(record),
    );
    const splitter = new LineSplitter(0, (line) => {
      this.stats.lines++;
      normalizer.push(line, this.options.clock.now(), this.stats.lines);
    });
    const flushMs = this.options.multilineFlushMs ?? 1000;
    let idle = this.options.clock.setTimeout(() => undefined, flushMs);
    // Deliveries from the read loop and from the idle timer go through one chain: in order.
    let chain: Promise<void> = Promise.resolve();
    const send = () => {
      const b = batch;
      batch = [];
      chain = chain.then(() => deliver(b));
      return chain;
    };
    for await (const chunk of input) {
      if (this.closed) break;
      idle.cancel();
      const buf = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
      this.stats.bytes += buf.length;
      splitter.push(buf);
      if (batch.length > 0) await send();
      // A stack trace's last line may be the last for a while: emit it after a quiet spell.
      idle = this.options.clock.setTimeout(() => {
        normalizer.flush();
        if (batch.length > 0) void send();
      }, flushMs);
    }
    idle.cancel();
    splitter.end();
    normalizer.end();
    if (batch.length > 0) await send();
    await chain;
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}
