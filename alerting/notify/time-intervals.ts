import { z } from 'zod';

/**
 * Alertmanager's time intervals (`time_intervals:`), used by routes to mute notifications
 * (`mute_time_intervals`) or to send them only at certain times (`active_time_intervals`).
 * An interval holds when every field it sets holds (fields left out match any time); a named
 * entry holds when any of its intervals does. Times are read in the interval's `location`
 * (an IANA zone, through Intl; UTC by default). Semantics follow Alertmanager's
 * timeinterval package: `times` include the start minute and exclude the end minute, negative
 * days of month count from the month's end (-1 is the last day), ranges are `a:b`, inclusive.
 */

export interface Range {
  begin: number;
  end: number;
}

export interface TimeInterval {
  /** Minutes of the day, [start, end). */
  times: Range[] | undefined;
  /** 0 = Sunday. */
  weekdays: Range[] | undefined;
  daysOfMonth: Range[] | undefined;
  /** 1 = January. */
  months: Range[] | undefined;
  years: Range[] | undefined;
  location: string;
}

const weekdayNames = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];
const monthNames = [
  'january',
  'february',
  'march',
  'april',
  'may',
  'june',
  'july',
  'august',
  'september',
  'october',
  'november',
  'december',
];

function rangeSchema(
  what: string,
  parse: (s: string) => number | undefined,
  check: (r: Range) => string | undefined,
) {
  return z.string().transform((text, ctx): Range => {
    const parts = text.split(':');
    const bad = (message: string) => {
      ctx.addIssue({ code: 'custom', message });
      return z.NEVER;
    };
    if (parts.length > 2) return bad(`invalid ${what} range "${text}": expected "a" or "a:b"`);
    const begin = parse(parts[0]!.trim());
    const end = parts.length === 2 ? parse(parts[1]!.trim()) : begin;
    if (begin === undefined || end === undefined) return bad(`invalid ${what} "${text}"`);
    const problem = check({ begin, end });
    if (problem) return bad(`invalid ${what} range "${text}": ${problem}`);
    return { begin, end };
  });
}

const integer = (s: string) => (/^-?\d+$/.test(s) ? Number(s) : undefined);

const weekdaySchema = rangeSchema(
  'weekday',
  (s) => {
    const i = weekdayNames.indexOf(s.toLowerCase());
    return i < 0 ? undefined : i;
  },
  (r) => (r.begin > r.end ? 'start day cannot be after end day' : undefined),
);

const monthSchema = rangeSchema(
  'month',
  (s) => {
    const i = monthNames.indexOf(s.toLowerCase());
    if (i >= 0) return i + 1;
    const n = integer(s);
    return n !== undefined && n >= 1 && n <= 12 ? n : undefined;
  },
  (r) => (r.begin > r.end ? 'end month is before start month' : undefined),
);

const dayOfMonthSchema = rangeSchema('day of month', integer, (r) => {
  for (const d of [r.begin, r.end])
    if (d === 0 || d < -31 || d > 31) return `${d} is not a day of a month (1..31 or -31..-1)`;
  // Only ranges of one sign can be ordered without knowing the month.
  if (Math.sign(r.begin) === Math.sign(r.end) && r.begin > r.end) return 'start day is after end day';
  if (r.begin > 0 && r.end < 0 && r.begin > 31 + r.end + 1) return 'start day is after end day';
  return undefined;
});

const yearSchema = rangeSchema(
  'year',
  (s) => {
    const n = integer(s);
    return n !== undefined && n > 0 ? n : undefined;
  },
  (r) => (r.begin > r.end ? 'end year is before start year' : undefined),
);

const clockTime = z.string().transform((text, ctx) => {
  const m = /^(\d{2}):(\d{2})$/.exec(text);
  const minutes = m ? Number(m[1]) * 60 + Number(m[2]) : Number.NaN;
  if (!m || Number(m[2]) > 59 || minutes > 24 * 60) {
    ctx.addIssue({
      code: 'custom',
      message: `invalid time "${text}": expected HH:MM between 00:00 and 24:00`,
    });
    return z.NEVER;
  }
  return minutes;
});

const locationSchema = z.string().refine(
  (zone) => {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: zone === 'Local' ? undefined : zone });
      return true;
    } catch {
      return false;
    }
  },
  {
    error: (issue) => `unknown time zone "${String(issue.input)}": expected an IANA name like Europe/Berlin`,
  },
);

export const timeIntervalSchema = z
  .strictObject({
    times: z
      .array(z.strictObject({ start_time: clockTime, end_time: clockTime }))
      .superRefine((times, ctx) => {
        times.forEach((t, i) => {
          if (t.start_time >= t.end_time)
            ctx.addIssue({ code: 'custom', path: [i], message: 'start_time must be before end_time' });
        });
      })
      .optional(),
    weekdays: z.array(weekdaySchema).optional(),
    days_of_month: z.array(dayOfMonthSchema).optional(),
    months: z.array(monthSchema).optional(),
    years: z.array(yearSchema).optional(),
    location: locationSchema.default('UTC'),
  })
  .transform(
    (t): TimeInterval => ({
      times: t.times?.map((r) => ({ begin: r.start_time, end: r.end_time })),
      weekdays: t.weekdays,
      daysOfMonth: t.days_of_month,
      months: t.months,
      years: t.years,
      location: t.location,
    }),
  );

/** `time_intervals:` (and the older `mute_time_intervals:`) entries: a name and its intervals. */
export const namedTimeIntervalSchema = z.strictObject({
  name: z.string().min(1),
  time_intervals: z.array(timeIntervalSchema).default([]),
});

interface LocalTime {
  year: number;
  month: number;
  day: number;
  weekday: number;
  minuteOfDay: number;
  daysInMonth: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** The calendar fields of `t` in `zone`; formatters are cached, as building one is slow. */
export function localTime(t: number, zone: string): LocalTime {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone === 'Local' ? undefined : zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      weekday: 'long',
    });
    formatters.set(zone, f);
  }
  const parts: Record<string, string> = {};
  for (const p of f.formatToParts(t)) parts[p.type] = p.value;
  const year = Number(parts.year);
  const month = Number(parts.month);
  return {
    year,
    month,
    day: Number(parts.day),
    weekday: weekdayNames.indexOf(parts.weekday!.toLowerCase()),
    minuteOfDay: Number(parts.hour) * 60 + Number(parts.minute),
    daysInMonth: new Date(Date.UTC(year, month, 0)).getUTCDate(),
  };
}

const inAny = (ranges: Range[] | undefined, v: number) =>
  ranges === undefined || ranges.some((r) => v >= r.begin && v <= r.end);

/**
 * True when `t` (ms) falls in the interval.
 *
 * @example
 * const nights = timeIntervalSchema.parse({ times: [{ start_time: '22:00', end_time: '24:00' }] });
 * intervalContains(nights, Date.parse('2026-01-01T23:00:00Z')); // true
 */
export function intervalContains(interval: TimeInterval, t: number): boolean {
  const lt = localTime(t, interval.location);
  if (interval.times && !interval.times.some((r) => lt.minuteOfDay >= r.begin && lt.minuteOfDay < r.end))
    return false;
  if (!inAny(interval.weekdays, lt.weekday)) return false;
  if (interval.daysOfMonth) {
    const n = lt.daysInMonth;
    const hit = interval.daysOfMonth.some((r) => {
      const begin = r.begin < 0 ? n + r.begin + 1 : r.begin;
      const end = r.end < 0 ? n + r.end + 1 : r.end;
      // A range starting past this month's end (the 31st in April) does not spill into the next.
      if (begin > n) return false;
      return lt.day >= Math.max(begin, 1) && lt.day <= Math.min(end, n);
    });
    if (!hit) return false;
  }
  if (!inAny(interval.months, lt.month)) return false;
  return inAny(interval.years, lt.year);
}

/** True when `t` falls in any of the intervals (a named entry of `time_intervals`). */
export function anyContains(intervals: readonly TimeInterval[], t: number): boolean {
  return intervals.some((i) => intervalContains(i, t));
}
