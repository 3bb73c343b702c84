import type { DemoUser } from '../users.ts';

/** The outcome of checking a request's bearer token against the user named in its path. */
export type AuthOutcome =
  | { kind: 'ok'; user: string }
  | { kind: 'unauthenticated'; reason: string }
  | { kind: 'forbidden'; user: string };

/**
 * Token to user name, built once at start.
 *
 * @example
 * const index = tokenIndex([{ name: 'alice', token: 't-a' }]);
 */
export function tokenIndex(users: readonly DemoUser[]): Map<string, string> {
  return new Map(users.map((u) => [u.token, u.name]));
}

/**
 * Decides who may act on `/users/<pathUser>/...`: no or unknown token is 401, a valid token of
 * another user is 403. The message never repeats the token it got.
 *
 * @example
 * authorize(index, 'Bearer alice-…', 'bob'); // { kind: 'forbidden', user: 'alice' }
 */
export function authorize(
  index: Map<string, string>,
  header: string | undefined,
  pathUser: string,
): AuthOutcome {
  if (!header) return { kind: 'unauthenticated', reason: 'missing Authorization: Bearer <token>' };
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!match) return { kind: 'unauthenticated', reason: 'Authorization header is not "Bearer <token>"' };
  const user = index.get(match[1]!);
  if (user === undefined) return { kind: 'unauthenticated', reason: 'unknown token' };
  if (user !== pathUser) return { kind: 'forbidden', user };
  return { kind: 'ok', user };
}
