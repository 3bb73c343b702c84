import { type ParseArgsConfig, parseArgs } from 'node:util';
import { VigilError } from '../core/index.ts';

/** Where a command writes: injected so tests can capture output without spawning. */
export interface CommandIO {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
  /** Fires when the user asks the process to stop (Ctrl-C, SIGTERM). */
  signal: AbortSignal;
}

/** One `vigil` subcommand. Commands parse arguments and call a module: no logic lives here. */
export interface Command {
  name: string;
  summary: string;
  /** Full help text shown by `vigil NAME --help`. */
  usage: string;
  /** Returns the exit code: 0 ok, 1 a gate or check failed, 2 usage/config, 3 runtime. */
  run(argv: string[], io: CommandIO): Promise<number>;
}

type Options = NonNullable<ParseArgsConfig['options']>;

/**
 * parseArgs with vigil's error style: a bad flag becomes a one-line usage VigilError naming
 * the command and the flag.
 */
export function parseCommandArgs<O extends Options>(
  command: string,
  argv: string[],
  options: O,
  allowPositionals = true,
) {
  try {
    return parseArgs({ args: argv, options, allowPositionals, strict: true });
  } catch (err) {
    const message = (err as Error).message
      .split('\n')[0]!
      .replace(/\. To specify a positional argument.*$/, '');
    throw new VigilError('usage', `vigil ${command}: ${message}`, { cause: err });
  }
}
