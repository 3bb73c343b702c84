import { expect, it } from 'vitest';
import type { Queue } from '../../../chaos/targets/index.ts';

/**
 * What every queue adapter must do against its real broker: publish resolves after the
 * broker's confirm with an id, consume returns the messages in order, and an acked message is
 * not delivered again.
 */
export function queueConformance(open: () => Queue): void {
  it('publish with confirm, consume in order, ack', async () => {
    const q = open();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await q.publish(Buffer.from(`m${i}`)));
    expect(new Set(ids).size).toBe(5);
    const got = [];
    for (let round = 0; round < 10 && got.length < 5; round++)
      got.push(...(await q.consume(5 - got.length, 2000)));
    expect(got.map((m) => m.body.toString())).toEqual(['m0', 'm1', 'm2', 'm3', 'm4']);
    for (const m of got) await m.ack();
    expect(await q.consume(5, 300)).toEqual([]);
  });
}
