import { connect } from 'node:net';
import { type Check, fail, pass, reasonOf } from './check.ts';

/**
 * Passes when a TCP connection to host:port opens.
 *
 * @example
 * tcpCheck({ name: 'redis-port', host: '127.0.0.1', port: 6379 });
 */
export function tcpCheck(options: { name: string; host: string; port: number }): Check {
  return {
    name: options.name,
    run(signal) {
      return new Promise((resolve) => {
        const socket = connect({ host: options.host, port: options.port });
        const done = (r: ReturnType<typeof pass>) => {
          socket.destroy();
          signal.removeEventListener('abort', onAbort);
          resolve(r);
        };
        const onAbort = () => done(fail('timed out'));
        signal.addEventListener('abort', onAbort, { once: true });
        socket.once('connect', () => done(pass(`connected to ${options.host}:${options.port}`)));
        socket.once('error', (err) => done(fail(reasonOf(err))));
      });
    },
  };
}
