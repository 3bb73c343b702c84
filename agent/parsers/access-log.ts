import { newRecord } from '../record.ts';
import { severity } from '../severity.ts';
import type { Parser } from './parser.ts';
import { monthNumber, utcMs } from './time.ts';

/**
 * nginx and Apache access logs: the Common Log Format
 * `host ident user [time] "request" status bytes` and the combined format that adds
 * `"referer" "user-agent"`. nginx escapes a quote inside a field as `\x22`, Apache as `\"`;
 * both are read. Anything after the user agent is kept in `log.extra`; when it starts with a
 * number, or holds `rt=` / `request_time=`, that is the request duration in seconds (nginx's
 * `$request_time`, Apache's `%D` microseconds as `us=`), which the log-to-metrics histogram uses.
 *
 * Attribute names are OpenTelemetry's HTTP semantic conventions.
 */

const requestRe = /^([A-Z][A-Z0-9_-]*) (\S+)(?: (HTTP\/[\d.]+))?$/;
const extraSecondsRe =
  /^\s+(\d+(?:\.\d+)?)(?:\s|$)|(?:^|\s)(?:rt|request_time)=(\d+(?:\.\d+)?)|(?:^|\s)us=(\d+)/;

function unescapeField(s: string): string {
  if (s.indexOf('\\') < 0) return s;
  return s.replace(/\\x([0-9a-fA-F]{2})|\\(.)/g, (_, hex: string | undefined, ch: string | undefined) =>
    hex !== undefined ? String.fromCharCode(Number.parseInt(hex, 16)) : ch!,
  );
}

/** End index (exclusive) of the quoted field starting after the opening quote at `from`, or -1. */
function quoteEnd(line: string, from: number): number {
  for (let i = from; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (c === 92 /* \\ */) i++;
    else if (c === 34 /* " */) return i;
  }
  return -1;
}

/** Index after a run of digits (or a single "-") starting at `from`; -1 when neither. */
function numberEnd(line: string, from: number, exactLength?: number): number {
  if (line.charCodeAt(from) === 45 /* - */) return from + 1;
  let i = from;
  while (i < line.length) {
    const c = line.charCodeAt(i);
    if (c < 48 || c > 57) break;
    i++;
  }
  if (i === from || (exactLength !== undefined && i - from !== exactLength)) return -1;
  return i;
}

/** Fields of an access log line, found by a hand-written scan (a third of the regex's cost). */
interface Fields {
  client: string;
  user: string;
  time: string;
  request: string;
  status: string;
  bytes: string;
  referer: string | undefined;
  agent: string | undefined;
  extra: string;
}

function scan(line: string): Fields | undefined {
  const s1 = line.indexOf(' ');
  if (s1 <= 0) return undefined;
  const s2 = line.indexOf(' ', s1 + 1);
  if (s2 < 0 || s2 === s1 + 1) return undefined;
  const s3 = line.indexOf(' ', s2 + 1);
  if (s3 < 0 || s3 === s2 + 1 || line.charCodeAt(s3 + 1) !== 91 /* [ */) return undefined;
  const close = line.indexOf(']', s3 + 2);
  if (close < 0 || line.charCodeAt(close + 1) !== 32 || line.charCodeAt(close + 2) !== 34) return undefined;
  const reqEnd = quoteEnd(line, close + 3);
  if (reqEnd < 0 || line.charCodeAt(reqEnd + 1) !== 32) return undefined;
  const statusEnd = numberEnd(line, reqEnd + 2, line.charCodeAt(reqEnd + 2) === 45 ? undefined : 3);
  if (statusEnd < 0 || line.charCodeAt(statusEnd) !== 32) return undefined;
  const bytesEnd = numberEnd(line, statusEnd + 1);
  if (bytesEnd < 0) return undefined;
  const f: Fields = {
    client: line.slice(0, s1),
    user: line.slice(s2 + 1, s3),
    time: line.slice(s3 + 2, close),
    request: line.slice(close + 3, reqEnd),
    status: line.slice(reqEnd + 2, statusEnd),
    bytes: line.slice(statusEnd + 1, bytesEnd),
    referer: undefined,
    agent: undefined,
    extra: '',
  };
  if (/[\s\]]/.test(f.client + f.user) || line.slice(s1 + 1, s2).includes(' ')) return undefined;
  let rest = bytesEnd;
  // Combined format: ` "referer" "agent"`.
  if (line.charCodeAt(rest) === 32 && line.charCodeAt(rest + 1) === 34) {
    const refEnd = quoteEnd(line, rest + 2);
    if (refEnd >= 0 && line.charCodeAt(refEnd + 1) === 32 && line.charCodeAt(refEnd + 2) === 34) {
      const agentEnd = quoteEnd(line, refEnd + 3);
      if (agentEnd >= 0) {
        f.referer = line.slice(rest + 2, refEnd);
        f.agent = line.slice(refEnd + 3, agentEnd);
        rest = agentEnd + 1;
      }
    }
  }
  if (rest < line.length) {
    // Common format may be followed only by more fields: the next character must end a field.
    const c = line.charCodeAt(rest);
    if (c !== 32 && c !== 9) return undefined;
    f.extra = line.slice(rest);
  }
  return f;
}

/**
 * Time of an access log ("10/Oct/2000:13:55:36 -0700") in ms, or undefined.
 *
 * @example
 * parseClfTime('10/Oct/2000:13:55:36 -0700'); // 971211336000
 */
export function parseClfTime(text: string): number | undefined {
  // Fixed layout, read by position: dd/Mon/yyyy:hh:mm:ss[.f{1,6}] +zzzz
  const n = text.length;
  if (n < 26 || text.charCodeAt(2) !== 47 || text.charCodeAt(6) !== 47 || text.charCodeAt(11) !== 58)
    return undefined;
  const month = monthNumber(text.slice(3, 6));
  if (month === undefined) return undefined;
  const day = digits(text, 0, 2);
  const year = digits(text, 7, 4);
  const hour = digits(text, 12, 2);
  const minute = digits(text, 15, 2);
  const second = digits(text, 18, 2);
  if (text.charCodeAt(14) !== 58 || text.charCodeAt(17) !== 58) return undefined;
  let i = 20;
  let ms = 0;
  if (text.charCodeAt(i) === 46 /* . */) {
    let j = i + 1;
    while (j < n && text.charCodeAt(j) >= 48 && text.charCodeAt(j) <= 57) j++;
    if (j === i + 1 || j - i - 1 > 6) return undefined;
    ms = Number(`0.${text.slice(i + 1, j)}`) * 1000;
    i = j;
  }
  if (n !== i + 6 || text.charCodeAt(i) !== 32) return undefined;
  const sign = text.charCodeAt(i + 1);
  const zh = digits(text, i + 2, 2);
  const zm = digits(text, i + 4, 2);
  if (
    (sign !== 43 && sign !== 45) ||
    zh < 0 ||
    zm < 0 ||
    day < 0 ||
    year < 0 ||
    hour < 0 ||
    minute < 0 ||
    second < 0
  )
    return undefined;
  const offset = (sign === 45 ? -1 : 1) * (zh * 60 + zm);
  return utcMs(year, month, day, hour, minute, second, ms, offset);
}

/** The number of `len` ASCII digits at `from`, or -1. */
function digits(text: string, from: number, len: number): number {
  let v = 0;
  for (let i = from; i < from + len; i++) {
    const c = text.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    v = v * 10 + c;
  }
  return v;
}

export const accessLog: Parser = {
  name: 'access-log',
  parse(line, ctx) {
    const m = scan(line);
    if (!m) return undefined;
    const time = parseClfTime(m.time);
    if (time === undefined) return undefined;
    const record = newRecord(line, ctx);
    record.timeUnixMs = time;
    const attributes: Record<string, unknown> = { 'client.address': m.client };
    if (m.user !== '-') attributes['user.name'] = m.user;
    const request = unescapeField(m.request);
    attributes['http.request.line'] = request;
    const r = requestRe.exec(request);
    if (r) {
      attributes['http.request.method'] = r[1];
      attributes['url.original'] = r[2];
      if (r[3]) attributes['network.protocol.version'] = r[3].slice(5);
    }
    if (m.status !== '-') {
      const status = Number(m.status);
      attributes['http.response.status_code'] = status;
      if (status >= 500) {
        record.severityNumber = severity.error;
        record.severityText = 'ERROR';
      } else if (status >= 400) {
        record.severityNumber = severity.warn;
        record.severityText = 'WARN';
      } else {
        record.severityNumber = severity.info;
        record.severityText = 'INFO';
      }
    }
    if (m.bytes !== '-') attributes['http.response.body.size'] = Number(m.bytes);
    if (m.referer !== undefined && m.referer !== '-')
      attributes['http.request.header.referer'] = unescapeField(m.referer);
    if (m.agent !== undefined && m.agent !== '-') attributes['user_agent.original'] = unescapeField(m.agent);
    const extra = m.extra;
    if (extra.length > 0) {
      attributes['log.extra'] = extra.trim();
      const d = extraSecondsRe.exec(extra);
      if (d) {
        const seconds = d[1] ?? d[2];
        attributes['http.server.request.duration'] =
          seconds !== undefined ? Number(seconds) : Number(d[3]) / 1e6;
      }
    }
    record.attributes = attributes;
    return record;
  },
};
