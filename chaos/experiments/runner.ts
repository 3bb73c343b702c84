import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type Clock,
  formatDuration,
  seededRandom,
  systemClock,
  type TimerHandle,
  toVigilError,
  VigilError,
} from '../../core/index.ts';
import {
  type DiskChange,
  describeChange,
  HttpFaultProxy,
  injectDiskFault,
  killProcess,
  ManagedProcess,
  type PauseHandle,
  type ProcessTarget,
  pauseProcess,
  restoreDiskChanges,
} from '../faults/index.ts';
import { ProxyClient } from '../proxy/client.ts';
import type { BlobStore } from '../targets/index.ts';
import { isIntact, readBlob, sha256Hex } from '../targets/index.ts';
import type { VerifyMetrics } from '../verify/index.ts';
import {
  type CheckResult,
  fetchAlerts,
  firingMatch,
  judgePromql,
  queryPrometheus,
  runProbe,
} from './checks.ts';
import type { Condition, Experiment, ExperimentStep, Phase } from './model.ts';
import { checkAllowed, openBlobStore, processTarget } from './resolve.ts';
import {
  type VerificationOutcome,
  VerificationSession,
  verificationFailures,
  verifierOf,
  verifyStepName,
} from './verification.ts';

export type RunStatus = 'passed' | 'failed' | 'aborted' | 'interrupted' | 'error';
export type TimelinePhase = 'setup' | 'before' | 'method' | 'after' | 'verify' | 'integrity' | 'rollback';

export interface TimelineEvent {
  /** Milliseconds since the run started. */
  atMs: number;
  phase: TimelinePhase;
  kind: 'check' | 'inject' | 'revert' | 'abort' | 'error' | 'info' | 'rollback';
  message: string;
  ok?: boolean;
}

export interface ExperimentResult {
  title: string;
  seed: number;
  status: RunStatus;
  /** Why the run did not pass, in one line. */
  reason?: string;
  startedAt: string;
  durationMs: number;
  /** Each time the steady-state hypothesis did not hold. */
  violations: string[];
  /** Each object found damaged or missing by the integrity check. */
  dataLoss: string[];
  /** Each verification step's outcome, naming every violated key or message. */
  verification: VerificationOutcome[];
  /** Exactly what disk faults changed, per step. */
  diskChanges: Array<{ step: string; restored: boolean; changes: DiskChange[] }>;
  /** Every fault undone and every rollback run; errors name what could not be put back. */
  rollback: { complete: boolean; errors: string[] };
  timeline: TimelineEvent[];
}

export interface RunOptions {
  clock?: Clock;
  /** Ctrl-C, SIGTERM: stop the method, put everything back, report. */
  signal?: AbortSignal;
  /** Called with each timeline event as it happens (the CLI prints them live). */
  onEvent?: (event: TimelineEvent) => void;
  proxyToken?: string | undefined;
  /** Verification results also go to these metrics (the durability rule pack alerts on them). */
  verifyMetrics?: VerifyMetrics | undefined;
}

function stepName(step: ExperimentStep, i: number): string {
  return step.name ?? `${step.fault.type}#${i}`;
}

/** Faults that end: they are reverted at `at + duration`, or at the end of the method. */
function revertible(step: ExperimentStep): boolean {
  return step.fault.type !== 'kill' && step.fault.type !== 'restart';
}

function describeFault(step: ExperimentStep): string {
  const f = step.fault;
  switch (f.type) {
    case 'pause':
      return `pause process ${f.process} (SIGSTOP) for ${formatDuration(step.duration ?? 0)}`;
    case 'kill':
      return `kill process ${f.process} (SIGKILL)`;
    case 'restart':
      return `restart process ${f.process}`;
    case 'toxic':
      return `toxic ${f.toxic.type} on proxy ${f.proxy} (${f.toxic.stream}, toxicity ${f.toxic.toxicity}, ${JSON.stringify(f.toxic.attributes)})`;
    case 'http': {
      const parts = [];
      if (f.abort) parts.push(`abort ${f.abort.percentage}% with ${f.abort.status}`);
      if (f.delay) parts.push(`delay ${f.delay.percentage}%`);
      return `http fault on ${f.target} ${f.method ?? '*'} ${f.pathPrefix ?? '/'}: ${parts.join(', ')}`;
    }
    case 'disk':
      return `disk ${f.kind} of ${f.count} objects in ${f.dir}${f.match ? ` matching /${f.match}/` : ''}${f.restore ? '' : ' (not restored)'}`;
  }
}

/**
 * What a run would do, without doing it: the dry run. Each line is one action at its offset.
 *
 * @example
 * planExperiment(exp); // ['+0s inject: pause process nats (SIGSTOP) for 30s', ...]
 */
export function planExperiment(exp: Experiment): string[] {
  checkAllowed(exp);
  const lines: string[] = [];
  for (const [name, p] of Object.entries(exp.targets.processes)) {
    lines.push(
      'command' in p
        ? `setup: start process ${name}: ${p.command.join(' ')}`
        : `setup: process target ${name} (${JSON.stringify(p)})`,
    );
  }
  for (const [name, h] of Object.entries(exp.targets.http))
    lines.push(`setup: HTTP fault proxy ${name} on ${h.listen} -> ${h.upstream}`);
  if (exp.targets.proxy)
    lines.push(
      `setup: lease toxics on ${exp.targets.proxy.api} for ${formatDuration(exp.leaseTtl)}, renewed while running`,
    );
  const conds = (phase: Phase) =>
    exp.steadyState.conditions.filter((c) => c.phases.includes(phase)).map((c) => c.name);
  lines.push(`before: check ${conds('before').join(', ') || '(nothing)'}`);
  const events: Array<[number, string]> = [];
  exp.method.forEach((s, i) => {
    events.push([s.at, `inject ${stepName(s, i)}: ${describeFault(s)}`]);
    if (revertible(s) && s.duration !== undefined)
      events.push([s.at + s.duration, `revert ${stepName(s, i)}`]);
  });
  events.sort((a, b) => a[0] - b[0]);
  for (const [at, text] of events) lines.push(`method +${formatDuration(at)}: ${text}`);
  lines.push(
    `during: every ${formatDuration(exp.steadyState.interval)} check ${conds('during').join(', ') || '(nothing)'}; abort on ${exp.abort.map((a) => a.name).join(', ') || '(nothing)'}`,
  );
  lines.push(
    `after: within ${formatDuration(exp.steadyState.recovery)} check ${conds('after').join(', ') || '(nothing)'}`,
  );
  for (const d of exp.steadyState.dataIntegrity)
    lines.push(`integrity: verify checksums of ${d.blobs}${d.prefix ? ` under ${d.prefix}` : ''}`);
  exp.verify.forEach((v, i) => {
    const what =
      'watch' in v
        ? `read back ${[v.watch.every !== undefined ? `a ${v.watch.size}-byte write to ${v.watch.blobs} every ${formatDuration(v.watch.every)} of the method` : '', v.watch.feed ? `the writes logged to ${v.watch.feed}` : ''].filter(Boolean).join(' and ')}`
        : 'ledger' in v
          ? `publish to ${v.ledger.queue} every ${formatDuration(v.ledger.every)} of the method, then drain and check`
          : JSON.stringify((v as Record<string, unknown>)[verifierOf(v)]);
    lines.push(`verify (${v.phase}): ${verifyStepName(v, i)}: ${verifierOf(v)} ${what}`);
  });
  for (const r of exp.rollbacks)
    lines.push(`rollback: ${r.type === 'command' ? r.command.join(' ') : 'reset the proxy'}`);
  return lines;
}

interface ActiveFault {
  index: number;
  name: string;
  revert: () => Promise<void>;
}

/**
 * Runs an experiment: setup, steady state before, the method with checks and abort
 * conditions during, every fault reverted, steady state after (within the recovery window),
 * data integrity, rollbacks, teardown. Whatever happens (failure, error, abort signal), every
 * fault it injected is put back before it returns; if the process dies, leases and the
 * watchdog put them back.
 *
 * @example
 * const result = await runExperiment(loadExperiment('exp.yaml'), { onEvent: print });
 */
export async function runExperiment(exp: Experiment, options: RunOptions = {}): Promise<ExperimentResult> {
  const clock = options.clock ?? systemClock;
  const signal = options.signal;
  const start = clock.now();
  const result: ExperimentResult = {
    title: exp.title,
    seed: exp.seed,
    status: 'passed',
    startedAt: new Date(start).toISOString(),
    durationMs: 0,
    violations: [],
    dataLoss: [],
    verification: [],
    diskChanges: [],
    rollback: { complete: true, errors: [] },
    timeline: [],
  };
  const emit = (phase: TimelinePhase, kind: TimelineEvent['kind'], message: string, ok?: boolean) => {
    const event: TimelineEvent = {
      atMs: clock.now() - start,
      phase,
      kind,
      message,
      ...(ok === undefined ? {} : { ok }),
    };
    result.timeline.push(event);
    options.onEvent?.(event);
  };
  const random = seededRandom(exp.seed);
  const holder = `vigil-run-${process.pid}-${randomBytes(4).toString('hex')}`;
  const proxy = exp.targets.proxy
    ? new ProxyClient({ url: exp.targets.proxy.api, token: options.proxyToken })
    : undefined;
  const processes = new Map<string, ProcessTarget | ManagedProcess>();
  const httpProxies = new Map<string, HttpFaultProxy>();
  const blobs = new Map<string, BlobStore>();
  const active: ActiveFault[] = [];
  const pauses: PauseHandle[] = [];
  let leaseTimer: TimerHandle | undefined;
  const verification =
    exp.verify.length > 0
      ? new VerificationSession({
          exp,
          clock,
          signal,
          metrics: options.verifyMetrics,
          note: (m) => emit('method', 'info', m),
        })
      : undefined;
  const verify = async (phase: 'after-method' | 'recovery', deadline: number) => {
    if (!verification) return;
    for (const o of await verification.run(phase, deadline, exp.steadyState.interval)) {
      result.verification.push(o);
      emit(
        'verify',
        o.error ? 'error' : 'check',
        `${o.step}: ${o.verifier}: ${o.summary}${o.attempts > 1 ? ` (run ${o.attempts} times)` : ''}`,
        o.passed,
      );
      const named = o.findings.slice(0, maxFindingsOnTimeline);
      for (const f of named)
        emit(
          'verify',
          'check',
          `${o.step}: ${f.key}: ${f.verdict}${f.detail ? ` (${f.detail})` : ''}${f.failing ? '' : ' (not failing)'}`,
          !f.failing,
        );
      if (o.findings.length + o.omitted > named.length)
        emit(
          'verify',
          'info',
          `${o.step}: ${o.findings.length + o.omitted - named.length} more in the JSON report`,
        );
    }
  };
  let stopReason: { status: RunStatus; reason: string } | undefined;

  const interrupted = () => signal?.aborted === true;
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      if (ms <= 0 || interrupted()) return resolve();
      const t = clock.setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      const onAbort = () => {
        t.cancel();
        resolve();
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    });

  const check = async (c: Condition): Promise<CheckResult> => {
    try {
      if ('promql' in c)
        return judgePromql(c, await queryPrometheus(exp.targets.prometheus!.url, c.promql, signal));
      return await runProbe(c, signal);
    } catch (err) {
      return { ok: false, detail: toVigilError(err).message };
    }
  };
  const checkPhase = async (
    phase: Phase,
    timelinePhase: TimelinePhase,
    record: boolean,
  ): Promise<boolean> => {
    let all = true;
    for (const c of exp.steadyState.conditions.filter((x) => x.phases.includes(phase))) {
      const r = await check(c);
      emit(timelinePhase, 'check', `${c.name}: ${r.detail}`, r.ok);
      if (!r.ok) {
        all = false;
        if (record) result.violations.push(`${phase}: ${c.name}: ${r.detail}`);
      }
    }
    return all;
  };
  const checkAbort = async (): Promise<string | undefined> => {
    for (const a of exp.abort) {
      try {
        if ('alert' in a) {
          const hit = firingMatch(await fetchAlerts(exp.targets.prometheus!.url, signal), a.alert.labels);
          if (hit)
            return `${a.name}: alert ${hit.labels['alertname'] ?? JSON.stringify(hit.labels)} is firing`;
        } else {
          const samples = await queryPrometheus(exp.targets.prometheus!.url, a.promql, signal);
          if (samples.length > 0) return `${a.name}: ${a.promql} returned ${samples.length} series`;
        }
      } catch (err) {
        // An abort condition that cannot be evaluated is not a reason to stop; it is reported.
        emit('method', 'error', `abort condition ${a.name}: ${toVigilError(err).message}`);
      }
    }
    return undefined;
  };

  const inject = async (step: ExperimentStep, index: number): Promise<void> => {
    const name = stepName(step, index);
    const f = step.fault;
    emit('method', 'inject', `${name}: ${describeFault(step)}`);
    switch (f.type) {
      case 'pause': {
        const pause = await pauseProcess(processes.get(f.process)!, step.duration!, { clock });
        pauses.push(pause);
        active.push({ index, name, revert: () => pause.resume() });
        return;
      }
      case 'kill':
        killProcess(processes.get(f.process)!);
        return;
      case 'restart': {
        const p = processes.get(f.process)!;
        if (!p.restart)
          throw new VigilError(
            'config',
            `process ${f.process} cannot be restarted: the experiment did not start it`,
          );
        await p.restart();
        return;
      }
      case 'toxic': {
        const toxicName = f.toxic.name ?? `vigil-${name}`;
        await proxy!.addToxic(f.proxy, { ...f.toxic, name: toxicName, lease: holder } as never);
        active.push({
          index,
          name,
          revert: async () => {
            await proxy!.removeToxic(f.proxy, toxicName).catch((err) => {
              if (!(err instanceof VigilError && err.code === 'not_found')) throw err;
            });
          },
        });
        return;
      }
      case 'http': {
        const http = httpProxies.get(f.target)!;
        http.setRule({
          name,
          ...(f.method ? { method: f.method } : {}),
          ...(f.pathPrefix ? { pathPrefix: f.pathPrefix } : {}),
          ...(f.abort ? { abort: f.abort } : {}),
          ...(f.delay
            ? {
                delay: {
                  fixedMs: f.delay.fixed,
                  minMs: f.delay.min,
                  maxMs: f.delay.max,
                  percentage: f.delay.percentage,
                },
              }
            : {}),
        });
        active.push({ index, name, revert: async () => http.removeRule(name) });
        return;
      }
      case 'disk': {
        const dir = exp.targets.dirs[f.dir]!.path;
        const backupDir = mkdtempSync(join(tmpdir(), 'vigil-disk-backup-'));
        const changes = await injectDiskFault({
          dir,
          kind: f.kind,
          count: f.count,
          random,
          backupDir,
          ...(f.match ? { match: new RegExp(f.match) } : {}),
        });
        const entry = { step: name, restored: false, changes };
        result.diskChanges.push(entry);
        for (const c of changes) emit('method', 'info', `${name}: ${describeChange(c)}`);
        emit('method', 'info', `${name}: removed bytes kept in ${backupDir}`);
        if (f.restore) {
          active.push({
            index,
            name,
            revert: async () => {
              await restoreDiskChanges(dir, changes);
              entry.restored = true;
            },
          });
        }
        return;
      }
    }
  };

  const revert = async (fault: ActiveFault, phase: TimelinePhase): Promise<void> => {
    const i = active.indexOf(fault);
    if (i < 0) return;
    active.splice(i, 1);
    try {
      await fault.revert();
      emit(phase, 'revert', `${fault.name}: reverted`, true);
    } catch (err) {
      const message = `${fault.name}: could not revert: ${toVigilError(err).message}`;
      result.rollback.complete = false;
      result.rollback.errors.push(message);
      emit(phase, 'error', message, false);
    }
  };

  try {
    checkAllowed(exp);
    // Setup: targets, lease.
    if (proxy) {
      await proxy.renewLease(holder, exp.leaseTtl);
      const renew = () => {
        leaseTimer = clock.setTimeout(
          () => {
            proxy.renewLease(holder, exp.leaseTtl).then(
              () => renew(),
              (err) => {
                emit('method', 'error', `lease renewal failed: ${toVigilError(err).message}`);
                renew();
              },
            );
          },
          Math.max(100, Math.floor(exp.leaseTtl / 3)),
        );
      };
      renew();
      emit('setup', 'info', `lease ${holder} on ${proxy.url} (ttl ${formatDuration(exp.leaseTtl)})`);
    }
    for (const [name, spec] of Object.entries(exp.targets.processes)) {
      const target = processTarget(name, spec);
      processes.set(name, target);
      if (target instanceof ManagedProcess) {
        await target.start();
        emit('setup', 'info', `started process ${name} (pid ${target.pid()})`);
        if ('startupDelay' in spec) await sleep(spec.startupDelay);
      }
    }
    for (const [name, spec] of Object.entries(exp.targets.http)) {
      const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(spec.listen);
      const http = new HttpFaultProxy({
        upstream: spec.upstream,
        host: m?.[1] ?? (m?.[2] || '127.0.0.1'),
        port: Number(m?.[3] ?? 0),
        random,
        clock,
      });
      await http.start();
      httpProxies.set(name, http);
      emit('setup', 'info', `HTTP fault proxy ${name} on ${http.url} -> ${spec.upstream}`);
    }
    for (const [name, spec] of Object.entries(exp.targets.blobs)) blobs.set(name, await openBlobStore(spec));

    // Before: the hypothesis must hold, or the method does not run.
    if (!(await checkPhase('before', 'before', true))) {
      stopReason = {
        status: 'failed',
        reason: 'the steady state did not hold before the method; no fault was injected',
      };
    }

    // Method.
    if (!stopReason && !interrupted()) {
      const events: Array<{ at: number; kind: 'inject' | 'revert'; index: number }> = [];
      exp.method.forEach((s, index) => {
        events.push({ at: s.at, kind: 'inject', index });
        if (revertible(s) && s.duration !== undefined)
          events.push({ at: s.at + s.duration, kind: 'revert', index });
      });
      events.sort((a, b) => a.at - b.at || (a.kind === 'revert' ? -1 : 1));
      await verification?.startMethod();
      const methodStart = clock.now();
      let nextCheck = methodStart + exp.steadyState.interval;
      while (events.length > 0 && !stopReason) {
        if (interrupted()) break;
        const now = clock.now();
        while (events.length > 0 && events[0]!.at <= now - methodStart) {
          const e = events.shift()!;
          const step = exp.method[e.index]!;
          if (e.kind === 'inject') await inject(step, e.index);
          else {
            const fault = active.find((a) => a.index === e.index);
            if (fault) await revert(fault, 'method');
          }
        }
        if (events.length === 0) break;
        if (clock.now() >= nextCheck) {
          await checkPhase('during', 'method', true);
          const abort = await checkAbort();
          if (abort) {
            emit('method', 'abort', abort, false);
            stopReason = { status: 'aborted', reason: `aborted: ${abort}` };
            break;
          }
          nextCheck += exp.steadyState.interval;
        }
        const wake = Math.min(methodStart + events[0]!.at, nextCheck);
        await sleep(wake - clock.now());
      }
    }

    if (verification) {
      await verification.stopMethod();
      for (const line of verification.describeBackground()) emit('method', 'info', line);
    }

    // Every fault still active is put back before the hypothesis is checked again.
    for (const fault of [...active].reverse())
      await revert(fault, stopReason || interrupted() ? 'rollback' : 'method');
    const recoveryDeadline = clock.now() + exp.steadyState.recovery;
    const verifying = () => !interrupted() && stopReason?.status !== 'error';
    if (verifying()) await verify('after-method', recoveryDeadline);

    // After: the steady state must come back within the recovery window.
    if (!stopReason && !interrupted()) {
      const deadline = clock.now() + exp.steadyState.recovery;
      const hasAfter = exp.steadyState.conditions.some((c) => c.phases.includes('after'));
      while (hasAfter && !interrupted()) {
        const last = clock.now() + exp.steadyState.interval > deadline;
        if (await checkPhase('after', 'after', last)) break;
        if (last) break;
        await sleep(exp.steadyState.interval);
      }
    }

    if (verifying()) await verify('recovery', recoveryDeadline);

    // Integrity: every checksummed object still matches.
    if (!stopReason && !interrupted()) {
      for (const d of exp.steadyState.dataIntegrity) {
        const store = blobs.get(d.blobs)!;
        let checked = 0;
        for (const listed of await store.list(d.prefix)) {
          const verdict = await verifyObject(store, listed.key);
          if (verdict === 'unchecked') continue;
          checked++;
          if (verdict !== 'intact') result.dataLoss.push(`${d.blobs}: ${listed.key}: ${verdict}`);
        }
        const lost = result.dataLoss.filter((l) => l.startsWith(`${d.blobs}: `)).length;
        emit(
          'integrity',
          'check',
          `${d.blobs}: ${checked} objects verified, ${lost} damaged or missing`,
          lost === 0,
        );
      }
    }
  } catch (err) {
    const e = toVigilError(err);
    emit('method', 'error', e.message, false);
    stopReason = { status: 'error', reason: e.message };
  } finally {
    await verification?.close().catch(() => undefined);
    for (const fault of [...active].reverse()) await revert(fault, 'rollback');
    for (const p of pauses) await p.resume().catch(() => undefined);
    for (const r of exp.rollbacks) {
      try {
        if (r.type === 'proxy-reset') await proxy?.reset();
        else await runCommand(r.command, r.timeout);
        emit('rollback', 'rollback', r.type === 'command' ? r.command.join(' ') : 'proxy reset', true);
      } catch (err) {
        const message = `rollback ${r.type}: ${toVigilError(err).message}`;
        result.rollback.complete = false;
        result.rollback.errors.push(message);
        emit('rollback', 'error', message, false);
      }
    }
    leaseTimer?.cancel();
    if (proxy) await proxy.releaseLease(holder).catch(() => undefined);
    for (const h of httpProxies.values()) await h.close().catch(() => undefined);
    for (const p of processes.values())
      if (p instanceof ManagedProcess) await p.stop().catch(() => undefined);
    for (const b of blobs.values()) await b.close().catch(() => undefined);
  }

  if (stopReason) {
    result.status = stopReason.status;
    result.reason = stopReason.reason;
  } else if (interrupted()) {
    result.status = 'interrupted';
    result.reason = `interrupted (${(signal?.reason as Error | undefined)?.message ?? 'aborted'}); every fault was put back`;
  } else if (
    result.violations.length > 0 ||
    result.dataLoss.length > 0 ||
    verificationFailures(result.verification).length > 0
  ) {
    result.status = 'failed';
    const parts = [];
    if (result.violations.length)
      parts.push(`steady state violated: ${result.violations[result.violations.length - 1]}`);
    if (result.dataLoss.length)
      parts.push(`data lost: ${result.dataLoss.length} objects (${result.dataLoss[0]})`);
    parts.push(...verificationFailures(result.verification));
    result.reason = parts.join('; ');
  } else {
    const broken = result.verification.find((o) => o.error);
    if (broken) {
      result.status = 'error';
      result.reason = `verification ${broken.step} could not run: ${broken.error}`;
    }
  }
  if (!result.rollback.complete && result.status === 'passed') {
    result.status = 'error';
    result.reason = `rollback incomplete: ${result.rollback.errors[0]}`;
  }
  result.durationMs = clock.now() - start;
  return result;
}

/** Findings named one per line on the timeline; the JSON report names them all. */
const maxFindingsOnTimeline = 100;

/** Extra reads before an object is called damaged: a concurrent overwrite or a half-written object settles. */
const verifyAttempts = 3;
const verifyRetryMs = 200;

/**
 * Reads an object with its recorded checksum and judges it. A mismatch is read again (a
 * writer may have replaced the object meanwhile) and reported only when it persists.
 */
async function verifyObject(store: BlobStore, key: string): Promise<'intact' | 'unchecked' | string> {
  let last = '';
  for (let attempt = 0; attempt < verifyAttempts; attempt++) {
    if (attempt > 0) await new Promise((r) => setTimeout(r, verifyRetryMs));
    const read = await readBlob(store, key);
    if (!read) return 'unchecked'; // deleted since it was listed: nothing to judge
    if (read.info.sha256 === undefined) return 'unchecked';
    if (isIntact(read.info, read.body)) return 'intact';
    last = `checksum mismatch (${read.body.length} bytes, sha256 ${sha256Hex(read.body).slice(0, 12)}, recorded ${read.info.sha256.slice(0, 12)})`;
  }
  return last;
}

async function runCommand(command: string[], timeoutMs: number): Promise<void> {
  const [cmd, ...args] = command;
  await new Promise<void>((resolve, reject) => {
    const child = spawn(cmd!, args, { stdio: 'ignore' });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(new VigilError('unavailable', `${cmd}: ${err.message}`));
    });
    child.once('exit', (code, sig) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new VigilError('check_failed', `${cmd} exited with ${code ?? sig}`));
    });
  });
}
