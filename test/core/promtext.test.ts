import { describe, expect, it } from 'vitest';
import {
  contentTypes,
  formatFromAccept,
  formatFromContentType,
  isVigilError,
  type MetricFamily,
  parseExposition,
  parseSamples,
  parseValue,
  type Sample,
  scanExposition,
  scrapeAcceptHeader,
  writeExposition,
} from '../../core/index.ts';

/** The parse error of `text`, asserting it is a VigilError('parse'). */
function parseError(text: string, format: 'prometheus' | 'openmetrics'): string {
  try {
    parseExposition(text, { format });
  } catch (err) {
    expect(isVigilError(err, 'parse')).toBe(true);
    return (err as Error).message;
  }
  throw new Error(`expected ${JSON.stringify(text)} to be refused`);
}

function samples(text: string, format: 'prometheus' | 'openmetrics' = 'prometheus'): Sample[] {
  const out: Sample[] = [];
  parseSamples(text, (s) => out.push(s), { format });
  return out;
}

describe('Prometheus text format 0.0.4', () => {
  // Adapted from prometheus/prometheus model/textparse/promparse_test.go.
  const input = `# HELP go_gc_duration_seconds A summary of the GC invocation durations.
# 	TYPE go_gc_duration_seconds summary
go_gc_duration_seconds{quantile="0"} 4.9351e-05
go_gc_duration_seconds{quantile="0.25",} 7.424100000000001e-05
go_gc_duration_seconds{quantile="0.5",a="b"} 8.3835e-05
# Hrandom comment starting with prefix of HELP
#
wind_speed{A="2",c="3"} 12345
# comment with escaped \\n newline
# HELP nohelp1
go_gc_duration_seconds{ quantile="1.0", a="b" } 8.3835e-05
go_gc_duration_seconds { quantile = "2.0" a = "b" } 8.3835e-05
go_gc_duration_seconds_count 99
some:aggregate:rate5m{a_b="c"}	1
# HELP go_goroutines Number of goroutines that currently exist.
# TYPE go_goroutines gauge
go_goroutines 33  	123123
_metric_starting_with_underscore 1
testmetric{label="\\"bar\\""} 1
# HELP metric help with \\\\ backslash, \\n newline and \\" kept
  # an indented comment
  	
last 2`;

  it('reads samples, metadata, comments and the whitespace Prometheus allows', () => {
    const families = parseExposition(input);
    expect(families.map((f) => [f.name, f.type, f.help])).toEqual([
      ['go_gc_duration_seconds', 'summary', 'A summary of the GC invocation durations.'],
      ['wind_speed', 'unknown', undefined],
      ['nohelp1', 'unknown', ''],
      ['some:aggregate:rate5m', 'unknown', undefined],
      ['go_goroutines', 'gauge', 'Number of goroutines that currently exist.'],
      ['_metric_starting_with_underscore', 'unknown', undefined],
      ['testmetric', 'unknown', undefined],
      ['metric', 'unknown', 'help with \\ backslash, \n newline and \\" kept'],
      ['last', 'unknown', undefined],
    ]);
    const gc = families[0]!;
    expect(gc.samples).toEqual([
      { name: 'go_gc_duration_seconds', labels: { quantile: '0' }, value: 4.9351e-5 },
      { name: 'go_gc_duration_seconds', labels: { quantile: '0.25' }, value: 7.424100000000001e-5 },
      { name: 'go_gc_duration_seconds', labels: { quantile: '0.5', a: 'b' }, value: 8.3835e-5 },
      { name: 'go_gc_duration_seconds', labels: { quantile: '1.0', a: 'b' }, value: 8.3835e-5 },
      { name: 'go_gc_duration_seconds', labels: { quantile: '2.0', a: 'b' }, value: 8.3835e-5 },
      { name: 'go_gc_duration_seconds_count', labels: {}, value: 99 },
    ]);
    expect(families[4]!.samples).toEqual([
      { name: 'go_goroutines', labels: {}, value: 33, timestampMs: 123123 },
    ]);
    expect(families[6]!.samples[0]!.labels).toEqual({ label: '"bar"' });
    expect(families[8]!.samples).toEqual([{ name: 'last', labels: {}, value: 2 }]);
  });

  it.each([
    ['NaN', Number.NaN],
    ['nan', Number.NaN],
    ['+Inf', Infinity],
    ['-Inf', -Infinity],
    ['inf', Infinity],
    ['-infinity', -Infinity],
    ['Infinity', Infinity],
    ['1', 1],
    ['-0', -0],
    ['.5', 0.5],
    ['5.', 5],
    ['+1.5e3', 1500],
    ['1E-3', 0.001],
    ['0123', 123],
    ['1e308', 1e308],
    ['123456789012345678', 123456789012345680],
  ])('reads the value %s', (text, value) => {
    expect(samples(`m ${text}\n`)[0]!.value).toBe(value);
  });

  it.each([
    ['0x1p-3', 'hex float'],
    ['0x10', 'hex'],
    ['1_000', 'underscore'],
    ['1e400', 'overflow'],
    ['+nan', 'signed NaN'],
    ['true', 'word'],
    ['1e', 'exponent without digits'],
    ['.', 'lone dot'],
    ['--1', 'double sign'],
    ['1\r', 'carriage return'],
    ['infinit', 'partial infinity'],
  ])('refuses the value %j (%s)', (text) => {
    expect(parseError(`ok 1\nm ${text}\n`, 'prometheus')).toMatch(
      /^exposition line 2: expected a number, NaN, \+Inf or -Inf/,
    );
  });

  it.each([
    ["a{b='c'} 1", 'a quoted value for label "b"'],
    ['a{b="c" 1', 'a label name or "}"'],
    ['a{,b="c"} 1', 'a label name or "}"'],
    ['a{b="c",,d="e"} 1', 'a label name or "}"'],
    ['a{b=c} 1', 'a quoted value for label "b"'],
    ['a{b} 1', '"=" after label name "b"'],
    ['a 1 -1', 'a timestamp in milliseconds or the end of the line'],
    ['a 1 1z', 'the end of the line after the timestamp'],
    ['a 1 1 1', 'the end of the line after the timestamp'],
    ['a 1 1.5', 'the end of the line after the timestamp'],
    ['{a="b"} 1', 'a metric name'],
    ['a{b="c"}{d="e"} 1', 'a value after "a"'],
    ['a', 'a value after "a"'],
    ['9a 1', 'a metric name'],
    ['a{b="c\\\nd"} 1', 'an escape sequence'],
    ['a{b="c"', 'a label name or "}"'],
    ['a{b="c', 'unterminated quoted label value'],
    ['a 1 9223372036854775808', 'a timestamp in milliseconds that fits in 64 bits'],
    ['# HELP a\u00e9 text', 'a blank after "a"'],
    ['  a 1', 'a metric name at the start of the line (no leading blanks)'],
    ['\ta 1', 'a metric name at the start of the line (no leading blanks)'],
  ])('refuses %j', (text, expected) => {
    expect(parseError(`ok 1\n${text}\n`, 'prometheus')).toContain(expected);
  });

  it.each([
    ['# TYPE a countr', 'invalid metric type "countr" for "a"'],
    ['# TYPE a counter extra', 'invalid metric type "counter extra"'],
    ['# TYPE a counter ', 'invalid metric type "counter "'],
    ['# TYPE a gaugehistogram', 'invalid metric type "gaugehistogram"'],
    ['# TYPE a unknown', 'invalid metric type "unknown"'],
    ['# TYPE \n', 'a metric name after TYPE'],
    ['# HELP 9 x', 'a metric name after HELP'],
  ])('refuses the metadata line %j', (text, expected) => {
    expect(parseError(`ok 1\n${text}\n`, 'prometheus')).toContain(expected);
  });

  it('refuses a label name repeated in one sample, and __name__ among the labels', () => {
    expect(parseError('a{b="1",b="2"} 1', 'prometheus')).toContain('duplicate label name "b"');
    expect(parseError('a{__name__="b"} 1', 'prometheus')).toContain('"__name__" repeats the metric name');
  });

  it('finds a repeated label name wherever it is, and keeps a label named __proto__', () => {
    expect(parseError('a{x="1",y="2",x="3"} 1', 'prometheus')).toContain('duplicate label name "x"');
    expect(parseError('a{y="1",x="2"} 1\na{x="1",y="2",y="3"} 1', 'prometheus')).toMatch(
      /^exposition line 2: duplicate label name "y"/,
    );
    const [sample] = samples('a{__proto__="p",constructor="c"} 1');
    expect(Object.entries(sample!.labels)).toEqual([
      ['__proto__', 'p'],
      ['constructor', 'c'],
    ]);
    expect(writeExposition(parseExposition('a{__proto__="p"} 1'))).toContain('a{__proto__="p"} 1');
  });

  it('names the line of the error, counting newlines inside label values', () => {
    expect(parseError('a 1\n\n# c\nb{x="multi\nline"} 1\nc{ 3\n', 'prometheus')).toMatch(
      /^exposition line 6: /,
    );
    try {
      parseExposition('a 1\nb x\n');
    } catch (err) {
      expect((err as { details: unknown }).details).toEqual({ line: 2 });
    }
  });

  it('keeps label values with raw newlines and unknown escapes as Prometheus does', () => {
    expect(samples('a{b="x\ny",c="\\t\\\\\\n\\""} 1')[0]!.labels).toEqual({ b: 'x\ny', c: '\\t\\\n"' });
  });

  it('reads timestamps up to the int64 range, as Prometheus does', () => {
    expect(samples('a 1 9223372036854775807\n')[0]!.timestampMs).toBe(Number('9223372036854775807'));
    expect(samples('a 1 00000000000000000000001\n')[0]!.timestampMs).toBe(1);
  });

  it('drops the first character after a HELP name when it is ASCII, as Prometheus does', () => {
    expect(parseExposition('# HELP a.b c\n')).toEqual([
      { name: 'a', type: 'unknown', help: 'b c', samples: [] },
    ]);
  });

  it('reads a NUL at the start of a line as the end of the input, as Prometheus does', () => {
    expect(samples('a 1\n\u0000\nb{ 2\n')).toEqual([{ name: 'a', labels: {}, value: 1 }]);
  });

  it('accepts a missing final newline, blank lines and an empty input', () => {
    expect(samples('a 1')).toEqual([{ name: 'a', labels: {}, value: 1 }]);
    expect(parseExposition('')).toEqual([]);
    expect(parseExposition('\n\n  \t\n')).toEqual([]);
  });

  it('treats #HELP without a blank, and a bare # TYPE, as comments', () => {
    expect(parseExposition('#HELP a x\n# TYPE\n#TYPE a counter\na 1\n')).toEqual([
      { name: 'a', type: 'unknown', samples: [{ name: 'a', labels: {}, value: 1 }] },
    ]);
  });

  it('groups samples into families by name and type, as Prometheus relates metadata to series', () => {
    const text = `# TYPE rpc_seconds histogram
rpc_seconds_bucket{le="0.1"} 1
rpc_seconds_bucket{le="+Inf"} 2
rpc_seconds_sum 0.3
rpc_seconds_count 2
# TYPE requests counter
requests_total 5
# TYPE lat summary
lat{quantile="0.5"} 1
lat_sum 3
lat_count 2
other 1
`;
    const families = parseExposition(text);
    expect(families.map((f) => [f.name, f.type, f.samples.map((s) => s.name)])).toEqual([
      [
        'rpc_seconds',
        'histogram',
        ['rpc_seconds_bucket', 'rpc_seconds_bucket', 'rpc_seconds_sum', 'rpc_seconds_count'],
      ],
      ['requests', 'counter', ['requests_total']],
      ['lat', 'summary', ['lat', 'lat_sum', 'lat_count']],
      ['other', 'unknown', ['other']],
    ]);
  });

  it('accepts what Prometheus accepts about metadata order: repeats, TYPE after samples, split families', () => {
    const text = `# HELP a first
# HELP a second
# TYPE a gauge
a 1
b_total 1
# TYPE b counter
a{x="2"} 2
b_total{x="2"} 2
`;
    const families = parseExposition(text);
    expect(families).toEqual([
      {
        name: 'a',
        type: 'gauge',
        help: 'second',
        samples: [
          { name: 'a', labels: {}, value: 1 },
          { name: 'a', labels: { x: '2' }, value: 2 },
        ],
      },
      // A family whose name is the sample's name is preferred over one that explains it by type.
      {
        name: 'b_total',
        type: 'unknown',
        samples: [
          { name: 'b_total', labels: {}, value: 1 },
          { name: 'b_total', labels: { x: '2' }, value: 2 },
        ],
      },
      { name: 'b', type: 'counter', samples: [] },
    ]);
  });

  it('can put the sample name into the labels for the store', () => {
    const seen: unknown[] = [];
    for (const format of ['prometheus', 'openmetrics'] as const) {
      scanExposition(
        'a_total{x="1"} 3 # {t="1"} 1\nb 2\n# EOF\n'.replace(
          format === 'prometheus' ? / # \{t="1"\} 1|# EOF\n/g : /^$/,
          '',
        ),
        { sample: (_name, labels, _value, _ts, exemplar) => seen.push([labels, exemplar?.labels]) },
        { format, nameLabel: true },
      );
    }
    expect(seen).toEqual([
      [{ __name__: 'a_total', x: '1' }, undefined],
      [{ __name__: 'b' }, undefined],
      [{ __name__: 'a_total', x: '1' }, { t: '1' }],
      [{ __name__: 'b' }, undefined],
    ]);
  });

  it('streams samples and metadata without building families', () => {
    const seen: string[] = [];
    scanExposition('# HELP a h\n# TYPE a counter\na_total{x="1"} 3 1000\n', {
      help: (name, text) => seen.push(`help ${name} ${text}`),
      type: (name, type) => seen.push(`type ${name} ${type}`),
      sample: (name, labels, value, ts) =>
        seen.push(`sample ${name} ${JSON.stringify(labels)} ${value} ${ts}`),
    });
    expect(seen).toEqual(['help a h', 'type a counter', 'sample a_total {"x":"1"} 3 1000']);
  });
});

describe('OpenMetrics 1.0 text', () => {
  // Adapted from prometheus/prometheus model/textparse/openmetricsparse_test.go.
  const input = `# HELP go_gc_duration_seconds A summary of the GC invocation durations.
# TYPE go_gc_duration_seconds summary
# UNIT go_gc_duration_seconds seconds
go_gc_duration_seconds{quantile="0"} 4.9351e-05
go_gc_duration_seconds{quantile="0.5",a="b"} 8.3835e-05
go_gc_duration_seconds_count 99
# HELP nohelp1 
# HELP help2 escape \\ \\n \\\\ \\" \\x chars
# UNIT nounit 
# TYPE go_goroutines gauge
go_goroutines 33 123.123
# TYPE hhh histogram
hhh_bucket{le="+Inf"} 1 # {id="histogram-bucket-test"} 4
hhh_count 1 # {id="histogram-count-test"} 4
# TYPE ggh gaugehistogram
ggh_bucket{le="+Inf"} 1 # {id="gaugehistogram-bucket-test",xx="yy"} 4 123.123
ggh_gcount 1
# TYPE ii info
ii_info{foo="bar"} 1
# TYPE ss stateset
ss{ss="foo"} 1
ss{ss="bar"} 0
# TYPE un unknown
un 1
# TYPE foo counter
foo_total 17.0 1520879607.789 # {id="counter-test"} 5
foo_created 1520872607.123
foo_total{a="b"} 17.0 1520879607.789 # {} 5
# EOF
`;

  it('reads families, units, exemplars and second timestamps', () => {
    const families = parseExposition(input, { format: 'openmetrics' });
    const byName = new Map<string, MetricFamily>(families.map((f) => [f.name, f]));
    expect(byName.get('go_gc_duration_seconds')).toMatchObject({ type: 'summary', unit: 'seconds' });
    expect(byName.get('go_gc_duration_seconds')!.samples).toHaveLength(3);
    expect(byName.get('nohelp1')!.help).toBe('');
    expect(byName.get('help2')!.help).toBe('escape \\ \n \\ " \\x chars');
    expect(byName.get('nounit')!.unit).toBe('');
    expect(byName.get('go_goroutines')!.samples).toEqual([
      { name: 'go_goroutines', labels: {}, value: 33, timestampMs: 123123 },
    ]);
    expect(byName.get('hhh')!.samples[0]).toEqual({
      name: 'hhh_bucket',
      labels: { le: '+Inf' },
      value: 1,
      exemplar: { labels: { id: 'histogram-bucket-test' }, value: 4 },
    });
    expect(byName.get('ggh')!.samples.map((s) => s.name)).toEqual(['ggh_bucket', 'ggh_gcount']);
    expect(byName.get('ggh')!.samples[0]!.exemplar).toEqual({
      labels: { id: 'gaugehistogram-bucket-test', xx: 'yy' },
      value: 4,
      timestampMs: 123123,
    });
    expect(byName.get('ii')!.samples).toEqual([{ name: 'ii_info', labels: { foo: 'bar' }, value: 1 }]);
    expect(byName.get('ss')!.samples).toHaveLength(2);
    expect(byName.get('foo')!.samples).toEqual([
      {
        name: 'foo_total',
        labels: {},
        value: 17,
        timestampMs: 1520879607789,
        exemplar: { labels: { id: 'counter-test' }, value: 5 },
      },
      { name: 'foo_created', labels: {}, value: 1520872607.123 },
      {
        name: 'foo_total',
        labels: { a: 'b' },
        value: 17,
        timestampMs: 1520879607789,
        exemplar: { labels: {}, value: 5 },
      },
    ]);
  });

  it('accepts # EOF without a final newline', () => {
    expect(parseExposition('a 1\n# EOF', { format: 'openmetrics' })).toHaveLength(1);
    expect(parseExposition('# EOF\n', { format: 'openmetrics' })).toEqual([]);
  });

  // Adapted from TestOpenMetricsParseErrors.
  it.each([
    ['', 'missing "# EOF"'],
    ['\n', 'expected a metric name or "#"'],
    ['metric', 'one space and a value after "metric"'],
    ['metric 1', 'missing "# EOF"'],
    ['metric 1\n', 'missing "# EOF"'],
    ['metric_total 1 # {aa="bb"} 4', 'missing "# EOF"'],
    ['a\n#EOF\n', 'one space and a value after "a"'],
    ['\n\n#EOF\n', 'expected a metric name or "#"'],
    [' a 1\n#EOF\n', 'expected a metric name or "#"'],
    ['9\n#EOF\n', 'expected a metric name or "#"'],
    ['# TYPE u untyped\n# EOF\n', 'invalid metric type "untyped"'],
    ['# TYPE c counter \n# EOF\n', 'invalid metric type "counter "'],
    ['#  TYPE c counter\n# EOF\n', 'OpenMetrics allows no other comments'],
    ['# a comment\n# EOF\n', 'OpenMetrics allows no other comments'],
    ['# TYPE \n# EOF\n', 'a metric name after TYPE'],
    ['# TYPE m\n# EOF\n', 'a space and the TYPE text after "m"'],
    ['# UNIT metric suffix\n# EOF\n', 'unit "suffix" is not a suffix of metric "metric"'],
    ['# UNIT metricsuffix suffix\n# EOF\n', 'unit "suffix" is not a suffix of metric "metricsuffix"'],
    ['# UNIT m suffix\n# EOF\n', 'unit "suffix" is not a suffix of metric "m"'],
    ['# HELP m\n# EOF\n', 'a space and the HELP text after "m"'],
    ['a\t1\n# EOF\n', 'one space and a value after "a"'],
    ['a 1\t2\n# EOF\n', 'expected a number'],
    ['a 1 2 \n# EOF\n', 'the end of the line or an exemplar'],
    ['a 1 2 #\n# EOF\n', 'the end of the line or an exemplar'],
    ['a 1 1z\n# EOF\n', 'a finite timestamp in seconds'],
    [' # EOF\n', 'expected a metric name or "#"'],
    ['# EOF\na 1', 'unexpected data after "# EOF"'],
    ['# EOF\n\n', 'unexpected data after "# EOF"'],
    ['# EOFa 1', 'unexpected data after "# EOF"'],
    ['#\tTYPE c counter\n', 'OpenMetrics allows no other comments'],
    ['# TYPE c  counter\n', 'invalid metric type " counter"'],
    ['a 1 1 1\n# EOF\n', 'the end of the line or an exemplar'],
    ["a{b='c'} 1\n# EOF\n", 'a quoted value for label "b"'],
    ['a{,b="c"} 1\n# EOF\n', 'a label name'],
    ['a{b="c"d="e"} 1\n# EOF\n', '"," or "}" after a label value'],
    ['a{b="c",,d="e"} 1\n# EOF\n', 'a label name'],
    ['a{b="c", d="e"} 1\n# EOF\n', 'a label name'],
    ['a{b=\n# EOF\n', 'a quoted value for label "b"'],
    ['a{b="\n# EOF\n', 'a closing quote before the end of the line'],
    ['a true\n', 'expected a number'],
    ['empty_label_name{=""} 0\n# EOF\n', 'a label name'],
    ['foo 1_2\n\n# EOF\n', 'expected a number'],
    ['foo 0x1p-3\n\n# EOF\n', 'expected a number'],
    ['foo 0 1_2\n\n# EOF\n', 'a finite timestamp'],
    ['custom_metric_total 1 # {aa=bb}\n# EOF\n', 'a quoted value for label "aa"'],
    ['custom_metric_total 1 # {aa="bb"}\n# EOF\n', 'one space and a value after the exemplar labels'],
    ['custom_metric_total 1 # {bb}', '"=" after label name "bb"'],
    ['custom_metric_total 1 # {aa="bb"} 1_2', 'a number as the exemplar value'],
    ['custom_metric_total 1 # {aa="bb"} true', 'a number as the exemplar value'],
    ['custom_metric_total 1 # {aa="bb",cc=}', 'a quoted value for label "cc"'],
    ['{b="c",} 1', 'a metric name or "#"'],
    ['a 1 NaN\n# EOF\n', 'a finite timestamp in seconds'],
    ['a 1 -Inf\n# EOF\n', 'a finite timestamp in seconds'],
    ['a 1 Inf\n# EOF\n', 'a finite timestamp in seconds'],
    ['hhh_bucket{le="+Inf"} 1 # {aa="bb"} 4 NaN\n# EOF\n', 'a finite timestamp in seconds'],
    ['a{b="1",b="2"} 1\n# EOF\n', 'duplicate label name "b"'],
    ['a{b="c",} 1\n# EOF\n', 'a label name'],
  ])('refuses %j', (text, expected) => {
    expect(parseError(text, 'openmetrics')).toContain(expected);
  });

  it('refuses a repeated exemplar label name', () => {
    expect(parseError('a_total 1 # {t="1",t="2"} 1\n# EOF\n', 'openmetrics')).toContain(
      'duplicate label name "t"',
    );
    expect(samples('a_total{t="x"} 1 # {t="1"} 1\n# EOF\n', 'openmetrics')[0]!.exemplar!.labels).toEqual({
      t: '1',
    });
  });

  it('names the line of the error', () => {
    expect(parseError('# TYPE a gauge\na 1\na{ 2\n# EOF\n', 'openmetrics')).toMatch(/^exposition line 3: /);
    expect(parseError('a 1\n# EOF\nb 1\n', 'openmetrics')).toMatch(/^exposition line 3: unexpected data/);
  });

  it('converts second timestamps to whole milliseconds exactly, truncating below', () => {
    const ts = (t: string) => samples(`a 1 ${t}\n# EOF\n`, 'openmetrics')[0]!.timestampMs;
    expect(ts('1520879607.789')).toBe(1520879607789);
    expect(ts('1520879607.7899')).toBe(1520879607789);
    expect(ts('1')).toBe(1000);
    expect(ts('-1.5')).toBe(-1500);
    expect(ts('1.5e3')).toBe(1500000);
    expect(ts('0.0001')).toBe(0);
    expect(ts('4e+34')).toBe(4e37);
  });
});

describe('writeExposition', () => {
  const families: MetricFamily[] = [
    {
      name: 'http_requests',
      type: 'counter',
      help: 'Requests with "quotes", a \\ and a\nnewline.',
      samples: [
        {
          name: 'http_requests_total',
          labels: { code: '200', path: '/a"b\\c\nd' },
          value: 3,
          timestampMs: 1500,
        },
        {
          name: 'http_requests_total',
          labels: { code: '500' },
          value: 1,
          exemplar: { labels: { trace_id: 'abc' }, value: 1, timestampMs: 1000 },
        },
      ],
    },
    {
      name: 'temp_celsius',
      type: 'gauge',
      unit: 'celsius',
      samples: [{ name: 'temp_celsius', labels: {}, value: -Infinity }],
    },
    { name: 'build', type: 'info', samples: [{ name: 'build_info', labels: { version: '1' }, value: 1 }] },
    { name: 'x', type: 'unknown', samples: [{ name: 'x', labels: {}, value: Number.NaN }] },
  ];

  it('writes the Prometheus format with its escaping and types', () => {
    expect(writeExposition(families)).toBe(
      [
        '# HELP http_requests Requests with "quotes", a \\\\ and a\\nnewline.',
        '# TYPE http_requests counter',
        'http_requests_total{code="200",path="/a\\"b\\\\c\\nd"} 3 1500',
        'http_requests_total{code="500"} 1',
        '# TYPE temp_celsius gauge',
        'temp_celsius -Inf',
        '# TYPE build gauge',
        'build_info{version="1"} 1',
        '# TYPE x untyped',
        'x NaN',
        '',
      ].join('\n'),
    );
  });

  it('writes OpenMetrics with units, exemplars, second timestamps and # EOF', () => {
    expect(writeExposition(families, { format: 'openmetrics' })).toBe(
      [
        '# HELP http_requests Requests with \\"quotes\\", a \\\\ and a\\nnewline.',
        '# TYPE http_requests counter',
        'http_requests_total{code="200",path="/a\\"b\\\\c\\nd"} 3 1.5',
        'http_requests_total{code="500"} 1 # {trace_id="abc"} 1 1',
        '# TYPE temp_celsius gauge',
        '# UNIT temp_celsius celsius',
        'temp_celsius -Inf',
        '# TYPE build info',
        'build_info{version="1"} 1',
        '# TYPE x unknown',
        'x NaN',
        '# EOF',
        '',
      ].join('\n'),
    );
  });

  it('reads back what it writes', () => {
    expect(
      parseExposition(writeExposition(families, { format: 'openmetrics' }), { format: 'openmetrics' }),
    ).toEqual(families);
  });

  it('skips a __name__ label, which label sets keyed for a store carry', () => {
    expect(
      writeExposition([
        {
          name: 'up',
          type: 'gauge',
          samples: [{ name: 'up', labels: { __name__: 'up', job: 'x' }, value: 1 }],
        },
      ]),
    ).toBe('# TYPE up gauge\nup{job="x"} 1\n');
  });

  it('refuses names that no parser could read back', () => {
    const bad = (family: MetricFamily) => {
      try {
        writeExposition([family]);
      } catch (err) {
        expect(isVigilError(err, 'internal')).toBe(true);
        return (err as Error).message;
      }
      return 'written';
    };
    expect(bad({ name: 'a.b', type: 'gauge', samples: [] })).toContain('"a.b"');
    expect(
      bad({ name: 'a', type: 'gauge', samples: [{ name: 'a', labels: { 'x-y': '1' }, value: 1 }] }),
    ).toContain('"x-y"');
  });
});

describe('content negotiation', () => {
  it('picks the parser from Content-Type as Prometheus does', () => {
    expect(formatFromContentType('application/openmetrics-text; version=1.0.0; charset=utf-8')).toBe(
      'openmetrics',
    );
    expect(formatFromContentType('text/plain; version=0.0.4')).toBe('prometheus');
    expect(formatFromContentType('Text/Plain')).toBe('prometheus');
    expect(formatFromContentType(undefined, 'prometheus')).toBe('prometheus');
    expect(() => formatFromContentType('application/json')).toThrow(
      /unsupported Content-Type "application\/json"/,
    );
    expect(() => formatFromContentType('')).toThrow(/unsupported no Content-Type/);
  });

  it('picks the answer format for an Accept header', () => {
    expect(formatFromAccept(scrapeAcceptHeader)).toBe('openmetrics');
    expect(formatFromAccept('text/plain;version=0.0.4;q=0.9,application/openmetrics-text;q=0.5')).toBe(
      'prometheus',
    );
    expect(formatFromAccept('application/openmetrics-text;q=0')).toBe('prometheus');
    expect(formatFromAccept('*/*')).toBe('prometheus');
    expect(formatFromAccept(undefined)).toBe('prometheus');
    expect(contentTypes.openmetrics).toMatch(/^application\/openmetrics-text; version=1.0.0/);
  });
});

describe('parseValue', () => {
  it('refuses what Go refuses and JS would take', () => {
    for (const text of ['', ' 1', '1 ', '0b1', '0o7', 'Infinityx', '+', '-', 'e5', '1..2']) {
      expect(parseValue(text, 0, text.length)).toBeUndefined();
    }
  });
});
