import { api, notify } from '../../alerting/index.ts';
import { VigilError } from '../../core/index.ts';
import { type Command, parseCommandArgs } from '../command.ts';
import { defaultServer, matchersFromArgs, table } from './silence.ts';

const usage = `vigil alerts list [MATCHER...] [--json] [--server URL]

Lists the active alerts of a running vigil server: pending and firing, since when, and
whether a silence or an inhibition mutes them (when the server has a notify: section).
MATCHERs (Alertmanager syntax, name=value, name=~regex, ...) keep only matching alerts.
--json prints one object per alert. --server defaults to ${defaultServer}; the bearer
token is read from VIGIL_TOKEN.`;

export interface ListedAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  state: string;
  since: string;
  /** active, suppressed, or unknown without a notifier (pending alerts are never notified). */
  notify: string;
  silencedBy: string[];
  inhibitedBy: string[];
  receivers: string[];
}

/** Joins the rule engine's alerts with the notifier's status by fingerprint. */
export function listAlerts(
  ruleAlerts: api.RuleAlert[],
  notified: api.ApiAlertV2[] | undefined,
  filter: notify.SilenceMatcher[],
): ListedAlert[] {
  const byFp = new Map((notified ?? []).map((a) => [a.fingerprint, a]));
  const matchers = filter.map(notify.toMatcher);
  return ruleAlerts
    .filter((a) => notify.matchesAll(matchers, a.labels))
    .map((a) => {
      const n = byFp.get(notify.fingerprint(a.labels));
      return {
        labels: a.labels,
        annotations: a.annotations,
        state: a.state,
        since: a.activeAt,
        notify: n ? n.status.state : notified === undefined ? 'unknown' : '-',
        silencedBy: n?.status.silencedBy ?? [],
        inhibitedBy: n?.status.inhibitedBy ?? [],
        receivers: n?.receivers.map((r) => r.name) ?? [],
      };
    })
    .sort((x, y) => (x.since < y.since ? -1 : x.since > y.since ? 1 : 0));
}

function muting(a: ListedAlert): string {
  const parts: string[] = [];
  if (a.silencedBy.length) parts.push(`silenced by ${a.silencedBy.join(',')}`);
  if (a.inhibitedBy.length) parts.push(`inhibited by ${a.inhibitedBy.join(',')}`);
  return parts.join('; ') || (a.notify === 'unknown' ? 'no notifier' : a.notify === '-' ? '-' : 'no');
}

export const alertsCommand: Command = {
  name: 'alerts',
  usage,
  async run(argv, io) {
    const [sub, ...rest] = argv;
    const { values, positionals } = parseCommandArgs(`alerts ${sub ?? ''}`.trim(), rest, {
      json: { type: 'boolean' },
      server: { type: 'string' },
    });
    if (sub !== 'list')
      throw new VigilError('usage', 'vigil alerts: expected "list" (see vigil alerts --help)');
    const client = new api.AlertmanagerClient(values.server ?? defaultServer, io.env.VIGIL_TOKEN);
    const [ruleAlerts, notified] = await Promise.all([client.ruleAlerts(), client.alerts()]);
    const alerts = listAlerts(ruleAlerts, notified, matchersFromArgs(positionals));
    if (values.json) {
      io.stdout.write(`${JSON.stringify(alerts, null, 2)}\n`);
      return 0;
    }
    io.stdout.write(
      table(
        ['ALERTNAME', 'STATE', 'SINCE', 'MUTED', 'LABELS'],
        alerts.map((a) => {
          const { alertname, ...labels } = a.labels;
          return [
            alertname ?? '',
            a.state,
            a.since,
            muting(a),
            Object.entries(labels)
              .sort(([x], [y]) => (x < y ? -1 : 1))
              .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
              .join(' '),
          ];
        }),
      ),
    );
    return 0;
  },
};
