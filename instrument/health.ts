import { type Clock, VigilError } from '../core/index.ts';

/** A check's verdict, a closed set. */
export type CheckStatus = 'ok' | 'fail';

export interface HealthCheckOptions {
  /** A failing critical check makes /readyz answer 503; a non-critical one is only reported. Default true. */
  critical?: boolean;
  /** Time the check may take before it counts as failed (ms). */
  timeoutMs?: number;
}

export interface CheckResult {
  status: CheckStatus;
  critical: boolean;
  durationMs: number;
  /** Why it failed: the error's message (keep secrets out of check errors), or the timeout. */
  error?: string;
}

export interface ReadinessReport {
  status: CheckStatus;
  /** Set while the service shuts down: it wants no new traffic whatever its checks say. */
  draining?: true;
  checks: Record<string, CheckResult>;
}

type CheckFn = () => Promise<void> | void;

interface Registered {
  name: string;
  fn: CheckFn;
  critical: boolean;
  timeoutMs: number;
}

/** Error messages in readiness bodies are cut here: a check failing with a huge dump must not make a huge probe answer. */
const maxErrorLength = 300;

/**
 * Readiness checks. Each check runs with its own timeout, all run concurrently, and calls to
 * `evaluate` that overlap share one run, so a burst of probes cannot pile up connections to
 * a database.
 *
 * @example
 * const health = new Health(systemClock, 2000);
 * health.addCheck('postgres', () => pool.query('select 1').then(() => {}));
 * const report = await health.evaluate(); // { status: 'ok', checks: { postgres: { status: 'ok', ... } } }
 */
export class Health {
  private readonly checks: Registered[] = [];
  private running: Promise<ReadinessReport> | undefined;
  private draining = false;

  constructor(
    private readonly clock: Clock,
    private readonly defaultTimeoutMs: number,
  ) {}

  /**
   * Registers a readiness check. Names are unique and short (letters, digits, `._-`), since
   * they become keys of the /readyz body.
   */
  addCheck(name: string, check: CheckFn, options: HealthCheckOptions = {}): void {
    if (typeof name !== 'string' || !/^[\w.-]{1,64}$/.test(name)) {
      throw new VigilError(
        'usage',
        `health.addCheck: name: expected 1-64 characters of letters, digits, ".", "_" or "-"`,
      );
    }
    if (typeof check !== 'function') {
      throw new VigilError('usage', `health.addCheck("${name}"): check: expected a function`);
    }
    const timeoutMs = options.timeoutMs ?? this.defaultTimeoutMs;
    if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
      throw new VigilError(
        'usage',
        `health.addCheck("${name}"): timeoutMs: expected a positive number of milliseconds`,
      );
    }
    if (this.checks.some((c) => c.name === name)) {
      throw new VigilError('conflict', `health.addCheck: a check named "${name}" exists already`);
    }
    this.checks.push({ name, fn: check, critical: options.critical ?? true, timeoutMs });
  }

  /** From now on readiness fails: a shutting-down service wants load balancers to move on. */
  setDraining(): void {
    this.draining = true;
  }

  /** Runs every check once (or joins the run in progress). Never rejects. */
  evaluate(): Promise<ReadinessReport> {
    this.running ??= this.runAll().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async runAll(): Promise<ReadinessReport> {
    const results = await Promise.all(this.checks.map((c) => this.runOne(c)));
    const checks: Record<string, CheckResult> = {};
    let status: CheckStatus = this.draining ? 'fail' : 'ok';
    this.checks.forEach((c, i) => {
      const result = results[i]!;
      checks[c.name] = result;
      if (result.status === 'fail' && c.critical) status = 'fail';
    });
    return this.draining ? { status, draining: true, checks } : { status, checks };
  }

  private runOne(check: Registered): Promise<CheckResult> {
    const started = this.clock.now();
    return new Promise<CheckResult>((resolve) => {
      let settled = false;
      const finish = (error: string | undefined) => {
        if (settled) return;
        settled = true;
        timer.cancel();
        const durationMs = Math.max(0, this.clock.now() - started);
        resolve(
          error === undefined
            ? { status: 'ok', critical: check.critical, durationMs }
            : { status: 'fail', critical: check.critical, durationMs, error: error.slice(0, maxErrorLength) },
        );
      };
      const timer = this.clock.setTimeout(
        () => finish(`timed out after ${check.timeoutMs} ms`),
        check.timeoutMs,
      );
      try {
        Promise.resolve(check.fn()).then(
          () => finish(undefined),
          (err: unknown) => finish(messageOf(err)),
        );
      } catch (err) {
        finish(messageOf(err));
      }
    });
  }
}

function messageOf(err: unknown): string {
  if (err instanceof Error) return err.message || err.name;
  return String(err);
}
