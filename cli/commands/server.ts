import { loadServerConfig, startServer } from '../../alerting/index.ts';
import { VigilError } from '../../core/index.ts';
import { type Command, parseCommandArgs } from '../command.ts';

export const server: Command = {
  name: 'server',
  usage: `vigil server -c vigil.yaml

Runs the embedded alert engine. The config takes Prometheus' own global, rule_files,
scrape_configs and alerting (alertmanagers to push to) sections (subset in docs/alerting.md),
an Alertmanager-shaped notify section (route, receivers, inhibit_rules, time_intervals:
docs/notify.md), plus apiVersion: vigil/v1, listen (default 127.0.0.1:9090), data_dir and
storage (retention, max_series). Rule files may use vigil's rule kinds (docs/rules.md).
A non-loopback listen address requires VIGIL_TOKEN.

SIGHUP re-reads the config file and applies it all or nothing: rule_files (alert state kept),
scrape_configs and global scrape settings (unchanged jobs keep scraping), and notify (silences
and the notification log kept). listen, data_dir, storage, global.evaluation_interval,
global.external_labels, the alerting section and adding or removing notify need a restart:
a reload that changes them is refused and the running config kept.`,
  async run(argv, io) {
    const { values } = parseCommandArgs('server', argv, { config: { type: 'string', short: 'c' } }, false);
    const file = values.config;
    if (!file) throw new VigilError('usage', 'vigil server: -c FILE is required');
    const handle = await startServer(loadServerConfig(file), { token: io.env.VIGIL_TOKEN });
    io.stderr.write(
      `${JSON.stringify({ level: 'info', msg: 'vigil server listening', url: handle.listening.url, replay: handle.replay })}\n`,
    );
    // SIGHUP reloads the whole config, as Prometheus and Alertmanager do: everything
    // validates, or nothing is swapped in.
    const onHup = () => {
      try {
        const report = handle.reload(loadServerConfig(file));
        io.stderr.write(`${JSON.stringify({ level: 'info', msg: 'config reloaded', ...report })}\n`);
      } catch (err) {
        io.stderr.write(
          `${JSON.stringify({ level: 'error', msg: 'config reload refused, keeping the running config', error: (err as Error).message })}\n`,
        );
      }
    };
    process.on('SIGHUP', onHup);
    await new Promise<void>((resolve) => {
      if (io.signal.aborted) resolve();
      io.signal.addEventListener('abort', () => resolve(), { once: true });
    });
    process.off('SIGHUP', onHup);
    await handle.close();
    return 0;
  },
};
