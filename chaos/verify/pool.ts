/**
 * Runs `fn` over a (possibly endless) sequence with at most `concurrency` calls in flight,
 * pulling items only as workers free up, so a listing of a billion keys is never held in
 * memory. Stops pulling when `signal` aborts; calls in flight finish.
 *
 * @example
 * await forEachBounded(store.list(), 16, async (key) => check(key));
 */
export async function forEachBounded<T>(
  items: AsyncIterable<T> | Iterable<T>,
  concurrency: number,
  fn: (item: T, index: number) => Promise<void>,
  signal?: AbortSignal,
): Promise<void> {
  const iterator =
    Symbol.asyncIterator in items
      ? (items as AsyncIterable<T>)[Symbol.asyncIterator]()
      : (items as Iterable<T>)[Symbol.iterator]();
  let index = 0;
  let done = false;
  let failure: unknown;
  // One pull at a time: async iterators must not be called concurrently.
  let pulling: Promise<unknown> = Promise.resolve();
  const pull = (): Promise<{ item: T; index: number } | undefined> => {
    const next = pulling.then(async () => {
      if (done || failure !== undefined || signal?.aborted) return undefined;
      const r = await iterator.next();
      if (r.done) {
        done = true;
        return undefined;
      }
      return { item: r.value, index: index++ };
    });
    pulling = next.catch(() => undefined);
    return next;
  };
  const worker = async () => {
    for (;;) {
      const got = await pull();
      if (!got) return;
      await fn(got.item, got.index);
    }
  };
  const workers = Array.from({ length: Math.max(1, concurrency) }, () =>
    worker().catch((err: unknown) => {
      failure ??= err;
    }),
  );
  await Promise.all(workers);
  if (failure !== undefined) {
    await iterator.return?.();
    throw failure;
  }
}
