import type { LedgerCheck } from './ledger-check.ts';
import { isViolation, type Verdict, type ViolationClass, violationClass } from './verdict.ts';

/**
 * Results and reports, pure. Every verifier emits one `VerifyResult` per object it judged; a
 * `ReportBuilder` folds them into the JSON report that names every violation, and `gatePasses`
 * is the chaos gate's question: did anything get lost or corrupted?
 */

export const verifierNames = ['watch', 'index', 'compare', 'trash', 'scrub'] as const;
export type VerifierName = (typeof verifierNames)[number];

/** One object judged by one verifier. */
export interface VerifyResult {
  verifier: VerifierName;
  key: string;
  verdict: Verdict;
  /** ms since the epoch, from the verifier's Clock. */
  at: number;
  /** Bytes read to reach the verdict (0 for HEAD-only checks). */
  bytes: number;
  /** Why, for violations: "sha256 mismatch", "absent on b", "timeout after 3 attempts". */
  detail?: string | undefined;
  /** For the cross-replica verifier: the side the verdict is about. */
  side?: 'a' | 'b' | undefined;
  /** For the watcher: the age of the read-back in ms. */
  ageMs?: number | undefined;
}

export interface Violation {
  key: string;
  verdict: Verdict;
  class: ViolationClass;
  at: string;
  detail?: string | undefined;
  side?: 'a' | 'b' | undefined;
  ageMs?: number | undefined;
}

export interface VerifyReport {
  apiVersion: 'vigil/v1';
  kind: 'VerifyReport';
  verifier: VerifierName;
  startedAt: string;
  finishedAt: string;
  objects: number;
  bytes: number;
  objectsPerSecond: number;
  bytesPerSecond: number;
  counts: Partial<Record<Verdict, number>>;
  violations: Violation[];
  /** Violations beyond `maxViolations`: counted, not listed. */
  violationsOmitted: number;
  /** The classes that fail the gate, and whether this report passes it. */
  failOn: ViolationClass[];
  passed: boolean;
}

/** The gate fails on loss and corruption by default: an unreadable disk is an alert, not data loss. */
export const defaultFailOn: readonly ViolationClass[] = ['loss', 'corruption'];

/** A report lists this many violations and counts the rest, so a wiped bucket cannot exhaust memory. */
export const defaultMaxViolations = 100_000;

/**
 * Folds results into a report.
 *
 * @example
 * const b = new ReportBuilder('scrub', clock.now());
 * b.add({ verifier: 'scrub', key: 'k', verdict: 'corrupt', at: clock.now(), bytes: 10 });
 * b.finish(clock.now()).passed; // false
 */
export class ReportBuilder {
  private objects = 0;
  private bytes = 0;
  private readonly counts: Partial<Record<Verdict, number>> = {};
  private readonly violations: Violation[] = [];
  private omitted = 0;

  constructor(
    readonly verifier: VerifierName,
    private readonly startedAt: number,
    private readonly options: { failOn?: readonly ViolationClass[]; maxViolations?: number } = {},
  ) {}

  add(result: VerifyResult): void {
    this.objects++;
    this.bytes += result.bytes;
    this.counts[result.verdict] = (this.counts[result.verdict] ?? 0) + 1;
    const cls = violationClass(result.verdict);
    if (!cls) return;
    if (this.violations.length >= (this.options.maxViolations ?? defaultMaxViolations)) {
      this.omitted++;
      return;
    }
    this.violations.push({
      key: result.key,
      verdict: result.verdict,
      class: cls,
      at: new Date(result.at).toISOString(),
      ...(result.detail !== undefined ? { detail: result.detail } : {}),
      ...(result.side !== undefined ? { side: result.side } : {}),
      ...(result.ageMs !== undefined ? { ageMs: result.ageMs } : {}),
    });
  }

  /** Violations so far (a live view for watchers that never finish). */
  violationCount(): number {
    return this.violations.length + this.omitted;
  }

  finish(finishedAt: number): VerifyReport {
    const failOn = [...(this.options.failOn ?? defaultFailOn)];
    const seconds = Math.max(0.001, (finishedAt - this.startedAt) / 1000);
    const failing = Object.entries(this.counts).some(
      ([verdict, n]) => n > 0 && failOn.includes(violationClass(verdict as Verdict) as ViolationClass),
    );
    return {
      apiVersion: 'vigil/v1',
      kind: 'VerifyReport',
      verifier: this.verifier,
      startedAt: new Date(this.startedAt).toISOString(),
      finishedAt: new Date(finishedAt).toISOString(),
      objects: this.objects,
      bytes: this.bytes,
      objectsPerSecond: this.objects / seconds,
      bytesPerSecond: this.bytes / seconds,
      counts: { ...this.counts },
      violations: [...this.violations],
      violationsOmitted: this.omitted,
      failOn,
      passed: !failing,
    };
  }
}

/** The chaos gate's question for a blob report: nothing in a failing class. */
export function gatePasses(report: Pick<VerifyReport, 'passed'>): boolean {
  return report.passed;
}

/** True when `result` must be named in a report. */
export function isReportable(result: VerifyResult): boolean {
  return isViolation(result.verdict);
}

export type LedgerAnomaly = 'lost' | 'duplicated' | 'unexpected' | 'reordered';

export interface LedgerReport {
  apiVersion: 'vigil/v1';
  kind: 'LedgerReport';
  target: string;
  startedAt: string;
  finishedAt: string;
  streams: LedgerCheck['streams'];
  totals: Record<LedgerAnomaly, number> & { acked: number; unconfirmed: number; deliveries: number };
  failOn: LedgerAnomaly[];
  passed: boolean;
}

/** Lost and invented messages fail the gate; duplicates and reordering are what at-least-once allows. */
export const defaultLedgerFailOn: readonly LedgerAnomaly[] = ['lost', 'unexpected'];

/**
 * Turns a ledger check into its JSON report.
 *
 * @example
 * ledgerReport('nats', checkLedger(events), start, end).passed;
 */
export function ledgerReport(
  target: string,
  check: LedgerCheck,
  startedAt: number,
  finishedAt: number,
  failOn: readonly LedgerAnomaly[] = defaultLedgerFailOn,
): LedgerReport {
  const totals = {
    lost: 0,
    duplicated: 0,
    unexpected: 0,
    reordered: 0,
    acked: 0,
    unconfirmed: 0,
    deliveries: 0,
  };
  for (const s of check.streams) {
    totals.lost += s.lost.length;
    totals.duplicated += s.duplicated.length;
    totals.unexpected += s.unexpected.length;
    totals.reordered += s.reordered.length;
    totals.acked += s.acked;
    totals.unconfirmed += s.unconfirmed;
    totals.deliveries += s.deliveries;
  }
  return {
    apiVersion: 'vigil/v1',
    kind: 'LedgerReport',
    target,
    startedAt: new Date(startedAt).toISOString(),
    finishedAt: new Date(finishedAt).toISOString(),
    streams: check.streams,
    totals,
    failOn: [...failOn],
    passed: failOn.every((a) => totals[a] === 0),
  };
}
