// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${1} is Prometheus' replacement syntax under test.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  compileRelabel,
  contentTypes,
  type ExpositionFormat,
  findExecutable,
  isVigilError,
  type Labels,
  type MetricFamily,
  parseExposition,
  relabelConfigsSchema,
  writeExposition,
} from '../../core/index.ts';
import { freePort, waitForPort } from '../support/ports.ts';
import { needBinary } from '../support/requires.ts';

/**
 * Conformance with the real thing: a local Prometheus scrapes every case below from a loopback
 * server, and must agree with vigil's parser on which expositions are accepted (up == 1) and how
 * many samples they hold; and it runs target relabeling on the relabel cases, whose resulting
 * target labels must equal vigil's.
 */

interface ExpositionCase {
  format: ExpositionFormat;
  text: string;
}

const handWritten: ExpositionCase[] = [
  ...[
    'a 1\n',
    'a 1',
    '',
    '\n\n',
    '# comment\n  a{b="c"} 1 123\n',
    '  a 1\n',
    '\ta 1\n',
    'a{b="c"} 1 123\n',
    'a 1 1700000000000\n',
    '# comment\na 1\n',
    '  # comment\na 1\n',
    '  \na 1\n',
    '\t\n',
    'a 1 \n',
    'a 1 123 \n',
    'a\t1\t123\n',
    '# HELP a  two\n# TYPE a\tgauge\na 1\n',
    '# HELP\ta x\n',
    '#\tTYPE a gauge\na 1\n',
    'a{b="c",d="e",} 1\n',
    'a{} 1\n',
    'a{b="\x00"} 1\n',
    'a 1\n\x00\n',
    'a{b="c" d="e"} 1\n',
    'a{b="c",} 1\n',
    'a { b = "c" } 1\n',
    'a{b="multi\nline"} 1\n',
    'a{b="\\q"} 1\n',
    'a NaN\nb +Inf\nc -inf\nd Infinity\ne .5\nf 5.\ng 1E+3\nh -0\n',
    '# HELP a x\n# HELP a y\n# TYPE a gauge\na 1\n# TYPE a counter\n',
    'x_total 1\n# TYPE x counter\nx_total{a="b"} 2\n',
    '#HELP a\n# TYPE\na 1\n',
    'a 0x10\n',
    'a 1_0\n',
    'a 1e400\n',
    'a +nan\n',
    "a{b='c'} 1\n",
    'a{,b="c"} 1\n',
    'a{b="c",,d="e"} 1\n',
    'a 1 -1\n',
    'a 1 1.5\n',
    'a 1 1 1\n',
    '{a="b"} 1\n',
    'a{b="c"}{d="e"} 1\n',
    'a\n',
    'a 1\r\n',
    '# TYPE a countr\n',
    '# TYPE a counter \n',
    '# TYPE a gaugehistogram\n',
    '# TYPE \n',
    'a{b="1",b="2"} 1\n',
    'a{__name__="b"} 1\n',
    'a{b="c\\\nd"} 1\n',
  ].map((text) => ({ format: 'prometheus' as const, text })),
  ...[
    'a 1\n# EOF\n',
    'a 1\n# EOF',
    '# HELP a h\n# TYPE a gauge\n# UNIT a \na 1 1.5\n# EOF\n',
    '# TYPE a_seconds gauge\n# UNIT a_seconds seconds\na_seconds 1\n# EOF\n',
    '# TYPE foo counter\nfoo_total 17.0 1520879607.789 # {id="counter-test"} 5\nfoo_created 1520872607.123\n# EOF\n',
    '# TYPE ss stateset\nss{ss="foo"} 1\nss{ss="bar"} 0\n# TYPE ii info\nii_info{foo="bar"} 1\n# EOF\n',
    'a{b="c",} 1\n# EOF\n',
    'a 1\n',
    'a 1\n# EOF\nb 1\n',
    '\na 1\n# EOF\n',
    '# comment\na 1\n# EOF\n',
    'a  1\n# EOF\n',
    'a{b="c", d="e"} 1\n# EOF\n',
    'a{b="c"d="e"} 1\n# EOF\n',
    'a 1 NaN\n# EOF\n',
    'a 1 2 \n# EOF\n',
    '# TYPE a untyped\n# EOF\n',
    '# UNIT a_b c\n# EOF\n',
    'a 1 # {b="c"}\n# EOF\n',
    'a{b="1",b="2"} 1\n# EOF\n',
  ].map((text) => ({ format: 'openmetrics' as const, text })),
];

/** Writer output for seeded random families: Prometheus must take all of it. */
function generatedCases(): ExpositionCase[] {
  const labelSet = fc.dictionary(
    fc.stringMatching(/^[a-z_][a-z0-9_]{0,5}$/).filter((n) => !n.startsWith('__')),
    fc.string({ unit: 'grapheme', maxLength: 8 }),
    { maxKeys: 3 },
  );
  const family = (i: number, format: ExpositionFormat): fc.Arbitrary<MetricFamily> =>
    fc
      .record({
        type: fc.constantFrom<MetricFamily['type']>('counter', 'gauge', 'histogram', 'summary', 'unknown'),
        help: fc.string({ unit: 'grapheme', maxLength: 20 }),
        samples: fc.array(fc.record({ labels: labelSet, value: fc.double() }), { maxLength: 5 }),
      })
      .map(({ type, help, samples }) => {
        const name = `gen_${i}`;
        const sampleName = type === 'counter' && format === 'openmetrics' ? `${name}_total` : name;
        // One series per label set: duplicates would make Prometheus count them differently.
        const unique = new Map(samples.map((s) => [JSON.stringify(Object.entries(s.labels).sort()), s]));
        return { name, type, help, samples: [...unique.values()].map((s) => ({ name: sampleName, ...s })) };
      });
  const cases: ExpositionCase[] = [];
  for (const format of ['prometheus', 'openmetrics'] as const) {
    const arb = fc.tuple(family(0, format), family(1, format), family(2, format));
    for (const families of fc.sample(arb, { seed: 7, numRuns: 8 })) {
      cases.push({ format, text: writeExposition(families, { format }) });
    }
    // The same, mutated a little: where the two parsers part ways on broken input.
    const edits = fc.array(
      fc.record({ at: fc.nat(), op: fc.nat({ max: 2 }), ch: fc.constantFrom(...'{}",=\\\n #\t0a_.+-eEIN:') }),
      { minLength: 1, maxLength: 3 },
    );
    for (const [families, ops] of fc.sample(fc.tuple(arb, edits), { seed: SEED, numRuns: MUTATED })) {
      let text = writeExposition(families, { format });
      for (const { at, op, ch } of ops) {
        const i = text.length === 0 ? 0 : at % text.length;
        text =
          op === 0
            ? text.slice(0, i) + text.slice(i + 1)
            : op === 1
              ? text.slice(0, i) + ch + text.slice(i)
              : text.slice(0, i) + ch + text.slice(i + 1);
      }
      cases.push({ format, text });
    }
  }
  return cases;
}

// Widen the search by hand with VIGIL_PROMTEXT_MUTATED=2000 VIGIL_PROMTEXT_SEED=n.
const MUTATED = Number(process.env.VIGIL_PROMTEXT_MUTATED ?? 100);
const SEED = Number(process.env.VIGIL_PROMTEXT_SEED ?? 11);

interface RelabelCase {
  input: Record<string, string>;
  configs: unknown[];
}

/** Seeded random RE2 patterns, valid for RE2 by construction, applied to random values. */
function generatedRelabelCases(): RelabelCase[] {
  const pattern = fc.letrec<{ regex: string; atom: string }>((tie) => ({
    atom: fc.oneof(
      { depthSize: 'small' },
      fc.constantFrom(
        'a',
        'b',
        'A',
        '-',
        '_',
        '\\.',
        '.',
        '\\d',
        '\\w',
        '\\s',
        '[a-c]',
        '[^a]',
        '[[:alpha:]]',
        'é',
        '\\pL',
      ),
      tie('regex').map((r) => `(${r})`),
      tie('regex').map((r) => `(?:${r})`),
    ),
    regex: fc
      .array(
        fc.array(fc.tuple(tie('atom'), fc.constantFrom('', '', '*', '+', '?', '{1,2}', '*?')), {
          minLength: 1,
          maxLength: 3,
        }),
        { minLength: 1, maxLength: 2 },
      )
      .map((alternatives) => alternatives.map((seq) => seq.map(([a, q]) => a + q).join('')).join('|')),
  }));
  const value = fc.string({ unit: fc.constantFrom(...'abcAB-_.1 \n\ré'), minLength: 1, maxLength: 5 });
  const arb = fc.record({
    flags: fc.constantFrom('', '', '(?i)', '(?s)'),
    regex: pattern.regex,
    value,
    replacement: fc.constantFrom('[$1]', '${1}x$2', '$0', 'const'),
    // Half without quantified groups: those run as JS RegExps, the rest on re2js.
    unquantified: fc.boolean(),
  });
  return fc
    .sample(arb, { seed: SEED + 88, numRuns: Number(process.env.VIGIL_RELABEL_GENERATED ?? 40) })
    .map(({ flags, regex, value, replacement, unquantified }) => ({
      input: { a: value },
      configs: [
        {
          source_labels: ['a'],
          regex: flags + (unquantified ? regex.replace(/\)(\*\?|\*|\+|\?|\{1,2\})/g, ')') : regex),
          target_label: 'out',
          replacement,
        },
      ],
    }));
}

const relabelCases: RelabelCase[] = [
  ...generatedRelabelCases(),
  {
    input: { a: 'x' },
    configs: [{ source_labels: ['a'], regex: '(x*){1,2}', target_label: 'out', replacement: '[$1]' }],
  },
  {
    input: { a: 'ab' },
    configs: [{ source_labels: ['a'], regex: '(?:(a)|b)+', target_label: 'out', replacement: '[$1]' }],
  },
  {
    input: { a: 'aB' },
    configs: [{ source_labels: ['a'], regex: 'a(?i)b', target_label: 'out', replacement: 'mid-flag' }],
  },
  {
    input: { a: 'x', b: 'y' },
    configs: [
      { source_labels: ['a', 'b'], separator: '', regex: 'xy', target_label: 'sep', replacement: 'joined' },
    ],
  },
  { input: { a: 'x' }, configs: [{ source_labels: ['a'], target_label: 'a', replacement: '' }] },
  {
    input: { a: '' },
    configs: [{ source_labels: ['a'], regex: '', target_label: 'empty', replacement: 'matched' }],
  },
  {
    input: { a: 'x' },
    configs: [{ source_labels: ['a'], regex: '', target_label: 'empty', replacement: 'matched' }],
  },
  { input: { a: 'x' }, configs: [{ source_labels: ['a'], action: 'Replace', target_label: 'b' }] },
  {
    input: { a: 'host-12:80' },
    configs: [{ source_labels: ['a'], regex: '\\w+-(\\d+):[^:]+', target_label: 'n' }],
  },
  {
    input: { m_a: '1', m_b: '2', a: '3' },
    configs: [{ regex: 'm_(.*)', replacement: '$1', action: 'labelmap' }],
  },
  {
    input: { a: 'x' },
    configs: [{ source_labels: ['a'], regex: '(x)', target_label: 'pre_${1}_${9}', replacement: '$1' }],
  },
  {
    input: { a: 'x y' },
    configs: [{ source_labels: ['a'], regex: '\\S+\\s\\S+', target_label: 'ws', replacement: 'ok' }],
  },
  {
    input: { a: 'Ω' },
    configs: [{ source_labels: ['a'], regex: '\\pL', target_label: 'letter', replacement: 'ok' }],
  },
  {
    input: { a: 'foo' },
    configs: [{ source_labels: ['a'], regex: 'f(.*)', target_label: 'd', replacement: 'ch${1}-ch$1' }],
  },
  {
    input: { a: 'foo', b: 'bar' },
    configs: [{ source_labels: ['a', 'b'], regex: 'f(.*);(.*)r', target_label: 'x', replacement: '$2$1' }],
  },
  { input: { a: 'foo' }, configs: [{ source_labels: ['a'], regex: '.*o.*', action: 'drop' }] },
  { input: { a: 'foo' }, configs: [{ source_labels: ['a'], regex: 'f|o', action: 'keep' }] },
  {
    input: { c: 'baz' },
    configs: [{ source_labels: ['c'], target_label: 'd', action: 'hashmod', modulus: 1000 }],
  },
  {
    input: { c: 'ünïcödé' },
    configs: [{ source_labels: ['c'], target_label: 'd', action: 'hashmod', modulus: 7 }],
  },
  {
    input: { __meta_x_a: '1', __meta_x_b: '2' },
    configs: [{ regex: '__meta_x_(.*)', replacement: 'm_$1', action: 'labelmap' }],
  },
  { input: { a: '1', b1: '2', b2: '3' }, configs: [{ regex: 'b.*', action: 'labeldrop' }] },
  { input: { a: '1', b1: '2' }, configs: [{ regex: 'b.*|__.*', action: 'labelkeep' }] },
  {
    input: { a: 'MiXed' },
    configs: [
      { source_labels: ['a'], target_label: 'lo', action: 'lowercase' },
      { source_labels: ['a'], target_label: 'up', action: 'uppercase' },
    ],
  },
  { input: { a: '1', b: '1' }, configs: [{ source_labels: ['a'], target_label: 'b', action: 'dropequal' }] },
  { input: { a: '1', b: '1' }, configs: [{ source_labels: ['a'], target_label: 'b', action: 'keepequal' }] },
  { input: { a: 'x' }, configs: [{ source_labels: ['missing'], target_label: 'a' }] },
  {
    input: { a: 'some-name-value' },
    configs: [
      { source_labels: ['a'], regex: 'some-([^-]+)-([^,]+)', target_label: '${1}', replacement: '${2}' },
    ],
  },
  {
    input: { a: 'FOO' },
    configs: [{ source_labels: ['a'], regex: '(?i)foo', target_label: 'ci', replacement: 'yes' }],
  },
  {
    input: { a: 'ab12' },
    configs: [{ source_labels: ['a'], regex: '[[:alpha:]]+([[:digit:]]+)', target_label: 'n' }],
  },
  {
    input: { a: 'x.y' },
    configs: [{ source_labels: ['a'], regex: '\\Qx.y\\E', target_label: 'lit', replacement: 'ok' }],
  },
  {
    input: { a: 'a\rb' },
    configs: [{ source_labels: ['a'], regex: 'a.b', target_label: 'dot', replacement: 'ok' }],
  },
  {
    input: { a: 'foo' },
    configs: [
      { source_labels: ['a'], regex: '(?P<x>f)(o+)', target_label: 'n', replacement: '$$x-$x-$2-$2x-${2}x' },
    ],
  },
  {
    input: { a: 'a{b' },
    configs: [{ source_labels: ['a'], regex: 'a{b', target_label: 'brace', replacement: 'ok' }],
  },
];

const skip = needBinary('prometheus');

describe.skipIf(skip)('agreement with a real Prometheus', () => {
  const cases = [...handWritten, ...generatedCases()];
  let server: Server;
  let prometheus: ChildProcess | undefined;
  let dataDir: string;
  let api: string;
  let targetPort: number;

  beforeAll(async () => {
    server = createServer((req, res) => {
      const match = /^\/case\/(\d+)$/.exec(req.url ?? '');
      const c = match ? cases[Number(match[1])] : undefined;
      if (!c) {
        res
          .writeHead(req.url === '/relabel' ? 200 : 404, { 'content-type': contentTypes.prometheus })
          .end('');
        return;
      }
      res.writeHead(200, { 'content-type': contentTypes[c.format] }).end(c.text);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    targetPort = (server.address() as { port: number }).port;
    const apiPort = await freePort();
    api = `http://127.0.0.1:${apiPort}`;
    dataDir = mkdtempSync(join(tmpdir(), 'vigil-promtext-'));
    const target = `127.0.0.1:${targetPort}`;
    const config = {
      global: { scrape_interval: '1s', scrape_timeout: '1s' },
      scrape_configs: [
        {
          job_name: 'cases',
          static_configs: cases.map((_, i) => ({
            targets: [target],
            labels: { __metrics_path__: `/case/${i}`, case: String(i) },
          })),
        },
        ...relabelCases.map((c, i) => ({
          job_name: `relabel_${i}`,
          metrics_path: '/relabel',
          static_configs: [{ targets: [target], labels: c.input }],
          relabel_configs: c.configs,
        })),
      ],
    };
    const configFile = join(dataDir, 'prometheus.yml');
    writeFileSync(configFile, JSON.stringify(config));
    prometheus = spawn(
      findExecutable('prometheus')!,
      [
        `--config.file=${configFile}`,
        `--storage.tsdb.path=${join(dataDir, 'data')}`,
        `--web.listen-address=127.0.0.1:${apiPort}`,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let log = '';
    prometheus.stderr!.on('data', (chunk: Buffer) => {
      log = (log + chunk.toString()).slice(-4000);
    });
    prometheus.on('exit', (code) => {
      if (code) process.stderr.write(`prometheus exited with ${code}:\n${log}\n`);
    });
    await waitForPort(apiPort, '127.0.0.1', 30_000);
  }, 60_000);

  afterAll(async () => {
    if (prometheus && prometheus.exitCode === null) {
      const exited = new Promise((resolve) => prometheus!.once('exit', resolve));
      prometheus.kill('SIGTERM');
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 10_000))]);
      if (prometheus.exitCode === null) prometheus.kill('SIGKILL');
    }
    await new Promise((resolve) => server?.close(resolve));
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  }, 30_000);

  async function query(
    expr: string,
  ): Promise<Array<{ metric: Record<string, string>; value: [number, string] }>> {
    const res = await fetch(`${api}/api/v1/query?query=${encodeURIComponent(expr)}`);
    const body = (await res.json()) as {
      data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> };
    };
    return body.data.result;
  }

  /**
   * Polls until every case has been scraped three times (bounded: 120 polls, 0.5s apart), then
   * reads the best of those scrapes, so that one scrape timing out on a loaded machine does not
   * read as a refusal: an exposition Prometheus refuses is refused every time.
   */
  async function scraped(): Promise<Map<string, { up: string; samples: string }>> {
    for (let attempt = 0; attempt < 120; attempt++) {
      const counts = await query('count_over_time(up{job="cases"}[5m])').catch(() => []);
      if (counts.length === cases.length && counts.every((r) => Number(r.value[1]) >= 3)) {
        const up = await query('max_over_time(up{job="cases"}[5m])');
        const scrapedSamples = await query('max_over_time(scrape_samples_scraped{job="cases"}[5m])');
        const samples = new Map(scrapedSamples.map((r) => [r.metric['case']!, r.value[1]]));
        return new Map(
          up.map((r) => [
            r.metric['case']!,
            { up: r.value[1], samples: samples.get(r.metric['case']!) ?? '?' },
          ]),
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    throw new Error('Prometheus did not scrape every case three times within 60s');
  }

  it('accepts and refuses the same expositions, with the same sample counts', async () => {
    const seen = await scraped();
    const disagreements: string[] = [];
    cases.forEach((c, i) => {
      let vigil: string;
      try {
        vigil = `up 1, ${parseExposition(c.text, { format: c.format }).reduce((n, f) => n + f.samples.length, 0)} samples`;
      } catch (err) {
        if (!isVigilError(err, 'parse')) throw err;
        vigil = 'up 0';
      }
      const prom = seen.get(String(i))!;
      const theirs = prom.up === '1' ? `up 1, ${prom.samples} samples` : 'up 0';
      if (theirs !== vigil)
        disagreements.push(`${c.format} ${JSON.stringify(c.text)}: prometheus ${theirs}, vigil ${vigil}`);
    });
    expect(disagreements).toEqual([]);
  }, 90_000);

  it('relabels targets to the same labels', async () => {
    type Target = { labels: Labels; discoveredLabels: Labels; scrapePool: string };
    let body: { data: { activeTargets: Target[]; droppedTargets: Target[] } } | undefined;
    for (let attempt = 0; attempt < 60; attempt++) {
      const res = await fetch(`${api}/api/v1/targets`);
      body = (await res.json()) as typeof body;
      const pools = new Set(body!.data.activeTargets.map((t) => t.scrapePool));
      const dropped = body!.data.droppedTargets.length;
      if (pools.size + dropped >= relabelCases.length + 1) break;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    const disagreements: string[] = [];
    relabelCases.forEach((c, i) => {
      const job = `relabel_${i}`;
      const active = body!.data.activeTargets.find((t) => t.scrapePool === job);
      const dropped = body!.data.droppedTargets.find((t) => t.discoveredLabels['job'] === job);
      const discovered = (active ?? dropped)?.discoveredLabels;
      if (!discovered) {
        disagreements.push(`${job}: Prometheus shows no target`);
        return;
      }
      const ours = compileRelabel(relabelConfigsSchema.parse(c.configs))(discovered);
      // Prometheus then removes `__` labels and defaults `instance` to the address.
      const finished =
        ours === undefined
          ? undefined
          : Object.fromEntries(
              Object.entries({ instance: ours['__address__'] ?? '', ...ours }).filter(
                ([k, v]) => !k.startsWith('__') && v !== '',
              ),
            );
      const theirs = active ? active.labels : undefined;
      if (JSON.stringify(sorted(finished)) !== JSON.stringify(sorted(theirs))) {
        disagreements.push(
          `${job}: prometheus ${JSON.stringify(sorted(theirs))}, vigil ${JSON.stringify(sorted(finished))}`,
        );
      }
    });
    expect(disagreements).toEqual([]);
  }, 60_000);
});

function sorted(labels: Labels | undefined): Array<[string, string]> | undefined {
  return labels === undefined ? undefined : Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : 1));
}
