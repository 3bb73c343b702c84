// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${1} is Prometheus' replacement syntax under test.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  compileRegex,
  compileRelabel,
  isVigilError,
  type Labels,
  parseConfig,
  relabelConfigSchema,
  relabelConfigsSchema,
  translateRegex,
} from '../../core/index.ts';

/** Validates raw YAML-shaped configs like a config file would, then compiles and applies them. */
function relabel(input: Labels, configs: unknown[]): Labels | undefined {
  return compileRelabel(relabelConfigsSchema.parse(configs))(input);
}

function configError(config: unknown): string {
  const result = relabelConfigSchema.safeParse(config);
  expect(result.success).toBe(false);
  return result.error!.issues.map((i) => i.message).join('; ');
}

// Cases from prometheus/prometheus model/relabel/relabel_test.go (TestRelabel).
describe('relabeling as Prometheus does it', () => {
  it('replaces with ${1} references', () => {
    expect(
      relabel({ a: 'foo', b: 'bar', c: 'baz' }, [
        {
          source_labels: ['a'],
          regex: 'f(.*)',
          target_label: 'd',
          separator: ';',
          replacement: 'ch${1}-ch${1}',
          action: 'replace',
        },
      ]),
    ).toEqual({ a: 'foo', b: 'bar', c: 'baz', d: 'choo-choo' });
  });

  it('joins source labels with the separator and chains steps', () => {
    expect(
      relabel({ a: 'foo', b: 'bar', c: 'baz' }, [
        { source_labels: ['a', 'b'], regex: 'f(.*);(.*)r', target_label: 'a', replacement: 'b${1}${2}m' },
        { source_labels: ['c', 'a'], regex: '(b).*b(.*)ba(.*)', target_label: 'd', replacement: '$1$2$2$3' },
      ]),
    ).toEqual({ a: 'boobam', b: 'bar', c: 'baz', d: 'boooom' });
  });

  it('drops on a match and stops there', () => {
    expect(
      relabel({ a: 'foo' }, [
        { source_labels: ['a'], regex: '.*o.*', action: 'drop' },
        { source_labels: ['a'], regex: 'f(.*)', target_label: 'd', replacement: 'ch$1-ch$1' },
      ]),
    ).toBeUndefined();
  });

  it('anchors the regex at both ends', () => {
    expect(relabel({ a: 'foo' }, [{ source_labels: ['a'], regex: 'f|o', action: 'drop' }])).toEqual({
      a: 'foo',
    });
    expect(relabel({ a: 'abc' }, [{ source_labels: ['a'], regex: '.*(b).*', target_label: 'd' }])).toEqual({
      a: 'abc',
      d: 'b',
    });
    expect(relabel({ a: 'foo' }, [{ source_labels: ['a'], regex: 'no-match', action: 'drop' }])).toEqual({
      a: 'foo',
    });
  });

  it('keeps only on a match', () => {
    expect(
      relabel({ a: 'foo' }, [{ source_labels: ['a'], regex: 'no-match', action: 'keep' }]),
    ).toBeUndefined();
    expect(relabel({ a: 'foo' }, [{ source_labels: ['a'], regex: 'f.*', action: 'keep' }])).toEqual({
      a: 'foo',
    });
  });

  it('replaces nothing when the regex does not match', () => {
    expect(
      relabel({ a: 'boo' }, [{ source_labels: ['a'], regex: 'f', target_label: 'b', replacement: 'bar' }]),
    ).toEqual({ a: 'boo' });
  });

  it('hashes with md5 modulo, as Prometheus shards targets', () => {
    expect(
      relabel({ a: 'foo', b: 'bar', c: 'baz' }, [
        { source_labels: ['c'], target_label: 'd', action: 'hashmod', modulus: 1000 },
      ]),
    ).toEqual({ a: 'foo', b: 'bar', c: 'baz', d: '976' });
    expect(
      relabel({ a: 'foo\nbar' }, [
        { source_labels: ['a'], target_label: 'b', action: 'hashmod', modulus: 1000 },
      ]),
    ).toEqual({
      a: 'foo\nbar',
      b: '734',
    });
  });

  it('maps label names with labelmap', () => {
    expect(
      relabel({ a: 'foo', b1: 'bar', b2: 'baz' }, [
        { regex: '(b.*)', replacement: 'bar_${1}', action: 'labelmap' },
      ]),
    ).toEqual({
      a: 'foo',
      b1: 'bar',
      b2: 'baz',
      bar_b1: 'bar',
      bar_b2: 'baz',
    });
    expect(
      relabel({ a: 'foo', __meta_my_bar: 'aaa', __meta_my_baz: 'bbb', __meta_other: 'ccc' }, [
        { regex: '__meta_(my.*)', replacement: '${1}', action: 'labelmap' },
      ]),
    ).toEqual({
      a: 'foo',
      __meta_my_bar: 'aaa',
      __meta_my_baz: 'bbb',
      __meta_other: 'ccc',
      my_bar: 'aaa',
      my_baz: 'bbb',
    });
  });

  it('expands references in target_label and skips invalid results', () => {
    expect(
      relabel({ a: 'some-name-value' }, [
        { source_labels: ['a'], regex: 'some-([^-]+)-([^,]+)', replacement: '${2}', target_label: '${1}' },
      ]),
    ).toEqual({ a: 'some-name-value', name: 'value' });
    expect(
      relabel({ a: 'some-name-value' }, [
        { source_labels: ['a'], regex: 'some-([^-]+)-([^,]+)', replacement: '${3}', target_label: '${1}' },
      ]),
    ).toEqual({ a: 'some-name-value' });
    expect(
      relabel({ a: 'some-name-0' }, [
        { source_labels: ['a'], regex: 'some-([^-]+)-([^,]+)', replacement: '${1}', target_label: '${3}' },
        { source_labels: ['a'], regex: 'some-([^-]+)(-[^,]+)', replacement: '${1}', target_label: '${3}' },
      ]),
    ).toEqual({ a: 'some-name-0' });
  });

  it('handles a real-life service discovery chain', () => {
    expect(
      relabel({ __meta_sd_tags: 'path:/secret,job:some-job,label:foo=bar' }, [
        {
          source_labels: ['__meta_sd_tags'],
          regex: '(?:.+,|^)path:(/[^,]+).*',
          replacement: '${1}',
          target_label: '__metrics_path__',
        },
        {
          source_labels: ['__meta_sd_tags'],
          regex: '(?:.+,|^)job:([^,]+).*',
          replacement: '${1}',
          target_label: 'job',
        },
        {
          source_labels: ['__meta_sd_tags'],
          regex: '(?:.+,|^)label:([^=]+)=([^,]+).*',
          replacement: '${2}',
          target_label: '${1}',
        },
      ]),
    ).toEqual({
      __meta_sd_tags: 'path:/secret,job:some-job,label:foo=bar',
      __metrics_path__: '/secret',
      job: 'some-job',
      foo: 'bar',
    });
  });

  it('drops, sets and keeps in order (prometheus issue 12283)', () => {
    expect(
      relabel(
        {
          __meta_kubernetes_pod_container_port_name: 'foo',
          __meta_kubernetes_pod_annotation_XXX_metrics_port: '9091',
        },
        [
          { regex: '^__meta_kubernetes_pod_container_port_name$', action: 'labeldrop' },
          {
            source_labels: ['__meta_kubernetes_pod_annotation_XXX_metrics_port'],
            regex: '(.+)',
            replacement: 'metrics',
            target_label: '__meta_kubernetes_pod_container_port_name',
          },
          {
            source_labels: ['__meta_kubernetes_pod_container_port_name'],
            regex: '^metrics$',
            action: 'keep',
          },
        ],
      ),
    ).toEqual({
      __meta_kubernetes_pod_annotation_XXX_metrics_port: '9091',
      __meta_kubernetes_pod_container_port_name: 'metrics',
    });
  });

  it('keeps and drops label names', () => {
    expect(relabel({ a: 'foo', b1: 'bar', b2: 'baz' }, [{ regex: '(b.*)', action: 'labelkeep' }])).toEqual({
      b1: 'bar',
      b2: 'baz',
    });
    expect(relabel({ a: 'foo', b1: 'bar', b2: 'baz' }, [{ regex: '(b.*)', action: 'labeldrop' }])).toEqual({
      a: 'foo',
    });
  });

  it('lowercases and uppercases', () => {
    expect(
      relabel({ foo: 'bAr123Foo' }, [
        { source_labels: ['foo'], action: 'uppercase', target_label: 'foo_uppercase' },
        { source_labels: ['foo'], action: 'lowercase', target_label: 'foo_lowercase' },
      ]),
    ).toEqual({ foo: 'bAr123Foo', foo_lowercase: 'bar123foo', foo_uppercase: 'BAR123FOO' });
  });

  it('keeps or drops on equality with the target label', () => {
    const input = { __tmp_port: '1234', __port1: '1234', __port2: '5678' };
    expect(
      relabel(input, [{ source_labels: ['__tmp_port'], action: 'keepequal', target_label: '__port1' }]),
    ).toEqual(input);
    expect(
      relabel(input, [{ source_labels: ['__tmp_port'], action: 'dropequal', target_label: '__port1' }]),
    ).toBeUndefined();
    expect(
      relabel(input, [{ source_labels: ['__tmp_port'], action: 'dropequal', target_label: '__port2' }]),
    ).toEqual(input);
    expect(
      relabel(input, [{ source_labels: ['__tmp_port'], action: 'keepequal', target_label: '__port2' }]),
    ).toBeUndefined();
  });

  it('removes a label set to the empty string, and reads a missing label as empty', () => {
    expect(relabel({ a: 'x', b: 'y' }, [{ source_labels: ['missing'], target_label: 'b' }])).toEqual({
      a: 'x',
    });
    expect(relabel({ a: 'x' }, [{ source_labels: ['a', 'missing'], regex: 'x;', action: 'keep' }])).toEqual({
      a: 'x',
    });
  });

  it('sets a constant with the default regex', () => {
    expect(relabel({ a: 'x' }, [{ target_label: 'env', replacement: 'prod' }])).toEqual({
      a: 'x',
      env: 'prod',
    });
  });

  it('returns the input object itself when no rule changes it, and a copy otherwise', () => {
    const input = { a: 'x', b: 'y' };
    expect(relabel(input, [{ source_labels: ['a'], regex: 'x', action: 'keep' }])).toBe(input);
    expect(relabel(input, [{ source_labels: ['a'], target_label: 'a' }])).toBe(input);
    expect(relabel(input, [{ regex: 'c', action: 'labeldrop' }])).toBe(input);
    const changed = relabel(input, [
      { regex: 'b', action: 'labeldrop' },
      { target_label: 'c', replacement: 'z' },
    ]);
    expect(changed).toEqual({ a: 'x', c: 'z' });
    expect(input).toEqual({ a: 'x', b: 'y' });
  });

  it('leaves the input untouched and passes labels through an empty list', () => {
    const input = { a: 'x' };
    relabel(input, [{ regex: 'a', action: 'labeldrop' }]);
    expect(input).toEqual({ a: 'x' });
    expect(compileRelabel([])(input)).toBe(input);
  });

  it('treats $$ as a literal dollar and $1x as the (missing) group named 1x, as Go does', () => {
    expect(
      relabel({ a: 'foo' }, [
        { source_labels: ['a'], regex: '(f)(o+)', target_label: 'b', replacement: '$$1-$1x-${1}x-$' },
      ]),
    ).toEqual({
      a: 'foo',
      b: '$1--fx-$',
    });
    expect(
      relabel({ a: 'foo' }, [
        {
          source_labels: ['a'],
          regex: '(?P<first>f)(?<rest>o+)',
          target_label: 'b',
          replacement: '$rest$first',
        },
      ]),
    ).toEqual({
      a: 'foo',
      b: 'oof',
    });
  });
});

describe('the example in docs/core.md', () => {
  it('drops go_ metrics and derives host', () => {
    const relabel = compileRelabel(
      parseConfig(
        relabelConfigsSchema,
        'scrape.yaml',
        `
- source_labels: [__name__]
  regex: go_.*
  action: drop
- source_labels: [__address__]
  regex: '([^:]+):\\d+'
  target_label: host
`,
      ),
    );
    expect(relabel({ __name__: 'up', __address__: 'db1:9100' })).toEqual({
      __name__: 'up',
      __address__: 'db1:9100',
      host: 'db1',
    });
    expect(relabel({ __name__: 'go_goroutines' })).toBeUndefined();
  });
});

describe('relabel config validation', () => {
  it('applies Prometheus defaults', () => {
    expect(relabelConfigSchema.parse({ target_label: 'x' })).toEqual({
      sourceLabels: [],
      separator: ';',
      regex: '(.*)',
      modulus: 0,
      targetLabel: 'x',
      replacement: '$1',
      action: 'replace',
    });
    expect(relabelConfigSchema.parse({ action: 'LabelDrop', regex: 'x' }).action).toBe('labeldrop');
  });

  it.each([
    [{ action: 'replace' }, "requires 'target_label' value"],
    [{ action: 'lowercase' }, "requires 'target_label' value"],
    [{ action: 'lowercase', target_label: '${3}' }, `"\${3}" is invalid 'target_label'`],
    [
      { source_labels: ['a'], regex: 'some-([^-]+)-([^,]+)', replacement: '${1}', target_label: '0${3}' },
      `"0\${3}" is invalid 'target_label'`,
    ],
    [
      { source_labels: ['a'], regex: 'some-([^-]+)-([^,]+)', replacement: '${1}', target_label: '-${3}' },
      "is invalid 'target_label' for replace action",
    ],
    [{ target_label: 'a-b' }, `"a-b" is invalid 'target_label'`],
    [{ action: 'hashmod', target_label: 'x' }, 'requires non-zero modulus'],
    [
      { action: 'uppercase', target_label: 'x', replacement: 'y' },
      "'replacement' can not be set for uppercase action",
    ],
    [{ action: 'labelmap', replacement: '-x' }, "is invalid 'replacement' for labelmap action"],
    [
      { action: 'keepequal', target_label: 'x', regex: 'y' },
      "requires only 'source_labels' and 'target_label'",
    ],
    [{ action: 'labeldrop', regex: 'x', target_label: 'y' }, "requires only 'regex'"],
    [{ action: 'labelkeep', regex: 'x', source_labels: ['y'] }, "requires only 'regex'"],
    [{ action: 'frobnicate' }, 'expected one of replace, keep'],
    [{ source_labels: ['a-b'], target_label: 'x' }, 'expected a label name'],
    [{ target_label: 'x', regex: '(' }, 'invalid relabel regex "("'],
    [{ target_label: 'x', regex: '(?=a)' }, 'invalid or unsupported Perl syntax: `(?=`'],
    [{ target_label: 'x', regex: '(a)\\1' }, 'invalid escape sequence: `\\1`'],
    [{ target_label: 'x', unknown_field: 1 }, 'nrecognized key'],
  ])('refuses %j', (config, expected) => {
    expect(configError(config)).toContain(expected);
  });

  it('reads a YAML block as written for Prometheus, scalars included, naming the line of a mistake', () => {
    const yaml = `
- source_labels: [__meta_kubernetes_service_annotation_prometheus_io_scrape]
  action: keep
  regex: true
- source_labels: [__address__, __meta_kubernetes_service_annotation_prometheus_io_port]
  action: replace
  target_label: __address__
  regex: ([^:]+)(?::\\d+)?;(\\d+)
  replacement: $1:$2
- action: labelmap
  regex: __meta_kubernetes_service_label_(.+)
`;
    const configs = parseConfig(relabelConfigsSchema, 'relabel.yaml', yaml);
    const out = compileRelabel(configs)({
      __address__: '10.0.0.1:80',
      __meta_kubernetes_service_annotation_prometheus_io_scrape: 'true',
      __meta_kubernetes_service_annotation_prometheus_io_port: '9100',
      __meta_kubernetes_service_label_app: 'web',
    });
    expect(out).toMatchObject({ __address__: '10.0.0.1:9100', app: 'web' });
    try {
      parseConfig(
        relabelConfigsSchema,
        'relabel.yaml',
        '- target_label: ok\n- action: hashmod\n  target_label: x\n',
      );
      expect.unreachable();
    } catch (err) {
      expect(isVigilError(err, 'config')).toBe(true);
      expect((err as Error).message).toContain(
        'relabel.yaml:2: [1].modulus: relabel configuration for hashmod requires non-zero modulus',
      );
    }
  });
});

describe('compileRegex (RE2 semantics)', () => {
  it.each([
    // RE2 takes the empty second iteration that backtracking refuses (confirmed against Prometheus).
    ['(x*){1,2}', 'x', ['x', '']],
    ['(a|ab)(c|bcd)(d*)', 'abcd', ['abcd', 'a', 'bcd', '']],
    ['(?:(a)|b)+', 'ab', ['ab', 'a']],
    ['a(?i)b', 'aB', ['aB']],
    ['\\p{Greek}+', 'αβ', ['αβ']],
    ['([^:]+):\\d+', 'db1:9100', ['db1:9100', 'db1']],
  ])('%j on %j gives %j', (pattern, input, expected) => {
    const match = compileRegex(pattern).exec(input);
    expect(match === null ? null : Array.from(match, (g) => g ?? '')).toEqual(expected);
  });

  it('resolves group names on both paths', () => {
    expect(compileRegex('(?P<host>[^:]+):(?<port>\\d+)').groupIndex('port')).toBe(2);
    expect(compileRegex('(?P<host>[^:]+)+').groupIndex('host')).toBe(1);
    expect(compileRegex('(a)').groupIndex('nope')).toBe(-1);
  });

  it('does not backtrack exponentially on a pattern that would make a JS RegExp hang', () => {
    const relabel = compileRelabel(
      relabelConfigsSchema.parse([{ source_labels: ['a'], regex: '(a+)+b', action: 'keep' }]),
    );
    expect(relabel({ a: `${'a'.repeat(5000)}c` })).toBeUndefined();
  });
});

describe('translateRegex (RE2 to JS)', () => {
  it.each([
    ['(?i)foo', 'FOO', true],
    ['a.b', 'a\nb', false],
    ['a.b', 'a\rb', true],
    ['(?s)a.b', 'a\nb', true],
    ['[[:alpha:]]+', 'abcXYZ', true],
    ['[[:digit:]]+', '12a', false],
    ['\\Qa.b\\E', 'a.b', true],
    ['\\Qa.b\\E', 'axb', false],
    ['a\\-b', 'a-b', true],
    ['a{', 'a{', true],
    ['a{2}', 'aa', true],
    ['x]', 'x]', true],
    ['[]a]+', ']a', true],
    ['\\s', '\u00a0', false],
    ['\\s', '\t', true],
    ['\\pL+', 'äb', true],
    ['^foo$', 'foo', true],
    ['\\Afoo\\z', 'foo', true],
    ['', '', true],
    ['', 'a', false],
  ])('%j on %j: %s', (pattern, input, expected) => {
    expect(translateRegex(pattern).test(input)).toBe(expected);
  });
});

describe('relabeling under fuzzing', () => {
  const runs = { seed: 4242, numRuns: 300 };
  const name = fc.constantFrom('a', 'b', '__name__', '__address__', 'job', 'x_1');
  const labelSet = fc.dictionary(name, fc.string({ minLength: 1, maxLength: 6 }), { maxKeys: 4 });
  const config = fc.record(
    {
      source_labels: fc.array(name, { maxLength: 3 }),
      regex: fc.constantFrom('(.*)', 'a(.*)', '(?i)X.*', '[[:alpha:]]+', '(?P<g>.)(.*)', '', '.*;.*'),
      target_label: fc.constantFrom('a', 'b', 'job', '${1}', 'c_$g'),
      replacement: fc.constantFrom('$1', '${2}x', 'const', '', '$$', '$g'),
      action: fc.constantFrom('replace', 'keep', 'drop'),
    },
    { requiredKeys: ['action'] },
  );

  it('compiles any valid list into a function that never throws and never mutates its input', () => {
    fc.assert(
      fc.property(fc.array(config, { maxLength: 4 }), labelSet, (configs, labels) => {
        const parsed = relabelConfigsSchema.safeParse(configs);
        if (!parsed.success) return;
        const before = JSON.stringify(labels);
        const out = compileRelabel(parsed.data)(labels);
        expect(JSON.stringify(labels)).toBe(before);
        if (out !== undefined) for (const value of Object.values(out)) expect(value).not.toBe('');
      }),
      runs,
    );
  });

  it('translates any pattern into a RegExp or a VigilError("config")', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: fc.constantFrom(...'()[]{}?*+.\\^$|:=!<>PpQEzAsSdw1aZ-,'), maxLength: 16 }),
        (pattern) => {
          try {
            expect(translateRegex(pattern)).toBeInstanceOf(RegExp);
          } catch (err) {
            expect(isVigilError(err, 'config')).toBe(true);
          }
        },
      ),
      runs,
    );
  });
});
