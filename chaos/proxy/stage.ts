import type { Clock, TimerHandle } from '../../core/index.ts';
import { hasEnd, hasStart, type Toxic, type ToxicAction, type ToxicContext } from './toxic.ts';

/** Where a stage hands its output: the next stage, or the peer socket. */
export interface StageSink {
  write(data: Buffer): void;
  end(): void;
  /** Close the whole connection gracefully. */
  close(): void;
  /** Reset the whole connection (TCP RST). */
  reset(): void;
  /** Bytes a toxic discarded on purpose. */
  dropped(bytes: number): void;
}

/** What an interrupted stage still held: handed on, in order, so no byte is lost. */
export interface HeldOutput {
  data: Buffer[];
  ended: boolean;
}

type Timed = Exclude<ToxicAction, { kind: 'drop' } | { kind: 'deadline' }>;

/**
 * The shell around one toxic on one direction of one connection: it feeds chunks to the pure
 * toxic, keeps the actions it returns in order, and carries each out when the clock reaches
 * it. `interrupt` (the toxic was removed or updated) cancels timers and returns whatever was
 * held, so the caller passes it on: Toxiproxy's "don't drop any data on the floor".
 */
export class ToxicStage {
  private queue: Timed[] = [];
  private timer: TimerHandle | undefined;
  private deadline: TimerHandle | undefined;
  private heldBytes = 0;
  private stopped = false;

  constructor(
    readonly name: string,
    private toxic: Toxic,
    readonly ctx: ToxicContext,
    private readonly clock: Clock,
    /** Looked up on every use, because the stages after this one may change. */
    private readonly sink: () => StageSink,
  ) {}

  /** Bytes waiting in this stage: the link pauses its reader when stages hold too much. */
  get held(): number {
    return this.heldBytes;
  }

  begin(): void {
    if (hasStart(this.toxic)) this.enqueue(this.toxic.start(this.clock.now(), this.ctx));
  }

  input(chunk: Buffer): void {
    this.enqueue(this.toxic.pipe(chunk, this.clock.now(), this.ctx));
  }

  end(): void {
    const now = this.clock.now();
    this.enqueue(hasEnd(this.toxic) ? this.toxic.end(now, this.ctx) : [{ kind: 'end', at: now }]);
  }

  /** Stops the stage and returns what it held, in order. Pending closes and resets are dropped: the fault is gone. */
  interrupt(): HeldOutput {
    this.stopped = true;
    this.timer?.cancel();
    this.deadline?.cancel();
    this.timer = undefined;
    this.deadline = undefined;
    const held: HeldOutput = { data: [], ended: false };
    for (const action of this.queue) {
      if (action.kind === 'write') held.data.push(action.data);
      else if (action.kind === 'end') held.ended = true;
    }
    this.queue = [];
    this.heldBytes = 0;
    return held;
  }

  private enqueue(actions: ToxicAction[]): void {
    if (this.stopped) return;
    for (const action of actions) {
      if (action.kind === 'drop') {
        this.sink().dropped(action.bytes);
      } else if (action.kind === 'deadline') {
        this.deadline?.cancel();
        this.deadline = this.clock.setTimeout(() => {
          this.deadline = undefined;
          if (!this.stopped) this.sink().close();
        }, action.at - this.clock.now());
      } else {
        if (action.kind === 'write') this.heldBytes += action.data.length;
        this.queue.push(action);
      }
    }
    this.pump();
  }

  private pump(): void {
    while (!this.stopped && this.queue.length > 0 && this.timer === undefined) {
      const head = this.queue[0]!;
      const wait = head.at - this.clock.now();
      if (wait > 0) {
        this.timer = this.clock.setTimeout(() => {
          this.timer = undefined;
          this.pump();
        }, wait);
        return;
      }
      this.queue.shift();
      this.run(head);
    }
  }

  private run(action: Timed): void {
    const sink = this.sink();
    switch (action.kind) {
      case 'write':
        this.heldBytes -= action.data.length;
        sink.write(action.data);
        break;
      case 'end':
        sink.end();
        break;
      case 'close':
        this.stopped = true;
        this.queue = [];
        sink.close();
        break;
      case 'reset':
        this.stopped = true;
        this.queue = [];
        sink.reset();
        break;
    }
  }
}
