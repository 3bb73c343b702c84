import { rules } from '../../alerting/index.ts';
import { isVigilError, VigilError } from '../../core/index.ts';
import { type Command, parseCommandArgs } from '../command.ts';

const usage = `vigil rules check FILE...
vigil rules test FILE...

check  validates Prometheus rule files (groups:, recording and alerting rules): every
       expression is parsed and every template compiled. Exit 0 when all are valid, 2 when
       one is not, naming file, line, rule and reason.
test   runs rule unit test files in promtool's format (rule_files, evaluation_interval,
       input_series with the a+bxN, _ and stale notation, alert_rule_test,
       promql_expr_test). Exit 0 when all pass, 1 otherwise, with expected vs got.`;

export const rulesCommand: Command = {
  name: 'rules',
  usage,
  async run(argv, io) {
    const [sub, ...rest] = argv;
    const { positionals } = parseCommandArgs(`rules ${sub ?? ''}`.trim(), rest, {});
    if (sub !== 'check' && sub !== 'test')
      throw new VigilError('usage', 'vigil rules: expected "check" or "test" (see vigil rules --help)');
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
