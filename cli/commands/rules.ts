import { accessSync, constants, mkdirSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { kinds, rules } from '../../alerting/index.ts';
import { isVigilError, loadConfigFile, parseDuration, VigilError } from '../../core/index.ts';
import { type Command, type CommandIO, parseCommandArgs } from '../command.ts';

const usage = `vigil rules check FILE...
vigil rules test FILE...

check  validates Prometheus rule files (groups:, recording and alerting rules): every
       expression is parsed and every template compiled. Exit 0 when all are valid, 2 when
       one is not, naming file, line, rule and reason.
test   runs rule unit test files in promtool's format (rule_files, evaluation_interval,
       input_series with the a+bxN, _ and stale notation, alert_rule_test,
       promql_expr_test). Exit 0 when all pass, 1 otherwise, with expected vs got.

vigil rules export --format prometheus FILE... -o DIR
       writes each vigil rule file (groups: plus rule kinds such as slos:) as a plain
       Prometheus rule file DIR/<name of FILE>, for Prometheus, Thanos or Mimir rulers.

vigil rules backtest --rules FILE... --data FILE [--incidents FILE] [--step 30s] [--svg FILE]
       replays OpenMetrics text (as promtool tsdb create-blocks-from openmetrics takes)
       through the rules on a simulated clock and prints when each alert fired and
       resolved; with an incidents file (YAML list of {alert, start, end}) also precision,
       recall and detection delay per alert; --svg writes the same as a timeline picture
       (firings as bars over the incidents). Exit 0, or 2 on a bad file.`;

export const rulesCommand: Command = {
  name: 'rules',
  usage,
  async run(argv, io) {
    const [sub, ...rest] = argv;
    if (sub === 'export') return exportCommand(rest, io);
    if (sub === 'backtest') return backtestCommand(rest, io);
    const { positionals } = parseCommandArgs(`rules ${sub ?? ''}`.trim(), rest, {});
    if (sub !== 'check' && sub !== 'test')
      throw new VigilError(
        'usage',
        'vigil rules: expected "check", "test", "export" or "backtest" (see vigil rules --help)',
      );
    if (positionals.length === 0)
      throw new VigilError('usage', `vigil rules ${sub}: expected at least one FILE`);
    let worst = 0;
    for (const file of positionals) {
      if (sub === 'check') {
        io.stdout.write(`Checking ${file}\n`);
        try {
          const groups = rules.loadRuleFile(file);
          const count = groups.reduce((n, g) => n + g.rules.length, 0);
          io.stdout.write(`  SUCCESS: ${count} rules found\n\n`);
        } catch (err) {
          if (!isVigilError(err)) throw err;
          io.stdout.write(`  FAILED:\n${err.message.replace(/^/gm, '    ')}\n\n`);
          worst = Math.max(worst, 2);
        }
        continue;
      }
      io.stdout.write(`Unit Testing:  ${file}\n`);
      try {
        const report = rules.runUnitTestFile(file);
        if (report.passed) io.stdout.write('  SUCCESS\n\n');
        else {
          io.stdout.write(`  FAILED:\n${report.failures.join('\n')}\n\n`);
          worst = Math.max(worst, 1);
        }
      } catch (err) {
        if (!isVigilError(err)) throw err;
        io.stdout.write(`  FAILED:\n${err.message.replace(/^/gm, '    ')}\n\n`);
        worst = Math.max(worst, 1);
      }
    }
    return worst;
  },
};

async function exportCommand(argv: string[], io: CommandIO): Promise<number> {
  const { values, positionals } = parseCommandArgs('rules export', argv, {
    format: { type: 'string', default: 'prometheus' },
    output: { type: 'string', short: 'o' },
  });
  if (!kinds.exportFormats.includes(values.format as kinds.ExportFormat))
    throw new VigilError(
      'usage',
      `vigil rules export: --format must be one of ${kinds.exportFormats.join(', ')}`,
    );
  if (!values.output) throw new VigilError('usage', 'vigil rules export: -o DIR is required');
  if (positionals.length === 0)
    throw new VigilError('usage', 'vigil rules export: expected at least one FILE');
  const names = new Map<string, string>();
  for (const file of positionals) {
    const name = basename(file);
    const other = names.get(name);
    if (other !== undefined)
      throw new VigilError(
        'usage',
        `vigil rules export: ${other} and ${file} would both be written to ${name}`,
      );
    names.set(name, file);
  }
  // All files load before any is written: a bad one leaves DIR as it was.
  const loaded = positionals.map((file) => rules.loadVigilRuleFile(file));
  mkdirSync(values.output, { recursive: true });
  for (const file of loaded) {
    const groups = kinds.exportGroups(file);
    const out = join(values.output, basename(file.file));
    writeFileSync(out, kinds.exportRuleFile(file));
    const count = groups.reduce((n, g) => n + g.rules.length, 0);
    io.stdout.write(`${file.file} -> ${out}: ${groups.length} groups, ${count} rules\n`);
  }
  return 0;
}

async function backtestCommand(argv: string[], io: CommandIO): Promise<number> {
  const { values, positionals } = parseCommandArgs('rules backtest', argv, {
    rules: { type: 'string', multiple: true },
    data: { type: 'string' },
    incidents: { type: 'string' },
    step: { type: 'string', default: '30s' },
    svg: { type: 'string' },
  });
  // `--rules a.yaml b.yaml`: files after the first land in positionals.
  const ruleFiles = [...(values.rules ?? []), ...positionals];
  if (ruleFiles.length === 0) throw new VigilError('usage', 'vigil rules backtest: --rules FILE is required');
  if (!values.data) throw new VigilError('usage', 'vigil rules backtest: --data FILE is required');
  let stepMs: number;
  try {
    stepMs = parseDuration(values.step);
  } catch (err) {
    throw new VigilError('usage', `vigil rules backtest: --step: ${(err as Error).message}`);
  }
  if (stepMs <= 0) throw new VigilError('usage', 'vigil rules backtest: --step must be above 0');
  const groups = ruleFiles.flatMap((f) => rules.loadRuleFile(f));
  const incidents = values.incidents ? loadConfigFile(kinds.incidentsSchema, values.incidents) : undefined;
  // A replay can take a minute: refuse a picture that cannot be written before it, not after.
  if (values.svg) {
    try {
      accessSync(dirname(resolve(values.svg)), constants.W_OK);
    } catch (err) {
      throw new VigilError(
        'usage',
        `vigil rules backtest: --svg ${values.svg}: cannot write there (${(err as NodeJS.ErrnoException).code})`,
      );
    }
  }
  // Progress only for a person watching: a terminal on stderr, never in CI logs.
  const tty = (io.stderr as NodeJS.WriteStream).isTTY === true && !io.env.CI;
  let shown = -1;
  const progress = (what: string, done: number, total: number) => {
    if (!tty || total <= 0) return;
    const pct = Math.floor((done / total) * 100);
    if (pct === shown) return;
    shown = pct;
    io.stderr.write(`\r${what} ${pct}%`);
  };
  const loader = new kinds.OpenMetricsLoader(kinds.backtestStore());
  kinds.loadOpenMetricsFile(loader, values.data, (read, size) => progress('loading', read, size));
  const { minT, maxT, samples, series, outOfOrder } = loader.report;
  if (tty) io.stderr.write('\r');
  io.stdout.write(
    `Loaded ${values.data}: ${series} series, ${samples} samples${outOfOrder > 0 ? `, ${outOfOrder} out of order (dropped)` : ''}\n`,
  );
  if (minT === undefined || maxT === undefined) {
    io.stdout.write('No samples: nothing to replay.\n');
    return 0;
  }
  // Evaluations on the step's grid, as a server started at a round time would run them.
  const start = Math.ceil(minT / stepMs) * stepMs;
  shown = -1;
  const result = kinds.runBacktest(groups, loader.store, {
    start,
    end: maxT,
    stepMs,
    onStep: (_t, done, total) => progress('replaying', done, total),
  });
  if (tty) io.stderr.write('\r');
  const scores = incidents ? kinds.scoreBacktest(result, incidents) : undefined;
  io.stdout.write(kinds.formatBacktest(result, scores));
  if (values.svg) {
    try {
      writeFileSync(values.svg, kinds.backtestSvg(result, incidents));
    } catch (err) {
      throw new VigilError(
        'unavailable',
        `vigil rules backtest: --svg ${values.svg}: cannot write (${(err as NodeJS.ErrnoException).code})`,
        { cause: err },
      );
    }
    io.stdout.write(`Timeline: ${values.svg}\n`);
  }
  return 0;
}
