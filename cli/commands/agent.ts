import { createReadStream } from 'node:fs';
import { loadAgentConfig, parseStream, resolveFormat, runAgent } from '../../agent/index.ts';
import { systemClock, VigilError } from '../../core/index.ts';
import { type Command, parseCommandArgs } from '../command.ts';

const usage = `vigil agent -c agent.yaml
vigil agent parse [--format NAME|auto] [--inner-format NAME] [FILE]

Runs the adapter agent: tails logs, normalizes them, derives metrics, adapts foreign metrics
and health checks (see docs/agent.md).

  -c, --config FILE    the agent config (apiVersion: vigil/v1)

"vigil agent parse" reads lines from FILE (or stdin) and writes normalized records as JSON
lines, to try a format out. Formats: auto, json, logfmt, access-log (nginx, apache), syslog-rfc3164,
syslog-rfc5424, klog, cri, docker-json, redis, python, java (logback, log4j), go-log.`;

export const agent: Command = {
  name: 'agent',
  usage,
  async run(argv, io) {
    if (argv[0] === 'parse') {
      const { values, positionals } = parseCommandArgs('agent parse', argv.slice(1), {
        format: { type: 'string', default: 'auto' },
        'inner-format': { type: 'string', default: 'auto' },
      });
      if (positionals.length > 1) throw new VigilError('usage', 'vigil agent parse: at most one FILE');
      const format = resolveFormat(values.format);
      const innerFormat = resolveFormat(values['inner-format']);
      const file = positionals[0];
      const input = file === undefined || file === '-' ? process.stdin : createReadStream(file);
      if (file !== undefined && file !== '-') {
        await new Promise<void>((resolve, reject) => {
          input.once('open', () => resolve());
          input.once('error', (err: NodeJS.ErrnoException) =>
            reject(
              new VigilError(
                'not_found',
                `vigil agent parse: cannot read ${file}: ${err.code ?? err.message}`,
              ),
            ),
          );
        });
      }
      await parseStream(input, io.stdout as NodeJS.WritableStream & import('node:stream').Writable, {
        format,
        innerFormat,
        clock: systemClock,
      });
      return 0;
    }
    const { values, positionals } = parseCommandArgs('agent', argv, {
      config: { type: 'string', short: 'c' },
    });
    if (positionals.length > 0)
      throw new VigilError('usage', `vigil agent: unexpected argument "${positionals[0]}"`);
    if (!values.config)
      throw new VigilError('usage', 'vigil agent: -c agent.yaml is required (or: vigil agent parse)');
    const config = loadAgentConfig(values.config);
    const running = await runAgent(config, { clock: systemClock, stdout: io.stdout });
    io.stderr.write(`vigil agent: running${running.url ? `, metrics and health on ${running.url}` : ''}\n`);
    await new Promise<void>((resolve) => {
      if (io.signal.aborted) resolve();
      else io.signal.addEventListener('abort', () => resolve(), { once: true });
    });
    await running.close();
    return 0;
  },
};
