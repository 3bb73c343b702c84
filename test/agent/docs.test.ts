import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Normalizer } from '../../agent/normalize.ts';
import { recordToJson } from '../../agent/record.ts';

/** docs/agent.md shows a sample line and its record for every format: they must stay true. */
const doc = readFileSync(new URL('../../docs/agent.md', import.meta.url), 'utf8');
const sampleRe =
  /#### (a line no parser understands \(auto\)|[a-z0-9-]+)[^\n]*\n\n```\n([\s\S]*?)\n```\n\n```json\n([\s\S]*?)\n```/g;
const samples = [...doc.matchAll(sampleRe)].map((m) => ({
  format: m[1]!.startsWith('a line') ? 'auto' : m[1]!,
  lines: m[2]!.split('\n'),
  record: JSON.parse(m[3]!),
}));
const observedMs = Date.parse('2026-11-23T12:00:00Z');

describe('docs/agent.md config example', () => {
  it('is a valid agent config', async () => {
    const { parseAgentConfig } = await import('../../agent/config.ts');
    const yaml = /```yaml\n([\s\S]*?)\n```/.exec(doc)![1]!;
    const config = parseAgentConfig('docs/agent.md', yaml);
    expect(config.sources.map((s) => s.type)).toEqual(['file', 'kubernetes', 'command', 'stdin']);
    expect(config.health.checks).toHaveLength(6);
  });
});

describe('docs/agent.md samples', () => {
  it('cover every format', async () => {
    const { parsers } = await import('../../agent/parsers/index.ts');
    for (const name of Object.keys(parsers)) expect(samples.map((s) => s.format)).toContain(name);
  });

  it.each(samples.map((s) => [s.format, s.lines[0]!.slice(0, 50), s] as const))('%s: %s', (_f, _l, s) => {
    const out: unknown[] = [];
    const n = new Normalizer({ format: s.format }, (r) => out.push(recordToJson(r)));
    for (const [i, line] of s.lines.entries()) n.push(line, observedMs, i);
    n.end();
    expect(out).toEqual([s.record]);
  });
});
