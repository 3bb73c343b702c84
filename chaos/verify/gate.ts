import type { VerifyConfig } from './config.ts';
import type { LedgerReport, VerifierName, VerifyReport } from './report.ts';
import { runLedger, type VerifyRunOptions, verifierRuns } from './run.ts';

/**
 * The verify gate (`vigil gate verify -c FILE`): every verifier the config sets up runs once
 * (the watcher runs what is due, the scrubber one pass), and the gate fails when any report
 * fails its own `failOn` (loss and corruption, lost and unexpected messages by default).
 */

export interface VerifyGateResult {
  apiVersion: 'vigil/v1';
  kind: 'VerifyGateReport';
  passed: boolean;
  /** 0 passed, 1 loss or corruption found. */
  exitCode: 0 | 1;
  reports: Array<VerifyReport | LedgerReport>;
}

/** The order the gate runs them: cheap HEAD-only checks first, full reads and the ledger last. */
const gateOrder: readonly VerifierName[] = ['index', 'trash', 'compare', 'scrub', 'watch'];

/**
 * Runs every configured verifier once, in order, and folds their reports into the gate's verdict.
 * A verifier that cannot run (store unreachable) throws: that is a runtime failure (exit 3), not
 * a verdict about the data.
 *
 * @example
 * const gate = await runVerifyGate(loadConfigFile(verifyConfigSchema, 'verify.yaml'));
 * process.exitCode = gate.exitCode;
 */
export async function runVerifyGate(
  config: VerifyConfig,
  options: Omit<VerifyRunOptions, 'once'> = {},
): Promise<VerifyGateResult> {
  const reports: Array<VerifyReport | LedgerReport> = [];
  for (const name of gateOrder) {
    if (config[name] === undefined || options.signal?.aborted) continue;
    reports.push(await verifierRuns[name](config, { ...options, once: true }));
  }
  if (config.ledger !== undefined && !options.signal?.aborted) reports.push(await runLedger(config, options));
  const passed = reports.every((r) => r.passed);
  return { apiVersion: 'vigil/v1', kind: 'VerifyGateReport', passed, exitCode: passed ? 0 : 1, reports };
}

/**
 * One line per report: what was judged, and whether it passed.
 *
 * @example
 * summarizeReport(report); // 'scrub: 10000 objects (ok 9998, corrupt 2), 2900 objects/s, 11.8 MB/s: FAILED'
 */
export function summarizeReport(report: VerifyReport | LedgerReport): string {
  if (report.kind === 'LedgerReport') {
    const t = report.totals;
    return `ledger ${report.target}: ${t.acked} acked, ${t.unconfirmed} unconfirmed, ${t.deliveries} deliveries; lost ${t.lost}, duplicated ${t.duplicated}, unexpected ${t.unexpected}, reordered ${t.reordered}: ${report.passed ? 'passed' : 'FAILED'}`;
  }
  const counts = Object.entries(report.counts)
    .map(([v, n]) => `${v} ${n}`)
    .join(', ');
  const mbps = (report.bytesPerSecond / 1e6).toFixed(1);
  return `${report.verifier}: ${report.objects} objects (${counts || 'none'}), ${Math.round(report.objectsPerSecond)} objects/s, ${mbps} MB/s: ${report.passed ? 'passed' : 'FAILED'}`;
}

/**
 * The violations of a report that fail its gate, one line each, naming the key or message.
 *
 * @example
 * failingLines(report); // ['a/b: corrupt (sha256 mismatch (117 bytes read))']
 */
export function failingLines(report: VerifyReport | LedgerReport): string[] {
  if (report.kind === 'LedgerReport') {
    const out: string[] = [];
    for (const s of report.streams) {
      if (report.failOn.includes('lost')) for (const id of s.lost) out.push(`${s.stream}/${id}: lost`);
      if (report.failOn.includes('unexpected'))
        for (const id of s.unexpected) out.push(`${s.stream}/${id}: unexpected`);
      if (report.failOn.includes('duplicated'))
        for (const d of s.duplicated)
          out.push(`${s.stream}/${d.id}: duplicated (${d.deliveries} deliveries)`);
      if (report.failOn.includes('reordered'))
        for (const id of s.reordered) out.push(`${s.stream}/${id}: reordered`);
    }
    return out;
  }
  const lines = report.violations
    .filter((v) => report.failOn.includes(v.class))
    .map(
      (v) => `${v.key}${v.side ? ` (side ${v.side})` : ''}: ${v.verdict}${v.detail ? ` (${v.detail})` : ''}`,
    );
  if (report.violationsOmitted > 0) lines.push(`... and ${report.violationsOmitted} more`);
  return lines;
}

function xml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/**
 * JUnit XML: one testsuite, one testcase per verifier, failing with every violated key.
 *
 * @example
 * writeFileSync('verify.xml', verifyGateJUnit(gate));
 */
export function verifyGateJUnit(result: VerifyGateResult): string {
  const cases = result.reports.map((r) => {
    const name = r.kind === 'LedgerReport' ? `ledger ${r.target}` : r.verifier;
    const seconds = (Date.parse(r.finishedAt) - Date.parse(r.startedAt)) / 1000;
    const summary = summarizeReport(r);
    if (r.passed)
      return `    <testcase classname="vigil.verify" name="${xml(name)}" time="${seconds.toFixed(3)}"/>`;
    const body = [summary, ...failingLines(r)].join('\n');
    return [
      `    <testcase classname="vigil.verify" name="${xml(name)}" time="${seconds.toFixed(3)}">`,
      `      <failure message="${xml(summary)}">${xml(body)}</failure>`,
      '    </testcase>',
    ].join('\n');
  });
  const failures = result.reports.filter((r) => !r.passed).length;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites tests="${cases.length}" failures="${failures}" errors="0">`,
    `  <testsuite name="vigil verify" tests="${cases.length}" failures="${failures}" errors="0">`,
    ...cases,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}
