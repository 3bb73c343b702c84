import { newRecord, setAttribute } from '../record.ts';
import { type EnvelopeParser, partialAttribute } from './parser.ts';
import { parseIsoTime } from './time.ts';

/**
 * Docker's json-file driver: `{"log":"message\n","stream":"stderr","time":"2019-...Z"}`.
 * Docker splits lines longer than 16 KiB into entries whose `log` lacks the final newline;
 * those are marked partial and joined by the normalizer.
 */
export const dockerJson: EnvelopeParser = {
  name: 'docker-json',
  envelope: true,
  parse(line, ctx) {
    if (!line.startsWith('{"log":')) return undefined;
    let obj: unknown;
    try {
      obj = JSON.parse(line);
    } catch {
      return undefined;
    }
    const o = obj as { log?: unknown; stream?: unknown; time?: unknown; attrs?: unknown };
    if (typeof o.log !== 'string') return undefined;
    const complete = o.log.endsWith('\n');
    const record = newRecord(complete ? o.log.slice(0, o.log.endsWith('\r\n') ? -2 : -1) : o.log, ctx);
    if (typeof o.time === 'string') record.timeUnixMs = parseIsoTime(o.time);
    const attributes: Record<string, unknown> = {};
    if (typeof o.stream === 'string') attributes['log.iostream'] = o.stream;
    if (o.attrs && typeof o.attrs === 'object') {
      for (const [k, v] of Object.entries(o.attrs)) setAttribute(attributes, k, v);
    }
    if (!complete) attributes[partialAttribute] = true;
    record.attributes = attributes;
    return record;
  },
};
