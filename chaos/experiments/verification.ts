import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Clock, toVigilError } from '../../core/index.ts';
import type { Queue } from '../targets/index.ts';
import {
  compareReplicas,
  fileRecords,
  inspectTrash,
  LedgerRecorder,
  type LedgerReport,
  ledgerReport,
  manifestEntries,
  openQueue,
  parseTombstone,
  parseWriteEvent,
  ReportBuilder,
  Scrubber,
  sleepUnlessAborted,
  type VerifiableStore,
  type VerifierName,
  type VerifyMetrics,
  type VerifyReport,
  type VerifyResult,
  verifyIndex,
  Watcher,
} from '../verify/index.ts';
import type { Experiment, VerifyPhase, VerifyStep } from './model.ts';
import { openVerifiable } from './resolve.ts';

/**
 * Durability verifiers inside an experiment: the watcher's synthetic writes and the ledger's
 * publishes run during the method, and every verification step runs at its phase. The pure
 * part (`verificationFailures`) turns outcomes into the gate's reasons: "data lost", "data
 * corrupted", "messages lost".
 */

/** One violated key or message, named in every report. */
export interface VerificationFinding {
  /** The object key, or `stream/id` for a message. */
  key: string;
  /** Blob verdict (missing, corrupt, ...) or ledger anomaly (lost, unexpected, ...). */
  verdict: string;
  /** Violation class (loss, corruption, ...) or the anomaly again for messages. */
  class: string;
  /** Whether this class fails the gate for its step. */
  failing: boolean;
  detail?: string | undefined;
}

export interface VerificationOutcome {
  step: string;
  verifier: VerifierName | 'ledger';
  phase: VerifyPhase;
  passed: boolean;
  /** Runs of the step: a recovery step runs again until it passes or the window ends. */
  attempts: number;
  summary: string;
  findings: VerificationFinding[];
  /** Violations counted by the verifier but not listed (beyond its report limit). */
  omitted: number;
  /** The verifier's own report, as `vigil verify` writes it. */
  report?: VerifyReport | LedgerReport | undefined;
  /** The step could not run (store unreachable): the run is an error, not a verdict. */
  error?: string | undefined;
}

/** A broker restarted by the experiment takes a moment to listen again. */
const reopenDelayMs = 500;
/** How long a ledger step waits for its queue to open as the method starts. */
const openWithinMs = 15_000;

/** Findings named in one reason line before "...". */
const namedInReason = 5;

/**
 * The gate's reasons from verification outcomes, pure: one reason per failing kind, each naming
 * the first keys or messages. Empty when every step passed.
 *
 * @example
 * verificationFailures([{ step: 'scrub', findings: [{ key: 'a', verdict: 'corrupt', class: 'corruption', failing: true }], ... }]);
 * // ['data corrupted: 1 object (scrub: a: corrupt)']
 */
export function verificationFailures(outcomes: readonly VerificationOutcome[]): string[] {
  const groups = new Map<string, string[]>();
  for (const o of outcomes) {
    for (const f of o.findings) {
      if (!f.failing) continue;
      const label = reasonLabel(o.verifier, f.class);
      const list = groups.get(label) ?? [];
      list.push(`${o.step}: ${f.key}: ${f.verdict}${f.detail ? ` (${f.detail})` : ''}`);
      groups.set(label, list);
    }
    if (!o.passed && o.omitted > 0) {
      const label = o.verifier === 'ledger' ? 'messages lost' : 'data lost';
      if (!groups.has(label)) groups.set(label, []);
    }
  }
  const out: string[] = [];
  for (const [label, items] of groups) {
    const unit = label.startsWith('messages') || label.startsWith('unexpected') ? 'message' : 'object';
    const more = items.length > namedInReason ? ', ...' : '';
    out.push(
      `${label}: ${items.length} ${unit}${items.length === 1 ? '' : 's'} (${items.slice(0, namedInReason).join('; ')}${more})`,
    );
  }
  return out;
}

function reasonLabel(verifier: VerificationOutcome['verifier'], cls: string): string {
  if (verifier === 'ledger') {
    if (cls === 'lost') return 'messages lost';
    if (cls === 'unexpected') return 'unexpected messages';
    return `messages ${cls}`;
  }
  if (cls === 'loss') return 'data lost';
  if (cls === 'corruption') return 'data corrupted';
  return `data ${cls}`;
}

/** The name a step has in reports: its own, or `<verifier>#<index>`. */
export function verifyStepName(step: VerifyStep, index: number): string {
  return step.name ?? `${verifierOf(step)}#${index}`;
}

export function verifierOf(step: VerifyStep): VerificationOutcome['verifier'] {
  if ('scrub' in step) return 'scrub';
  if ('index' in step) return 'index';
  if ('compare' in step) return 'compare';
  if ('trash' in step) return 'trash';
  if ('watch' in step) return 'watch';
  return 'ledger';
}

/** Blob verifiers that can be run again on the same data; the watcher and the ledger consume theirs. */
function repeatable(step: VerifyStep): boolean {
  return !('watch' in step) && !('ledger' in step);
}

function blobFindings(report: VerifyReport, failOn: readonly string[]): VerificationFinding[] {
  return report.violations.map((v) => ({
    key: v.side ? `${v.key} (side ${v.side})` : v.key,
    verdict: v.verdict,
    class: v.class,
    failing: failOn.includes(v.class),
    ...(v.detail !== undefined ? { detail: v.detail } : {}),
  }));
}

function ledgerFindings(report: LedgerReport): VerificationFinding[] {
  const out: VerificationFinding[] = [];
  const failing = (a: string) => (report.failOn as string[]).includes(a);
  for (const s of report.streams) {
    for (const id of s.lost)
      out.push({ key: `${s.stream}/${id}`, verdict: 'lost', class: 'lost', failing: failing('lost') });
    for (const id of s.unexpected)
      out.push({
        key: `${s.stream}/${id}`,
        verdict: 'unexpected',
        class: 'unexpected',
        failing: failing('unexpected'),
      });
    for (const d of s.duplicated)
      out.push({
        key: `${s.stream}/${d.id}`,
        verdict: 'duplicated',
        class: 'duplicated',
        failing: failing('duplicated'),
        detail: `${d.deliveries} deliveries`,
      });
    for (const id of s.reordered)
      out.push({
        key: `${s.stream}/${id}`,
        verdict: 'reordered',
        class: 'reordered',
        failing: failing('reordered'),
      });
  }
  return out;
}

function blobSummary(report: VerifyReport): string {
  const counts = Object.entries(report.counts)
    .map(([v, n]) => `${v} ${n}`)
    .join(', ');
  return `${report.objects} objects (${counts || 'none'})`;
}

export interface VerificationOptions {
  exp: Experiment;
  clock: Clock;
  signal?: AbortSignal | undefined;
  metrics?: VerifyMetrics | undefined;
  /** Log lines for the timeline (a write or publish that failed, a step reopened). */
  note: (message: string) => void;
}

interface WatchState {
  store: VerifiableStore & { dispose(): Promise<void> };
  watcher: Watcher;
  journalDir: string;
  writes: number;
  failedWrites: number;
  /** Where the watcher's results go: the report of the pass in progress. */
  sink: (result: VerifyResult) => void;
}

interface LedgerState {
  queue: Queue;
  recorder: LedgerRecorder;
}

/**
 * The shell: opens what the steps need, runs the background work of the method (synthetic
 * writes, publishes), runs steps at their phase, and closes everything, whatever happened.
 */
export class VerificationSession {
  private readonly watches = new Map<number, WatchState>();
  private readonly ledgers = new Map<number, LedgerState>();
  private readonly background: Promise<void>[] = [];
  private readonly stopBackground = new AbortController();
  private readonly startedAt: number;

  constructor(private readonly o: VerificationOptions) {
    this.startedAt = o.clock.now();
  }

  get steps(): VerifyStep[] {
    return this.o.exp.verify;
  }

  /** Starts the watcher's synthetic writes and the ledger's publishes: called as the method starts. */
  async startMethod(): Promise<void> {
    const { exp, clock } = this.o;
    const stop = this.stopBackground.signal;
    for (const [i, step] of exp.verify.entries()) {
      if ('watch' in step) {
        const w = step.watch;
        const state = await this.openWatch(i, step);
        if (w.every !== undefined) {
          const every = w.every;
          this.background.push(
            (async () => {
              while (!stop.aborted) {
                try {
                  await state.watcher.writeSynthetic(w.size);
                  state.writes++;
                } catch (err) {
                  // A write the store refused was never acknowledged: nothing to verify, but the
                  // timeline says so (an unavailable store is what many faults are about).
                  state.failedWrites++;
                  if (state.failedWrites <= 3)
                    this.o.note(`${verifyStepName(step, i)}: write failed: ${toVigilError(err).message}`);
                }
                await sleepUnlessAborted(clock, every, stop);
              }
            })(),
          );
        }
      }
      if ('ledger' in step) {
        const l = step.ledger;
        const target = exp.targets.queues[l.queue]!;
        // A broker the experiment has just started may not listen yet.
        const queue = await this.reopen(target, clock.now() + openWithinMs);
        const recorder = new LedgerRecorder({
          queue,
          stream: target.type === 'rabbitmq' ? target.queue : target.stream,
          clock,
          publishTimeoutMs: l.publishTimeout,
          messageBytes: l.messageBytes,
        });
        this.ledgers.set(i, { queue, recorder });
        this.background.push(
          (async () => {
            while (!stop.aborted && recorder.published < l.messages) {
              await recorder.publish();
              await sleepUnlessAborted(clock, l.every, stop);
            }
          })(),
        );
      }
    }
  }

  /** Ends the background writes and publishes: called as the method ends, before faults are checked. */
  async stopMethod(): Promise<void> {
    this.stopBackground.abort();
    await Promise.allSettled(this.background.splice(0));
  }

  private async openWatch(i: number, step: Extract<VerifyStep, { watch: unknown }>): Promise<WatchState> {
    const existing = this.watches.get(i);
    if (existing) return existing;
    const store = await openVerifiable(this.o.exp.targets.blobs[step.watch.blobs]!);
    const journalDir = mkdtempSync(join(tmpdir(), 'vigil-exp-watch-'));
    const watcher = Watcher.open({
      store,
      clock: this.o.clock,
      journalDir,
      // One read-back, due at once: the pass at the step's phase reads back every write of the run.
      agesMs: [0],
      sampleRate: 1,
      syntheticPrefix: step.watch.prefix,
      retry: { attempts: step.retry.attempts, delayMs: step.retry.delay },
      concurrency: step.concurrency,
      onResult: (r) => state.sink(r),
    });
    const state: WatchState = {
      store,
      watcher,
      journalDir,
      writes: 0,
      failedWrites: 0,
      sink: () => undefined,
    };
    this.watches.set(i, state);
    return state;
  }

  /**
   * Runs the steps of `phase`. A `recovery` step of a repeatable verifier runs again every
   * `interval` until it passes or `deadline` (the end of the recovery window) passes.
   */
  async run(phase: VerifyPhase, deadline: number, interval: number): Promise<VerificationOutcome[]> {
    const out: VerificationOutcome[] = [];
    for (const [i, step] of this.o.exp.verify.entries()) {
      if (step.phase !== phase || this.o.signal?.aborted) continue;
      let attempts = 0;
      let outcome: VerificationOutcome;
      for (;;) {
        attempts++;
        outcome = await this.runStep(i, step);
        if (outcome.passed || outcome.error || phase !== 'recovery' || !repeatable(step)) break;
        if (this.o.clock.now() + interval > deadline || this.o.signal?.aborted) break;
        this.o.note(`${outcome.step}: ${outcome.summary}: not clean yet, again in ${interval} ms`);
        await sleepUnlessAborted(this.o.clock, interval, this.o.signal ?? new AbortController().signal);
      }
      outcome.attempts = attempts;
      out.push(outcome);
    }
    return out;
  }

  private async runStep(i: number, step: VerifyStep): Promise<VerificationOutcome> {
    const name = verifyStepName(step, i);
    const verifier = verifierOf(step);
    const base = { step: name, verifier, phase: step.phase, attempts: 1 };
    try {
      if ('ledger' in step) {
        const report = await this.runLedger(i, step);
        const findings = ledgerFindings(report);
        const t = report.totals;
        return {
          ...base,
          passed: report.passed,
          summary: `${t.acked} acked, ${t.unconfirmed} unconfirmed, ${t.deliveries} deliveries; lost ${t.lost}, duplicated ${t.duplicated}, unexpected ${t.unexpected}, reordered ${t.reordered}`,
          findings,
          omitted: 0,
          report,
        };
      }
      const report = await this.runBlob(i, step, verifier as VerifierName);
      return {
        ...base,
        passed: report.passed,
        summary: blobSummary(report),
        findings: blobFindings(report, step.failOn),
        omitted: report.violationsOmitted,
        report,
      };
    } catch (err) {
      const message = toVigilError(err).message;
      return {
        ...base,
        passed: false,
        summary: `could not run: ${message}`,
        findings: [],
        omitted: 0,
        error: message,
      };
    }
  }

  private async runBlob(i: number, step: VerifyStep, verifier: VerifierName): Promise<VerifyReport> {
    const { clock, exp, signal, metrics } = this.o;
    const report = new ReportBuilder(verifier, clock.now(), { failOn: step.failOn });
    const onResult = (r: VerifyResult) => {
      report.add(r);
      metrics?.record(r);
    };
    const retry = { attempts: step.retry.attempts, delayMs: step.retry.delay };
    const common = { clock, onResult, retry, concurrency: step.concurrency, signal };
    const opened: Array<{ dispose(): Promise<void> }> = [];
    const open = async (blobs: string) => {
      const s = await openVerifiable(exp.targets.blobs[blobs]!);
      opened.push(s);
      return s;
    };
    try {
      if ('scrub' in step) {
        const scrubber = new Scrubber({
          ...common,
          store: await open(step.scrub.blobs),
          prefix: step.scrub.prefix,
        });
        await scrubber.pass(signal);
      } else if ('index' in step) {
        await verifyIndex({
          ...common,
          entries: manifestEntries(step.index.manifest),
          store: await open(step.index.blobs),
        });
      } else if ('compare' in step) {
        await compareReplicas({
          ...common,
          a: await open(step.compare.a),
          b: await open(step.compare.b),
          deep: step.compare.deep,
          prefix: step.compare.prefix,
        });
      } else if ('trash' in step) {
        await inspectTrash({
          ...common,
          tombstones: fileRecords(step.trash.tombstones, parseTombstone),
          store: await open(step.trash.blobs),
          graceMs: step.trash.grace,
        });
      } else if ('watch' in step) {
        const state = await this.openWatch(i, step);
        state.sink = onResult;
        if (step.watch.feed) {
          const events = [];
          for await (const e of fileRecords(step.watch.feed, parseWriteEvent))
            if (e.writtenAt >= this.startedAt) events.push(e);
          await state.watcher.learnAll(events);
        }
        await state.watcher.runDue();
      }
    } finally {
      for (const s of opened) await s.dispose().catch(() => undefined);
    }
    const done = report.finish(clock.now());
    metrics?.finished(done);
    return done;
  }

  private async runLedger(i: number, step: Extract<VerifyStep, { ledger: unknown }>): Promise<LedgerReport> {
    const { clock, exp, metrics } = this.o;
    const state = this.ledgers.get(i);
    const target = exp.targets.queues[step.ledger.queue]!;
    if (!state) throw new Error(`ledger ${step.ledger.queue}: the method never started`);
    // The connection may have outlived a broker crash in a broken state (a consumer that no
    // longer exists): drain through a fresh one, as a restarted consumer would.
    await state.queue.close().catch(() => undefined);
    const started = clock.now();
    state.queue = await this.reopen(target, started + step.ledger.maxDrain);
    state.recorder.attach(state.queue);
    await state.recorder.drain({ idleMs: step.ledger.idle, maxMs: step.ledger.maxDrain });
    const report = ledgerReport(
      target.type,
      state.recorder.check(),
      started,
      clock.now(),
      step.ledger.failOnMessages,
    );
    metrics?.ledgerFinished(report);
    return report;
  }

  /** Opens the queue, again every `reopenDelayMs` while the broker is still coming back, until `deadline`. */
  private async reopen(target: Experiment['targets']['queues'][string], deadline: number): Promise<Queue> {
    const { clock, signal } = this.o;
    for (;;) {
      try {
        return await openQueue(target);
      } catch (err) {
        if (clock.now() + reopenDelayMs > deadline || signal?.aborted) throw err;
        await sleepUnlessAborted(clock, reopenDelayMs, signal ?? new AbortController().signal);
      }
    }
  }

  /** Writes and publishes made so far, for the timeline. */
  describeBackground(): string[] {
    const lines: string[] = [];
    for (const [i, w] of this.watches)
      lines.push(
        `${verifyStepName(this.o.exp.verify[i]!, i)}: ${w.writes} writes acknowledged${w.failedWrites ? `, ${w.failedWrites} failed` : ''}`,
      );
    for (const [i, l] of this.ledgers)
      lines.push(`${verifyStepName(this.o.exp.verify[i]!, i)}: ${l.recorder.published} messages published`);
    return lines;
  }

  /** Stops the background work and closes every store, watcher and queue. */
  async close(): Promise<void> {
    await this.stopMethod();
    for (const w of this.watches.values()) {
      await w.watcher.close().catch(() => undefined);
      await w.store.dispose().catch(() => undefined);
      rmSync(w.journalDir, { recursive: true, force: true });
    }
    this.watches.clear();
    for (const l of this.ledgers.values()) await l.queue.close().catch(() => undefined);
    this.ledgers.clear();
  }
}
