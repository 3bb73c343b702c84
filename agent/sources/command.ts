import { type ChildProcess, spawn } from 'node:child_process';
import { PassThrough } from 'node:stream';
import { VigilError } from '../../core/index.ts';
import { StreamSource, type StreamSourceOptions } from './stream.ts';

export interface CommandSourceOptions extends StreamSourceOptions {
  /** Program and arguments, run without a shell. */
  command: string[];
  /** Also read the command's stderr (merged into the same line stream). */
  stderr?: boolean;
  cwd?: string;
  env?: Record<string, string>;
}

/**
 * The output of a command the agent starts (`journalctl -f -o json`, `kubectl logs -f`, a
 * legacy program that only logs to its stdout). The command is stopped when the source is
 * closed; its exit ends the source once its output is read.
 *
 * @example
 * const source = commandSource({ name: 'journal', command: ['journalctl', '-f', '-o', 'json'], clock: systemClock });
 */
export function commandSource(
  options: CommandSourceOptions,
): StreamSource & { child(): ChildProcess | undefined } {
  let child: ChildProcess | undefined;
  const [program, ...args] = options.command;
  if (!program) throw new VigilError('config', `source ${options.name}: command is empty`);
  const source = new StreamSource(() => {
    const out = new PassThrough();
    child = spawn(program, args, {
      cwd: options.cwd,
      env: options.env ? { ...process.env, ...options.env } : process.env,
      stdio: ['ignore', 'pipe', options.stderr ? 'pipe' : 'inherit'],
    });
    let open = options.stderr ? 2 : 1;
    const done = () => {
      if (--open === 0) out.end();
    };
    child.stdout!.on('end', done).pipe(out, { end: false });
    if (options.stderr) child.stderr!.on('end', done).pipe(out, { end: false });
    child.once('error', (err) =>
      out.destroy(
        new VigilError('unavailable', `source ${options.name}: cannot run ${program}: ${err.message}`, {
          cause: err,
        }),
      ),
    );
    return out;
  }, options);
  const close = source.close.bind(source);
  return Object.assign(source, {
    child: () => child,
    async close() {
      await close();
      if (child && child.exitCode === null) child.kill('SIGTERM');
    },
  });
}
