import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { kinds } from '../../../alerting/index.ts';

/**
 * The backtest loader's fast path (alerting/kinds/openmetrics-fast-path.ts) against core's
 * scanner on every line (`fastPath: false`): same series, same samples bit for bit, same report,
 * or the same error, on random OpenMetrics text cut into random pieces.
 */

type Loader = InstanceType<typeof kinds.OpenMetricsLoader>;

/** What a loader left: its report, every series with its samples as bit patterns, its error. */
function outcome(loader: Loader, error: unknown) {
  const series = loader.store
    .select([], Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER)
    .map((s) => ({
      labels: JSON.stringify(Object.entries(s.labels).sort()),
      t: [...s.t],
      // Bits, so that NaN payloads and -0 are compared too.
      v: [...new BigUint64Array(Float64Array.from(s.v).buffer)].map(String),
    }))
    .sort((a, b) => (a.labels < b.labels ? -1 : a.labels > b.labels ? 1 : 0));
  return {
    report: { ...loader.report },
    series,
    error: error === undefined ? undefined : String((error as Error).message),
    line:
      error === undefined ? undefined : ((error as { details?: { line?: number } }).details?.line ?? null),
  };
}

function loadPieces(pieces: readonly string[], fastPath: boolean) {
  const loader = new kinds.OpenMetricsLoader(kinds.backtestStore(), { fastPath });
  let error: unknown;
  try {
    pieces.forEach((p, i) => {
      loader.load(p, i === pieces.length - 1);
    });
  } catch (err) {
    error = err;
  }
  return outcome(loader, error);
}

const seriesTexts = [
  'a',
  'b_total',
  'c:d',
  'a{}',
  'a{x="1"}',
  'a{x="2"}',
  'a{x="1",y="2"}',
  'a{y="2",x="1"}',
  'a{x="sp ace"}',
  'a{x="br}ace"}',
  'a{x="q\\"uote"}',
  'a{x="back\\\\slash"}',
  'a{x="new\\nline"}',
  'a{x="odd\\qescape"}',
  'a{x="é ünï"}',
  'a{x=""}',
  'a{x="1",x="2"}',
  'a{__name__="b"}',
  'a{x="1",}',
  'a{x="unterminated}',
  'a {x="1"}',
  '1a',
];

const values = [
  '0',
  '1',
  '42',
  '-1.5',
  '1e3',
  '1E-2',
  '.5',
  '5.',
  '+Inf',
  '-Inf',
  'Inf',
  'NaN',
  'nan',
  '-0',
  '123456789012345678',
  '9007199254740993',
  '1e400',
  '0x10',
  '1_0',
  '',
  'x',
];

const timestamps = [
  '1',
  '0',
  '1.5',
  '1.123456',
  '1767571200.000',
  '1767571215',
  '999999999999',
  '9999999999999',
  '123456789012345',
  '-1',
  '+5',
  '1e3',
  '0.0001',
  '1.',
  '.5',
  'NaN',
  'Inf',
  'x',
  '',
];

/** Any sample line: series, value and timestamp drawn from the lists, odd tails. */
const anyLine = fc
  .tuple(
    fc.constantFrom(...seriesTexts),
    fc.constantFrom(...values),
    fc.constantFrom(...timestamps),
    fc.constantFrom('', ' # {id="e"} 1', ' # {id="e"} 1 2', ' ', '\r'),
    fc.boolean(),
  )
  .map(([series, value, ts, tail, timed]) =>
    timed ? `${series} ${value} ${ts}${tail}` : `${series} ${value}${tail}`,
  );

/** A valid timed sample of a few series, so that series repeat and the fast path reads them. */
const validLine = fc
  .tuple(
    fc.constantFrom(...seriesTexts.slice(0, 16)),
    fc.oneof(
      fc.constantFrom(...values.slice(0, 16)),
      fc.integer({ min: 0, max: 1e6 }).map(String),
      fc.double().map(String),
    ),
    fc.oneof(
      fc.integer({ min: 1_700_000_000, max: 1_700_000_100 }).map(String),
      fc
        .tuple(
          fc.integer({ min: 1_700_000_000, max: 1_700_000_100 }),
          fc.integer({ min: 0, max: 999_999 }),
          fc.integer({ min: 0, max: 6 }),
        )
        .map(([s, f, digits]) => `${s}.${String(f).padStart(6, '0').slice(0, digits)}`),
      fc.constantFrom(...timestamps.slice(0, 9)),
    ),
  )
  .map(([series, value, ts]) => `${series} ${value} ${ts}`);

const otherLine = fc.constantFrom(
  '# TYPE a gauge',
  '# TYPE a nonsense',
  '# HELP a some text',
  '# UNIT a_seconds seconds',
  '# UNIT a seconds',
  '# a plain comment',
  '#',
  '',
  '# EOF',
  '# EOFx',
);

/** A body: mostly valid timed samples of few series (so that series repeat), some odd lines. */
const body = fc
  .tuple(
    fc.array(
      fc.oneof(
        { weight: 60, arbitrary: validLine },
        { weight: 1, arbitrary: anyLine },
        { weight: 1, arbitrary: otherLine },
      ),
      { maxLength: 60 },
    ),
    fc.constantFrom('# EOF\n', '# EOF\n', '# EOF\n', '# EOF', '', '# EOF\na 1 1\n'),
  )
  .map(([lines, end]) => (lines.length > 0 ? `${lines.join('\n')}\n` : '') + end);

/** Cuts a body into pieces at line ends (where the file shell cuts). */
function cut(text: string, at: readonly number[]): string[] {
  const ends: number[] = [];
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) ends.push(i + 1);
  const chosen = [
    ...new Set(at.map((k) => ends[k % Math.max(ends.length, 1)]).filter((e) => e !== undefined)),
  ]
    .filter((e) => e < text.length)
    .sort((a, b) => a - b);
  const pieces: string[] = [];
  let from = 0;
  for (const e of chosen) {
    pieces.push(text.slice(from, e));
    from = e;
  }
  pieces.push(text.slice(from));
  return pieces;
}

describe('OpenMetricsLoader fast path', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-om-loader-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('gives what core scanner gives, line for line, on random text in random pieces', () => {
    fc.assert(
      fc.property(body, fc.array(fc.nat(), { maxLength: 4 }), (text, at) => {
        const pieces = cut(text, at);
        expect(loadPieces(pieces, true)).toEqual(loadPieces(pieces, false));
      }),
      { numRuns: 1500 },
    );
  });

  it('reads repeated series by id with exact values and milliseconds', () => {
    const text = [
      '# TYPE a gauge',
      'a{x="1"} 1 1767571200.000',
      'a{x="2"} NaN 1767571200.000',
      'a{x="1"} -1.5e-3 1767571215.1239',
      'a{x="2"} +Inf 1767571215.5',
      'a{x="1"} 2 1767571230.',
      'a{x="2"} -0 1767571230.001',
      'a{x="1"} 1 1767571215',
      '# EOF',
      '',
    ].join('\n');
    const fast = loadPieces([text], true);
    expect(fast).toEqual(loadPieces([text], false));
    expect(fast.report).toEqual({
      series: 2,
      samples: 6,
      outOfOrder: 1,
      minT: 1_767_571_200_000,
      maxT: 1_767_571_230_001,
    });
    expect(fast.series[0]!.t).toEqual([1_767_571_200_000, 1_767_571_215_123, 1_767_571_230_000]);
    expect(fast.series[1]!.t).toEqual([1_767_571_200_000, 1_767_571_215_500, 1_767_571_230_001]);
  });

  it('names the line in the whole file when a known series has a bad value, pieces or not', () => {
    const lines = ['# TYPE a gauge'];
    for (let i = 0; i < 200; i++) lines.push(`a{x="${i % 3}"} ${i} ${1_700_000_000 + i * 15}`);
    lines[150] = `a{x="1"} 1oo ${1_700_000_000 + 149 * 15}`;
    const text = `${lines.join('\n')}\n# EOF\n`;
    const file = join(dir, 'bad.om');
    writeFileSync(file, text);
    // 8 bytes: every line is longer than a piece, so the shell must grow its buffer.
    for (const size of [8, 64, 1000, 1 << 20]) {
      expect(() =>
        kinds.loadOpenMetricsFile(new kinds.OpenMetricsLoader(kinds.backtestStore()), file, undefined, size),
      ).toThrow(`${file}:151: expected a number, NaN, +Inf or -Inf as the sample value, got "1oo`);
    }
  });

  it('streams a file in pieces smaller than a line with the same store as one piece', () => {
    const lines = ['# TYPE a gauge', '# HELP a é ünï'];
    for (let i = 0; i < 100; i++) lines.push(`a{x="${i % 4}",y="é"} ${i / 7} ${1_700_000_000 + i * 15}.25`);
    const text = `${lines.join('\n')}\n# EOF\n`;
    const file = join(dir, 'small.om');
    writeFileSync(file, text);
    const load = (size: number) => {
      const loader = new kinds.OpenMetricsLoader(kinds.backtestStore());
      kinds.loadOpenMetricsFile(loader, file, undefined, size);
      return outcome(loader, undefined);
    };
    const whole = load(1 << 20);
    expect(whole.report).toMatchObject({ series: 4, samples: 100 });
    for (const size of [3, 8, 50]) expect(load(size)).toEqual(whole);
    expect(whole).toEqual(loadPieces([text], false));
  });

  it('refuses an untimed sample of a known series, and data after # EOF', () => {
    const untimed = 'a 1 1\na 1 2\na 3\n# EOF\n';
    expect(loadPieces([untimed], true).error).toBe(
      'sample a has no timestamp: a backtest needs every sample timed',
    );
    const after = 'a 1 1\n# EOF\na 1 2\n';
    expect(loadPieces(['a 1 1\n', after.slice(6)], true)).toEqual(
      loadPieces(['a 1 1\n', after.slice(6)], false),
    );
    expect(loadPieces([after], true).error).toBe('line 3: unexpected data after "# EOF"');
  });
});
