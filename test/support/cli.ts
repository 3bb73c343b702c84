import { PassThrough } from 'node:stream';
import { main } from '../../cli/main.ts';

export interface CliResult {
  code: number;
  out: string;
  err: string;
}

/**
 * Runs `vigil ARGV...` in-process, capturing what it writes and its exit code; faster than
 * spawning, and the same code path as the installed bin after argument splitting.
 */
export async function runCli(
  argv: string[],
  env: NodeJS.ProcessEnv = {},
  signal = new AbortController().signal,
): Promise<CliResult> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c) => {
    out += c;
  });
  stderr.on('data', (c) => {
    err += c;
  });
  const code = await main(argv, { stdout, stderr, env, signal });
  return { code, out, err };
}
