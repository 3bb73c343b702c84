import type { Socket } from 'node:net';
import type { Clock } from '../../core/index.ts';
import { type StageSink, ToxicStage } from './stage.ts';
import type { Stream, Toxic, ToxicContext } from './toxic.ts';

/**
 * Bytes the toxics of one direction may hold (a latency toxic under load) before the link stops
 * reading from that side; TCP backpressure then slows the sender instead of vigil's memory growing.
 */
export const maxHeldBytes = 4 * 1024 * 1024;

/** Counters a link adds to; the proxy owns them and exposes them as metrics. */
export interface LinkCounters {
  bytes: Record<Stream, number>;
  droppedBytes: number;
}

/** One direction of one connection: reads `src`, runs the toxic stages in order, writes `dst`. */
class Direction {
  readonly stages: ToxicStage[] = [];
  private waitingDrain = false;
  private pausedForHeld = false;

  constructor(
    readonly stream: Stream,
    private readonly src: Socket,
    private readonly dst: Socket,
    private readonly link: Link,
  ) {}

  start(): void {
    this.src.on('data', (chunk: Buffer) => {
      this.link.counters.bytes[this.stream] += chunk.length;
      if (this.link.closed) {
        // The connection is closing (a toxic closed or reset it): nowhere to deliver, so counted.
        this.link.counters.droppedBytes += chunk.length;
        return;
      }
      this.deliver(0, chunk);
    });
    this.src.on('end', () => this.deliverEnd(0));
  }

  add(name: string, toxic: Toxic, ctx: ToxicContext, index = this.stages.length): void {
    const stage: ToxicStage = new ToxicStage(name, toxic, ctx, this.link.clock, () => this.sinkAfter(stage));
    this.stages.splice(index, 0, stage);
    stage.begin();
  }

  /** Removes a stage, handing on what it held: returns its index and state, or undefined. */
  remove(name: string): { index: number; state: Record<string, number> } | undefined {
    const index = this.stages.findIndex((s) => s.name === name);
    if (index < 0) return undefined;
    const stage = this.stages[index]!;
    const held = stage.interrupt();
    this.stages.splice(index, 1);
    for (const data of held.data) this.deliver(index, data);
    if (held.ended) this.deliverEnd(index);
    return { index, state: stage.ctx.state };
  }

  private sinkAfter(stage: ToxicStage): StageSink {
    return {
      write: (data) => this.deliver(this.stages.indexOf(stage) + 1, data),
      end: () => this.deliverEnd(this.stages.indexOf(stage) + 1),
      close: () => this.link.close(),
      reset: () => this.link.reset(),
      dropped: (bytes) => {
        this.link.counters.droppedBytes += bytes;
      },
    };
  }

  private deliver(index: number, data: Buffer): void {
    const stage = this.stages[index];
    if (stage) {
      stage.input(data);
    } else if (this.link.closed) {
      this.link.counters.droppedBytes += data.length;
    } else if (!this.dst.write(data) && !this.waitingDrain) {
      this.waitingDrain = true;
      this.src.pause();
      this.dst.once('drain', () => {
        this.waitingDrain = false;
        this.checkPressure();
      });
    }
    this.checkPressure();
  }

  private deliverEnd(index: number): void {
    const stage = this.stages[index];
    if (stage) stage.end();
    else if (!this.link.closed) this.dst.end();
  }

  private checkPressure(): void {
    let held = 0;
    for (const s of this.stages) held += s.held;
    if (held > maxHeldBytes) {
      this.pausedForHeld = true;
      this.src.pause();
    } else if (held <= maxHeldBytes / 2) {
      this.pausedForHeld = false;
    }
    if (!this.pausedForHeld && !this.waitingDrain && this.src.isPaused()) this.src.resume();
  }
}

/**
 * One proxied connection: the client socket and the upstream socket, with a Direction each way.
 * Closing or resetting closes both sides, as Toxiproxy's links do.
 */
export class Link {
  readonly directions: Record<Stream, Direction>;
  closed = false;
  private readonly done: Promise<void>;

  constructor(
    readonly client: Socket,
    readonly upstream: Socket,
    readonly clock: Clock,
    readonly counters: LinkCounters,
  ) {
    this.directions = {
      upstream: new Direction('upstream', client, upstream, this),
      downstream: new Direction('downstream', upstream, client, this),
    };
    const closedOnce = (s: Socket) =>
      new Promise<void>((resolve) => (s.destroyed ? resolve() : s.once('close', () => resolve())));
    this.done = Promise.all([closedOnce(client), closedOnce(upstream)]).then(() => undefined);
    const onError = () => this.destroy();
    client.on('error', onError);
    upstream.on('error', onError);
    // When one side is gone for good, the other has nothing left to talk to.
    client.once('close', () => this.afterClose(upstream));
    upstream.once('close', () => this.afterClose(client));
  }

  start(): void {
    this.directions.upstream.start();
    this.directions.downstream.start();
  }

  /** Resolves when both sockets have closed. */
  finished(): Promise<void> {
    return this.done;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const s of [this.client, this.upstream]) {
      s.end();
      // A peer that never reads would keep the socket open; a closed link must not linger.
      this.clock.setTimeout(() => s.destroy(), closeGraceMs);
    }
  }

  reset(): void {
    this.closed = true;
    for (const s of [this.client, this.upstream]) if (!s.destroyed) s.resetAndDestroy();
  }

  destroy(): void {
    this.closed = true;
    this.client.destroy();
    this.upstream.destroy();
  }

  private afterClose(other: Socket): void {
    if (other.destroyed) return;
    if (this.closed) {
      other.destroy();
      return;
    }
    // Bytes held by toxics on the way to `other` still go out (the end travels behind them);
    // the grace period only bounds how long that may take.
    this.clock.setTimeout(() => other.destroy(), closeGraceMs);
  }
}

/** How long a closing socket may take to flush before it is destroyed. */
const closeGraceMs = 2000;
