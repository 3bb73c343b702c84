// Parsing speed of the Prometheus text format: vigil's scanner (streaming and family tree) next
// to the npm peer parse-prometheus-text-format, and next to a floor: one indexOf pass over the
// same string that only finds line ends. Same input, same process, same run; prints ratios.
//
//   npm run bench -- promtext-parse [samples≈100000]
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import { parseExposition, scanExposition } from '../core/index.ts';

const require = createRequire(import.meta.url);
// The peer ships no types; its default export takes the text and returns metric families.
const peerParse = require('parse-prometheus-text-format') as (text: string) => unknown[];

const target = Number(process.argv[2] ?? 100_000);
if (!Number.isInteger(target) || target < 1000 || target > 2_000_000) {
  process.stderr.write('promtext-parse: samples must be an integer in [1000, 2000000]\n');
  process.exit(2);
}

/** A scrape that looks like a busy service: request counters and latency histograms with labels. */
function generate(samples: number): { text: string; count: number } {
  const lines: string[] = [];
  let count = 0;
  const methods = ['GET', 'POST', 'PUT', 'DELETE'];
  const codes = ['200', '201', '400', '404', '500', '503'];
  const buckets = ['0.005', '0.01', '0.025', '0.05', '0.1', '0.25', '0.5', '1', '2.5', '+Inf'];
  for (let f = 0; count < samples; f++) {
    if (f % 3 === 0) {
      const name = `app_requests_${f}_total`;
      lines.push(`# HELP ${name} Requests handled, by method, code and path.`, `# TYPE ${name} counter`);
      for (let s = 0; s < 300 && count < samples; s++, count++) {
        const labels = `method="${methods[s % 4]}",code="${codes[s % 6]}",path="/api/v1/items/${s}",instance="10.0.${f % 256}.${s % 256}:9100"`;
        lines.push(`${name}{${labels}} ${(s * 7919) % 100_000}`);
      }
    } else {
      const name = `app_request_duration_seconds_${f}`;
      lines.push(`# HELP ${name} Request latency.`, `# TYPE ${name} histogram`);
      for (let s = 0; s < 40 && count < samples; s++) {
        const labels = `method="${methods[s % 4]}",path="/api/v1/items/${s}",instance="10.0.${f % 256}.${s % 256}:9100"`;
        let cumulative = 0;
        for (const le of buckets) {
          cumulative += s % 7;
          lines.push(`${name}_bucket{${labels},le="${le}"} ${cumulative}`);
        }
        lines.push(
          `${name}_sum{${labels}} ${(cumulative * 0.137).toFixed(3)}`,
          `${name}_count{${labels}} ${cumulative}`,
        );
        count += buckets.length + 2;
      }
    }
  }
  return { text: `${lines.join('\n')}\n`, count };
}

const { text, count } = generate(target);

/** Best of up to `rounds` timed runs after one warm-up, stopping early past a time budget. */
function measure(run: () => void, rounds = 7, budgetMs = 15_000): number {
  run();
  let best = Number.POSITIVE_INFINITY;
  const started = performance.now();
  for (let i = 0; i < rounds && performance.now() - started < budgetMs; i++) {
    const t0 = performance.now();
    run();
    best = Math.min(best, performance.now() - t0);
  }
  return best;
}

let sink = 0;
let streamed = 0;
const results: Array<[string, number]> = [
  [
    'floor: indexOf over line ends',
    measure(() => {
      let lines = 0;
      for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) lines++;
      sink += lines;
    }),
  ],
  [
    'vigil scanExposition (streaming)',
    measure(() => {
      streamed = 0;
      scanExposition(text, {
        sample: (_name, _labels, value) => {
          streamed++;
          sink += value;
        },
      });
    }),
  ],
  [
    'vigil parseExposition (families)',
    measure(() => {
      sink += parseExposition(text).length;
    }),
  ],
  [
    'peer parse-prometheus-text-format',
    measure(() => {
      sink += peerParse(text).length;
    }),
  ],
];
if (streamed !== count) throw new Error(`vigil read ${streamed} samples, generated ${count}`);

const mb = (text.length / 1e6).toFixed(1);
const peerMs = results[3]![1];
process.stdout.write(
  `promtext-parse: ${count} samples, ${mb} MB of text, best of up to 7 runs (node ${process.version})\n`,
);
for (const [name, ms] of results) {
  const rate = (count / ms) * 1000;
  process.stdout.write(
    `  ${name.padEnd(36)} ${ms.toFixed(1).padStart(8)} ms  ${(rate / 1e6).toFixed(2).padStart(6)} M samples/s  ${(peerMs / ms).toFixed(2).padStart(6)}x peer\n`,
  );
}
if (sink === 0.5) process.stdout.write('\n'); // keeps the work observable to the optimizer
