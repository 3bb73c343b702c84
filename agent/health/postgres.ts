import pg from 'pg';
import { type Check, fail, pass, reasonOf } from './check.ts';

/**
 * Passes when a query (by default `SELECT 1`) succeeds on PostgreSQL. A fresh connection per
 * run: the check is about whether a client can connect and query now.
 *
 * @example
 * postgresCheck({ name: 'db', url: 'postgres://postgres@127.0.0.1:5432/test' });
 */
export function postgresCheck(options: { name: string; url: string; query?: string }): Check {
  return {
    name: options.name,
    async run(signal) {
      const client = new pg.Client({ connectionString: options.url, connectionTimeoutMillis: 10_000 });
      const onAbort = () => void client.end().catch(() => undefined);
      signal.addEventListener('abort', onAbort, { once: true });
      try {
        await client.connect();
        const res = await client.query(options.query ?? 'SELECT 1');
        return pass(`${res.rowCount ?? 0} row(s)`);
      } catch (err) {
        return fail(signal.aborted ? 'timed out' : reasonOf(err));
      } finally {
        signal.removeEventListener('abort', onAbort);
        await client.end().catch(() => undefined);
      }
    },
  };
}
