import { fileSink } from './file.ts';
import { memorySink } from './memory.ts';
import { otlpHttpSink } from './otlp-http.ts';
import { stdoutSink } from './stdout.ts';

export { DiskBuffer } from './disk-buffer.ts';
export { toOtlpLogs } from './otlp-http.ts';
export { newSinkStats, type Sink, type SinkStats } from './sink.ts';

/** Every sink kind, listed explicitly. */
export const sinks = { stdout: stdoutSink, file: fileSink, otlp: otlpHttpSink, memory: memorySink };
export { fileSink, memorySink, otlpHttpSink, stdoutSink };
