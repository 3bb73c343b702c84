import { mkdir } from 'node:fs/promises';
import { connect as tcpConnect } from 'node:net';
import { join } from 'node:path';
import { jetstreamManager, RetentionPolicy } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { VigilError } from '../../core/index.ts';
import { SupervisedChild } from './child.ts';
import { freeLoopbackPort } from './ports.ts';

/** The NATS server the demo tries first. */
export const defaultNatsUrl = 'nats://127.0.0.1:4222';

/**
 * What the user asked for with `--nats`: a URL (must be reachable), `own` (always start a
 * private nats-server), `off`, or nothing (`auto`: the default URL if it answers, else a private
 * nats-server if installed, else no queue).
 */
export type NatsRequest = { kind: 'auto' } | { kind: 'url'; url: string } | { kind: 'own' } | { kind: 'off' };

/** What the demo will do about the queue, and why, in words for the start-up summary. */
export type NatsDecision =
  | { kind: 'use'; url: string; reason: string }
  | { kind: 'start'; binary: string; reason: string }
  | { kind: 'off'; reason: string };

/**
 * Parses the `--nats` flag.
 *
 * @example
 * parseNatsRequest('own'); // { kind: 'own' }
 */
export function parseNatsRequest(value: string | undefined): NatsRequest {
  if (value === undefined || value === 'auto') return { kind: 'auto' };
  if (value === 'own') return { kind: 'own' };
  if (value === 'off') return { kind: 'off' };
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new VigilError(
      'usage',
      `--nats: expected a URL like nats://127.0.0.1:4222, "own", "off" or "auto", got "${value}"`,
    );
  }
  if (url.protocol !== 'nats:' && url.protocol !== 'tls:') {
    throw new VigilError('usage', `--nats: expected a nats:// URL, got "${value}"`);
  }
  return { kind: 'url', url: value };
}

/**
 * Decides where events go, from what was asked and what was found. Pure: the probes are done
 * by the caller and passed in.
 *
 * @example
 * decideNats({ kind: 'auto' }, { reachable: false, binary: '/usr/sbin/nats-server' });
 * // { kind: 'start', binary: '/usr/sbin/nats-server', reason: 'nats://127.0.0.1:4222 not reachable; ...' }
 */
export function decideNats(
  request: NatsRequest,
  found: { reachable: boolean; binary: string | undefined },
): NatsDecision {
  switch (request.kind) {
    case 'off':
      return { kind: 'off', reason: 'queue off: turned off with --nats off' };
    case 'url':
      if (found.reachable) return { kind: 'use', url: request.url, reason: `using ${request.url} (--nats)` };
      throw new VigilError('unavailable', `--nats ${request.url}: no NATS server answers there`);
    case 'own':
      if (found.binary)
        return { kind: 'start', binary: found.binary, reason: 'starting a private nats-server (--nats own)' };
      throw new VigilError(
        'unavailable',
        '--nats own: nats-server is not installed (apt-get install nats-server)',
      );
    case 'auto':
      if (found.reachable)
        return { kind: 'use', url: defaultNatsUrl, reason: `using the nats-server at ${defaultNatsUrl}` };
      if (found.binary) {
        return {
          kind: 'start',
          binary: found.binary,
          reason: `${defaultNatsUrl} not reachable; starting a private nats-server`,
        };
      }
      return { kind: 'off', reason: 'queue off: no nats-server reachable or installed' };
  }
}

/** True when something accepts TCP connections at the URL's host and port within `timeoutMs`. */
export function probeNats(url: string, timeoutMs = 1_000): Promise<boolean> {
  const parsed = new URL(url);
  const port = Number(parsed.port || 4222);
  const host = parsed.hostname.replace(/^\[|\]$/g, '');
  return new Promise((resolve) => {
    const socket = tcpConnect({ host, port });
    socket.setTimeout(timeoutMs, () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export interface OwnNats {
  child: SupervisedChild;
  url: string;
  monitorUrl: string;
  storeDir: string;
}

/**
 * Starts a private `nats-server -js` on loopback free ports, its JetStream store in
 * `<dataDir>/nats`, supervised (restarted on the same ports if it dies). Ready once its
 * monitoring endpoint reports healthy, JetStream included.
 */
export async function startOwnNats(options: {
  binary: string;
  dataDir: string;
  logFile: string;
  onTrouble?: (message: string) => void;
  onReady?: () => void;
}): Promise<OwnNats> {
  const storeDir = join(options.dataDir, 'nats');
  await mkdir(storeDir, { recursive: true });
  const port = await freeLoopbackPort();
  const monitorPort = await freeLoopbackPort();
  const monitorUrl = `http://127.0.0.1:${monitorPort}`;
  const child = new SupervisedChild(
    {
      name: 'nats',
      command: options.binary,
      args: [
        '-a',
        '127.0.0.1',
        '-p',
        String(port),
        '-m',
        String(monitorPort),
        '-js',
        '-sd',
        storeDir,
        '-n',
        'vigil-demo',
      ],
      logFile: options.logFile,
      ready: () => waitHealthy(`${monitorUrl}/healthz`),
    },
    () => options.onReady?.(),
    options.onTrouble,
  );
  await child.start();
  return { child, url: `nats://127.0.0.1:${port}`, monitorUrl, storeDir };
}

async function waitHealthy(url: string): Promise<void> {
  // Bounded by the child's ready timeout; 100 ms between polls is cheap for nats-server.
  for (;;) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1_000) });
      await res.body?.cancel();
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The demo's stream: every photos event, kept for a day or 1 GiB. */
export interface StreamSpec {
  name: string;
  subjects: string[];
}

/**
 * Creates the stream, or updates its subjects if it exists (a stream left by an earlier run
 * keeps its messages).
 */
export async function ensureStream(nc: NatsConnection, spec: StreamSpec): Promise<void> {
  const jsm = await jetstreamManager(nc);
  const config = {
    name: spec.name,
    subjects: spec.subjects,
    retention: RetentionPolicy.Limits,
    max_age: 24 * 60 * 60 * 1e9,
    max_bytes: 1024 ** 3,
    // Publish retries reuse the message id; two minutes is JetStream's own default window.
    duplicate_window: 120 * 1e9,
  };
  try {
    const info = await jsm.streams.info(spec.name);
    await jsm.streams.update(spec.name, { ...info.config, subjects: spec.subjects });
  } catch (err) {
    if (!/stream not found/i.test((err as Error).message)) throw err;
    await jsm.streams.add(config);
  }
}
