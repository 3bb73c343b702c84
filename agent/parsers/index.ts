import { accessLog } from './access-log.ts';
import { cri } from './cri.ts';
import { dockerJson } from './docker-json.ts';
import { goLog } from './go-log.ts';
import { java } from './java.ts';
import { json } from './json.ts';
import { klog } from './klog.ts';
import { logfmt } from './logfmt.ts';
import type { Parser } from './parser.ts';
import { python } from './python.ts';
import { redis } from './redis.ts';
import { syslogRfc3164 } from './syslog-rfc3164.ts';
import { syslogRfc5424 } from './syslog-rfc5424.ts';

export { parseClfTime } from './access-log.ts';
export { scanLogfmt } from './logfmt.ts';
export {
  type EnvelopeParser,
  isEnvelope,
  isMultiline,
  type MultilineParser,
  type Parser,
  partialAttribute,
} from './parser.ts';
export { epochToMs, parseIsoTime } from './time.ts';

/**
 * Every log format, listed explicitly: a new format is one file in this folder and one line
 * here. The keys are the names used in config and in `vigil agent parse --format`.
 */
export const parsers = {
  json,
  logfmt,
  'access-log': accessLog,
  'syslog-rfc3164': syslogRfc3164,
  'syslog-rfc5424': syslogRfc5424,
  klog,
  cri,
  'docker-json': dockerJson,
  redis,
  python,
  java,
  'go-log': goLog,
} as const satisfies Record<string, Parser>;

export type FormatName = keyof typeof parsers;

/** Aliases accepted in config for the same parser (nginx and apache are both access logs). */
export const formatAliases: Record<string, FormatName> = {
  nginx: 'access-log',
  apache: 'access-log',
  clf: 'access-log',
  syslog: 'syslog-rfc3164',
  glog: 'klog',
  docker: 'docker-json',
  logback: 'java',
  log4j: 'java',
};

/**
 * The order in which auto-detection tries formats: envelopes first (their lines would also
 * pass as JSON or as a plain timestamped line), then the formats with the most distinctive
 * starts, and logfmt last because a sentence may contain `a=b`.
 */
export const detectionOrder: readonly FormatName[] = [
  'docker-json',
  'json',
  'cri',
  'syslog-rfc5424',
  'syslog-rfc3164',
  'klog',
  'redis',
  'access-log',
  'java',
  'python',
  'go-log',
  'logfmt',
];
