import type { FormatCounts } from '../normalize.ts';
import type { LogRecord } from '../record.ts';

/**
 * A source hands batches of records to `deliver` and waits for it: the promise resolves once
 * the sink has accepted them (written, or stored in its disk buffer), and only then does a
 * source that can resume (files) move its checkpoint. That is what makes a restart lose
 * nothing and repeat at most one batch.
 */
export type Deliver = (records: LogRecord[]) => Promise<void>;

export interface Source {
  readonly name: string;
  /** Starts reading; resolves when the source has ended (stdin closed) or was closed. */
  run(deliver: Deliver): Promise<void>;
  close(): Promise<void>;
  readonly stats: SourceStats;
}

/** What the agent's /metrics reports about a source. */
export interface SourceStats {
  lines: number;
  bytes: number;
  /** Bytes behind the end of the followed files (files only). */
  lagBytes: number;
  files: number;
  /** Rounds that failed because a sink refused a batch (retried). */
  errors: number;
  counts: FormatCounts;
}

export function newSourceStats(counts: FormatCounts): SourceStats {
  return { lines: 0, bytes: 0, lagBytes: 0, files: 0, errors: 0, counts };
}
