import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FilesystemBlobStore } from '../../../chaos/index.ts';
import { type BlobStore, type VerifiableStore, verifiable } from '../../../chaos/verify/blob-store.ts';
import type { VerifyResult } from '../../../chaos/verify/report.ts';
import { directoryWalker } from '../../../chaos/verify/walkers.ts';
import { seededRandom } from '../../../core/index.ts';

/** The filesystem target with an ordered walker, as the verifiers take it. */
export function fsStore(dir: string): VerifiableStore & { root: string } {
  return Object.assign(verifiable(new FilesystemBlobStore(dir), directoryWalker(dir)), { root: dir });
}

/** Temporary directories removed by `cleanup()`. */
export class TempDirs {
  private readonly dirs: string[] = [];
  make(prefix = 'vigil-verify-'): string {
    const d = mkdtempSync(join(tmpdir(), prefix));
    this.dirs.push(d);
    return d;
  }
  cleanup(): void {
    for (const d of this.dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  }
}

/** Deterministic content: the same seed gives the same objects on every run. */
export function seededBytes(seed: number, size: number): Buffer {
  const random = seededRandom(seed);
  const out = Buffer.alloc(size);
  for (let i = 0; i < size; i++) out[i] = Math.floor(random() * 256);
  return out;
}

/** Puts `count` small objects (32..287 bytes) and returns their keys, `parallel` at a time. */
export async function fill(
  store: BlobStore,
  count: number,
  prefix = 'obj/',
  parallel = 16,
): Promise<string[]> {
  const keys = Array.from({ length: count }, (_, i) => `${prefix}${String(i % 97).padStart(2, '0')}/${i}`);
  for (let i = 0; i < keys.length; i += parallel) {
    await Promise.all(
      keys.slice(i, i + parallel).map((k, j) => store.put(k, seededBytes(i + j, 32 + ((i + j) % 256)))),
    );
  }
  return keys;
}

/** Runs a verifier and returns its results. */
export async function collect(
  run: (onResult: (r: VerifyResult) => void) => Promise<unknown>,
): Promise<VerifyResult[]> {
  const results: VerifyResult[] = [];
  await run((r) => results.push(r));
  return results;
}

/** The non-ok results as sorted `key verdict` strings, for exact comparison. */
export function violations(results: VerifyResult[]): string[] {
  return results
    .filter((r) => r.verdict !== 'ok')
    .map((r) => `${r.key} ${r.verdict}${r.side ? ` ${r.side}` : ''}`)
    .sort();
}
