import { writeFileSync } from 'node:fs';
import {
  runLedger,
  summarizeReport,
  VerifyMetrics,
  verifierRuns,
  verifyConfigSchema,
} from '../../chaos/index.ts';
import { loadConfigFile, VigilError } from '../../core/index.ts';
import { type Command, type CommandIO, parseCommandArgs } from '../command.ts';
import { serveVerifyMetrics } from '../metrics-server.ts';

const usage = `vigil verify: durability verifiers for blob stores and queues

usage:
  vigil verify watch   -c FILE [--once]   re-read a sample of writes 1m/1h/1d/1w after them (journaled)
  vigil verify index   -c FILE            check with HEAD that every indexed object exists
  vigil verify compare -c FILE            compare two stores key by key and checksum by checksum
  vigil verify trash   -c FILE            check that deleted keys stay deleted
  vigil verify scrub   -c FILE [--once]   re-hash every object, rate-limited, resuming from a cursor
  vigil verify ledger  -c FILE            publish, consume and check: lost, duplicated, unexpected, reordered

flags:
  -c, --config FILE      the Verify config (apiVersion: vigil/v1, kind: Verify)
  --report FILE          write the JSON report here (overrides report.file)
  --metrics HOST:PORT    serve /metrics while running (overrides metrics.listen; loopback by default)
  --once                 watch: run what is due and exit; scrub: one pass

exit codes: 0 no loss or corruption, 1 the gate failed, 2 usage or config error, 3 runtime failure`;

const options = {
  config: { type: 'string', short: 'c' },
  report: { type: 'string' },
  metrics: { type: 'string' },
  once: { type: 'boolean' },
} as const;

const kinds = ['watch', 'index', 'compare', 'trash', 'scrub', 'ledger'] as const;
type Kind = (typeof kinds)[number];

export const verify: Command = {
  name: 'verify',
  usage,
  async run(argv: string[], io: CommandIO) {
    const { values, positionals } = parseCommandArgs('verify', argv, options);
    const [kind, ...extra] = positionals;
    if (kind === undefined || !(kinds as readonly string[]).includes(kind)) {
      throw new VigilError(
        'usage',
        `vigil verify: expected one of ${kinds.join(', ')}${kind ? `, got "${kind}"` : ''}`,
      );
    }
    if (extra.length > 0)
      throw new VigilError('usage', `vigil verify ${kind}: unexpected argument "${extra[0]}"`);
    if (!values.config) throw new VigilError('usage', `vigil verify ${kind}: -c FILE is required`);
    const config = loadConfigFile(verifyConfigSchema, values.config);
    const metrics = new VerifyMetrics();
    const metricsAt = values.metrics ?? config.metrics?.listen;
    const server = metricsAt ? await serveVerifyMetrics('vigil verify', metrics, metricsAt) : undefined;
    try {
      const run = {
        metrics,
        signal: io.signal,
        env: io.env,
        once: values.once ?? false,
        onViolation: (r: { verifier: string; key: string; verdict: string; detail?: string | undefined }) =>
          io.stderr.write(`${JSON.stringify({ level: 'error', msg: 'durability violation', ...r })}\n`),
      };
      const report =
        (kind as Kind) === 'ledger'
          ? await runLedger(config, run)
          : await verifierRuns[kind as Exclude<Kind, 'ledger'>](config, run);
      const file = values.report ?? config.report.file;
      if (file) writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
      io.stdout.write(`${summarizeReport(report)}\n`);
      return report.passed ? 0 : 1;
    } finally {
      await server?.close(1000);
    }
  },
};
