import { mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { VigilError } from '../../core/index.ts';
import { type BlobInfo, type BlobStore, defaultListLimit, sha256Hex } from './target.ts';

/** Checksums live beside the data, in a folder that listings skip. */
const metaDir = '.vigil-meta';

/**
 * A directory as a blob store: keys are relative paths. Writes go to a temp file and are
 * renamed into place, so a reader never sees half an object.
 *
 * @example
 * const store = new FilesystemBlobStore('/var/lib/photos');
 * await store.put('a/b.jpg', data);
 */
export class FilesystemBlobStore implements BlobStore {
  readonly kind = 'filesystem';
  private readonly root: string;

  constructor(dir: string) {
    this.root = resolve(dir);
  }

  private path(key: string): string {
    const full = resolve(this.root, key);
    if (!full.startsWith(this.root + sep) || key.split('/').includes(metaDir)) {
      throw new VigilError('usage', `filesystem blob store: key "${key}" leaves the store or is reserved`);
    }
    return full;
  }

  private metaPath(key: string): string {
    return join(this.root, metaDir, `${key}.json`);
  }

  async list(prefix = '', limit = defaultListLimit): Promise<BlobInfo[]> {
    let entries: string[];
    try {
      entries = (await readdir(this.root, { recursive: true })) as string[];
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    const out: BlobInfo[] = [];
    for (const entry of entries.sort()) {
      const key = entry.split(sep).join('/');
      if (
        key.startsWith(`${metaDir}/`) ||
        key === metaDir ||
        !key.startsWith(prefix) ||
        key.endsWith('.vigil-tmp')
      )
        continue;
      const info = await this.head(key);
      if (info) out.push(info);
      if (out.length >= limit) break;
    }
    return out;
  }

  async head(key: string): Promise<BlobInfo | undefined> {
    const s = await stat(this.path(key)).catch(() => undefined);
    if (!s?.isFile()) return undefined;
    const meta = await readFile(this.metaPath(key), 'utf8')
      .then((t) => JSON.parse(t) as { sha256?: string })
      .catch(() => undefined);
    return { key, size: s.size, sha256: meta?.sha256, modifiedMs: s.mtimeMs };
  }

  async get(key: string): Promise<Buffer | undefined> {
    try {
      return await readFile(this.path(key));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  async read(key: string): Promise<{ info: BlobInfo; body: Buffer } | undefined> {
    const info = await this.head(key);
    const body = info && (await this.get(key));
    return info && body ? { info, body } : undefined;
  }

  /**
   * Acknowledged means durable: the checksum and the bytes are each written to a temp file,
   * fsynced, renamed into place, and the directories holding the new names (and any directory
   * created for them) are fsynced before the promise resolves. A machine crash after that keeps
   * the object; a crash before it leaves no half-written object under the key.
   */
  async put(key: string, body: Buffer): Promise<BlobInfo> {
    const full = this.path(key);
    const meta = this.metaPath(key);
    const sha256 = sha256Hex(body);
    const dirs = new Set<string>();
    for (const dir of [dirname(full), dirname(meta)]) {
      const created = await mkdir(dir, { recursive: true });
      // A new directory's own entry lives in its parent: fsync the chain down from there.
      if (created !== undefined)
        for (let d = dir; d !== dirname(created); d = dirname(d)) dirs.add(dirname(d));
      dirs.add(dir);
    }
    await writeDurably(meta, JSON.stringify({ sha256, size: body.length }));
    await writeDurably(full, body);
    for (const dir of dirs) await syncPath(dir);
    return { key, size: body.length, sha256 };
  }

  async delete(key: string): Promise<void> {
    await rm(this.path(key), { force: true });
    await rm(this.metaPath(key), { force: true });
  }

  async close(): Promise<void> {}

  /** Where an object lives on disk, for disk faults. */
  fileOf(key: string): string {
    return relative(this.root, this.path(key));
  }
}

/** Writes `data` to `file` through a fsynced temp file and a rename: never half a file under the name. */
async function writeDurably(file: string, data: string | Buffer): Promise<void> {
  const tmp = `${file}.vigil-tmp`;
  const handle = await open(tmp, 'w');
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(tmp, file);
}

/** fsync of a directory: makes the names created or renamed in it durable. */
async function syncPath(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
