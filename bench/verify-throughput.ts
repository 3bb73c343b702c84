/**
 * Watcher and scrubber throughput against an S3-compatible server (s3rver), next to the two
 * limits measured in the same run: the raw GET throughput of the same server with the same
 * concurrency (no hashing, no bookkeeping), and this machine's SHA-256 speed. Goal: the
 * verifiers reach at least 90% of raw GET.
 *
 *   npm run bench -- verify-throughput [--objects 300] [--size 262144] [--concurrency 8] [--rounds 3]
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';
import { S3BlobStore, Scrubber, s3Walker, verifiable, Watcher } from '../chaos/index.ts';
import { ManualClock, systemClock } from '../core/index.ts';
import { freePort } from '../test/support/ports.ts';

const { values } = parseArgs({
  options: {
    objects: { type: 'string', default: '300' },
    size: { type: 'string', default: String(256 * 1024) },
    concurrency: { type: 'string', default: '8' },
    rounds: { type: 'string', default: '3' },
  },
});
const objects = Number(values.objects);
const size = Number(values.size);
const concurrency = Number(values.concurrency);
const rounds = Number(values.rounds);
const totalBytes = objects * size;

const dir = mkdtempSync(join(tmpdir(), 'vigil-bench-s3-'));
const port = await freePort();
const server = new S3rver({ port, address: '127.0.0.1', silent: true, directory: dir });
await server.run();
const endpoint = `http://127.0.0.1:${port}`;
const credentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
const admin = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials });
await admin.send(new CreateBucketCommand({ Bucket: 'bench' }));
admin.destroy();
const walker = s3Walker({ bucket: 'bench', endpoint, ...credentials });
const target = new S3BlobStore({ bucket: 'bench', endpoint, ...credentials });
const store = verifiable(target, walker);

const keys: string[] = [];
const writes: { key: string; sha256: string; size: number; writtenAt: number }[] = [];
for (let i = 0; i < objects; i += concurrency) {
  await Promise.all(
    Array.from({ length: Math.min(concurrency, objects - i) }, async (_, j) => {
      const key = `obj/${String(i + j).padStart(6, '0')}`;
      const body = randomBytes(size);
      await store.put(key, body);
      keys.push(key);
      writes.push({ key, sha256: createHash('sha256').update(body).digest('hex'), size, writtenAt: 0 });
    }),
  );
}
keys.sort();

async function timed(work: () => Promise<number>): Promise<{ seconds: number; bytes: number }> {
  const start = process.hrtime.bigint();
  const bytes = await work();
  return { seconds: Number(process.hrtime.bigint() - start) / 1e9, bytes };
}

/** The limit: GET every object with the same concurrency and only count the bytes. */
async function rawGet(): Promise<number> {
  let next = 0;
  let bytes = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < keys.length) {
        const body = await store.get(keys[next++]!);
        bytes += body?.length ?? 0;
      }
    }),
  );
  return bytes;
}

async function scrub(): Promise<number> {
  let bytes = 0;
  let bad = 0;
  await new Scrubber({
    store,
    clock: systemClock,
    concurrency,
    onResult: (r) => {
      bytes += r.bytes;
      if (r.verdict !== 'ok') bad++;
    },
  }).pass();
  if (bad > 0) throw new Error(`scrubber reported ${bad} violations on clean data`);
  return bytes;
}

async function watch(): Promise<number> {
  const journalDir = mkdtempSync(join(tmpdir(), 'vigil-bench-journal-'));
  let bytes = 0;
  try {
    const clock = new ManualClock(1);
    const watcher = Watcher.open({
      store,
      clock,
      journalDir,
      agesMs: [0],
      concurrency,
      onResult: (r) => (bytes += r.bytes),
    });
    await watcher.learnAll(writes);
    await watcher.runDue();
    await watcher.close();
  } finally {
    rmSync(journalDir, { recursive: true, force: true });
  }
  return bytes;
}

function sha256Speed(): { seconds: number; bytes: number } {
  const chunk = randomBytes(size);
  const start = process.hrtime.bigint();
  let bytes = 0;
  for (let i = 0; i < Math.max(objects, 256); i++) {
    createHash('sha256').update(chunk).digest();
    bytes += chunk.length;
  }
  return { seconds: Number(process.hrtime.bigint() - start) / 1e9, bytes };
}

const results: Record<string, { seconds: number; bytes: number }[]> = {
  raw: [],
  scrub: [],
  watch: [],
  sha: [],
};
// Interleaved rounds, so that a noisy neighbour hurts every contender alike.
await rawGet(); // warm-up: page cache and connections
for (let r = 0; r < rounds; r++) {
  results['raw']!.push(await timed(rawGet));
  results['scrub']!.push(await timed(scrub));
  results['watch']!.push(await timed(watch));
  results['sha']!.push(sha256Speed());
}

function best(list: { seconds: number; bytes: number }[]) {
  const mbps = Math.max(...list.map((x) => x.bytes / x.seconds / 1e6));
  const seconds = Math.min(...list.map((x) => x.seconds));
  return { mbps, objectsPerSecond: objects / seconds };
}
const raw = best(results['raw']!);
const scrubbed = best(results['scrub']!);
const watched = best(results['watch']!);
const sha = best(results['sha']!);
const line = (name: string, b: { mbps: number; objectsPerSecond: number }, ratio?: string) =>
  `${name.padEnd(28)} ${b.mbps.toFixed(1).padStart(8)} MB/s ${Math.round(b.objectsPerSecond).toString().padStart(7)} objects/s${ratio ? `  ${ratio}` : ''}`;
process.stdout.write(
  [
    `verify-throughput: ${objects} objects x ${size} bytes (${(totalBytes / 1e6).toFixed(0)} MB) on s3rver, concurrency ${concurrency}, best of ${rounds} rounds`,
    line('limit: raw GET (same server)', raw),
    `${'limit: SHA-256 (one core)'.padEnd(28)} ${sha.mbps.toFixed(1).padStart(8)} MB/s`,
    line('scrubber', scrubbed, `${((100 * scrubbed.mbps) / raw.mbps).toFixed(0)}% of raw GET`),
    line('watcher', watched, `${((100 * watched.mbps) / raw.mbps).toFixed(0)}% of raw GET`),
    '',
  ].join('\n'),
);

walker.close();
await target.close();
await server.close();
rmSync(dir, { recursive: true, force: true });
