import { request } from 'undici';
import { type Check, fail, pass, reasonOf } from './check.ts';

/**
 * Passes when a GET answers with an expected status (2xx by default).
 *
 * @example
 * httpCheck({ name: 'app', url: 'http://127.0.0.1:8080/health' });
 */
export function httpCheck(options: {
  name: string;
  url: string;
  expectStatus?: number[];
  headers?: Record<string, string>;
}): Check {
  return {
    name: options.name,
    async run(signal) {
      try {
        const res = await request(options.url, { method: 'GET', signal, headers: options.headers });
        await res.body.dump();
        const ok = options.expectStatus
          ? options.expectStatus.includes(res.statusCode)
          : res.statusCode >= 200 && res.statusCode < 300;
        return ok ? pass(`HTTP ${res.statusCode}`) : fail(`HTTP ${res.statusCode}`);
      } catch (err) {
        return fail(reasonOf(err));
      }
    },
  };
}
