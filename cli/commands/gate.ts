import { writeFileSync } from 'node:fs';
import {
  failingLines,
  runVerifyGate,
  summarizeReport,
  verifyConfigSchema,
  verifyGateJUnit,
} from '../../chaos/index.ts';
import { loadConfigFile, VigilError } from '../../core/index.ts';
import { type Command, type CommandIO, parseCommandArgs } from '../command.ts';
import { runExperimentCommand } from './chaos.ts';

/** A gate: runs a check and returns the exit code (0 pass, 1 fail, 2 bad input, 3 runtime). */
type Gate = { summary: string; run(argv: string[], io: CommandIO): Promise<number> };

/** Every gate, listed explicitly: a new gate is one more line. */
const gates: Record<string, Gate> = {
  chaos: {
    summary:
      'EXP.yaml [--junit FILE] [--json FILE]: run a chaos experiment; 1 when the hypothesis was violated or data lost',
    run: async (argv, io) => (await runExperimentCommand('gate chaos', argv, io)).code,
  },
  verify: {
    summary:
      '-c FILE [--junit FILE] [--json FILE]: run every verifier of a Verify config once; 1 on loss or corruption',
    run: verifyGate,
  },
};

async function verifyGate(argv: string[], io: CommandIO): Promise<number> {
  const { values, positionals } = parseCommandArgs('gate verify', argv, {
    config: { type: 'string', short: 'c' },
    json: { type: 'string' },
    junit: { type: 'string' },
  });
  if (positionals.length > 0)
    throw new VigilError('usage', `vigil gate verify: unexpected argument "${positionals[0]}"`);
  if (!values.config) throw new VigilError('usage', 'vigil gate verify: -c FILE is required');
  const config = loadConfigFile(verifyConfigSchema, values.config);
  const result = await runVerifyGate(config, { signal: io.signal, env: io.env });
  for (const report of result.reports) {
    io.stdout.write(`${summarizeReport(report)}\n`);
    for (const line of failingLines(report)) io.stdout.write(`  - ${line}\n`);
  }
  io.stdout.write(`result: ${result.passed ? 'PASSED' : 'FAILED'}\n`);
  const write = (file: string, text: string) => {
    try {
      writeFileSync(file, text);
    } catch (err) {
      throw new VigilError(
        'unavailable',
        `cannot write report ${file}: ${(err as NodeJS.ErrnoException).code}`,
        {
          cause: err,
        },
      );
    }
  };
  if (values.json) write(values.json, `${JSON.stringify(result, null, 2)}\n`);
  if (values.junit) write(values.junit, verifyGateJUnit(result));
  return result.exitCode;
}

export const gate: Command = {
  name: 'gate',
  usage: [
    'vigil gate: CI gates',
    '',
    'usage:',
    ...Object.entries(gates).map(([name, g]) => `  vigil gate ${name} ${g.summary}`),
    '',
    'exit codes: 0 passed, 1 failed (hypothesis violated, aborted, data lost or corrupted, messages lost), 2 bad file or usage, 3 runtime failure',
  ].join('\n'),
  async run(argv, io) {
    const [name, ...rest] = argv;
    const g = name === undefined ? undefined : gates[name];
    if (!g) {
      throw new VigilError(
        'usage',
        `vigil gate: ${name ? `unknown gate "${name}"` : 'missing gate'}; one of: ${Object.keys(gates).join(', ')}`,
      );
    }
    return g.run(rest, io);
  },
};
