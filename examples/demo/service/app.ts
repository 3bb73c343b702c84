import { randomBytes } from 'node:crypto';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Logger } from 'pino';
import {
  type Clock,
  httpStatusFor,
  isVigilError,
  readBody,
  sendError,
  systemClock,
  VigilError,
} from '../../../core/index.ts';
import type { EventSink } from '../events.ts';
import { checkPhotoId, generationPrefix, photoKey } from '../keys.ts';
import type { PhotoStore } from '../store.ts';
import type { DemoUser, UserGenerations } from '../users.ts';
import { authorize, tokenIndex } from './auth.ts';

/** The part of instrument/'s telemetry the photos app uses. */
export interface AppTelemetry {
  logger: Logger;
  middleware(): express.RequestHandler;
  markExpected(res: Response, reason?: string): void;
  mount(app: express.Express): void;
}

export interface PhotosAppDeps {
  telemetry: AppTelemetry;
  store: PhotoStore;
  users: readonly DemoUser[];
  generations: UserGenerations;
  events: EventSink;
  clock?: Clock;
  /** Largest accepted photo; more is 413. */
  maxPhotoBytes?: number;
}

/** Default upload limit: a large phone photo. */
export const defaultMaxPhotoBytes = 16 * 1024 * 1024;

/**
 * The photos service: per-user blobs in S3, announced on NATS.
 *
 * | method | path | answer |
 * | --- | --- | --- |
 * | PUT | /users/:user/photos/:id | 201, body = the photo bytes |
 * | POST | /users/:user/photos | 201 with a generated id |
 * | GET | /users/:user/photos/:id | 200 bytes, `x-checksum-sha256` |
 * | GET | /users/:user/photos | 200 `{ photos: [{ id, size, lastModified }] }` |
 * | DELETE | /users/:user/photos/:id | 204, or 404 |
 * | DELETE | /users/:user | 202: erases every photo of the user (the GC removes the blobs) |
 *
 * Every /users route needs `Authorization: Bearer <token of that user>`: none or unknown is
 * 401, another user's token is 403. Listing reads the S3 bucket itself (the source of truth);
 * the worker's metadata log is a derived index that verifiers compare against it.
 *
 * @example
 * const app = createPhotosApp({ telemetry, store, users, generations, events });
 * await telemetry.listen(app, { port: 8080 });
 */
export function createPhotosApp(deps: PhotosAppDeps): express.Express {
  const { telemetry, store, generations, events } = deps;
  const clock = deps.clock ?? systemClock;
  const maxBytes = deps.maxPhotoBytes ?? defaultMaxPhotoBytes;
  const tokens = tokenIndex(deps.users);
  const app = express();
  app.disable('x-powered-by');
  app.use(telemetry.middleware());
  telemetry.mount(app);

  app.get('/', (_req, res) => {
    res.json({
      service: 'vigil demo photos',
      users: deps.users.map((u) => u.name),
      endpoints: [
        'PUT /users/:user/photos/:id',
        'POST /users/:user/photos',
        'GET /users/:user/photos/:id',
        'GET /users/:user/photos',
        'DELETE /users/:user/photos/:id',
        'DELETE /users/:user',
        'GET /metrics',
        'GET /healthz',
        'GET /readyz',
      ],
    });
  });

  // Authentication and authorization for everything under /users/:user. Answered here rather
  // than thrown: 403 has no code in vigil's error catalogue, it is this service's own answer.
  const auth = (req: Request, res: Response, next: NextFunction) => {
    const user = String(req.params['user']);
    const outcome = authorize(tokens, req.headers.authorization, user);
    if (outcome.kind === 'ok') {
      next();
      return;
    }
    if (outcome.kind === 'unauthenticated') {
      res.setHeader('www-authenticate', 'Bearer realm="vigil-demo"');
      res
        .status(401)
        .json({ status: 'error', errorType: 'unauthorized', error: `unauthorized: ${outcome.reason}` });
      return;
    }
    res.status(403).json({
      status: 'error',
      errorType: 'forbidden',
      error: `forbidden: the token of ${outcome.user} cannot act for ${user}`,
    });
  };

  const upload = async (req: Request, res: Response, id: string) => {
    const user = String(req.params['user']);
    checkPhotoId(id);
    const body = await readBody(req, maxBytes);
    if (body.length === 0) throw new VigilError('usage', 'empty body: send the photo bytes');
    const contentType = req.headers['content-type'] ?? 'application/octet-stream';
    const generation = generations.current(user);
    const key = photoKey({ user, generation, id });
    const { sha256 } = await store.put(key, body, contentType);
    events.publish({
      type: 'photo.uploaded',
      user,
      id,
      key,
      generation,
      size: body.length,
      sha256,
      contentType,
      at: new Date(clock.now()).toISOString(),
    });
    // One line per change of state (not per read): the stream the log agent tails, with trace ids.
    req.log.info({ user, id, key, size: body.length, sha256 }, 'photo stored');
    res.status(201).location(`/users/${user}/photos/${encodeURIComponent(id)}`);
    res.json({ user, id, size: body.length, sha256, generation });
  };

  app.put('/users/:user/photos/:id', auth, (req, res) => upload(req, res, String(req.params['id'])));
  app.post('/users/:user/photos', auth, (req, res) =>
    upload(req, res, `p-${randomBytes(8).toString('hex')}`),
  );

  app.get('/users/:user/photos/:id', auth, async (req, res) => {
    const user = String(req.params['user']);
    const id = String(req.params['id']);
    checkPhotoId(id);
    const photo = await store.get(photoKey({ user, generation: generations.current(user), id }));
    if (!photo) throw new VigilError('not_found', `photo ${user}/${id} not found`);
    res.status(200);
    res.setHeader('content-type', photo.contentType ?? 'application/octet-stream');
    if (photo.sha256) res.setHeader('x-checksum-sha256', photo.sha256);
    res.end(photo.body);
  });

  app.get('/users/:user/photos', auth, async (req, res) => {
    const user = String(req.params['user']);
    const generation = generations.current(user);
    const prefix = generationPrefix(user, generation);
    const objects = await store.list(prefix);
    res.json({
      user,
      generation,
      photos: objects.map((o) => ({
        id: o.key.slice(prefix.length),
        size: o.size,
        lastModified: o.lastModified?.toISOString(),
      })),
    });
  });

  app.delete('/users/:user/photos/:id', auth, async (req, res) => {
    const user = String(req.params['user']);
    const id = String(req.params['id']);
    checkPhotoId(id);
    const generation = generations.current(user);
    const key = photoKey({ user, generation, id });
    // S3 deletes are idempotent; the HEAD makes a delete of nothing an honest 404.
    if (!(await store.exists(key))) {
      // Clients retry deletes; a 404 here is the normal end of a retry, not a fault.
      telemetry.markExpected(res, 'already_deleted');
      throw new VigilError('not_found', `photo ${user}/${id} not found`);
    }
    await store.delete(key);
    req.log.info({ user, id, key }, 'photo deleted');
    events.publish({
      type: 'photo.deleted',
      user,
      id,
      key,
      generation,
      at: new Date(clock.now()).toISOString(),
    });
    res.status(204).end();
  });

  app.delete('/users/:user', auth, async (req, res) => {
    const user = String(req.params['user']);
    const at = new Date(clock.now());
    const { erased, current } = await generations.erase(user, at);
    req.log.warn({ user, erasedGeneration: erased }, 'user erased: photos hidden, blobs left to the GC');
    events.publish({ type: 'user.erased', user, erasedGeneration: erased, at: at.toISOString() });
    res.status(202).json({ user, erasedGeneration: erased, generation: current });
  });

  app.use((req, _res, next) => {
    next(new VigilError('not_found', `no route ${req.method} ${req.path}`));
  });

  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    // Express' own errors (a malformed %-escape in a path) carry a 4xx status: a client error.
    const status = (err as { status?: unknown }).status;
    if (!isVigilError(err) && typeof status === 'number' && status >= 400 && status < 500) {
      sendError(res, new VigilError('usage', `bad request: ${(err as Error).message}`));
      return;
    }
    if (httpStatusFor(err) >= 500)
      telemetry.logger.error({ err, method: req.method, path: req.path }, 'request failed');
    sendError(res, err);
  });

  return app;
}
