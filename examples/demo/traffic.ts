import { Agent, request } from 'undici';
import {
  type Clock,
  pick,
  type RandomSource as Random,
  randomInt,
  seededRandom,
  systemClock,
} from '../../core/index.ts';
import { sha256Hex } from './store.ts';
import type { DemoUser } from './users.ts';

// ---------------------------------------------------------------------------------------------
// The pure part: which request comes next, and what the generator believes exists afterwards.
// ---------------------------------------------------------------------------------------------

/** One request of the traffic mix. The error kinds are client errors on purpose. */
export type TrafficOp =
  | { kind: 'upload'; user: string; id: string; size: number }
  | { kind: 'get'; user: string; id: string }
  | { kind: 'list'; user: string }
  | { kind: 'delete'; user: string; id: string }
  | { kind: 'erase_user'; user: string }
  /** A request with a token nobody has: 401. */
  | { kind: 'unauthorized'; user: string; id: string }
  /** A request with another user's token: 403. */
  | { kind: 'forbidden'; user: string; asUser: string; id: string }
  /** A read of a photo that does not exist: 404. */
  | { kind: 'not_found'; user: string; id: string };

export type TrafficKind = TrafficOp['kind'];

export const trafficKinds: readonly TrafficKind[] = [
  'upload',
  'get',
  'list',
  'delete',
  'erase_user',
  'unauthorized',
  'forbidden',
  'not_found',
];

/** Relative weights of each kind. */
export type TrafficMix = Record<TrafficKind, number>;

/**
 * A photo app's shape: mostly reads, a quarter writes, a few deletions, about 9% client errors,
 * and rarely a user erasing their account (at 10 req/s about one erasure every 50 s, enough to
 * give the GC's deletion counter a normal rate for the "deletes far above normal" rule).
 */
export const defaultMix: TrafficMix = {
  get: 45,
  list: 15,
  upload: 25,
  delete: 6,
  not_found: 4.8,
  unauthorized: 2,
  forbidden: 2,
  erase_user: 0.2,
};

/** The status the service answers each kind with when all is well. */
export const expectedStatus: Record<TrafficKind, number> = {
  upload: 201,
  get: 200,
  list: 200,
  delete: 204,
  erase_user: 202,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
};

/** What the generator believes each user has; updated from the answers it gets. */
export interface TrafficModel {
  photos: Map<string, string[]>;
  /** Next photo number: ids are `photo-<n>.jpg`, unique within a run. */
  next: number;
}

/**
 * A model in which every user has no photo yet.
 *
 * @example
 * const model = emptyModel(['alice', 'bob']);
 */
export function emptyModel(users: readonly string[]): TrafficModel {
  return { photos: new Map(users.map((u) => [u, []])), next: 0 };
}

// Photo sizes: 1 KiB to 64 KiB, small enough for 20 uploads a second on a laptop.
const minPhotoBytes = 1024;
const maxPhotoBytes = 64 * 1024;

/**
 * Chooses the next request from the mix. A read or delete for a user with no photo becomes an
 * upload, so the mix holds without failing on an empty store. Pure: all randomness comes from
 * `random`, so the same seed gives the same sequence.
 *
 * @example
 * const random = seededRandom(1);
 * const op = chooseOp(random, defaultMix, emptyModel(['alice', 'bob']));
 */
export function chooseOp(random: Random, mix: TrafficMix, model: TrafficModel): TrafficOp {
  const users = [...model.photos.keys()];
  const user = pick(random, users);
  const photos = model.photos.get(user) ?? [];
  const kind = weightedKind(random, mix);
  const newId = () => `photo-${model.next++}.jpg`;
  const upload = (): TrafficOp => ({
    kind: 'upload',
    user,
    id: newId(),
    size: minPhotoBytes + randomInt(random, maxPhotoBytes - minPhotoBytes + 1),
  });
  switch (kind) {
    case 'upload':
      return upload();
    case 'get':
    case 'delete':
      return photos.length === 0 ? upload() : { kind, user, id: pick(random, photos) };
    case 'list':
    case 'erase_user':
      return { kind, user };
    case 'unauthorized':
      return { kind, user, id: photos.length === 0 ? 'photo-0.jpg' : pick(random, photos) };
    case 'forbidden': {
      const others = users.filter((u) => u !== user);
      if (others.length === 0) return { kind: 'unauthorized', user, id: 'photo-0.jpg' };
      return {
        kind,
        user,
        asUser: pick(random, others),
        id: photos.length === 0 ? 'photo-0.jpg' : pick(random, photos),
      };
    }
    case 'not_found':
      // An id the generator never uploads: a typo'd or stale link.
      return { kind, user, id: `missing-${randomInt(random, 1_000_000)}.jpg` };
  }
}

function weightedKind(random: Random, mix: TrafficMix): TrafficKind {
  const total = trafficKinds.reduce((sum, k) => sum + Math.max(0, mix[k]), 0);
  if (!(total > 0)) throw new RangeError('traffic mix: weights must add up to more than 0');
  let roll = random() * total;
  for (const k of trafficKinds) {
    roll -= Math.max(0, mix[k]);
    if (roll < 0) return k;
  }
  return 'get';
}

/**
 * Updates the model from the answer to `op`. Pure apart from mutating `model`.
 *
 * @example
 * applyOutcome(model, { kind: 'upload', user: 'alice', id: 'photo-0.jpg', size: 2048 }, 201);
 */
export function applyOutcome(model: TrafficModel, op: TrafficOp, status: number): void {
  const photos = model.photos.get(op.user);
  if (!photos) return;
  if (op.kind === 'upload' && status === 201) photos.push(op.id);
  else if (
    (op.kind === 'delete' && (status === 204 || status === 404)) ||
    (op.kind === 'get' && status === 404)
  ) {
    // A 404 on a read means the photo is gone (the GC or a chaos experiment): stop asking for it.
    const at = photos.indexOf(op.id);
    if (at >= 0) photos.splice(at, 1);
  } else if (op.kind === 'erase_user' && status === 202) photos.length = 0;
}

/** Deterministic photo bytes: a seeded fill, so a replayed run uploads the same blobs. */
export function photoBytes(random: Random, size: number): Buffer {
  const bytes = Buffer.allocUnsafe(size);
  for (let i = 0; i < size; i += 4) {
    const word = Math.floor(random() * 4294967296);
    for (let j = 0; j < 4 && i + j < size; j++) bytes[i + j] = (word >>> (8 * j)) & 0xff;
  }
  return bytes;
}

// ---------------------------------------------------------------------------------------------
// The I/O loop: paced requests with undici, one at a time, counting what was sent and got back.
// ---------------------------------------------------------------------------------------------

/** What the generator sent and what came back, by kind and status. */
export interface TrafficStats {
  sent: Record<TrafficKind, number>;
  /** Status codes by kind; 0 means no answer (connection refused, timeout). */
  statuses: Record<TrafficKind, Record<number, number>>;
  /** Answers other than the expected status of their kind. */
  unexpected: number;
  /** Requests that got no HTTP answer at all. */
  failed: number;
  /** Reads whose bytes did not match the checksum the service sent with them. */
  checksumMismatches: number;
}

export function emptyStats(): TrafficStats {
  const sent = Object.fromEntries(trafficKinds.map((k) => [k, 0])) as Record<TrafficKind, number>;
  const statuses = Object.fromEntries(trafficKinds.map((k) => [k, {}])) as TrafficStats['statuses'];
  return { sent, statuses, unexpected: 0, failed: 0, checksumMismatches: 0 };
}

export interface TrafficOptions {
  baseUrl: string;
  users: readonly DemoUser[];
  /** Requests per second (bounded: 0 < rate <= 1000). */
  rate: number;
  seed: number;
  /** Stop after this many requests (tests); unbounded until stopped otherwise. */
  maxRequests?: number;
  mix?: TrafficMix;
  clock?: Clock;
  /** Per-request deadline. */
  timeoutMs?: number;
}

/** Upper bound of --rate: the demo is a system to watch, not a load test (k6 is for that). */
export const maxTrafficRate = 1_000;

/**
 * Runs the mix against the photos service: one request at a time, paced to `rate` (slower if
 * the service is slower, like a real client that waits for answers).
 */
export class TrafficGenerator {
  readonly stats = emptyStats();
  private readonly model: TrafficModel;
  private readonly random: Random;
  private readonly tokens: Map<string, string>;
  private readonly agent = new Agent({ connections: 4, keepAliveTimeout: 10_000 });
  private stopped = false;
  private loop: Promise<void> | undefined;

  constructor(private readonly options: TrafficOptions) {
    if (!(options.rate > 0 && options.rate <= maxTrafficRate)) {
      throw new RangeError(`traffic rate must be in (0, ${maxTrafficRate}] requests per second`);
    }
    this.random = seededRandom(options.seed);
    this.model = emptyModel(options.users.map((u) => u.name));
    this.tokens = new Map(options.users.map((u) => [u.name, u.token]));
  }

  /** Starts sending; resolves when stopped or after `maxRequests`. */
  start(): Promise<void> {
    this.loop ??= this.run();
    return this.loop;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
    await this.agent.close();
  }

  private async run(): Promise<void> {
    const clock = this.options.clock ?? systemClock;
    const interval = 1000 / this.options.rate;
    let due = clock.now();
    for (
      let n = 0;
      !this.stopped && (this.options.maxRequests === undefined || n < this.options.maxRequests);
      n++
    ) {
      const op = chooseOp(this.random, this.options.mix ?? defaultMix, this.model);
      const status = await this.send(op);
      applyOutcome(this.model, op, status);
      due += interval;
      const wait = due - clock.now();
      // Behind schedule (slow answers): do not burst to catch up, restart the pace from now.
      if (wait > 0) await clock.sleep(wait);
      else due = clock.now();
    }
  }

  private async send(op: TrafficOp): Promise<number> {
    const stats = this.stats;
    stats.sent[op.kind]++;
    const base = this.options.baseUrl;
    const token = (user: string) => `Bearer ${this.tokens.get(user) ?? ''}`;
    const photoPath = (id: string) => `${base}/users/${op.user}/photos/${encodeURIComponent(id)}`;
    let method: 'GET' | 'PUT' | 'DELETE' = 'GET';
    let url = `${base}/users/${op.user}/photos`;
    let authorization: string | undefined = token(op.user);
    let body: Buffer | undefined;
    switch (op.kind) {
      case 'upload':
        method = 'PUT';
        url = photoPath(op.id);
        body = photoBytes(this.random, op.size);
        break;
      case 'get':
      case 'not_found':
        url = photoPath(op.id);
        break;
      case 'list':
        break;
      case 'delete':
        method = 'DELETE';
        url = photoPath(op.id);
        break;
      case 'erase_user':
        method = 'DELETE';
        url = `${base}/users/${op.user}`;
        break;
      case 'unauthorized':
        url = photoPath(op.id);
        authorization = this.random() < 0.5 ? undefined : 'Bearer not-a-token';
        break;
      case 'forbidden':
        url = photoPath(op.id);
        authorization = token(op.asUser);
        break;
    }
    let status = 0;
    try {
      const headers: Record<string, string> = {};
      if (authorization) headers['authorization'] = authorization;
      if (body) headers['content-type'] = 'image/jpeg';
      const res = await request(url, {
        method,
        headers,
        body,
        dispatcher: this.agent,
        headersTimeout: this.options.timeoutMs ?? 10_000,
        bodyTimeout: this.options.timeoutMs ?? 10_000,
      });
      status = res.statusCode;
      const bytes = Buffer.from(await res.body.arrayBuffer());
      const checksum = res.headers['x-checksum-sha256'];
      if (
        op.kind === 'get' &&
        status === 200 &&
        typeof checksum === 'string' &&
        checksum !== sha256Hex(bytes)
      ) {
        stats.checksumMismatches++;
      }
    } catch {
      stats.failed++;
    }
    const byStatus = stats.statuses[op.kind];
    byStatus[status] = (byStatus[status] ?? 0) + 1;
    if (status !== expectedStatus[op.kind]) stats.unexpected++;
    return status;
  }
}
