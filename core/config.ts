import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { type Document, isNode, LineCounter, parseDocument } from 'yaml';
import { z } from 'zod';
import { parseDuration } from './duration.ts';
import { VigilError } from './errors.ts';

/**
 * Config at the edge: a YAML or JSON file is read once, validated with a zod schema into a
 * typed model, and refused whole if anything is wrong. The error names the file, the line,
 * the field path and what was expected, never a stack trace.
 */

/** Every vigil config and rule file says which version of the format it is written in. */
export const apiVersion = 'vigil/v1';
export const apiVersionSchema = z.literal(apiVersion, {
  error: () => `expected apiVersion: ${apiVersion}`,
});

/** A duration string such as "30s" or "1h30m", parsed to milliseconds. */
export const durationSchema = z.string().transform((text, ctx) => {
  try {
    return parseDuration(text);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
    return z.NEVER;
  }
});

/** A TCP listen address `host:port`; the host defaults to loopback, because control APIs must. */
export const listenAddressSchema = z.string().transform((text, ctx) => {
  const parsed = parseListenAddress(text);
  if (!parsed) {
    ctx.addIssue({ code: 'custom', message: `expected "host:port" or ":port", got "${text}"` });
    return z.NEVER;
  }
  return parsed;
});

export interface ListenAddress {
  host: string;
  port: number;
}

/** Parses `host:port`, `[::1]:port` or `:port` (loopback). Returns undefined when invalid. */
export function parseListenAddress(text: string): ListenAddress | undefined {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(text);
  if (!match) return undefined;
  const port = Number(match[3]);
  if (port > 65535) return undefined;
  const host = match[1] ?? (match[2] === '' ? '127.0.0.1' : match[2]!);
  return { host, port };
}

/**
 * Parses config text (YAML, of which JSON is a subset) and validates it.
 *
 * @param source the file name to put in error messages.
 * @example
 * const cfg = parseConfig(serverSchema, 'vigil.yaml', text);
 */
export function parseConfig<S extends z.ZodType>(schema: S, source: string, text: string): z.output<S> {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const first = doc.errors[0]!;
    const pos = lineCounter.linePos(first.pos[0]);
    const where = `${source}:${pos.line}:${pos.col}`;
    throw new VigilError(
      'config',
      `${where}: not valid ${isJson(source) ? 'JSON' : 'YAML'}: ${first.code.toLowerCase().replaceAll('_', ' ')}`,
      {
        details: { file: source, line: pos.line },
      },
    );
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    // Unresolvable or exploding aliases surface only when the document is turned into data.
    throw new VigilError('config', `${source}: not valid YAML: ${(err as Error).message}`, {
      cause: err,
      details: { file: source },
    });
  }
  const result = schema.safeParse(data);
  if (result.success) return result.data;
  throw configError(source, doc, lineCounter, result.error);
}

/**
 * Reads and validates a config file.
 *
 * @example
 * const cfg = loadConfigFile(serverSchema, 'vigil.yaml');
 */
export function loadConfigFile<S extends z.ZodType>(schema: S, file: string): z.output<S> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (code ?? 'unreadable');
    throw new VigilError('config', `${file}: cannot read config: ${why}`, { cause: err, details: { file } });
  }
  return parseConfig(schema, file, text);
}

function isJson(source: string): boolean {
  return extname(source).toLowerCase() === '.json';
}

function configError(source: string, doc: Document, lines: LineCounter, error: z.ZodError): VigilError {
  const problems = error.issues.slice(0, 10).map((issue) => {
    const path = formatPath(issue.path);
    const line = lineOf(doc, lines, issue.path);
    const where = line ? `${source}:${line}` : source;
    return `${where}: ${path || '(top level)'}: ${issue.message}`;
  });
  const more = error.issues.length > 10 ? `\n(and ${error.issues.length - 10} more problems)` : '';
  return new VigilError('config', problems.join('\n') + more, {
    details: {
      file: source,
      issues: error.issues.map((i) => ({ path: formatPath(i.path), message: i.message })),
    },
  });
}

/** `groups[0].rules[2].expr`: the path a person would look for in the file. */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out;
}

function lineOf(doc: Document, lines: LineCounter, path: ReadonlyArray<PropertyKey>): number | undefined {
  // The deepest node that exists on the path: a missing field is reported at its parent.
  for (let depth = path.length; depth >= 0; depth--) {
    const node = doc.getIn(path.slice(0, depth) as unknown[], true);
    if (isNode(node) && node.range) return lines.linePos(node.range[0]).line;
  }
  return undefined;
}
