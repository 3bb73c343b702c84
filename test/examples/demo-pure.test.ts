import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isVigilError, seededRandom } from '../../core/index.ts';
import {
  applyOutcome,
  authorize,
  chooseOp,
  type DemoInfo,
  decideNats,
  decodeEvent,
  defaultMix,
  describeDemo,
  emptyModel,
  foldMetadata,
  type MetadataRecord,
  parseMetadataLines,
  parseNatsRequest,
  parsePhotoKey,
  photoKey,
  planGc,
  resolveDemoOptions,
  subjectFor,
  type TrafficKind,
  tokenIndex,
  traceIdOf,
} from '../../examples/demo/index.ts';
import { Outbox } from '../../examples/demo/outbox.ts';

describe('photo keys', () => {
  it('round-trips every valid user, generation and id', () => {
    const user = fc.stringMatching(/^[a-z][a-z0-9-]{0,31}$/);
    const id = fc.stringMatching(/^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$/);
    fc.assert(
      fc.property(user, fc.nat(), id, (u, generation, i) => {
        expect(parsePhotoKey(photoKey({ user: u, generation, id: i }))).toEqual({
          user: u,
          generation,
          id: i,
        });
      }),
      { seed: 7 },
    );
  });

  it('never throws on arbitrary keys and rejects what it did not write', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (key) => {
        const parsed = parsePhotoKey(key);
        if (parsed) expect(photoKey(parsed)).toBe(key);
      }),
      { seed: 11, numRuns: 2000 },
    );
    expect(parsePhotoKey('notes.txt')).toBeUndefined();
    expect(parsePhotoKey('alice/g01/a.jpg')).toBeUndefined();
    expect(parsePhotoKey('alice/g0/../etc')).toBeUndefined();
    expect(parsePhotoKey('alice/g0/.hidden')).toBeUndefined();
  });
});

describe('planGc', () => {
  it('deletes only photos of erased generations and never touches foreign keys', () => {
    const plan = planGc(
      ['alice/g0/a.jpg', 'alice/g1/b.jpg', 'alice/g2/c.jpg', 'bob/g0/d.jpg', 'readme.txt', 'carol/g0/e.jpg'],
      new Map([
        ['alice', 2],
        ['carol', 0],
      ]),
    );
    expect(plan).toEqual({ delete: ['alice/g0/a.jpg', 'alice/g1/b.jpg'], keep: 3, foreign: 1 });
  });

  it('never plans to delete a photo of a current generation (property)', () => {
    const key = fc.record({
      user: fc.constantFrom('alice', 'bob', 'carol'),
      generation: fc.nat({ max: 5 }),
      id: fc.stringMatching(/^[a-z0-9]{1,8}$/),
    });
    const gens = fc.record({ alice: fc.nat({ max: 5 }), bob: fc.nat({ max: 5 }), carol: fc.nat({ max: 5 }) });
    fc.assert(
      fc.property(fc.array(key, { maxLength: 50 }), gens, (keys, g) => {
        const generations = new Map(Object.entries(g));
        const plan = planGc(keys.map(photoKey), generations);
        for (const k of plan.delete) {
          const parsed = parsePhotoKey(k)!;
          expect(parsed.generation).toBeLessThan(generations.get(parsed.user)!);
        }
        expect(plan.delete.length + plan.keep + plan.foreign).toBe(keys.length);
      }),
      { seed: 3 },
    );
  });
});

describe('traffic mix', () => {
  const users = ['alice', 'bob', 'carol'];

  function run(seed: number, n: number) {
    const random = seededRandom(seed);
    const model = emptyModel(users);
    const ops = [];
    for (let i = 0; i < n; i++) {
      const op = chooseOp(random, defaultMix, model);
      ops.push(op);
      // Answer as a healthy service would.
      const status = {
        upload: 201,
        get: 200,
        list: 200,
        delete: 204,
        erase_user: 202,
        unauthorized: 401,
        forbidden: 403,
        not_found: 404,
      }[op.kind];
      applyOutcome(model, op, status);
    }
    return { ops, model };
  }

  it('is the same sequence for the same seed and differs for another', () => {
    expect(run(42, 500).ops).toEqual(run(42, 500).ops);
    expect(run(43, 500).ops).not.toEqual(run(42, 500).ops);
  });

  it('follows the weights: mostly reads, a quarter writes, a few client errors', () => {
    const { ops } = run(1, 5000);
    const count = (k: TrafficKind) => ops.filter((o) => o.kind === k).length / ops.length;
    expect(count('get')).toBeGreaterThan(0.35);
    expect(count('list')).toBeGreaterThan(0.1);
    // Reads and deletes of an empty account become uploads, so uploads are at least their share.
    expect(count('upload')).toBeGreaterThan(0.2);
    expect(count('delete')).toBeGreaterThan(0.03);
    const clientErrors = count('unauthorized') + count('forbidden') + count('not_found');
    expect(clientErrors).toBeGreaterThan(0.05);
    expect(clientErrors).toBeLessThan(0.15);
  });

  it('only reads and deletes photos it believes exist, and forbids with another user', () => {
    const random = seededRandom(5);
    const model = emptyModel(users);
    for (let i = 0; i < 2000; i++) {
      const op = chooseOp(random, defaultMix, model);
      if (op.kind === 'get' || op.kind === 'delete') expect(model.photos.get(op.user)).toContain(op.id);
      if (op.kind === 'forbidden') expect(op.asUser).not.toBe(op.user);
      if (op.kind === 'upload') {
        expect(op.size).toBeGreaterThanOrEqual(1024);
        expect(op.size).toBeLessThanOrEqual(64 * 1024);
      }
      applyOutcome(
        model,
        op,
        op.kind === 'upload' ? 201 : op.kind === 'delete' ? 204 : op.kind === 'erase_user' ? 202 : 200,
      );
    }
  });

  it('forgets a photo that reads say is gone, and everything after an erasure', () => {
    const model = emptyModel(['alice']);
    applyOutcome(model, { kind: 'upload', user: 'alice', id: 'a', size: 1 }, 201);
    applyOutcome(model, { kind: 'upload', user: 'alice', id: 'b', size: 1 }, 201);
    applyOutcome(model, { kind: 'upload', user: 'alice', id: 'c', size: 1 }, 503);
    expect(model.photos.get('alice')).toEqual(['a', 'b']);
    applyOutcome(model, { kind: 'get', user: 'alice', id: 'a' }, 404);
    expect(model.photos.get('alice')).toEqual(['b']);
    applyOutcome(model, { kind: 'erase_user', user: 'alice' }, 202);
    expect(model.photos.get('alice')).toEqual([]);
  });
});

describe('authorize', () => {
  const index = tokenIndex([
    { name: 'alice', token: 'tok-a' },
    { name: 'bob', token: 'tok-b' },
  ]);
  it('tells 401 from 403 and never echoes the token', () => {
    expect(authorize(index, 'Bearer tok-a', 'alice')).toEqual({ kind: 'ok', user: 'alice' });
    expect(authorize(index, 'Bearer tok-a', 'bob')).toEqual({ kind: 'forbidden', user: 'alice' });
    expect(authorize(index, undefined, 'alice').kind).toBe('unauthenticated');
    const wrong = authorize(index, 'Bearer secret-guess', 'alice');
    expect(wrong.kind).toBe('unauthenticated');
    expect(JSON.stringify(wrong)).not.toContain('secret-guess');
    expect(authorize(index, 'Basic tok-a', 'alice').kind).toBe('unauthenticated');
  });
});

describe('nats decision', () => {
  it('uses, starts or turns off the queue and says why', () => {
    expect(decideNats({ kind: 'auto' }, { reachable: true, binary: undefined }).kind).toBe('use');
    expect(decideNats({ kind: 'auto' }, { reachable: false, binary: '/usr/sbin/nats-server' }).kind).toBe(
      'start',
    );
    const off = decideNats({ kind: 'auto' }, { reachable: false, binary: undefined });
    expect(off).toEqual({ kind: 'off', reason: 'queue off: no nats-server reachable or installed' });
    expect(decideNats({ kind: 'off' }, { reachable: true, binary: 'x' }).kind).toBe('off');
    expect(() =>
      decideNats({ kind: 'url', url: 'nats://127.0.0.1:1' }, { reachable: false, binary: 'x' }),
    ).toThrow(/no NATS server answers/);
    expect(() => decideNats({ kind: 'own' }, { reachable: true, binary: undefined })).toThrow(
      /not installed/,
    );
  });

  it('parses --nats', () => {
    expect(parseNatsRequest(undefined)).toEqual({ kind: 'auto' });
    expect(parseNatsRequest('own')).toEqual({ kind: 'own' });
    expect(parseNatsRequest('nats://127.0.0.1:4222')).toEqual({ kind: 'url', url: 'nats://127.0.0.1:4222' });
    for (const bad of ['http://x', 'banana']) {
      try {
        parseNatsRequest(bad);
        expect.unreachable();
      } catch (err) {
        expect(isVigilError(err, 'usage')).toBe(true);
      }
    }
  });
});

describe('events', () => {
  const upload = {
    type: 'photo.uploaded' as const,
    user: 'alice',
    id: 'a.jpg',
    key: 'alice/g0/a.jpg',
    generation: 0,
    size: 3,
    sha256: 'a'.repeat(64),
    contentType: 'image/jpeg',
    at: '2026-01-01T00:00:00.000Z',
  };

  it('names subjects per kind and user, and decodes what it encodes', () => {
    expect(subjectFor(upload)).toBe('photos.uploaded.alice');
    expect(subjectFor({ type: 'user.erased', user: 'bob', erasedGeneration: 0, at: upload.at })).toBe(
      'photos.user_erased.bob',
    );
    expect(decodeEvent(Buffer.from(JSON.stringify(upload)))).toEqual(upload);
  });

  it('refuses anything else with a parse error, never a crash (fuzzed)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json()), (text) => {
        try {
          decodeEvent(Buffer.from(text));
        } catch (err) {
          expect(isVigilError(err, 'parse')).toBe(true);
        }
      }),
      { seed: 9, numRuns: 1000 },
    );
  });

  it('reads the trace id of a traceparent', () => {
    expect(traceIdOf('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01')).toBe(
      '0af7651916cd43dd8448eb211c80319c',
    );
    expect(traceIdOf('garbage')).toBeUndefined();
    expect(traceIdOf(undefined)).toBeUndefined();
  });
});

describe('metadata index', () => {
  const rec = (seq: number, event: MetadataRecord['event']): MetadataRecord => ({
    seq,
    event,
    traceId: undefined,
    recordedAt: '2026-01-01T00:00:00.000Z',
  });
  const up = (seq: number, user: string, id: string, generation = 0) =>
    rec(seq, {
      type: 'photo.uploaded',
      user,
      id,
      key: photoKey({ user, generation, id }),
      generation,
      size: 1,
      sha256: '0'.repeat(64),
      contentType: 'image/jpeg',
      at: 'x',
    });

  it('applies uploads, deletions and erasures once each', () => {
    const records = [
      up(1, 'alice', 'a'),
      up(2, 'alice', 'b'),
      up(2, 'alice', 'b'), // redelivered
      up(3, 'bob', 'c'),
      rec(4, { type: 'photo.deleted', user: 'alice', id: 'a', key: 'alice/g0/a', generation: 0, at: 'x' }),
      rec(5, { type: 'user.erased', user: 'bob', erasedGeneration: 0, at: 'x' }),
      up(6, 'bob', 'd', 1),
    ];
    expect([...foldMetadata(records).keys()].sort()).toEqual(['alice/g0/b', 'bob/g1/d']);
  });

  it('never throws on arbitrary file content (fuzzed)', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.string(), fc.json()), { maxLength: 20 }), (lines) => {
        const { records, skipped } = parseMetadataLines(lines.join('\n'));
        expect(records.length + skipped).toBeLessThanOrEqual(lines.length);
        // Whatever it accepts is a well-formed record the index can fold.
        expect(() => foldMetadata(records)).not.toThrow();
      }),
      { seed: 13, numRuns: 500 },
    );
  });

  it('skips a torn last line', () => {
    const text = `${JSON.stringify(up(1, 'alice', 'a'))}\n{"seq":2,"ev`;
    const { records, skipped } = parseMetadataLines(text);
    expect(records).toHaveLength(1);
    expect(skipped).toBe(1);
  });
});

describe('outbox', () => {
  it('keeps order, drops the oldest when full and counts it', () => {
    const box = new Outbox<number>(2);
    box.push({ id: '1', subject: 's', payload: 1, headers: {} });
    box.push({ id: '2', subject: 's', payload: 2, headers: {} });
    const evicted = box.push({ id: '3', subject: 's', payload: 3, headers: {} });
    expect(evicted?.id).toBe('1');
    expect(box.dropped).toBe(1);
    expect(box.peek()?.id).toBe('2');
    box.fail('2');
    expect(box.peek()?.attempts).toBe(1);
    box.ack('2');
    expect(box.peek()?.id).toBe('3');
    box.ack('nope');
    expect(box.size).toBe(1);
  });
});

describe('options', () => {
  it('resolves defaults in one place and refuses bad flags', () => {
    expect(resolveDemoOptions().ports).toEqual({ service: 8080, worker: 8081, s3: 8082 });
    expect(resolveDemoOptions({ port: 0 }).ports).toEqual({ service: 0, worker: 0, s3: 0 });
    expect(resolveDemoOptions().rate).toBe(10);
    for (const bad of [{ port: 70000 }, { rate: 0 }, { rate: 5000 }, { seed: -1 }, { port: 1.5 }]) {
      expect(() => resolveDemoOptions(bad)).toThrow(/--(port|rate|seed)/);
    }
  });
});

describe('start-up summary', () => {
  const info: DemoInfo = {
    apiVersion: 'vigil/v1',
    kind: 'Demo',
    state: 'running',
    startedAt: '2026-01-01T00:00:00.000Z',
    dataDir: '/data',
    pid: 10,
    service: {
      url: 'http://127.0.0.1:8080',
      metricsUrl: 'http://127.0.0.1:8080/metrics',
      healthUrl: 'http://127.0.0.1:8080/healthz',
      readyUrl: 'http://127.0.0.1:8080/readyz',
    },
    s3: {
      endpoint: 'http://127.0.0.1:8082',
      bucket: 'photos',
      region: 'us-east-1',
      accessKeyId: 'S3RVER',
      secretAccessKey: 'S3RVER',
      directory: '/data/s3',
      pid: 11,
      restarts: 0,
    },
    nats: { mode: 'off', reason: 'queue off: no nats-server reachable or installed' },
    worker: { enabled: false, reason: 'queue off: nothing to consume' },
    gc: { intervalMs: 5000, metric: 'demo_gc_deleted_objects_total' },
    traffic: { enabled: true, rate: 10, seed: 1 },
    users: [{ name: 'alice', token: 'secret-token' }],
    logs: { photos: '/data/logs/photos.log' },
  };

  it('says in plain words what runs where, and never prints a token', () => {
    const text = describeDemo(info).join('\n');
    expect(text).toContain('photos service   http://127.0.0.1:8080');
    expect(text).toContain('blob store       http://127.0.0.1:8082  s3rver (pid 11)');
    expect(text).toContain('queue off: no nats-server reachable or installed (uploads still work');
    expect(text).toContain('traffic          10 req/s, seed 1');
    expect(text).toContain('logs             /data/logs');
    expect(text).not.toContain('secret-token');
    expect(text).not.toMatch(/^\s+worker/m);
  });

  it('names an own nats-server with its pid and the worker with its metrics URL', () => {
    const text = describeDemo({
      ...info,
      nats: {
        mode: 'own',
        url: 'nats://127.0.0.1:4333',
        monitorUrl: 'http://127.0.0.1:4334',
        pid: 12,
        stream: 'PHOTOS',
        subjects: ['photos.>'],
        consumer: 'photos-worker',
      },
      worker: {
        enabled: true,
        pid: 13,
        metricsUrl: 'http://127.0.0.1:8081',
        metadataFile: '/m',
        restarts: 0,
      },
      traffic: { enabled: false, rate: 10, seed: 1 },
    }).join('\n');
    expect(text).toContain('queue            nats://127.0.0.1:4333  own nats-server (pid 12');
    expect(text).toContain('worker           http://127.0.0.1:8081  (pid 13');
    expect(text).toContain('traffic          off');
  });
});
