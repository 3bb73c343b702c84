import { Counter, Gauge, Registry } from 'prom-client';
import { type LedgerReport, type VerifyReport, type VerifyResult, verifierNames } from './report.ts';
import { type ViolationClass, violationClass } from './verdict.ts';

/** Every violation class, for starting each counter at 0. */
const violationClasses: readonly ViolationClass[] = [
  'loss',
  'corruption',
  'availability',
  'resurrection',
  'divergence',
];

/**
 * The verifiers' Prometheus metrics. They wrap the verifiers from outside (a result callback and
 * report hooks), so the verifiers themselves know nothing of Prometheus. The durability rule
 * pack alerts on them, e.g. `increase(vigil_verify_violations_total{class=~"loss|corruption"}[5m]) > 0`.
 */
export class VerifyMetrics {
  readonly registry: Registry;
  private readonly verified: Counter<'verifier' | 'verdict'>;
  private readonly violations: Counter<'verifier' | 'class'>;
  private readonly bytes: Counter<'verifier'>;
  private readonly dropped: Counter<'verifier'>;
  private readonly pending: Gauge<'verifier'>;
  private readonly oldestPending: Gauge<'verifier'>;
  private readonly objectsPerSecond: Gauge<'verifier'>;
  private readonly bytesPerSecond: Gauge<'verifier'>;
  private readonly lastRun: Gauge<'verifier'>;
  private readonly lastPassed: Gauge<'verifier'>;
  private readonly ledger: Gauge<'target' | 'stream' | 'anomaly'>;
  private droppedSeen = 0;

  constructor(registry = new Registry()) {
    this.registry = registry;
    const r = [registry];
    this.verified = new Counter({
      name: 'vigil_verify_total',
      help: 'Objects judged by a durability verifier, by verdict.',
      labelNames: ['verifier', 'verdict'],
      registers: r,
    });
    this.violations = new Counter({
      name: 'vigil_verify_violations_total',
      help: 'Violations found (class: loss, corruption, availability, resurrection, divergence).',
      labelNames: ['verifier', 'class'],
      registers: r,
    });
    // Every (verifier, class) series exists at 0 from the start: Prometheus' increase() cannot
    // see the first violation of a series born at 1, and the durability rules page on increase().
    for (const verifier of verifierNames)
      for (const cls of violationClasses) this.violations.inc({ verifier, class: cls }, 0);
    this.bytes = new Counter({
      name: 'vigil_verify_bytes_total',
      help: 'Bytes read and hashed by a verifier; rate() of it is the verification throughput.',
      labelNames: ['verifier'],
      registers: r,
    });
    this.dropped = new Counter({
      name: 'vigil_verify_dropped_total',
      help: 'Writes the watcher did not schedule because its pending queue was full.',
      labelNames: ['verifier'],
      registers: r,
    });
    this.pending = new Gauge({
      name: 'vigil_verify_pending',
      help: 'Read-backs scheduled and not yet done.',
      labelNames: ['verifier'],
      registers: r,
    });
    this.oldestPending = new Gauge({
      name: 'vigil_verify_oldest_pending_age_seconds',
      help: 'How long the most overdue pending verification has waited past its due time.',
      labelNames: ['verifier'],
      registers: r,
    });
    this.objectsPerSecond = new Gauge({
      name: 'vigil_verify_objects_per_second',
      help: 'Objects verified per second over the last finished run or pass.',
      labelNames: ['verifier'],
      registers: r,
    });
    this.bytesPerSecond = new Gauge({
      name: 'vigil_verify_bytes_per_second',
      help: 'Bytes verified per second over the last finished run or pass.',
      labelNames: ['verifier'],
      registers: r,
    });
    this.lastRun = new Gauge({
      name: 'vigil_verify_last_run_timestamp_seconds',
      help: 'When the last run or pass of a verifier finished.',
      labelNames: ['verifier'],
      registers: r,
    });
    this.lastPassed = new Gauge({
      name: 'vigil_verify_last_run_passed',
      help: '1 when the last run passed its gate (no loss or corruption), else 0.',
      labelNames: ['verifier'],
      registers: r,
    });
    this.ledger = new Gauge({
      name: 'vigil_verify_ledger_messages',
      help: 'Queue ledger: messages per stream by anomaly (lost, duplicated, unexpected, reordered) and acked.',
      labelNames: ['target', 'stream', 'anomaly'],
      registers: r,
    });
  }

  /** The result callback to hand to a verifier. */
  readonly record = (result: VerifyResult): void => {
    this.verified.inc({ verifier: result.verifier, verdict: result.verdict });
    if (result.bytes > 0) this.bytes.inc({ verifier: result.verifier }, result.bytes);
    const cls = violationClass(result.verdict);
    if (cls) this.violations.inc({ verifier: result.verifier, class: cls });
  };

  /** Current state of a watcher's schedule. */
  watcherState(state: { pending: number; overdueMs: number; dropped: number }): void {
    this.pending.set({ verifier: 'watch' }, state.pending);
    this.oldestPending.set({ verifier: 'watch' }, state.overdueMs / 1000);
    // The watcher counts drops itself; the counter follows it by the difference.
    if (state.dropped > this.droppedSeen)
      this.dropped.inc({ verifier: 'watch' }, state.dropped - this.droppedSeen);
    this.droppedSeen = Math.max(this.droppedSeen, state.dropped);
  }

  finished(report: VerifyReport): void {
    const labels = { verifier: report.verifier };
    this.objectsPerSecond.set(labels, report.objectsPerSecond);
    this.bytesPerSecond.set(labels, report.bytesPerSecond);
    this.lastRun.set(labels, Date.parse(report.finishedAt) / 1000);
    this.lastPassed.set(labels, report.passed ? 1 : 0);
  }

  ledgerFinished(report: LedgerReport): void {
    for (const s of report.streams) {
      const labels = { target: report.target, stream: s.stream };
      this.ledger.set({ ...labels, anomaly: 'acked' }, s.acked);
      this.ledger.set({ ...labels, anomaly: 'lost' }, s.lost.length);
      this.ledger.set({ ...labels, anomaly: 'duplicated' }, s.duplicated.length);
      this.ledger.set({ ...labels, anomaly: 'unexpected' }, s.unexpected.length);
      this.ledger.set({ ...labels, anomaly: 'reordered' }, s.reordered.length);
    }
    this.lastRun.set({ verifier: 'ledger' }, Date.parse(report.finishedAt) / 1000);
    this.lastPassed.set({ verifier: 'ledger' }, report.passed ? 1 : 0);
  }
}
