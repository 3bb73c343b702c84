import { readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { parse } from 'yaml';
import { z } from 'zod';
import { isValidLabelName, VigilError } from '../../core/index.ts';
import type { TargetGroup } from './targets.ts';

/**
 * File-based discovery in Prometheus' file_sd format: a JSON or YAML list of
 * `{ targets: [...], labels: {...} }`. A file name may contain `*` in its last part, as
 * Prometheus allows. A file that cannot be read or parsed is reported, and the caller keeps the
 * targets it last read from it (Prometheus does the same).
 */

const fileSchema = z.array(
  z.strictObject({
    targets: z.array(z.string()),
    labels: z
      .record(z.string().refine(isValidLabelName, { error: 'invalid label name' }), z.string())
      .optional(),
  }),
);

/** Expands `dir/*.json` style patterns (a `*` in the file name only). */
export function expandPattern(pattern: string): string[] {
  const name = basename(pattern);
  if (!name.includes('*')) return [pattern];
  const dir = dirname(pattern);
  const re = new RegExp(
    `^${name
      .split('*')
      .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  );
  try {
    return readdirSync(dir)
      .filter((f) => re.test(f))
      .sort()
      .map((f) => join(dir, f));
  } catch {
    return [];
  }
}

/**
 * Reads one file_sd file.
 *
 * @throws VigilError('config') naming the file and the problem.
 */
export function readFileSd(file: string): TargetGroup[] {
  let data: unknown;
  try {
    data = parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new VigilError('config', `file_sd ${file}: ${(err as Error).message.split('\n')[0]}`, {
      cause: err,
    });
  }
  const result = fileSchema.safeParse(data ?? []);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    throw new VigilError('config', `file_sd ${file}: ${issue.path.join('.')}: ${issue.message}`);
  }
  return result.data.map((g) => ({ targets: g.targets, labels: g.labels ?? {}, source: file }));
}
