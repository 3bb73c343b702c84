import { VigilError } from '../../core/index.ts';
import type { Command, CommandIO } from '../command.ts';
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
};

export const gate: Command = {
  name: 'gate',
  summary: 'CI gates: exit 0 pass, 1 fail, 2 bad file',
  usage: [
    'vigil gate: CI gates',
    '',
    'usage:',
    ...Object.entries(gates).map(([name, g]) => `  vigil gate ${name} ${g.summary}`),
    '',
    'exit codes: 0 passed, 1 failed (hypothesis violated, aborted, data lost), 2 bad file or usage, 3 runtime failure',
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
