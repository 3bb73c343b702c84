/**
 * A health check: one method, resolving with a verdict. Checks never throw: an error is a
 * failing verdict with the reason, which the health endpoints show.
 */
export interface Check {
  readonly name: string;
  run(signal: AbortSignal): Promise<CheckResult>;
}

export interface CheckResult {
  ok: boolean;
  /** Why it failed, or a short note on success ("3 pending, ack floor moved"). */
  detail: string;
}

export const pass = (detail = 'ok'): CheckResult => ({ ok: true, detail });
export const fail = (detail: string): CheckResult => ({ ok: false, detail });

/** The message of anything thrown, without stack or secrets in URLs. */
export function reasonOf(err: unknown): string {
  const e = err as { code?: string; message?: string };
  const msg = (e?.message ?? String(err)).replace(/\/\/[^@/\s]+@/g, '//***@');
  return e?.code && !msg.includes(e.code) ? `${e.code}: ${msg}` : msg;
}
