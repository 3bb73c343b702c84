import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatMatchers, matchesAll, parseMatcher, parseMatchers } from '../../../alerting/notify/index.ts';
import { isVigilError } from '../../../core/index.ts';

const plain = (text: string) =>
  parseMatchers(text).map((m) => ({ name: m.name, type: m.type, value: m.value }));

describe('Alertmanager matcher syntax', () => {
  it('reads the four operators, quoted and bare values, with or without braces', () => {
    expect(plain('{alertname="DiskFull", team!="web", instance=~"db[0-9]+", env!~"dev|test"}')).toEqual([
      { name: 'alertname', type: '=', value: 'DiskFull' },
      { name: 'team', type: '!=', value: 'web' },
      { name: 'instance', type: '=~', value: 'db[0-9]+' },
      { name: 'env', type: '!~', value: 'dev|test' },
    ]);
    expect(plain('severity=page,team = db')).toEqual([
      { name: 'severity', type: '=', value: 'page' },
      { name: 'team', type: '=', value: 'db' },
    ]);
  });

  it('keeps commas inside quotes and unescapes \\" \\\\ \\n, leaving other escapes as written', () => {
    expect(plain('msg="a, b", path="C:\\\\x", q="say \\"hi\\"", nl="1\\n2", re=~"\\d+"')).toEqual([
      { name: 'msg', type: '=', value: 'a, b' },
      { name: 'path', type: '=', value: 'C:\\x' },
      { name: 'q', type: '=', value: 'say "hi"' },
      { name: 'nl', type: '=', value: '1\n2' },
      { name: 're', type: '=~', value: '\\d+' },
    ]);
  });

  it('anchors regexes fully, as Alertmanager does', () => {
    const m = parseMatcher('instance=~"db.*"');
    expect(m.matches('db1')).toBe(true);
    expect(m.matches('mydb1')).toBe(false);
    expect(matchesAll(parseMatchers('{a="1", b!~"x|y"}'), { a: '1' })).toBe(true);
    expect(matchesAll(parseMatchers('{a="1", b!~"x|y"}'), { a: '1', b: 'x' })).toBe(false);
  });

  it('refuses bad input with the reason', () => {
    expect(() => parseMatcher('no operator')).toThrow(/bad matcher format: no operator/);
    expect(() => parseMatcher('1a="x"')).toThrow(/bad matcher format/);
    expect(() => parseMatcher('a="x')).toThrow(/unescaped double quote/);
    expect(() => parseMatcher('a="x"y"')).toThrow(/unescaped double quote/);
    expect(() => parseMatcher('a=~"("')).toThrow(/invalid regular expression/);
  });

  it('reads back what it prints, for any names and values (fuzzed)', () => {
    const name = fc.stringMatching(/^[a-zA-Z_][a-zA-Z0-9_]{0,8}$/);
    const type = fc.constantFrom('=' as const, '!=' as const);
    const value = fc.string({ maxLength: 12, unit: 'grapheme' });
    fc.assert(
      fc.property(fc.array(fc.record({ name, type, value }), { minLength: 1, maxLength: 4 }), (ms) => {
        expect(plain(formatMatchers(ms))).toEqual(ms);
      }),
      { numRuns: 500 },
    );
  });

  it('never throws anything but a VigilError on arbitrary text (fuzzed)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (text) => {
        try {
          parseMatchers(text);
        } catch (err) {
          expect(isVigilError(err, 'parse')).toBe(true);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
