import { readFileSync } from 'node:fs';
import { isLoopback, VigilError } from '../../core/index.ts';
import { ManagedProcess, type ProcessTarget } from '../faults/index.ts';
import { isAlive } from '../faults/watchdog.ts';
import { type BlobStore, FilesystemBlobStore, NatsObjectBlobStore, S3BlobStore } from '../targets/index.ts';
import { directoryWalker, s3Walker, type VerifiableStore, verifiable } from '../verify/index.ts';
import type { Experiment } from './model.ts';

/** Reads `a.b.c` out of parsed JSON. */
function pick(value: unknown, path: string): unknown {
  let v = value;
  for (const key of path.split('.')) {
    if (typeof v !== 'object' || v === null) return undefined;
    v = (v as Record<string, unknown>)[key];
  }
  return v;
}

/**
 * A process target from the experiment file. Given pids are re-read at each use from their
 * file (a supervisor may have restarted the process with a new pid); a process that is not
 * running is refused, never guessed.
 *
 * @example
 * processTarget('nats', { json: { file: 'demo.json', path: 'nats.pid' } }).pid();
 */
export function processTarget(
  name: string,
  spec: Experiment['targets']['processes'][string],
): ProcessTarget | ManagedProcess {
  if ('command' in spec)
    return new ManagedProcess(name, { command: spec.command, cwd: spec.cwd, env: spec.env });
  const resolvePid = (): number => {
    let pid: unknown;
    if ('pid' in spec) pid = spec.pid;
    else if ('pidFile' in spec) pid = Number(readText(spec.pidFile, name).trim());
    else {
      const doc = JSON.parse(readText(spec.json.file, name)) as unknown;
      if (pick(doc, 'state') === 'stopped')
        throw new VigilError('unavailable', `process target ${name}: ${spec.json.file} says state "stopped"`);
      pid = pick(doc, spec.json.path);
    }
    if (typeof pid !== 'number' || !Number.isInteger(pid) || pid < 2) {
      throw new VigilError(
        'unavailable',
        `process target ${name}: no valid pid (got ${JSON.stringify(pid)})`,
      );
    }
    if (!isAlive(pid))
      throw new VigilError('unavailable', `process target ${name}: no process with pid ${pid}`);
    return pid;
  };
  return { name, pid: resolvePid };
}

function readText(file: string, name: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new VigilError(
      'unavailable',
      `process target ${name}: cannot read ${file}: ${(err as NodeJS.ErrnoException).code}`,
    );
  }
}

/**
 * Opens the blob store a `targets.blobs` entry describes.
 *
 * @example
 * const store = await openBlobStore({ type: 'filesystem', dir: '/data' });
 */
export function openBlobStore(spec: Experiment['targets']['blobs'][string]): Promise<BlobStore> | BlobStore {
  switch (spec.type) {
    case 's3':
      return new S3BlobStore({
        bucket: spec.bucket,
        endpoint: spec.endpoint,
        region: spec.region,
        accessKeyId: spec.accessKeyId,
        secretAccessKey: spec.secretAccessKey,
      });
    case 'filesystem':
      return new FilesystemBlobStore(spec.dir);
    case 'nats-object':
      return NatsObjectBlobStore.open({ servers: spec.servers, bucket: spec.bucket });
  }
}

/**
 * A blob target as the verifiers take it: the store plus an ordered walk of its keys (a
 * directory walk, S3 ListObjects with markers; the NATS object store's own bounded listing).
 *
 * @example
 * const store = await openVerifiable({ type: 'filesystem', dir: '/data' });
 * await store.dispose();
 */
export async function openVerifiable(
  spec: Experiment['targets']['blobs'][string],
): Promise<VerifiableStore & { dispose(): Promise<void> }> {
  const store = await openBlobStore(spec);
  if (spec.type === 'filesystem') {
    const v = verifiable(store, directoryWalker(spec.dir));
    return Object.assign(v, { dispose: () => store.close() });
  }
  if (spec.type === 's3') {
    const walker = s3Walker(spec);
    const v = verifiable(store, walker);
    return Object.assign(v, {
      dispose: async () => {
        walker.close();
        await store.close();
      },
    });
  }
  const v = verifiable(store);
  return Object.assign(v, { dispose: () => store.close() });
}

/**
 * Safety: every network target must be on loopback or named in `allow`. Checked before
 * anything is touched, so a typo cannot point chaos at production.
 *
 * @example
 * checkAllowed(exp); // throws VigilError('config') for a host off loopback not in allow:
 */
export function checkAllowed(exp: Experiment): void {
  const allow = new Set(exp.allow.map((h) => h.toLowerCase()));
  const urls: Array<[string, string]> = [];
  if (exp.targets.proxy) urls.push(['targets.proxy.api', exp.targets.proxy.api]);
  if (exp.targets.prometheus) urls.push(['targets.prometheus.url', exp.targets.prometheus.url]);
  for (const [n, h] of Object.entries(exp.targets.http))
    urls.push([`targets.http.${n}.upstream`, h.upstream]);
  for (const [n, b] of Object.entries(exp.targets.blobs)) {
    if (b.type === 's3' && b.endpoint) urls.push([`targets.blobs.${n}.endpoint`, b.endpoint]);
    if (b.type === 'nats-object')
      urls.push([`targets.blobs.${n}.servers`, `nats://${b.servers.replace(/^nats:\/\//, '')}`]);
  }
  for (const [n, q] of Object.entries(exp.targets.queues)) {
    if (q.type === 'nats')
      for (const server of q.servers.split(','))
        urls.push([`targets.queues.${n}.servers`, `nats://${server.trim().replace(/^nats:\/\//, '')}`]);
    else urls.push([`targets.queues.${n}.url`, q.url]);
  }
  exp.steadyState.conditions.forEach((c, i) => {
    if ('probe' in c) urls.push([`steadyState.conditions[${i}].probe.http.url`, c.probe.http.url]);
  });
  for (const [field, url] of urls) {
    const host = new URL(url).hostname;
    if (!isLoopback(host) && !allow.has(host.toLowerCase())) {
      throw new VigilError(
        'config',
        `${field}: host "${host}" is not loopback; add it to allow: to target it on purpose`,
      );
    }
  }
  if (exp.targets.http) {
    for (const [n, h] of Object.entries(exp.targets.http)) {
      const host = h.listen.replace(/:\d+$/, '').replace(/^\[|\]$/g, '') || '127.0.0.1';
      if (!isLoopback(host) && !allow.has(host))
        throw new VigilError('config', `targets.http.${n}.listen: ${host} is not loopback; add it to allow:`);
    }
  }
}
