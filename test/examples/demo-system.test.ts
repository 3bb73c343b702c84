import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  foldMetadata,
  type RunningDemo,
  readDemoInfo,
  readMetadata,
  sha256Hex,
  startDemo,
  TrafficGenerator,
} from '../../examples/demo/index.ts';
import { needBinary } from '../support/requires.ts';

// vigil supports Node 20; the AWS SDK's notice about its future Node versions is noise here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

const noNats = needBinary('nats-server');

/** Polls `fn` until it returns a value, for at most `timeoutMs` (generous: 2 shared cores). */
async function eventually<T>(fn: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function isAlive(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe.skipIf(noNats)('demo system, in process', () => {
  let dataDir: string;
  let demo: RunningDemo;
  let alice: string;
  let bob: string;

  const call = async (
    method: 'GET' | 'PUT' | 'POST' | 'DELETE',
    path: string,
    token?: string,
    body?: Buffer,
    extra?: Record<string, string>,
  ) => {
    const headers: Record<string, string> = { ...extra };
    if (token) headers['authorization'] = `Bearer ${token}`;
    const res = await request(`${demo.serviceUrl}${path}`, { method, headers, body });
    const bytes = Buffer.from(await res.body.arrayBuffer());
    return {
      status: res.statusCode,
      headers: res.headers,
      bytes,
      json: () => JSON.parse(bytes.toString('utf8')),
    };
  };

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'vigil-demo-test-'));
    // The GC is stepped by hand (runOnce) so the test decides when it runs.
    demo = await startDemo({
      dataDir,
      port: 0,
      traffic: false,
      nats: { kind: 'own' },
      gcIntervalMs: 3_600_000,
    });
    alice = demo.users.find((u) => u.name === 'alice')!.token;
    bob = demo.users.find((u) => u.name === 'bob')!.token;
  });

  afterAll(async () => {
    const info = demo ? demo.info : undefined;
    await demo?.stop();
    if (info) {
      // Nothing the demo started survives it.
      expect(isAlive(info.s3.pid)).toBe(false);
      if (info.nats.mode === 'own') expect(isAlive(info.nats.pid)).toBe(false);
      if (info.worker.enabled) expect(isAlive(info.worker.pid)).toBe(false);
      expect((await readDemoInfo(dataDir)).state).toBe('stopped');
    }
    await rm(dataDir, { recursive: true, force: true });
  });

  it('writes demo.json with loopback URLs, pids and tokens', async () => {
    const info = await readDemoInfo(dataDir);
    expect(info.apiVersion).toBe('vigil/v1');
    expect(info.state).toBe('running');
    expect(info.service.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(info.s3.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(info.nats.mode).toBe('own');
    expect(info.worker.enabled).toBe(true);
    expect(isAlive(info.s3.pid)).toBe(true);
    expect(info.nats.mode === 'own' && isAlive(info.nats.pid)).toBe(true);
    expect(info.worker.enabled && isAlive(info.worker.pid)).toBe(true);
    expect(info.users.map((u) => u.name)).toContain('alice');
  });

  it('uploads, reads back the same bytes and checksum, lists and deletes', async () => {
    const photo = Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 7) % 256));
    const put = await call('PUT', '/users/alice/photos/cat.jpg', alice, photo, {
      'content-type': 'image/jpeg',
    });
    expect(put.status).toBe(201);
    expect(put.json()).toMatchObject({ user: 'alice', id: 'cat.jpg', size: 5000, sha256: sha256Hex(photo) });

    const get = await call('GET', '/users/alice/photos/cat.jpg', alice);
    expect(get.status).toBe(200);
    expect(get.bytes.equals(photo)).toBe(true);
    expect(get.headers['x-checksum-sha256']).toBe(sha256Hex(photo));
    expect(get.headers['content-type']).toBe('image/jpeg');

    const posted = await call('POST', '/users/alice/photos', alice, Buffer.from('second'));
    expect(posted.status).toBe(201);
    const postedId = posted.json().id as string;

    const list = await call('GET', '/users/alice/photos', alice);
    expect(list.status).toBe(200);
    expect(
      list
        .json()
        .photos.map((p: { id: string }) => p.id)
        .sort(),
    ).toEqual(['cat.jpg', postedId].sort());

    expect((await call('DELETE', '/users/alice/photos/cat.jpg', alice)).status).toBe(204);
    expect((await call('GET', '/users/alice/photos/cat.jpg', alice)).status).toBe(404);
    // Deleting again is a 404 that the service marks as expected (a retried delete).
    expect((await call('DELETE', '/users/alice/photos/cat.jpg', alice)).status).toBe(404);
  });

  it('answers client errors: 401 without or with a bad token, 403 for another user, 404, 400, 413', async () => {
    expect((await call('GET', '/users/alice/photos/x.jpg')).status).toBe(401);
    expect((await call('GET', '/users/alice/photos/x.jpg', 'not-a-token')).status).toBe(401);
    expect((await call('GET', '/users/alice/photos/x.jpg', bob)).status).toBe(403);
    expect((await call('PUT', '/users/alice/photos/x.jpg', bob, Buffer.from('x'))).status).toBe(403);
    expect((await call('GET', '/users/alice/photos/never-uploaded.jpg', alice)).status).toBe(404);
    expect((await call('GET', '/no/such/route')).status).toBe(404);
    expect((await call('PUT', '/users/alice/photos/.hidden', alice, Buffer.from('x'))).status).toBe(400);
    expect((await call('GET', '/users/alice/photos/%E0%A4%A', alice)).status).toBe(400);
    expect((await call('PUT', '/users/alice/photos/empty.jpg', alice, Buffer.alloc(0))).status).toBe(400);
    const huge = await call('PUT', '/users/alice/photos/huge.jpg', alice, Buffer.alloc(17 * 1024 * 1024));
    expect(huge.status).toBe(413);
  });

  it('publishes every upload; the worker records it with the trace id of the request', async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const photo = Buffer.from('traced photo bytes');
    const put = await call('PUT', '/users/bob/photos/traced.jpg', bob, photo, {
      traceparent: `00-${traceId}-00f067aa0ba902b7-01`,
    });
    expect(put.status).toBe(201);
    const info = await readDemoInfo(dataDir);
    const metadataFile = info.worker.enabled ? info.worker.metadataFile : '';
    const recorded = await eventually(async () => {
      const { records } = await readMetadata(metadataFile);
      return foldMetadata(records).get('bob/g0/traced.jpg');
    });
    expect(recorded).toMatchObject({
      user: 'bob',
      id: 'traced.jpg',
      size: photo.length,
      sha256: sha256Hex(photo),
    });
    expect(recorded.traceId).toBe(traceId);

    // The worker's own endpoints: consumer lag and processing histogram.
    const metrics = await request(`${info.worker.enabled ? info.worker.metricsUrl : ''}/metrics`);
    const text = await metrics.body.text();
    expect(text).toMatch(
      /messaging_process_duration_seconds_count\{[^}]*messaging_destination_name="PHOTOS"/,
    );
    expect(text).toMatch(
      /^messaging_consumer_lag_messages\{messaging_destination_name="PHOTOS",messaging_consumer_group_name="photos-worker"\} \d+$/m,
    );
  });

  it('erasing a user hides the photos at once and lets the GC remove the blobs', async () => {
    const carol = demo.users.find((u) => u.name === 'carol')!.token;
    for (const id of ['a.jpg', 'b.jpg', 'c.jpg']) {
      expect((await call('PUT', `/users/carol/photos/${id}`, carol, Buffer.from(id))).status).toBe(201);
    }
    const erased = await call('DELETE', '/users/carol', carol);
    expect(erased.status).toBe(202);
    expect(erased.json()).toEqual({ user: 'carol', erasedGeneration: 0, generation: 1 });
    expect((await call('GET', '/users/carol/photos', carol)).json().photos).toEqual([]);
    expect((await call('GET', '/users/carol/photos/a.jpg', carol)).status).toBe(404);
    // The blobs are still in the store until the GC runs.
    expect((await demo.store.list('carol/')).length).toBe(3);

    // A new upload after the erasure belongs to the new generation and survives the GC.
    expect((await call('PUT', '/users/carol/photos/new.jpg', carol, Buffer.from('new'))).status).toBe(201);
    const result = await demo.gc.runOnce();
    expect(result).toEqual({ deleted: 3, failed: 0, remaining: 0 });
    expect((await demo.store.list('carol/')).map((o) => o.key)).toEqual(['carol/g1/new.jpg']);
    expect((await call('GET', '/users/carol/photos/new.jpg', carol)).status).toBe(200);
    // A second pass finds nothing more.
    expect((await demo.gc.runOnce()).deleted).toBe(0);

    const metrics = await (await request(`${demo.serviceUrl}/metrics`)).body.text();
    expect(metrics).toMatch(/^demo_gc_deleted_objects_total 3$/m);
  });

  it('serves RED metrics: the http histogram by route, with expected 404s told apart', async () => {
    const text = await (await request(`${demo.serviceUrl}/metrics`)).body.text();
    expect(text).toMatch(
      /http_server_request_duration_seconds_bucket\{[^}]*http_route="\/users\/:user\/photos\/:id"/,
    );
    expect(text).toMatch(
      /http_server_request_duration_seconds_count\{http_request_method="DELETE",[^}]*http_response_status_code="404",error_type="expected"\}/,
    );
    expect(text).toMatch(/http_response_status_code="401",error_type="client"/);
    expect(text).toMatch(/^demo_events_published_total \d+$/m);
    const ready = await request(`${demo.serviceUrl}/readyz`);
    expect(ready.statusCode).toBe(200);
    await ready.body.dump();
  });

  it('generates a seeded, bounded traffic mix and counts what came back', async () => {
    const runOnce = async () => {
      const traffic = new TrafficGenerator({
        baseUrl: demo.serviceUrl,
        users: demo.users.filter((u) => u.name === 'dave' || u.name === 'erin'),
        rate: 200,
        seed: 77,
        maxRequests: 80,
      });
      await traffic.start();
      await traffic.stop();
      return traffic.stats;
    };
    const first = await runOnce();
    const total = Object.values(first.sent).reduce((a, b) => a + b, 0);
    expect(total).toBe(80);
    expect(first.failed).toBe(0);
    expect(first.checksumMismatches).toBe(0);
    // A healthy service answers every kind with its expected status.
    expect(first.unexpected).toBe(0);
    expect(first.sent.upload).toBeGreaterThan(0);
    expect(first.sent.get).toBeGreaterThan(0);
    expect(first.statuses.get[200]).toBe(first.sent.get);
    const second = await runOnce();
    expect(second.sent).toEqual(first.sent);
  });

  it('answers 503 (not a hang) while the blob store is paused, and /readyz says why', async () => {
    const pid = (await readDemoInfo(dataDir)).s3.pid!;
    process.kill(pid, 'SIGSTOP');
    try {
      const ready = await request(`${demo.serviceUrl}/readyz`);
      expect(ready.statusCode).toBe(503);
      expect(await ready.body.text()).toContain('blob-store');
      const get = await call('GET', '/users/alice/photos/any.jpg', alice);
      expect(get.status).toBe(503);
      expect(get.json().errorType).toBe('unavailable');
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    await eventually(async () =>
      (await call('GET', '/users/alice/photos', alice)).status === 200 ? true : undefined,
    );
  }, 60_000);

  it('restarts a killed blob store on the same endpoint, with the blobs it had on disk', async () => {
    const photo = Buffer.from('survives an s3rver crash');
    expect(
      (
        await call(
          'PUT',
          '/users/dave/photos/durable.jpg',
          demo.users.find((u) => u.name === 'dave')!.token,
          photo,
        )
      ).status,
    ).toBe(201);
    const before = await readDemoInfo(dataDir);
    process.kill(before.s3.pid!, 'SIGKILL');
    const after = await eventually(async () => {
      const info = await readDemoInfo(dataDir);
      return info.s3.pid !== before.s3.pid && info.s3.restarts === before.s3.restarts + 1 ? info : undefined;
    });
    expect(after.s3.endpoint).toBe(before.s3.endpoint);
    const dave = demo.users.find((u) => u.name === 'dave')!.token;
    const get = await eventually(async () => {
      const res = await call('GET', '/users/dave/photos/durable.jpg', dave);
      return res.status === 200 ? res : undefined;
    });
    expect(get.bytes.equals(photo)).toBe(true);
  });

  it('loses no event when its nats-server is killed: the outbox retries, the worker catches up', async () => {
    const before = await readDemoInfo(dataDir);
    if (before.nats.mode !== 'own' || !before.worker.enabled) throw new Error('own NATS and worker expected');
    const oldPid = before.nats.pid!;
    const natsUrl = before.nats.url;
    process.kill(oldPid, 'SIGKILL');
    const erin = demo.users.find((u) => u.name === 'erin')!.token;
    const photo = Buffer.from('uploaded while the queue was down');
    // Uploads do not wait for the queue: the blob is stored and the event waits in the outbox.
    expect((await call('PUT', '/users/erin/photos/outage.jpg', erin, photo)).status).toBe(201);
    const after = await eventually(async () => {
      const info = await readDemoInfo(dataDir);
      return info.nats.mode === 'own' && info.nats.pid !== oldPid ? info : undefined;
    });
    expect(after.nats.mode === 'own' && after.nats.url).toBe(natsUrl);
    const metadataFile = before.worker.metadataFile;
    const recorded = await eventually(
      async () => foldMetadata((await readMetadata(metadataFile)).records).get('erin/g0/outage.jpg'),
      60_000,
    );
    expect(recorded.sha256).toBe(sha256Hex(photo));
    expect(demo.pendingEvents()).toBe(0);
  }, 90_000);

  it('restarts a killed worker, records the new pid, and the new worker catches up', async () => {
    const before = await readDemoInfo(dataDir);
    if (!before.worker.enabled) throw new Error('worker expected');
    const oldPid = before.worker.pid!;
    const restarts = before.worker.restarts;
    process.kill(oldPid, 'SIGKILL');
    const after = await eventually(async () => {
      const info = await readDemoInfo(dataDir);
      return info.worker.enabled && info.worker.pid !== oldPid && info.worker.restarts > restarts
        ? info
        : undefined;
    });
    expect(after.worker.enabled && isAlive(after.worker.pid)).toBe(true);
    const photo = Buffer.from('after restart');
    expect((await call('PUT', '/users/bob/photos/after.jpg', bob, photo)).status).toBe(201);
    const metadataFile = after.worker.enabled ? after.worker.metadataFile : '';
    const recorded = await eventually(async () =>
      foldMetadata((await readMetadata(metadataFile)).records).get('bob/g0/after.jpg'),
    );
    expect(recorded.sha256).toBe(sha256Hex(photo));
  });
});
