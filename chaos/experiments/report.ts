import type { ExperimentResult, TimelineEvent } from './runner.ts';

/**
 * The gate's verdict as an exit code: 0 the hypothesis held and no data was lost; 1 it was
 * violated, the run was aborted by an abort condition, or data was lost; 3 the run itself
 * failed (a target unreachable, a fault that could not be put back). A bad file never gets
 * here: loading it exits 2.
 *
 * @example
 * process.exitCode = gateExitCode(await runExperiment(exp));
 */
export function gateExitCode(result: ExperimentResult): number {
  switch (result.status) {
    case 'passed':
      return 0;
    case 'failed':
    case 'aborted':
      return 1;
    case 'interrupted':
    case 'error':
      return 3;
  }
}

function seconds(ms: number): string {
  return `+${(ms / 1000).toFixed(1)}s`;
}

/**
 * One line per event: offset, phase, mark, message.
 *
 * @example
 * runExperiment(exp, { onEvent: (e) => console.log(formatEvent(e)) });
 */
export function formatEvent(e: TimelineEvent): string {
  const mark = e.ok === true ? 'ok  ' : e.ok === false ? 'FAIL' : '    ';
  return `${seconds(e.atMs).padStart(8)}  ${e.phase.padEnd(9)} ${mark} ${e.kind.padEnd(8)} ${e.message}`;
}

/**
 * The human report: the timeline, then the verdict and why.
 *
 * @example
 * process.stdout.write(formatResult(result));
 */
export function formatResult(result: ExperimentResult, withTimeline = true): string {
  const lines: string[] = [];
  if (withTimeline) lines.push(...result.timeline.map(formatEvent), '');
  lines.push(`experiment: ${result.title} (seed ${result.seed})`);
  lines.push(`result: ${result.status.toUpperCase()}${result.reason ? `: ${result.reason}` : ''}`);
  if (result.violations.length)
    lines.push(`violations (${result.violations.length}):`, ...result.violations.map((v) => `  - ${v}`));
  if (result.dataLoss.length)
    lines.push(
      `data lost (${result.dataLoss.length}):`,
      ...result.dataLoss.slice(0, 20).map((v) => `  - ${v}`),
    );
  for (const o of result.verification) {
    lines.push(
      `verification ${o.step} (${o.verifier}, ${o.phase}): ${o.passed ? 'passed' : o.error ? 'ERROR' : 'FAILED'}: ${o.summary}`,
    );
    // Every violated key or message by name: the text report is what a person reads in CI.
    for (const f of o.findings)
      lines.push(
        `  - ${f.key}: ${f.verdict}${f.detail ? ` (${f.detail})` : ''}${f.failing ? '' : ' (not failing)'}`,
      );
    if (o.omitted > 0) lines.push(`  ... and ${o.omitted} more counted by the verifier`);
  }
  for (const d of result.diskChanges) {
    lines.push(
      `disk changes by ${d.step} (${d.restored ? 'restored' : 'left in place'}): ${d.changes.length}`,
    );
  }
  lines.push(
    `rollback: ${result.rollback.complete ? 'complete' : `INCOMPLETE: ${result.rollback.errors.join('; ')}`}`,
  );
  return `${lines.join('\n')}\n`;
}

function xml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/**
 * JUnit XML, as CI systems read it: one testsuite per experiment; one testcase for the
 * steady state, one for data integrity and one for rollback, each failing with its reasons.
 *
 * @example
 * writeFileSync('chaos.xml', toJUnit(result));
 */
export function toJUnit(result: ExperimentResult): string {
  const cases: Array<{ name: string; failure?: string; error?: string }> = [];
  const steady = result.violations.length > 0 || result.status === 'aborted';
  cases.push({
    name: 'steady state hypothesis',
    ...(steady
      ? {
          failure: [
            ...result.violations,
            ...(result.status === 'aborted' ? [result.reason ?? 'aborted'] : []),
          ].join('\n'),
        }
      : {}),
    ...(result.status === 'error' || result.status === 'interrupted'
      ? { error: result.reason ?? result.status }
      : {}),
  });
  cases.push({
    name: 'data integrity',
    ...(result.dataLoss.length ? { failure: result.dataLoss.join('\n') } : {}),
  });
  for (const o of result.verification) {
    const failing = o.findings.filter((f) => f.failing);
    cases.push({
      name: `verification: ${o.step}`,
      ...(!o.passed && !o.error
        ? {
            failure: [
              `${o.verifier}: ${o.summary}`,
              ...failing.map((f) => `${f.key}: ${f.verdict}${f.detail ? ` (${f.detail})` : ''}`),
              ...(o.omitted > 0 ? [`... and ${o.omitted} more`] : []),
            ].join('\n'),
          }
        : {}),
      ...(o.error ? { error: `${o.verifier}: ${o.error}` } : {}),
    });
  }
  cases.push({
    name: 'rollback',
    ...(result.rollback.complete ? {} : { error: result.rollback.errors.join('\n') }),
  });
  const failures = cases.filter((c) => c.failure).length;
  const errors = cases.filter((c) => c.error).length;
  const time = (result.durationMs / 1000).toFixed(3);
  const body = cases
    .map((c) => {
      const inner = [
        c.failure
          ? `      <failure message="${xml(c.failure.split('\n')[0]!)}">${xml(c.failure)}</failure>`
          : '',
        c.error ? `      <error message="${xml(c.error.split('\n')[0]!)}">${xml(c.error)}</error>` : '',
      ]
        .filter(Boolean)
        .join('\n');
      return inner
        ? `    <testcase classname="vigil.chaos" name="${xml(c.name)}">\n${inner}\n    </testcase>`
        : `    <testcase classname="vigil.chaos" name="${xml(c.name)}"/>`;
    })
    .join('\n');
  const timeline = result.timeline.map(formatEvent).join('\n');
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites tests="${cases.length}" failures="${failures}" errors="${errors}" time="${time}">`,
    `  <testsuite name="${xml(result.title)}" tests="${cases.length}" failures="${failures}" errors="${errors}" time="${time}" timestamp="${result.startedAt}">`,
    body,
    `    <system-out>${xml(timeline)}</system-out>`,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}

/**
 * The JSON report: the whole result, with the gate's exit code, for machines.
 *
 * @example
 * writeFileSync('chaos.json', toJsonReport(result));
 */
export function toJsonReport(result: ExperimentResult): string {
  return `${JSON.stringify({ apiVersion: 'vigil/v1', kind: 'ChaosReport', exitCode: gateExitCode(result), ...result }, null, 2)}\n`;
}
