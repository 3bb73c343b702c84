import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { httpStatusFor, toVigilError, VigilError } from './errors.ts';

/**
 * Small helpers shared by every vigil listener (server API, agent, proxy control API, demo):
 * loopback by default, bodies with a size limit, one error shape, and a close that drains.
 */

/** Default cap on request bodies of control APIs: large enough for any config, small enough to be safe. */
export const defaultBodyLimitBytes = 1024 * 1024;

export interface ListenOptions {
  /** Address to bind; loopback unless told otherwise. */
  host?: string;
  /** Port; 0 lets the OS choose (tests). */
  port?: number;
}

export interface Listening {
  host: string;
  port: number;
  /** `http://host:port` with IPv6 hosts in brackets. */
  url: string;
}

/** True for 127.0.0.0/8, ::1, localhost and IPv4-mapped loopback. */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return (
    h === 'localhost' || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h) || /^::ffff:127(\.\d{1,3}){3}$/.test(h)
  );
}

/**
 * Refuses to expose a control API beyond loopback without a bearer token.
 *
 * @example
 * requireTokenOffLoopback('chaos control API', '0.0.0.0', process.env.VIGIL_TOKEN);
 */
export function requireTokenOffLoopback(what: string, host: string, token: string | undefined): void {
  if (!isLoopback(host) && !token) {
    throw new VigilError(
      'config',
      `${what}: binding ${host} (not loopback) requires a bearer token; set one or bind 127.0.0.1`,
    );
  }
}

/** Starts listening and resolves with the bound address. */
export function listen(server: Server, options: ListenOptions = {}): Promise<Listening> {
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? 0;
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      server.off('listening', onListening);
      const why =
        err.code === 'EADDRINUSE'
          ? 'address already in use'
          : err.code === 'EACCES'
            ? 'permission denied'
            : err.message;
      reject(
        new VigilError('unavailable', `cannot listen on ${formatHostPort(host, port)}: ${why}`, {
          cause: err,
        }),
      );
    };
    const onListening = () => {
      server.off('error', onError);
      const address = server.address() as AddressInfo;
      resolve({ host, port: address.port, url: `http://${formatHostPort(host, address.port)}` });
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host);
  });
}

export function formatHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * Reads a request body, refusing more than `limitBytes` with VigilError('too_large') as soon
 * as the limit is passed (the rest is not buffered).
 */
export async function readBody(req: IncomingMessage, limitBytes = defaultBodyLimitBytes): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limitBytes) {
    req.resume();
    throw new VigilError('too_large', `request body of ${declared} bytes exceeds the limit of ${limitBytes}`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limitBytes) {
      req.resume();
      throw new VigilError('too_large', `request body exceeds the limit of ${limitBytes} bytes`);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** Reads and parses a JSON body; a malformed body is VigilError('parse'). */
export async function readJsonBody(
  req: IncomingMessage,
  limitBytes = defaultBodyLimitBytes,
): Promise<unknown> {
  const body = await readBody(req, limitBytes);
  if (body.length === 0) return undefined;
  try {
    return JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw new VigilError('parse', `request body is not valid JSON: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

/**
 * Sends an error with the status its code maps to. Internal errors do not leak their message.
 * The shape `{ status: 'error', errorType, error }` is Prometheus' API error shape, which
 * vigil's HTTP APIs share.
 */
export function sendError(res: ServerResponse, err: unknown): void {
  const error = toVigilError(err);
  const status = httpStatusFor(error);
  const message = error.code === 'internal' ? 'internal error' : error.message;
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendJson(res, status, { status: 'error', errorType: error.code, error: message });
}

/**
 * Checks `Authorization: Bearer <token>` in constant time. With no token configured every
 * request passes (the listener is on loopback: see requireTokenOffLoopback).
 */
export function hasBearerToken(req: IncomingMessage, token: string | undefined): boolean {
  if (!token) return true;
  const header = req.headers.authorization ?? '';
  const match = /^Bearer\s+(.+)$/i.exec(header);
  if (!match) return false;
  const given = Buffer.from(match[1]!);
  const expected = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/**
 * Tracks connections so a server can be closed gracefully: stop accepting, let in-flight
 * requests finish for up to `graceMs`, then destroy what is left. Call right after creating the
 * server.
 */
export function closable(server: Server): { close(graceMs?: number): Promise<void> } {
  const sockets = new Set<Socket>();
  const busy = new WeakSet<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    busy.add(req.socket);
    res.once('finish', () => {
      busy.delete(req.socket);
      // Keep-alive sockets that went idle after their last response are closed during shutdown.
      if (!server.listening) req.socket.end();
    });
  });
  return {
    close(graceMs = 10_000) {
      return new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          for (const s of sockets) s.destroy();
        }, graceMs);
        timer.unref();
        server.close(() => {
          clearTimeout(timer);
          resolve();
        });
        for (const s of sockets) if (!busy.has(s)) s.end();
      });
    },
  };
}
