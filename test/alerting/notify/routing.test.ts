import { describe, expect, it } from 'vitest';
import {
  buildRoute,
  groupKeyOf,
  groupLabels,
  matchRoutes,
  notifyConfigSchema,
} from '../../../alerting/notify/index.ts';
import { parseConfig } from '../../../core/index.ts';

const load = (yaml: string) => parseConfig(notifyConfigSchema, 'notify.yml', yaml);

const tree = load(`
route:
  receiver: default
  group_by: [alertname]
  group_wait: 10s
  routes:
    - matchers: ['team="db"']
      receiver: db-pager
      group_by: [alertname, cluster]
      repeat_interval: 1h
      routes:
        - matchers: ['severity="info"']
          receiver: db-tickets
    - match: { team: queue }
      match_re: { severity: "page|critical" }
      receiver: queue-pager
      continue: true
    - matchers: ['{team=~"queue|web", env!="dev"}']
      receiver: audit
      group_by: ['...']
receivers:
  - name: default
  - name: db-pager
  - name: db-tickets
  - name: queue-pager
  - name: audit
`);
const root = buildRoute(tree.route);
const receivers = (labels: Record<string, string>) => matchRoutes(root, labels).map((r) => r.receiver);

describe('route tree', () => {
  it('sends an alert to the deepest matching route, or the root when nothing below matches', () => {
    expect(receivers({ alertname: 'X', team: 'db' })).toEqual(['db-pager']);
    expect(receivers({ alertname: 'X', team: 'db', severity: 'info' })).toEqual(['db-tickets']);
    expect(receivers({ alertname: 'X', team: 'web', env: 'prod' })).toEqual(['audit']);
    expect(receivers({ alertname: 'X', team: 'other' })).toEqual(['default']);
  });

  it('goes on to later siblings only after a route with continue: true', () => {
    expect(receivers({ team: 'queue', severity: 'page' })).toEqual(['queue-pager', 'audit']);
    // queue-pager does not match (severity), so the next sibling is tried anyway.
    expect(receivers({ team: 'queue', severity: 'warning' })).toEqual(['audit']);
    expect(receivers({ team: 'queue', severity: 'warning', env: 'dev' })).toEqual(['default']);
  });

  it('inherits receiver, group_by and timings from the parent, as Alertmanager does', () => {
    const [tickets] = matchRoutes(root, { team: 'db', severity: 'info' });
    expect(tickets!.groupBy).toEqual(['alertname', 'cluster']);
    expect(tickets!.groupWaitMs).toBe(10_000);
    expect(tickets!.groupIntervalMs).toBe(5 * 60_000);
    expect(tickets!.repeatIntervalMs).toBe(3_600_000);
    expect(root.repeatIntervalMs).toBe(4 * 3_600_000);
    expect(root.groupWaitMs).toBe(10_000);
  });

  it("groups by the listed labels that are present, or by every label with ['...']", () => {
    const [db] = matchRoutes(root, { team: 'db', alertname: 'DiskFull', instance: 'db1' });
    expect(groupLabels(db!, { team: 'db', alertname: 'DiskFull', instance: 'db1' })).toEqual({
      alertname: 'DiskFull',
    });
    const [audit] = matchRoutes(root, { team: 'web', a: '1' });
    expect(groupLabels(audit!, { team: 'web', a: '1' })).toEqual({ team: 'web', a: '1' });
  });

  it('derives group keys from config and labels only, in Alertmanager notation', () => {
    const [db] = matchRoutes(root, { team: 'db', alertname: 'DiskFull', cluster: 'eu' });
    expect(groupKeyOf(db!, { alertname: 'DiskFull', cluster: 'eu' })).toBe(
      '{}/{team="db"}:{alertname="DiskFull", cluster="eu"}',
    );
    // The key does not depend on sibling order or matcher order: a reordered file keeps it.
    const reordered = buildRoute(
      load(`route:
  receiver: default
  routes:
    - { matchers: ['env="x"', 'team="web"'], receiver: audit }
    - { matchers: ['team="db"'], receiver: db-pager }
receivers: [{ name: default }, { name: db-pager }, { name: audit }]`).route,
    );
    expect(matchRoutes(reordered, { team: 'db' })[0]!.key).toBe(db!.key);
    expect(matchRoutes(reordered, { team: 'web', env: 'x' })[0]!.key).toBe('{}/{env="x",team="web"}');
  });
});

describe('notify config validation', () => {
  const fails = (yaml: string) => {
    try {
      load(yaml);
    } catch (err) {
      return (err as Error).message;
    }
    throw new Error('expected the config to be refused');
  };

  it('names file, line and field for an undefined receiver', () => {
    expect(
      fails(`route:
  receiver: a
  routes:
    - receiver: nobody
receivers:
  - name: a
`),
    ).toMatch(/^notify\.yml:4: route\.routes\[0\]\.receiver: undefined receiver "nobody" used in route/);
  });

  it('refuses a bad matcher, a root without receiver, duplicate receivers, unknown intervals', () => {
    expect(
      fails('route: { receiver: a, routes: [{ matchers: ["team=~\\"(\\""] }] }\nreceivers: [{ name: a }]'),
    ).toMatch(/route\.routes\[0\]\.matchers\[0\]: invalid regular expression/);
    expect(fails('route: {}\nreceivers: [{ name: a }]')).toMatch(/the root route must name a receiver/);
    expect(fails('route: { receiver: a }\nreceivers: [{ name: a }, { name: a }]')).toMatch(
      /receivers\[1\]\.name: receiver "a" is defined twice/,
    );
    expect(
      fails('route: { receiver: a, routes: [{ mute_time_intervals: [nights] }] }\nreceivers: [{ name: a }]'),
    ).toMatch(/undefined time interval "nights"/);
    expect(fails("route: { receiver: a, group_by: ['...', x] }\nreceivers: [{ name: a }]")).toMatch(
      /'\.\.\.' must be the only element/,
    );
    expect(fails('route: { receiver: a, group_interval: 0s }\nreceivers: [{ name: a }]')).toMatch(
      /group_interval: must be greater than 0/,
    );
    expect(fails('route: { receiver: a, matchers: ["x=1"] }\nreceivers: [{ name: a }]')).toMatch(
      /root route must not have matchers/,
    );
    expect(fails('route: { receiver: a, grup_by: [x] }\nreceivers: [{ name: a }]')).toMatch(/grup_by/);
  });
});
