import type { Readable, Writable } from 'node:stream';
import type { Clock } from '../core/index.ts';
import { Normalizer } from './normalize.ts';
import { recordToJson } from './record.ts';
import { LineSplitter } from './sources/line-splitter.ts';

export interface ParseStreamOptions {
  format?: string;
  innerFormat?: string;
  resource?: Record<string, string>;
  clock: Clock;
}

/**
 * Reads lines from `input` and writes their normalized records to `output` as JSON lines:
 * what `vigil agent parse` does to try a format out. Resolves with the counts per format.
 *
 * @example
 * await parseStream(createReadStream('access.log'), process.stdout, { format: 'nginx', clock: systemClock });
 */
export async function parseStream(input: Readable, output: Writable, options: ParseStreamOptions) {
  let buffered: string[] = [];
  const normalizer = new Normalizer(
    { format: options.format ?? 'auto', innerFormat: options.innerFormat, resource: options.resource ?? {} },
    (record) => {
      buffered.push(JSON.stringify(recordToJson(record)));
    },
  );
  const splitter = new LineSplitter(0, (line, end) => normalizer.push(line, options.clock.now(), end));
  const write = async (text: string) => {
    if (!output.write(text)) await new Promise<void>((resolve) => output.once('drain', resolve));
  };
  for await (const chunk of input) {
    splitter.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
    if (buffered.length > 0) {
      const text = `${buffered.join('\n')}\n`;
      buffered = [];
      await write(text);
    }
  }
  splitter.end();
  normalizer.end();
  if (buffered.length > 0) await write(`${buffered.join('\n')}\n`);
  return normalizer.counts;
}
