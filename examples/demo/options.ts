import { VigilError } from '../../core/index.ts';
import { defaultGcIntervalMs } from './gc.ts';
import type { NatsRequest } from './nats.ts';
import { maxTrafficRate } from './traffic.ts';

/** What `vigil demo` and tests can ask of the demo. Everything is optional. */
export interface DemoOptions {
  /** Where blobs, the JetStream store, logs and demo.json go; default a new temp dir. */
  dataDir?: string;
  /**
   * Port of the photos service; the worker's metrics port is port+1 and s3rver's port+2.
   * 0 puts everything on free ports (tests). Default 8080.
   */
  port?: number;
  /** Traffic generator requests per second; default 10. */
  rate?: number;
  /** Run the traffic generator (default true). */
  traffic?: boolean;
  /** Stop the traffic generator after this many requests (tests). */
  trafficRequests?: number;
  /** Seed of the traffic mix; default 1. */
  seed?: number;
  nats?: NatsRequest;
  gcIntervalMs?: number;
  /** Where the plain-words start-up summary goes; default nowhere. */
  say?: (line: string) => void;
}

export interface ResolvedDemoOptions {
  dataDir: string | undefined;
  ports: { service: number; worker: number; s3: number };
  rate: number;
  traffic: boolean;
  trafficRequests: number | undefined;
  seed: number;
  nats: NatsRequest;
  gcIntervalMs: number;
  say: (line: string) => void;
}

/** The photos service's well-known port (the worker and s3rver take the next two). */
export const defaultServicePort = 8080;
export const defaultRate = 10;

/**
 * Checks the options and resolves every default in one place. A bad value is
 * VigilError('usage') naming the flag.
 *
 * @example
 * resolveDemoOptions({ port: 0 }).ports; // { service: 0, worker: 0, s3: 0 }
 */
export function resolveDemoOptions(options: DemoOptions = {}): ResolvedDemoOptions {
  const port = options.port ?? defaultServicePort;
  if (!Number.isInteger(port) || port < 0 || port > 65_533) {
    throw new VigilError('usage', `--port: expected 0 (any free port) or 1-65533, got ${port}`);
  }
  const rate = options.rate ?? defaultRate;
  if (!Number.isFinite(rate) || rate <= 0 || rate > maxTrafficRate) {
    throw new VigilError(
      'usage',
      `--rate: expected requests per second in (0, ${maxTrafficRate}], got ${rate}`,
    );
  }
  const seed = options.seed ?? 1;
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new VigilError('usage', `--seed: expected an integer from 0 to 4294967295, got ${seed}`);
  }
  const requests = options.trafficRequests;
  if (requests !== undefined && (!Number.isInteger(requests) || requests < 0)) {
    throw new VigilError('usage', `--requests: expected a whole number >= 0, got ${requests}`);
  }
  const gcIntervalMs = options.gcIntervalMs ?? defaultGcIntervalMs;
  if (!Number.isFinite(gcIntervalMs) || gcIntervalMs < 10) {
    throw new VigilError('usage', `gc interval: expected at least 10 ms, got ${gcIntervalMs}`);
  }
  return {
    dataDir: options.dataDir,
    ports: port === 0 ? { service: 0, worker: 0, s3: 0 } : { service: port, worker: port + 1, s3: port + 2 },
    rate,
    traffic: options.traffic ?? true,
    trafficRequests: requests,
    seed,
    nats: options.nats ?? { kind: 'auto' },
    gcIntervalMs,
    say: options.say ?? (() => {}),
  };
}

/**
 * Parses a whole-number flag value; VigilError('usage') naming the flag otherwise.
 *
 * @example
 * parseIntFlag('--port', '8080'); // 8080
 */
export function parseIntFlag(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new VigilError('usage', `${flag}: expected a whole number, got "${value}"`);
  return Number(value);
}

/**
 * Parses a number flag (rates may be fractional: 0.5 is one request every 2 s).
 *
 * @example
 * parseNumberFlag('--rate', '0.5'); // 0.5
 */
export function parseNumberFlag(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n))
    throw new VigilError('usage', `${flag}: expected a number, got "${value}"`);
  return n;
}
