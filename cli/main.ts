import { exitCodeFor, isVigilError, VigilError } from '../core/index.ts';
import type { CommandEntry, CommandIO } from './command.ts';
import { commands } from './commands/index.ts';
import { vigilVersion } from './commands/version.ts';

function helpText(list: CommandEntry[]): string {
  const width = Math.max(...list.map((c) => c.name.length));
  const lines = list.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return [
    'vigil: observability and reliability toolkit for storage and queue services',
    '',
    'usage: vigil <command> [flags]',
    '',
    'commands:',
    ...lines,
    '',
    'flags:',
    '  -h, --help     show help (also: vigil <command> --help)',
    '  -V, --version  print the version',
    '',
    'exit codes: 0 ok, 1 a gate or check failed, 2 usage or config error, 3 runtime failure',
    '',
  ].join('\n');
}

/**
 * Runs the CLI and returns the exit code. Errors of the user (usage, config) print one line
 * and no stack trace; unexpected errors print their stack to help a bug report.
 */
export async function main(argv: string[], io: CommandIO = processIO()): Promise<number> {
  const [first, ...rest] = argv;
  try {
    if (first === undefined || first === '-h' || first === '--help' || first === 'help') {
      const topic = first === 'help' ? rest[0] : undefined;
      if (topic) return await showCommandHelp(topic, io);
      io.stdout.write(helpText(commands));
      return 0;
    }
    if (first === '-V' || first === '--version') {
      io.stdout.write(`vigil ${vigilVersion()}\n`);
      return 0;
    }
    if (first.startsWith('-'))
      throw new VigilError('usage', `vigil: unknown flag "${first}" (see vigil --help)`);
    const entry = commands.find((c) => c.name === first);
    if (!entry) throw new VigilError('usage', `vigil: unknown command "${first}" (see vigil --help)`);
    const command = await entry.load();
    if (rest.includes('-h') || rest.includes('--help')) {
      io.stdout.write(`${command.usage}\n`);
      return 0;
    }
    return await command.run(rest, io);
  } catch (err) {
    io.stderr.write(describe(err));
    return exitCodeFor(err);
  }
}

async function showCommandHelp(name: string, io: CommandIO): Promise<number> {
  const entry = commands.find((c) => c.name === name);
  if (!entry) throw new VigilError('usage', `vigil: unknown command "${name}" (see vigil --help)`);
  io.stdout.write(`${(await entry.load()).usage}\n`);
  return 0;
}

function describe(err: unknown): string {
  if (isVigilError(err) && err.code !== 'internal') return `${err.message}\n`;
  const stack = err instanceof Error ? (err.stack ?? err.message) : String(err);
  return `vigil: internal error (please report it): ${stack}\n`;
}

/** How long a command may take to clean up after Ctrl-C or SIGTERM before the process exits anyway. */
const shutdownGraceMs = 15_000;

function processIO(): CommandIO {
  const controller = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    if (controller.signal.aborted) {
      // A second Ctrl-C means "now": the user has seen the first one being handled.
      process.exit(130);
    }
    controller.abort(new VigilError('usage', `stopped by ${signal}`));
    setTimeout(() => process.exit(signal === 'SIGINT' ? 130 : 143), shutdownGraceMs).unref();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return { stdout: process.stdout, stderr: process.stderr, env: process.env, signal: controller.signal };
}
