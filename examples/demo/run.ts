import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import pino from 'pino';
import { type Clock, findExecutable, systemClock, VigilError } from '../../core/index.ts';
import { createTelemetry, type Telemetry } from '../../instrument/index.ts';
import { SupervisedChild, tsNodeArgs } from './child.ts';
import { type DemoInfo, DemoInfoFile } from './demo-file.ts';
import { type EventSink, JetStreamPublisher, noEvents, photosStream } from './events.ts';
import { GcJob } from './gc.ts';
import {
  decideNats,
  defaultNatsUrl,
  ensureStream,
  type NatsDecision,
  type NatsRequest,
  type OwnNats,
  probeNats,
  startOwnNats,
} from './nats.ts';
import { type DemoOptions, resolveDemoOptions } from './options.ts';
import { freeLoopbackPort, isPortFree } from './ports.ts';
import { s3rverCredentials } from './s3-server.ts';
import { createPhotosApp } from './service/app.ts';
import { PhotoStore } from './store.ts';
import { describeDemo } from './summary.ts';
import { TrafficGenerator, type TrafficStats } from './traffic.ts';
import { type DemoUser, generateUsers, UserGenerations } from './users.ts';
import { workerConsumer } from './worker.ts';

export const photosBucket = 'photos';

/** A running demo, as returned by `startDemo`. */
export interface RunningDemo {
  dataDir: string;
  serviceUrl: string;
  users: readonly DemoUser[];
  /** demo.json's current content (kept up to date as children restart). */
  info: DemoInfo;
  gc: GcJob;
  traffic: TrafficGenerator | undefined;
  store: PhotoStore;
  /** Events not yet published (0 with the queue off). */
  pendingEvents(): number;
  /** Stops everything: traffic, service, GC, worker, own nats-server, s3rver; awaits each. */
  stop(): Promise<TrafficStats | undefined>;
}

type Logs = Record<'photos' | 'worker' | 's3' | 'nats' | 'demo', string>;

/** Calls `fn` with the current info file once it exists (children may restart before it does). */
type InfoUpdate = (change: (info: DemoInfo) => void) => void;

/**
 * Starts the demo system under test: s3rver (child), the photos service and its GC (this
 * process), NATS JetStream (found or started as a child), the metadata worker (child) and the
 * traffic generator. Everything listens on 127.0.0.1. Writes `<data-dir>/demo.json` and says
 * what it started through `options.say`. If a step fails, what was already started is stopped
 * again before the error is thrown.
 *
 * @example
 * const demo = await startDemo({ port: 0, traffic: false, say: console.log });
 * // ... exercise demo.serviceUrl with demo.users[0].token
 * await demo.stop();
 */
export async function startDemo(options: DemoOptions = {}, clock: Clock = systemClock): Promise<RunningDemo> {
  const o = resolveDemoOptions(options);
  const dataDir = resolve(o.dataDir ?? (await mkdtemp(join(tmpdir(), 'vigil-demo-'))));
  const logsDir = join(dataDir, 'logs');
  const s3Dir = join(dataDir, 's3');
  await mkdir(logsDir, { recursive: true });
  await mkdir(s3Dir, { recursive: true });
  const logs: Logs = {
    photos: join(logsDir, 'photos.log'),
    worker: join(logsDir, 'worker.log'),
    s3: join(logsDir, 's3.log'),
    nats: join(logsDir, 'nats.log'),
    demo: join(logsDir, 'demo.log'),
  };
  const demoLog = pino({ base: { service: 'demo' } }, pino.destination({ dest: logs.demo, sync: false }));
  const trouble = (message: string) => {
    demoLog.warn(message);
    o.say(`! ${message}`);
  };
  let file: DemoInfoFile | undefined;
  const updateInfo: InfoUpdate = (change) => void file?.update(change);

  // Whatever started is stopped again, in reverse order, if a later step fails.
  const undo: (() => Promise<unknown>)[] = [];
  try {
    // Where events go is settled first: a --nats that cannot be honoured fails before anything starts.
    const decision = await decideQueue(o.nats);
    const users = generateUsers();
    const generations = await UserGenerations.open(dataDir);
    const s3Port = o.ports.s3 || (await freeLoopbackPort());
    const store = new PhotoStore({
      endpoint: `http://127.0.0.1:${s3Port}`,
      bucket: photosBucket,
      ...s3rverCredentials,
    });
    undo.push(async () => store.close());
    const telemetry = createTelemetry({
      service: 'demo-photos',
      logDestination: pino.destination({ dest: logs.photos, sync: false, mkdir: true }),
    });
    undo.push(() => telemetry.shutdown({ graceMs: 2_000 }));

    // The service binds first: a busy well-known port is the likeliest failure, and it is
    // reported before any child is spawned. Events are wired once NATS is known.
    let events: EventSink = noEvents;
    const app = createPhotosApp({
      telemetry,
      store,
      users,
      generations,
      events: { enabled: true, publish: (e) => events.publish(e), close: async () => {} },
      clock,
    });
    const serviceUrl = await listenService(telemetry, app, o.ports.service);
    await checkChildPorts(o.ports);

    const s3 = await spawnS3(s3Dir, s3Port, logs, trouble, updateInfo);
    undo.push(() => s3.stop());
    await store.ensureBucket();
    telemetry.health.addCheck('blob-store', () => store.ping(), { critical: true });

    const queue = await startQueue(decision, dataDir, logs, telemetry, clock, trouble, updateInfo);
    undo.push(() => queue.stop());
    if (queue.publisher) events = queue.publisher;

    let worker: { child: SupervisedChild; metricsUrl: string; metadataFile: string } | undefined;
    if (queue.url) {
      const port = o.ports.worker || (await freeLoopbackPort());
      worker = await spawnWorker(queue.url, dataDir, port, logs, trouble, updateInfo);
      const child = worker.child;
      undo.push(() => child.stop());
    }

    const gc = new GcJob(store, () => generations.snapshot(), telemetry.registry, {
      intervalMs: o.gcIntervalMs,
      clock,
      onError: (err) => demoLog.warn({ err: err.message }, 'gc pass failed'),
    });
    gc.start();
    undo.push(() => gc.stop());

    const traffic = o.traffic
      ? new TrafficGenerator({
          baseUrl: serviceUrl,
          users,
          rate: o.rate,
          seed: o.seed,
          maxRequests: o.trafficRequests,
          clock,
        })
      : undefined;

    file = new DemoInfoFile(
      {
        apiVersion: 'vigil/v1',
        kind: 'Demo',
        state: 'running',
        startedAt: new Date(clock.now()).toISOString(),
        dataDir,
        pid: process.pid,
        service: {
          url: serviceUrl,
          metricsUrl: `${serviceUrl}/metrics`,
          healthUrl: `${serviceUrl}/healthz`,
          readyUrl: `${serviceUrl}/readyz`,
        },
        s3: {
          endpoint: store.endpoint,
          bucket: photosBucket,
          region: 'us-east-1',
          ...s3rverCredentials,
          directory: s3Dir,
          pid: s3.pid,
          restarts: s3.restarts,
        },
        nats: queue.describe(),
        worker: worker
          ? {
              enabled: true,
              pid: worker.child.pid,
              metricsUrl: worker.metricsUrl,
              metadataFile: worker.metadataFile,
              restarts: 0,
            }
          : { enabled: false, reason: 'queue off: nothing to consume' },
        gc: { intervalMs: o.gcIntervalMs, metric: 'demo_gc_deleted_objects_total' },
        traffic: {
          enabled: o.traffic,
          rate: o.rate,
          seed: o.seed,
          ...(o.trafficRequests === undefined ? {} : { requests: o.trafficRequests }),
        },
        users: users.map((u) => ({ name: u.name, token: u.token })),
        logs,
      },
      (err) => trouble(`cannot write demo.json: ${err.message}`),
    );
    const info = file;
    await info.update();

    const trafficRun = traffic
      ?.start()
      .catch((err: Error) => trouble(`traffic generator stopped: ${err.message}`));
    for (const line of describeDemo(info.info)) o.say(line);

    let stopping: Promise<TrafficStats | undefined> | undefined;
    const stop = async (): Promise<TrafficStats | undefined> => {
      await traffic?.stop();
      await trafficRun;
      await gc.stop();
      await telemetry.shutdown({ graceMs: 5_000 });
      await queue.flush();
      await worker?.child.stop();
      await queue.stop();
      // Closing the client first ends its keep-alive sockets, which s3rver would wait for.
      store.close();
      await s3.stop();
      const stats = traffic?.stats;
      if (stats) await writeFile(join(dataDir, 'traffic.json'), `${JSON.stringify(stats, null, 2)}\n`);
      await info.update((i) => {
        i.state = 'stopped';
        i.stoppedAt = new Date(clock.now()).toISOString();
      });
      await new Promise<void>((r) => demoLog.flush(() => r()));
      return stats;
    };

    return {
      dataDir,
      serviceUrl,
      users,
      get info() {
        return info.info;
      },
      gc,
      traffic,
      store,
      pendingEvents: () => queue.publisher?.pending ?? 0,
      stop() {
        stopping ??= stop();
        return stopping;
      },
    };
  } catch (err) {
    for (const fn of undo.reverse()) await fn().catch(() => {});
    await new Promise<void>((r) => demoLog.flush(() => r()));
    // A temp dir made for this run holds nothing worth keeping after a failed start.
    if (o.dataDir === undefined) await rm(dataDir, { recursive: true, force: true }).catch(() => {});
    throw err;
  }
}

async function listenService(telemetry: Telemetry, app: Parameters<Telemetry['listen']>[0], port: number) {
  try {
    return (await telemetry.listen(app, { port, host: '127.0.0.1' })).url;
  } catch (err) {
    throw new VigilError(
      'unavailable',
      `photos service: ${(err as Error).message}; choose another port with --port N (0 = any free port)`,
      { cause: err },
    );
  }
}

/** The children's fixed ports are checked up front, so a busy one reads as clearly as the service's. */
async function checkChildPorts(ports: { worker: number; s3: number }): Promise<void> {
  const wanted = [
    ['worker metrics (--port + 1)', ports.worker],
    ['s3rver (--port + 2)', ports.s3],
  ] as const;
  for (const [what, port] of wanted) {
    if (port !== 0 && !(await isPortFree(port))) {
      throw new VigilError(
        'unavailable',
        `${what}: 127.0.0.1:${port} is already in use; choose another base port with --port N (0 = any free ports)`,
      );
    }
  }
}

async function spawnS3(
  directory: string,
  port: number,
  logs: Logs,
  trouble: (message: string) => void,
  updateInfo: InfoUpdate,
): Promise<SupervisedChild> {
  const s3: SupervisedChild = new SupervisedChild(
    {
      name: 's3',
      command: process.execPath,
      args: [
        ...tsNodeArgs(new URL('./children/s3-main.ts', import.meta.url)),
        JSON.stringify({ directory, port, buckets: [photosBucket] }),
      ],
      logFile: logs.s3,
      ready: 'json-line',
      stdinLifeline: true,
    },
    () =>
      updateInfo((info) => {
        info.s3.pid = s3.pid;
        info.s3.restarts = s3.restarts;
      }),
    trouble,
  );
  await s3.start();
  return s3;
}

interface Queue {
  url: string | undefined;
  publisher: JetStreamPublisher | undefined;
  describe(): DemoInfo['nats'];
  /** Gives queued events up to 2 s to reach JetStream. */
  flush(): Promise<void>;
  /** Closes the connection and stops an own nats-server. */
  stop(): Promise<void>;
}

/** Probes what `--nats` asks for and decides: use it, start an own nats-server, or run without. */
async function decideQueue(request: NatsRequest): Promise<NatsDecision> {
  const probeUrl =
    request.kind === 'url' ? request.url : request.kind === 'auto' ? defaultNatsUrl : undefined;
  const reachable = probeUrl ? await probeNats(probeUrl) : false;
  return decideNats(request, { reachable, binary: findExecutable('nats-server') });
}

/** Starts an own NATS if decided, connects, makes sure the stream exists, builds the publisher. */
async function startQueue(
  decision: NatsDecision,
  dataDir: string,
  logs: Logs,
  telemetry: Telemetry,
  clock: Clock,
  trouble: (message: string) => void,
  updateInfo: InfoUpdate,
): Promise<Queue> {
  if (decision.kind === 'off') {
    return {
      url: undefined,
      publisher: undefined,
      describe: () => ({ mode: 'off', reason: decision.reason }),
      flush: async () => {},
      stop: async () => {},
    };
  }

  let own: OwnNats | undefined;
  if (decision.kind === 'start') {
    own = await startOwnNats({
      binary: decision.binary,
      dataDir,
      logFile: logs.nats,
      onTrouble: trouble,
      onReady: () =>
        updateInfo((info) => {
          if (info.nats.mode !== 'own') return;
          info.nats.pid = own?.child.pid;
          info.nats.restarts = own?.child.restarts;
        }),
    });
  }
  const url = own ? own.url : decision.kind === 'use' ? decision.url : '';
  let nc: NatsConnection | undefined;
  try {
    nc = await connect({
      servers: url,
      name: 'vigil-demo-photos',
      maxReconnectAttempts: -1,
      reconnectTimeWait: 500,
    });
    await ensureStream(nc, { name: photosStream.name, subjects: [...photosStream.subjects] });
  } catch (err) {
    await nc?.close().catch(() => {});
    await own?.child.stop();
    throw new VigilError('unavailable', `NATS at ${url}: ${(err as Error).message}`, { cause: err });
  }
  const conn = nc;
  const publisher = new JetStreamPublisher(conn, telemetry.queue.producerSpan, telemetry.registry, clock);
  telemetry.health.addCheck(
    'queue',
    () => {
      if (conn.isClosed()) throw new Error('NATS connection closed');
    },
    { critical: false },
  );
  return {
    url,
    publisher,
    describe: () => ({
      mode: own ? 'own' : 'external',
      url,
      ...(own ? { monitorUrl: own.monitorUrl, pid: own.child.pid, storeDir: own.storeDir, restarts: 0 } : {}),
      stream: photosStream.name,
      subjects: [...photosStream.subjects],
      consumer: workerConsumer,
    }),
    async flush() {
      if (publisher.pending > 0) await publisher.flush(2_000);
    },
    async stop() {
      await publisher.close();
      await conn.close().catch(() => {});
      await own?.child.stop();
    },
  };
}

async function spawnWorker(
  natsUrl: string,
  dataDir: string,
  port: number,
  logs: Logs,
  trouble: (message: string) => void,
  updateInfo: InfoUpdate,
): Promise<{ child: SupervisedChild; metricsUrl: string; metadataFile: string }> {
  const child: SupervisedChild = new SupervisedChild(
    {
      name: 'worker',
      command: process.execPath,
      args: [
        ...tsNodeArgs(new URL('./children/worker-main.ts', import.meta.url)),
        JSON.stringify({ natsUrl, dataDir, port, logFile: logs.worker }),
      ],
      logFile: logs.worker,
      ready: 'json-line',
      stdinLifeline: true,
    },
    () =>
      updateInfo((info) => {
        if (!info.worker.enabled) return;
        info.worker.pid = child.pid;
        info.worker.restarts = child.restarts;
      }),
    trouble,
  );
  const ready = await child.start();
  return { child, metricsUrl: String(ready['metricsUrl']), metadataFile: String(ready['metadataFile']) };
}
