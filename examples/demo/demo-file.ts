import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * `<data-dir>/demo.json`: what is running where, for the tools that monitor, probe and break
 * the demo. Rewritten whenever it changes (a child restarted with a new pid) and on stop, when
 * `state` becomes "stopped": a chaos tool must check `state` before signalling a pid, since
 * pids of stopped processes get reused.
 */
export interface DemoInfo {
  apiVersion: 'vigil/v1';
  kind: 'Demo';
  state: 'running' | 'stopped';
  startedAt: string;
  stoppedAt?: string;
  dataDir: string;
  /** The `vigil demo` process itself: photos service, GC and traffic generator. */
  pid: number;
  service: { url: string; metricsUrl: string; healthUrl: string; readyUrl: string };
  s3: {
    endpoint: string;
    bucket: string;
    region: string;
    accessKeyId: string;
    secretAccessKey: string;
    /** s3rver's files: `<bucket>/<key>._S3rver_object` and its metadata. */
    directory: string;
    pid: number | undefined;
    restarts: number;
  };
  nats:
    | { mode: 'off'; reason: string }
    | {
        mode: 'external' | 'own';
        url: string;
        /** nats-server's monitoring endpoint (own server only): /varz, /jsz, /healthz. */
        monitorUrl?: string;
        /** Own server only: its pid and JetStream store directory. */
        pid?: number;
        storeDir?: string;
        restarts?: number;
        stream: string;
        subjects: string[];
        consumer: string;
      };
  worker:
    | { enabled: false; reason: string }
    | { enabled: true; pid: number | undefined; metricsUrl: string; metadataFile: string; restarts: number };
  gc: { intervalMs: number; metric: string };
  traffic: { enabled: boolean; rate: number; seed: number; requests?: number };
  /** Bearer tokens, fresh at each start. Demo credentials: they guard nothing real. */
  users: { name: string; token: string }[];
  logs: Record<string, string>;
}

/**
 * Where demo.json lives.
 *
 * @example
 * demoFilePath('/tmp/demo'); // '/tmp/demo/demo.json'
 */
export function demoFilePath(dataDir: string): string {
  return join(dataDir, 'demo.json');
}

/** Writes demo.json atomically (a reader never sees half a file). */
export async function writeDemoInfo(info: DemoInfo): Promise<void> {
  const file = demoFilePath(info.dataDir);
  const tmp = `${file}.${process.pid}.tmp`;
  // Owner-only: the file holds the users' bearer tokens.
  await writeFile(tmp, `${JSON.stringify(info, null, 2)}\n`, { mode: 0o600 });
  await rename(tmp, file);
}

/**
 * Reads demo.json of a running (or stopped) demo.
 *
 * @example
 * const { worker } = await readDemoInfo('/tmp/demo');
 */
export async function readDemoInfo(dataDir: string): Promise<DemoInfo> {
  return JSON.parse(await readFile(demoFilePath(dataDir), 'utf8')) as DemoInfo;
}

/**
 * demo.json as the running demo keeps it: changes are applied to the model in memory and
 * written one after the other, so a burst of restarts never interleaves two writes.
 */
export class DemoInfoFile {
  private writing: Promise<void> = Promise.resolve();

  constructor(
    readonly info: DemoInfo,
    private readonly onError: (err: Error) => void,
  ) {}

  /** Applies `change` and writes the file; resolves once this version is on disk. */
  update(change: (info: DemoInfo) => void = () => {}): Promise<void> {
    change(this.info);
    const snapshot = structuredClone(this.info);
    this.writing = this.writing.then(() => writeDemoInfo(snapshot)).catch((err: Error) => this.onError(err));
    return this.writing;
  }
}
