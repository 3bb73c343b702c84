import { request } from 'undici';
import {
  compileRelabel,
  formatFromContentType,
  type MetricFamily,
  parseExposition,
  type RelabelConfig,
  type Sample,
  scrapeAcceptHeader,
  VigilError,
} from '../../core/index.ts';
import type { Adapter } from './adapter.ts';

/**
 * Re-exports a Prometheus endpoint of the application (one that binds only loopback, or
 * that exposes too much), through `metric_relabel_configs`-style relabeling: samples can be
 * dropped, renamed or relabeled before the agent serves them.
 *
 * @example
 * reexportAdapter({ name: 'app', url: 'http://127.0.0.1:9000/metrics', relabel: [] });
 */
export function reexportAdapter(options: {
  name: string;
  url: string;
  relabel?: readonly RelabelConfig[];
  limitBytes?: number;
}): Adapter {
  const relabel = compileRelabel(options.relabel ?? []);
  const limit = options.limitBytes ?? 16 << 20;
  return {
    name: options.name,
    async collect(signal) {
      const res = await request(options.url, { signal, headers: { accept: scrapeAcceptHeader } });
      if (res.statusCode !== 200) {
        await res.body.dump();
        throw new VigilError(
          'unavailable',
          `${options.name}: ${options.url} answered HTTP ${res.statusCode}`,
        );
      }
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of res.body) {
        size += (chunk as Buffer).length;
        if (size > limit)
          throw new VigilError('too_large', `${options.name}: exposition larger than ${limit} bytes`);
        chunks.push(chunk as Buffer);
      }
      const format = formatFromContentType(String(res.headers['content-type'] ?? ''), 'prometheus');
      const families = parseExposition(Buffer.concat(chunks).toString('utf8'), { format });
      return relabelFamilies(families, relabel);
    },
  };
}

/** Applies a relabeler to every sample; a renamed sample moves to an untyped family of its new name. */
export function relabelFamilies(
  families: readonly MetricFamily[],
  relabel: ReturnType<typeof compileRelabel>,
): MetricFamily[] {
  const out: MetricFamily[] = [];
  const moved = new Map<string, Sample[]>();
  for (const f of families) {
    const kept: Sample[] = [];
    for (const s of f.samples) {
      const labels = relabel({ __name__: s.name, ...s.labels });
      if (!labels) continue;
      const { __name__: name = s.name, ...rest } = labels;
      const sample: Sample = { ...s, name, labels: rest };
      if (name === s.name) kept.push(sample);
      else {
        const list = moved.get(name);
        if (list) list.push(sample);
        else moved.set(name, [sample]);
      }
    }
    if (kept.length > 0) out.push({ ...f, samples: kept });
  }
  for (const [name, samples] of moved)
    out.push({ name, type: 'unknown', help: undefined, unit: undefined, samples });
  return out;
}
