import { describe, expect, it } from 'vitest';
import { compileTemplate, goFormatG, humanize } from '../../../alerting/rules/index.ts';
import { isVigilError } from '../../../core/index.ts';

const data = {
  labels: { instance: 'db-1', job: 'api' },
  externalLabels: { cluster: 'eu' },
  externalURL: 'http://x',
  value: 1234567,
  time: 0,
};
const expand = (text: string) => compileTemplate(text).expand(data);

describe('alert templates', () => {
  it('expands labels, values and pipelines like Prometheus', () => {
    expect(expand('{{ $labels.instance }} of {{ .Labels.job }} in {{ $externalLabels.cluster }}')).toBe(
      'db-1 of api in eu',
    );
    expect(expand('{{ $value }}')).toBe('1.234567e+06');
    expect(expand('{{ $value | humanize }}')).toBe('1.235M');
    expect(expand('{{ humanize1024 $value }}')).toBe('1.177Mi');
    expect(expand('{{ printf "%.1f" $value }}')).toBe('1234567.0');
    expect(expand('{{ if gt $value 1000.0 }}big{{ else }}small{{ end }}')).toBe('big');
    expect(expand('{{ $labels.missing }}|')).toBe('|');
    expect(expand('{{ humanizeDuration 90061 }}')).toBe('1d 1h 1m 1s');
    expect(expand('{{- " a " -}} b')).toBe(' a b');
  });

  it('formats like Go', () => {
    expect(humanize(0.00012)).toBe('120u');
    expect(goFormatG(12345, 4)).toBe('1.234e+04');
    expect(goFormatG(1.5, 4)).toBe('1.5');
  });

  it('reports errors at expansion time in the text, as Prometheus does', () => {
    expect(expand('{{ gt $value 10 }}')).toMatch(
      /^<error expanding template: incompatible types for comparison>$/,
    );
  });

  it('refuses unsupported constructs at load time, by name', () => {
    for (const [text, why] of [
      ['{{ range $labels }}x{{ end }}', /"range" is not supported/],
      ['{{ query "up" }}', /function "query" is not supported/],
      ['{{ nosuch $value }}', /function "nosuch" not defined/],
      ['{{ if $value }}unterminated', /missing \{\{end\}\}/],
      ['{{ $nope }}', /undefined variable "\$nope"/],
    ] as const) {
      let error: unknown;
      try {
        compileTemplate(text);
      } catch (err) {
        error = err;
      }
      expect(isVigilError(error, 'config')).toBe(true);
      expect((error as Error).message).toMatch(why);
    }
  });
});
