import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ManualClock } from '../../../../core/index.ts';

export function tempDir(prefix = 'vigil-delivery-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/**
 * Steps a manual clock `stepMs` at a time (giving real I/O a few ms between steps) until
 * `done()` holds; bounded in steps and in real time, so a bug fails the test instead of
 * hanging it.
 */
export async function stepUntil(
  clock: ManualClock,
  done: () => boolean,
  { stepMs = 1000, maxSteps = 2000, realMs = 20_000 } = {},
): Promise<void> {
  const deadline = Date.now() + realMs;
  for (let i = 0; i < maxSteps; i++) {
    if (done()) return;
    if (Date.now() > deadline) break;
    await clock.advance(stepMs);
    await new Promise((r) => setTimeout(r, 2));
  }
  if (!done()) throw new Error(`condition not reached after ${maxSteps} steps of ${stepMs} ms`);
}

/** Waits real time (bounded) for something real I/O will make true, without moving the clock. */
export async function waitFor(done: () => boolean, realMs = 10_000): Promise<void> {
  const deadline = Date.now() + realMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`condition not reached within ${realMs} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
