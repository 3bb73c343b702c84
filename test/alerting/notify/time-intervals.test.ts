import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { intervalContains, namedTimeIntervalSchema } from '../../../alerting/notify/index.ts';

const interval = (spec: unknown) =>
  namedTimeIntervalSchema.parse({ name: 't', time_intervals: [spec] }).time_intervals[0]!;
const at = (iso: string) => Date.parse(iso);

describe('time intervals (Alertmanager semantics)', () => {
  it('includes the start minute and excludes the end minute', () => {
    const night = interval({ times: [{ start_time: '22:00', end_time: '24:00' }] });
    expect(intervalContains(night, at('2026-03-02T21:59:59Z'))).toBe(false);
    expect(intervalContains(night, at('2026-03-02T22:00:00Z'))).toBe(true);
    expect(intervalContains(night, at('2026-03-02T23:59:59Z'))).toBe(true);
    expect(intervalContains(night, at('2026-03-03T00:00:00Z'))).toBe(false);
  });

  it('requires every field it sets: business hours on weekdays', () => {
    const business = interval({
      times: [{ start_time: '09:00', end_time: '17:00' }],
      weekdays: ['monday:friday'],
    });
    expect(intervalContains(business, at('2026-03-02T10:00:00Z'))).toBe(true); // Monday
    expect(intervalContains(business, at('2026-03-07T10:00:00Z'))).toBe(false); // Saturday
    expect(intervalContains(business, at('2026-03-02T18:00:00Z'))).toBe(false);
  });

  it('reads times in the location, across daylight saving', () => {
    const berlin = interval({
      times: [{ start_time: '09:00', end_time: '10:00' }],
      location: 'Europe/Berlin',
    });
    expect(intervalContains(berlin, at('2026-01-15T08:30:00Z'))).toBe(true); // CET, UTC+1
    expect(intervalContains(berlin, at('2026-07-15T08:30:00Z'))).toBe(false); // CEST, UTC+2: 10:30
    expect(intervalContains(berlin, at('2026-07-15T07:30:00Z'))).toBe(true);
  });

  it('counts negative days of month from the end and does not spill into the next month', () => {
    const lastDays = interval({ days_of_month: ['-3:-1'] });
    expect(intervalContains(lastDays, at('2026-02-26T12:00:00Z'))).toBe(true); // Feb has 28 days
    expect(intervalContains(lastDays, at('2026-02-25T12:00:00Z'))).toBe(false);
    const thirtyFirst = interval({ days_of_month: ['31'] });
    expect(intervalContains(thirtyFirst, at('2026-04-30T12:00:00Z'))).toBe(false);
    expect(intervalContains(thirtyFirst, at('2026-05-31T12:00:00Z'))).toBe(true);
  });

  it('reads months by name or number, and year ranges', () => {
    const q1 = interval({ months: ['january:march'], years: ['2026:2027'] });
    expect(intervalContains(q1, at('2026-02-10T00:00:00Z'))).toBe(true);
    expect(intervalContains(q1, at('2026-04-10T00:00:00Z'))).toBe(false);
    expect(intervalContains(q1, at('2028-02-10T00:00:00Z'))).toBe(false);
    expect(intervalContains(interval({ months: ['12'] }), at('2026-12-01T00:00:00Z'))).toBe(true);
  });

  it('refuses what Alertmanager refuses', () => {
    const bad = (spec: unknown) => {
      const r = namedTimeIntervalSchema.safeParse({ name: 't', time_intervals: [spec] });
      expect(r.success).toBe(false);
      return z.prettifyError(r.error!);
    };
    expect(bad({ times: [{ start_time: '10:00', end_time: '09:00' }] })).toMatch(/start_time must be before/);
    expect(bad({ times: [{ start_time: '25:00', end_time: '26:00' }] })).toMatch(/invalid time "25:00"/);
    expect(bad({ weekdays: ['funday'] })).toMatch(/invalid weekday "funday"/);
    expect(bad({ weekdays: ['friday:monday'] })).toMatch(/start day cannot be after end day/);
    expect(bad({ days_of_month: ['0'] })).toMatch(/not a day of a month/);
    expect(bad({ months: ['13'] })).toMatch(/invalid month "13"/);
    expect(bad({ location: 'Mars/Olympus' })).toMatch(/unknown time zone "Mars\/Olympus"/);
  });
});
