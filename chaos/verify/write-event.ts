import { VigilError } from '../../core/index.ts';
import { isSha256Hex } from './checksum.ts';
import type { WriteEvent } from './schedule.ts';

/**
 * Parses one write event fed to the watcher from a queue or a log stream, one JSON object per
 * line: `{"key":"a/b","sha256":"<64 hex>","size":123,"writtenAt":"2026-11-23T10:00:00Z"}`
 * (`writtenAt` may be ms since the epoch). Blank lines yield undefined.
 *
 * @example
 * parseWriteEvent('{"key":"k","sha256":"ab..","size":3,"writtenAt":0}', 'stdin', 1);
 */
export function parseWriteEvent(line: string, source: string, lineNo: number): WriteEvent | undefined {
  const text = line.trim();
  if (text === '') return undefined;
  const where = `${source}:${lineNo}`;
  const fail = (what: string): never => {
    throw new VigilError('parse', `${where}: ${what}`, { details: { file: source, line: lineNo } });
  };
  let obj: unknown;
  try {
    obj = JSON.parse(text);
  } catch {
    return fail('not valid JSON');
  }
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) return fail('expected a JSON object');
  const { key, sha256, size, writtenAt } = obj as Record<string, unknown>;
  if (typeof key !== 'string' || key === '') return fail('key: expected a non-empty string');
  if (typeof sha256 !== 'string' || !isSha256Hex(sha256.toLowerCase()))
    return fail('sha256: expected 64 hex digits');
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0)
    return fail('size: expected a whole number of bytes');
  const at =
    typeof writtenAt === 'number'
      ? writtenAt
      : typeof writtenAt === 'string'
        ? Date.parse(writtenAt)
        : Number.NaN;
  if (!Number.isFinite(at)) return fail('writtenAt: expected an ISO time or ms since the epoch');
  return { key, sha256: sha256.toLowerCase(), size, writtenAt: at };
}
