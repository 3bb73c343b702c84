import type { Readable } from 'node:stream';
import { StreamSource, type StreamSourceOptions } from './stream.ts';

/**
 * The agent's own stdin: `app | vigil agent -c agent.yaml`.
 *
 * @example
 * const source = stdinSource({ name: 'stdin', clock: systemClock });
 */
export function stdinSource(options: StreamSourceOptions, input: Readable = process.stdin): StreamSource {
  return new StreamSource(() => input, options);
}
