/**
 * Severity mapping to OpenTelemetry SeverityNumber. The table follows the data model's
 * appendix (syslog, log4j, Python, zap, logrus, klog) so that "warning", "WARN", "W" and
 * pino's 40 all land on 13.
 */

export const severity = {
  unspecified: 0,
  trace: 1,
  debug: 5,
  info: 9,
  info2: 10,
  warn: 13,
  error: 17,
  error2: 18,
  error3: 19,
  fatal: 21,
} as const;

const byText: Record<string, number> = {
  trace: severity.trace,
  finest: severity.trace,
  finer: severity.trace,
  debug: severity.debug,
  fine: severity.debug,
  verbose: 6,
  dbg: severity.debug,
  info: severity.info,
  information: severity.info,
  informational: severity.info,
  inf: severity.info,
  notice: severity.info2,
  config: severity.info,
  warn: severity.warn,
  warning: severity.warn,
  wrn: severity.warn,
  error: severity.error,
  err: severity.error,
  eror: severity.error,
  severe: severity.error,
  crit: severity.error2,
  critical: severity.fatal,
  alert: severity.error3,
  dpanic: severity.error3,
  emerg: severity.fatal,
  emergency: severity.fatal,
  fatal: severity.fatal,
  panic: severity.fatal,
  // single letters (klog, glog, some logfmt loggers)
  t: severity.trace,
  d: severity.debug,
  i: severity.info,
  w: severity.warn,
  e: severity.error,
  f: severity.fatal,
};

/**
 * SeverityNumber for a level word, case-insensitive; 0 when unknown.
 *
 * @example
 * severityFromText('WARNING'); // 13
 */
export function severityFromText(text: string): number {
  const exact = byText[text];
  if (exact !== undefined) return exact;
  return byText[text.toLowerCase()] ?? severity.unspecified;
}

/**
 * SeverityNumber for pino's and bunyan's numeric levels (10 trace ... 60 fatal); values in
 * between map to the level below them.
 *
 * @example
 * severityFromPinoLevel(30); // 9
 */
export function severityFromPinoLevel(level: number): number {
  if (!Number.isFinite(level) || level < 10) return severity.unspecified;
  if (level < 20) return severity.trace;
  if (level < 30) return severity.debug;
  if (level < 40) return severity.info;
  if (level < 50) return severity.warn;
  if (level < 60) return severity.error;
  return severity.fatal;
}

/** Syslog severities 0 (emergency) .. 7 (debug), as in the OpenTelemetry appendix. */
const bySyslog = [
  severity.fatal,
  severity.error3,
  severity.error2,
  severity.error,
  severity.warn,
  severity.info2,
  severity.info,
  severity.debug,
];
const syslogNames = ['emerg', 'alert', 'crit', 'err', 'warning', 'notice', 'info', 'debug'];

/** SeverityNumber and name for a syslog severity code 0..7. */
export function severityFromSyslog(code: number): { number: number; text: string } {
  return { number: bySyslog[code & 7]!, text: syslogNames[code & 7]! };
}

/** The short name of a severity number's range: TRACE, DEBUG, INFO, WARN, ERROR, FATAL or UNSPECIFIED. */
export function severityRange(n: number): string {
  if (n <= 0) return 'UNSPECIFIED';
  if (n <= 4) return 'TRACE';
  if (n <= 8) return 'DEBUG';
  if (n <= 12) return 'INFO';
  if (n <= 16) return 'WARN';
  if (n <= 20) return 'ERROR';
  return 'FATAL';
}
