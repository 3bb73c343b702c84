import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type SilenceInput, Silences, silenceRetentionMs } from '../../../alerting/notify/index.ts';
import { isVigilError, ManualClock } from '../../../core/index.ts';

const t0 = Date.parse('2026-03-02T10:00:00Z');
const hour = 3_600_000;
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'vigil-silences-'));
  dirs.push(d);
  return d;
};

const input = (over: Partial<SilenceInput> = {}): SilenceInput => ({
  matchers: [{ name: 'team', value: 'db', isRegex: false, isEqual: true }],
  startsAt: t0,
  endsAt: t0 + hour,
  createdBy: 'ana',
  comment: 'failover drill',
  ...over,
});

describe('silences', () => {
  it('mutes matching alerts only while active', async () => {
    const clock = new ManualClock(t0);
    const s = new Silences({ clock });
    const id = s.set(input({ startsAt: t0 + 10 * 60_000 }));
    expect(s.mutes({ team: 'db' })).toEqual([]); // pending
    await clock.advance(10 * 60_000);
    expect(s.mutes({ team: 'db', instance: 'x' })).toEqual([id]);
    expect(s.mutes({ team: 'web' })).toEqual([]);
    await clock.advance(hour);
    expect(s.mutes({ team: 'db' })).toEqual([]); // expired
    expect(s.get(id)!.endsAt).toBe(t0 + hour);
  });

  it('survives a reopen of the data directory, and a torn temp file does not matter', async () => {
    const dir = tempDir();
    const clock = new ManualClock(t0);
    const first = new Silences({ dataDir: dir, clock });
    const a = first.set(input());
    const b = first.set(
      input({ matchers: [{ name: 'instance', value: 'db.*', isRegex: true, isEqual: true }] }),
    );
    first.expire(b);
    // A crash mid-write leaves the temp file; the renamed file is still whole.
    writeFileSync(join(dir, 'notify', 'silences.json.tmp'), '{"version":1,"sil');
    const second = new Silences({ dataDir: dir, clock });
    expect(second.list().map((s) => [s.id, s.endsAt])).toEqual(
      expect.arrayContaining([
        [a, t0 + hour],
        [b, t0],
      ]),
    );
    expect(second.mutes({ team: 'db' })).toEqual([a]);
    expect(second.mutes({ instance: 'db1' })).toEqual([]);
  });

  it('keeps expired silences for the retention, then drops them from memory and disk', async () => {
    const dir = tempDir();
    const clock = new ManualClock(t0);
    const s = new Silences({ dataDir: dir, clock });
    const id = s.set(input());
    await clock.advance(hour + silenceRetentionMs);
    expect(s.list().map((x) => x.id)).toEqual([id]);
    await clock.advance(1);
    expect(s.list()).toEqual([]);
    expect(JSON.parse(readFileSync(join(dir, 'notify', 'silences.json'), 'utf8')).silences).toEqual([]);
  });

  it('updates in place when only the end moves, otherwise replaces with a new id (as Alertmanager)', async () => {
    const clock = new ManualClock(t0);
    const s = new Silences({ clock });
    const id = s.set(input());
    await clock.advance(60_000);
    expect(s.set(input({ id, endsAt: t0 + 2 * hour }))).toBe(id);
    expect(s.get(id)!.endsAt).toBe(t0 + 2 * hour);
    const other = s.set(
      input({ id, matchers: [{ name: 'team', value: 'queue', isRegex: false, isEqual: true }] }),
    );
    expect(other).not.toBe(id);
    expect(s.get(id)!.endsAt).toBe(t0 + 60_000); // the old one expired now
    expect(s.get(other)!.startsAt).toBe(t0 + 60_000); // a start in the past becomes now
  });

  it('refuses invalid silences, unknown ids, double expiry, and too many live silences', () => {
    const clock = new ManualClock(t0);
    const s = new Silences({ clock, maxLive: 2 });
    const code = (fn: () => unknown) => {
      try {
        fn();
      } catch (err) {
        if (isVigilError(err)) return `${err.code}: ${err.message}`;
        throw err;
      }
      return 'ok';
    };
    expect(code(() => s.set(input({ matchers: [] })))).toBe('parse: at least one matcher required');
    expect(
      code(() => s.set(input({ matchers: [{ name: 'a', value: '', isRegex: false, isEqual: true }] }))),
    ).toBe('parse: at least one matcher must not match the empty string');
    expect(
      code(() => s.set(input({ matchers: [{ name: 'a-b', value: 'x', isRegex: false, isEqual: true }] }))),
    ).toBe('parse: invalid label name "a-b" in matcher');
    expect(code(() => s.set(input({ endsAt: t0 })))).toBe('parse: start time must be before end time');
    expect(code(() => s.set(input({ comment: ' ' })))).toBe('parse: comment is required');
    expect(code(() => s.set(input({ id: 'nope' })))).toBe('not_found: silence nope not found');
    const id = s.set(input());
    s.set(input());
    expect(code(() => s.set(input()))).toBe('limit: too many silences: 2 are pending or active (limit 2)');
    s.expire(id);
    expect(code(() => s.expire(id))).toBe(`conflict: silence ${id} already expired`);
    expect(code(() => s.set(input()))).toBe('ok');
  });

  it('undoes a change it could not write, so what was acknowledged is what a restart finds', () => {
    const dir = tempDir();
    const clock = new ManualClock(t0);
    const s = new Silences({ dataDir: dir, clock });
    const kept = s.set(input());
    // The notify directory replaced by a file: every write fails.
    rmSync(join(dir, 'notify'), { recursive: true });
    writeFileSync(join(dir, 'notify'), '');
    expect(() => s.set(input())).toThrow(/cannot write/);
    expect(() => s.expire(kept)).toThrow(/cannot write/);
    expect(s.list().map((x) => [x.id, x.endsAt])).toEqual([[kept, t0 + hour]]);
  });

  it('refuses to start on a file that is not a silences file, rather than forget every silence', () => {
    const dir = tempDir();
    new Silences({ dataDir: dir }).set(input({ endsAt: Date.now() + hour, startsAt: Date.now() }));
    writeFileSync(join(dir, 'notify', 'silences.json'), '{"version":1,"silences":[{"id":1}]}');
    expect(() => new Silences({ dataDir: dir })).toThrow(/not a vigil silences file/);
    writeFileSync(join(dir, 'notify', 'silences.json'), 'garbage');
    expect(() => new Silences({ dataDir: dir })).toThrow(/not valid JSON/);
    expect(existsSync(join(dir, 'notify', 'silences.json'))).toBe(true);
  });
});
