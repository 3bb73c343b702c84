import type { LogRecord } from '../record.ts';

/**
 * Where records go. `send` resolves once the sink has accepted the batch: written (stdout,
 * file) or stored in its buffer (OTLP). Sources checkpoint only after that.
 */
export interface Sink {
  readonly name: string;
  send(records: LogRecord[]): Promise<void>;
  close(): Promise<void>;
  readonly stats: SinkStats;
}

/** What the agent's /metrics reports about a sink. */
export interface SinkStats {
  /** Records delivered to the destination. */
  sent: number;
  /** Records refused because the buffer was full: counted, reported, never silent. */
  dropped: number;
  /** Records the destination rejected as invalid (HTTP 4xx other than 429): not retried. */
  rejected: number;
  /** Records waiting in the buffer. */
  bufferedRecords: number;
  bufferedBytes: number;
  /** Failed delivery attempts (each is retried). */
  retries: number;
}

export function newSinkStats(): SinkStats {
  return { sent: 0, dropped: 0, rejected: 0, bufferedRecords: 0, bufferedBytes: 0, retries: 0 };
}
