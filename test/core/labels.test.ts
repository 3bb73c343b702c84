import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  escapeLabelValue,
  isReservedLabelName,
  isValidLabelName,
  isValidMetricName,
  labelsEqual,
  labelsKey,
  sanitizeLabelName,
  sanitizeMetricName,
  setLabel,
  withName,
  withoutEmpty,
  withoutName,
} from '../../core/index.ts';

describe('label and metric names', () => {
  it.each([
    ['a', true, true],
    ['_', true, true],
    ['__name__', true, true],
    ['http_requests_total', true, true],
    ['A9_z', true, true],
    ['job:rate5m', false, true],
    [':x', false, true],
    ['9a', false, false],
    ['', false, false],
    ['a-b', false, false],
    ['a.b', false, false],
    ['ä', false, false],
  ])('%j: label %s, metric %s', (name, label, metric) => {
    expect(isValidLabelName(name)).toBe(label);
    expect(isValidMetricName(name)).toBe(metric);
  });

  it('knows reserved names', () => {
    expect(isReservedLabelName('__address__')).toBe(true);
    expect(isReservedLabelName('_a')).toBe(false);
  });

  it('sanitizes foreign names into valid ones', () => {
    expect(sanitizeMetricName('redis.commands-processed')).toBe('redis_commands_processed');
    expect(sanitizeMetricName('a:b')).toBe('a:b');
    expect(sanitizeLabelName('a:b')).toBe('a_b');
    expect(sanitizeLabelName('9lives')).toBe('_9lives');
    expect(sanitizeLabelName('')).toBe('_');
    fc.assert(
      fc.property(fc.string(), (s) => {
        expect(isValidLabelName(sanitizeLabelName(s))).toBe(true);
        expect(isValidMetricName(sanitizeMetricName(s))).toBe(true);
      }),
    );
  });
});

describe('labelsKey', () => {
  it('is sorted, escaped and puts the metric name in front', () => {
    expect(labelsKey({ job: 'node', __name__: 'up', instance: 'a:9100' })).toBe(
      'up{instance="a:9100",job="node"}',
    );
    expect(labelsKey({})).toBe('{}');
    expect(labelsKey({ b: 'x"y', a: 'line\nbreak\\' })).toBe('{a="line\\nbreak\\\\",b="x\\"y"}');
    expect(labelsKey({ __name__: 'not valid' })).toBe('{__name__="not valid"}');
  });

  it('is equal exactly when the label sets are equal', () => {
    const labelSet = fc.dictionary(
      fc.constantFrom('a', 'b', '__name__', 'x y', 'c"'),
      fc.string({ maxLength: 4 }),
      {
        maxKeys: 4,
      },
    );
    fc.assert(
      fc.property(labelSet, labelSet, (a, b) => {
        expect(labelsKey(a) === labelsKey(b)).toBe(labelsEqual(a, b));
        const shuffled = Object.fromEntries(Object.entries(a).reverse());
        expect(labelsKey(shuffled)).toBe(labelsKey(a));
      }),
    );
  });
});

describe('label set helpers', () => {
  it('compares by content', () => {
    expect(labelsEqual({ a: '1', b: '2' }, { b: '2', a: '1' })).toBe(true);
    expect(labelsEqual({ a: '1' }, { a: '1', b: '2' })).toBe(false);
    expect(labelsEqual({ a: '1', b: '2' }, { a: '1', c: '2' })).toBe(false);
    expect(labelsEqual({ constructor: 'x' }, { other: 'x' })).toBe(false);
  });

  it('adds and removes the metric name without touching the input', () => {
    const input = { __name__: 'up', job: 'node' };
    expect(withoutName(input)).toEqual({ job: 'node' });
    expect(withName({ job: 'node' }, 'up')).toEqual(input);
    expect(withName(input, 'down')).toEqual({ __name__: 'down', job: 'node' });
    expect(input).toEqual({ __name__: 'up', job: 'node' });
    const noName = { job: 'x' };
    expect(withoutName(noName)).toBe(noName);
  });

  it('drops empty values, which Prometheus treats as absent', () => {
    expect(withoutEmpty({ a: '', b: '1' })).toEqual({ b: '1' });
    const full = { b: '1' };
    expect(withoutEmpty(full)).toBe(full);
  });

  it('keeps a label named __proto__ as a label', () => {
    const labels: Record<string, string> = {};
    setLabel(labels, '__proto__', 'x');
    expect(Object.keys(labels)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(labels)).toBe(Object.prototype);
    expect(labelsKey(labels)).toBe('{__proto__="x"}');
    expect(Object.entries(withName(labels, 'm'))).toEqual([
      ['__name__', 'm'],
      ['__proto__', 'x'],
    ]);
  });

  it('escapes label values for the text formats', () => {
    expect(escapeLabelValue('plain')).toBe('plain');
    expect(escapeLabelValue('say "hi"\n\\')).toBe('say \\"hi\\"\\n\\\\');
  });
});
