import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/**
 * Full path of an executable on PATH or in the sbin folders, or undefined. Debian installs
 * daemons vigil drives (nats-server, haproxy, rabbitmq-server) in /usr/sbin, which a user's PATH
 * often lacks.
 *
 * @example
 * findExecutable('nats-server'); // '/usr/sbin/nats-server' on Debian
 */
export function findExecutable(name: string, path = process.env.PATH ?? ''): string | undefined {
  for (const dir of [...path.split(delimiter), '/usr/local/sbin', '/usr/sbin', '/sbin']) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}
