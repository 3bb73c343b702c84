import { connect } from 'node:net';
import { findExecutable } from '../../core/index.ts';

/**
 * Tests that need an outside binary or service skip with a visible reason when it is missing
 * on a user's machine. CI sets VIGIL_REQUIRE_ALL=1 (see .ci/run), which turns each such skip
 * into a failure, so CI always runs everything.
 *
 * Use: `describe.skipIf(needBinary('prometheus'))(...)` after calling it at module level,
 * or `const missing = needBinary('nats-server')` and `it.skipIf(missing)`.
 */
export const requireAll = process.env.VIGIL_REQUIRE_ALL === '1';

/**
 * Returns true (skip) when `name` is not installed, after printing why; throws under
 * VIGIL_REQUIRE_ALL so CI fails instead of skipping.
 */
export function needBinary(name: string, debianPackage = name): boolean {
  if (findExecutable(name)) return false;
  return missing(`binary "${name}" not found (apt-get install ${debianPackage})`);
}

/** Like needBinary, for a TCP service expected on loopback (Redis 6379, NATS 4222, ...). */
export async function needService(name: string, port: number, host = '127.0.0.1'): Promise<boolean> {
  const up = await new Promise<boolean>((resolve) => {
    const socket = connect({ port, host });
    socket.setTimeout(1000, () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
  if (up) return false;
  return missing(`service ${name} not reachable on ${host}:${port}`);
}

function missing(reason: string): boolean {
  if (requireAll) throw new Error(`VIGIL_REQUIRE_ALL=1 and ${reason}`);
  process.stderr.write(`[skip] ${reason}\n`);
  return true;
}
