import { Counter, Gauge, type Registry } from 'prom-client';
import type { HealthMonitor } from './health/index.ts';
import type { Sink } from './sinks/index.ts';
import type { Source } from './sources/index.ts';

/**
 * The agent's own metrics, read from the counters its sources and sinks keep (collected at
 * scrape time: the hot path only increments plain numbers).
 */
export function registerSelfMetrics(
  registry: Registry,
  sources: readonly Source[],
  sinks: readonly Sink[],
  monitor: HealthMonitor | undefined,
): void {
  const registers = [registry];
  const perSource = (name: string, help: string, read: (s: Source) => number, type: 'counter' | 'gauge') => {
    if (type === 'counter') {
      new Counter({
        name,
        help,
        labelNames: ['source'],
        registers,
        collect() {
          this.reset();
          for (const s of sources) this.inc({ source: s.name }, read(s));
        },
      });
    } else {
      new Gauge({
        name,
        help,
        labelNames: ['source'],
        registers,
        collect() {
          for (const s of sources) this.set({ source: s.name }, read(s));
        },
      });
    }
  };
  perSource('vigil_agent_lines_read_total', 'Lines read, per source.', (s) => s.stats.lines, 'counter');
  perSource('vigil_agent_bytes_read_total', 'Bytes read, per source.', (s) => s.stats.bytes, 'counter');
  perSource(
    'vigil_agent_records_total',
    'Records emitted (after joining multiline records), per source.',
    (s) => s.stats.counts.records,
    'counter',
  );
  perSource(
    'vigil_agent_file_lag_bytes',
    'Bytes behind the end of the followed files.',
    (s) => s.stats.lagBytes,
    'gauge',
  );
  perSource('vigil_agent_files_followed', 'Files being followed.', (s) => s.stats.files, 'gauge');
  perSource(
    'vigil_agent_source_errors_total',
    'Rounds in which a sink refused a batch (the lines are read again).',
    (s) => s.stats.errors,
    'counter',
  );

  new Counter({
    name: 'vigil_agent_lines_parsed_total',
    help: 'Lines by source, format and result: parsed, continuation (joined to a multiline record) or unparsed (kept with parse_error).',
    labelNames: ['source', 'format', 'result'],
    registers,
    collect() {
      this.reset();
      for (const s of sources) {
        const c = s.stats.counts;
        for (const [format, n] of Object.entries(c.parsed))
          this.inc({ source: s.name, format, result: 'parsed' }, n);
        for (const [format, n] of Object.entries(c.continuation))
          this.inc({ source: s.name, format, result: 'continuation' }, n);
        if (c.unparsed > 0) this.inc({ source: s.name, format: 'none', result: 'unparsed' }, c.unparsed);
      }
    },
  });

  const perSink = (name: string, help: string, read: (s: Sink) => number, type: 'counter' | 'gauge') => {
    if (type === 'counter') {
      new Counter({
        name,
        help,
        labelNames: ['sink'],
        registers,
        collect() {
          this.reset();
          for (const s of sinks) this.inc({ sink: s.name }, read(s));
        },
      });
    } else {
      new Gauge({
        name,
        help,
        labelNames: ['sink'],
        registers,
        collect() {
          for (const s of sinks) this.set({ sink: s.name }, read(s));
        },
      });
    }
  };
  perSink(
    'vigil_agent_sink_sent_records_total',
    'Records delivered by each sink.',
    (s) => s.stats.sent,
    'counter',
  );
  perSink(
    'vigil_agent_sink_dropped_total',
    'Records refused because the sink buffer was full.',
    (s) => s.stats.dropped,
    'counter',
  );
  perSink(
    'vigil_agent_sink_rejected_total',
    'Records the destination refused as invalid (not retried).',
    (s) => s.stats.rejected,
    'counter',
  );
  perSink(
    'vigil_agent_sink_retries_total',
    'Failed delivery attempts, each retried.',
    (s) => s.stats.retries,
    'counter',
  );
  perSink(
    'vigil_agent_sink_buffer_records',
    'Records waiting in the sink buffer.',
    (s) => s.stats.bufferedRecords,
    'gauge',
  );
  perSink(
    'vigil_agent_sink_buffer_bytes',
    'Bytes in the sink buffer.',
    (s) => s.stats.bufferedBytes,
    'gauge',
  );

  if (monitor) {
    new Gauge({
      name: 'vigil_agent_check_up',
      help: 'Whether the last run of a health check passed.',
      labelNames: ['check'],
      registers,
      collect() {
        for (const c of monitor.list()) this.set({ check: c.name }, c.ok ? 1 : 0);
      },
    });
    new Gauge({
      name: 'vigil_agent_check_duration_seconds',
      help: 'How long the last run of a health check took.',
      labelNames: ['check'],
      registers,
      collect() {
        for (const c of monitor.list()) this.set({ check: c.name }, c.durationMs / 1000);
      },
    });
  }
}
