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
  /** Full help text shown by `vigil NAME --help`. */
  usage: string;
  /** Returns the exit code: 0 ok, 1 a gate or check failed, 2 usage/config, 3 runtime. */
  run(argv: string[], io: CommandIO): Promise<number>;
}

/**
 * A subcommand as `vigil --help` lists it, loaded only when it runs: each command pulls in its
 * part of vigil (the agent's parsers, the alert engine, the AWS SDK, broker clients), and
 * loading them all made `vigil --version` take over a second and the agent carry ~50 MB of
 * modules it never used.
 */
export interface CommandEntry {
  name: string;
  /** One line for `vigil --help`. */
  summary: string;
  load(): Promise<Command>;
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
