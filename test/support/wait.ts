/**
 * Polls `probe` until it returns something other than undefined, and returns that. A probe that
 * throws or rejects counts as "not yet" (a server still starting refuses connections).
 *
 * @example
 * const rules = await waitFor('the new rule group', async () => (await groups()).find((g) => g.name === 'new'));
 */
export async function waitFor<T>(
  what: string,
  probe: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 20_000,
  pollMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const got = await Promise.resolve()
      .then(probe)
      .catch(() => undefined);
    if (got !== undefined) return got;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, pollMs));
  }
}
