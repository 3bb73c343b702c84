import { writeFileSync } from 'node:fs';
import {
  type ExperimentResult,
  formatEvent,
  formatResult,
  gateExitCode,
  loadExperiment,
  planExperiment,
  runExperiment,
  toJsonReport,
  toJUnit,
  VerifyMetrics,
} from '../../chaos/index.ts';
import { VigilError } from '../../core/index.ts';
import { type Command, type CommandIO, parseCommandArgs } from '../command.ts';
import { serveVerifyMetrics } from '../metrics-server.ts';

const runUsage = `vigil chaos: run chaos experiments

usage:
  vigil chaos run EXP.yaml [--dry-run] [--json FILE] [--junit FILE] [--metrics HOST:PORT]
      run the experiment and print its timeline; --dry-run prints what would be done;
      --metrics serves its verification metrics on /metrics while it runs (loopback by default).
  vigil chaos plan EXP.yaml      same as run --dry-run

exit codes: 0 passed, 1 hypothesis violated, aborted or data lost, 2 bad file, 3 runtime
failure; 130/143 when stopped by Ctrl-C/SIGTERM (every fault is put back first).
Proxy API token: VIGIL_PROXY_TOKEN.`;

const options = {
  'dry-run': { type: 'boolean' },
  json: { type: 'string' },
  junit: { type: 'string' },
  quiet: { type: 'boolean', short: 'q' },
  metrics: { type: 'string' },
} as const;

function writeReport(file: string, text: string): void {
  try {
    writeFileSync(file, text);
  } catch (err) {
    throw new VigilError(
      'unavailable',
      `cannot write report ${file}: ${(err as NodeJS.ErrnoException).code}`,
      { cause: err },
    );
  }
}

/** Loads, runs and reports one experiment; shared by `vigil chaos run` and `vigil gate chaos`. */
export async function runExperimentCommand(
  command: string,
  argv: string[],
  io: CommandIO,
): Promise<{ code: number; result?: ExperimentResult }> {
  const { values, positionals } = parseCommandArgs(command, argv, options);
  const [file, ...extra] = positionals;
  if (!file)
    throw new VigilError(
      'usage',
      `vigil ${command}: missing EXP.yaml (see vigil ${command.split(' ')[0]} --help)`,
    );
  if (extra.length) throw new VigilError('usage', `vigil ${command}: unexpected argument "${extra[0]}"`);
  const exp = loadExperiment(file);
  if (values['dry-run']) {
    io.stdout.write(`dry run of "${exp.title}": nothing will be changed\n`);
    for (const line of planExperiment(exp)) io.stdout.write(`  ${line}\n`);
    return { code: 0 };
  }
  const verifyMetrics = values.metrics ? new VerifyMetrics() : undefined;
  const server = verifyMetrics
    ? await serveVerifyMetrics(`vigil ${command}`, verifyMetrics, values.metrics!)
    : undefined;
  io.stdout.write(`experiment: ${exp.title}\n`);
  let result: ExperimentResult;
  try {
    result = await runExperiment(exp, {
      signal: io.signal,
      proxyToken: io.env['VIGIL_PROXY_TOKEN'] || undefined,
      verifyMetrics,
      onEvent: values.quiet ? undefined : (e) => io.stdout.write(`${formatEvent(e)}\n`),
    });
  } finally {
    await server?.close(1000);
  }
  io.stdout.write(`\n${formatResult(result, false)}`);
  if (values.json) writeReport(values.json, toJsonReport(result));
  if (values.junit) writeReport(values.junit, toJUnit(result));
  if (result.status === 'interrupted') {
    const why = String((io.signal.reason as Error | undefined)?.message ?? '');
    return { code: why.includes('SIGTERM') ? 143 : 130, result };
  }
  return { code: gateExitCode(result), result };
}

export const chaos: Command = {
  name: 'chaos',
  usage: runUsage,
  async run(argv, io) {
    const [sub, ...rest] = argv;
    if (sub === 'run') return (await runExperimentCommand('chaos run', rest, io)).code;
    if (sub === 'plan') return (await runExperimentCommand('chaos plan', [...rest, '--dry-run'], io)).code;
    throw new VigilError(
      'usage',
      `vigil chaos: ${sub ? `unknown subcommand "${sub}"` : 'missing subcommand'} (run or plan; see vigil chaos --help)`,
    );
  },
};
