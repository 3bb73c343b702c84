import type { Clock, TimerHandle } from '../../core/index.ts';
import type { Check, CheckResult } from './check.ts';

/**
 * Runs checks on an interval and keeps the last verdict of each: probes read verdicts and
 * never trigger checks themselves (a probe storm cannot hammer a database, and the
 * queue-consumer rule needs evenly spaced readings).
 */

export interface CheckStatus extends CheckResult {
  name: string;
  /** A failing non-critical check is shown but does not make /readyz fail. */
  critical: boolean;
  checkedAt: number | undefined;
  durationMs: number;
}

export interface MonitoredCheck {
  check: Check;
  critical?: boolean;
  timeoutMs?: number;
}

export class HealthMonitor {
  private readonly statuses = new Map<string, CheckStatus>();
  private timer: TimerHandle | undefined;
  private stopped = false;
  private round: Promise<void> | undefined;

  constructor(
    private readonly checks: MonitoredCheck[],
    private readonly clock: Clock,
    private readonly intervalMs = 10_000,
  ) {
    for (const c of checks) {
      this.statuses.set(c.check.name, {
        name: c.check.name,
        critical: c.critical ?? true,
        ok: false,
        detail: 'not checked yet',
        checkedAt: undefined,
        durationMs: 0,
      });
    }
  }

  /** Runs every check once now. */
  runOnce(): Promise<void> {
    this.round ??= Promise.all(this.checks.map((c) => this.runCheck(c))).then(() => {
      this.round = undefined;
    });
    return this.round;
  }

  start(): void {
    const tick = async () => {
      if (this.stopped) return;
      await this.runOnce();
      if (!this.stopped) this.timer = this.clock.setTimeout(() => void tick(), this.intervalMs);
    };
    void tick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.timer?.cancel();
    await this.round;
  }

  list(): CheckStatus[] {
    return [...this.statuses.values()];
  }

  /** Ready when every critical check passed its last run. */
  ready(): boolean {
    for (const s of this.statuses.values()) if (s.critical && !s.ok) return false;
    return true;
  }

  private async runCheck(c: MonitoredCheck): Promise<void> {
    const controller = new AbortController();
    const timeoutMs = c.timeoutMs ?? 5000;
    const t = this.clock.setTimeout(() => controller.abort(), timeoutMs);
    const started = this.clock.now();
    let result: CheckResult;
    try {
      result = await Promise.race([
        c.check.run(controller.signal),
        new Promise<CheckResult>((resolve) =>
          controller.signal.addEventListener(
            'abort',
            () => resolve({ ok: false, detail: `timed out after ${timeoutMs} ms` }),
            { once: true },
          ),
        ),
      ]);
    } catch (err) {
      result = { ok: false, detail: (err as Error).message };
    } finally {
      t.cancel();
    }
    const status = this.statuses.get(c.check.name)!;
    Object.assign(status, result, { checkedAt: this.clock.now(), durationMs: this.clock.now() - started });
  }
}
