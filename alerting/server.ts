import { createServer } from 'node:http';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { z } from 'zod';
import {
  apiVersionSchema,
  type Clock,
  closable,
  durationSchema,
  type Listening,
  listen,
  listenAddressSchema,
  loadConfigFile,
  requireTokenOffLoopback,
  systemClock,
  type TimerHandle,
  VigilError,
} from '../core/index.ts';
import { handleAlertmanagerApi, handleApi } from './api/index.ts';
import { GuardStore } from './kinds/index.ts';
import {
  alertmanager as alertmanagerPart,
  delivery as deliveryPart,
  makeNotifyConfigSchema,
  Notifier,
  type NotifyAlert,
  type NotifyConfig,
  notifyConfigSchema,
  receivers as receiversPart,
  type SourceAlert,
} from './notify/index.ts';
import { Engine } from './promql/index.ts';
import { type Alert, type GroupEvaluator, loadRuleFile, type RuleGroup, RuleManager } from './rules/index.ts';
import {
  expandPattern,
  globalSchema,
  resolveJobs,
  type ScrapeJob,
  ScrapeManager,
  scrapeConfigSchema,
} from './scrape/index.ts';
import { PersistentStore, type ReplayReport } from './store/index.ts';

/**
 * `vigil server`: the embedded engine in one process. Its config is Prometheus' own
 * (`global`, `rule_files`, `scrape_configs`, the subset documented in docs/alerting.md) plus
 * vigil's `apiVersion`, `listen`, `data_dir` and `storage`, so a team's prometheus.yml moves
 * in by adding three lines.
 */

export const serverConfigSchema = z.strictObject({
  apiVersion: apiVersionSchema,
  listen: listenAddressSchema.default({ host: '127.0.0.1', port: 9090 }),
  data_dir: z.string().default('data'),
  storage: z
    .strictObject({
      retention: durationSchema.default(15 * 24 * 3_600_000),
      max_series: z.number().int().positive().default(1_000_000),
    })
    .default({ retention: 15 * 24 * 3_600_000, max_series: 1_000_000 }),
  global: globalSchema.default({
    scrape_interval: 60_000,
    scrape_timeout: 10_000,
    evaluation_interval: 60_000,
    external_labels: {},
  }),
  rule_files: z.array(z.string()).default([]),
  scrape_configs: z.array(scrapeConfigSchema).default([]),
  /** Alertmanager's alertmanager.yml (route, receivers, inhibit_rules, time_intervals): docs/notify.md. */
  notify: notifyConfigSchema.optional(),
  /** Prometheus' own `alerting:` section: push alerts to Alertmanagers (docs/notify.md). */
  alerting: alertmanagerPart.alertingConfigSchema.optional(),
});

export type ServerConfig = z.output<typeof serverConfigSchema>;

/** What a config reload applied. */
export interface ReloadReport {
  /** Rule groups loaded now. */
  groups: number;
  /** Scrape jobs configured now. */
  jobs: number;
  /** What became of the scrape targets' loops. */
  targets: ReturnType<ScrapeManager['applyJobs']>;
  /** Whether the notify: section changed, so the notifier was rebuilt with the new receivers. */
  notify: boolean;
}

export interface ServerHandle {
  listening: Listening;
  /**
   * Applies a changed config (SIGHUP), all or nothing: rules keep the state of unchanged
   * rules, scrape targets of unchanged jobs keep running, and a changed notify: section gets a
   * new notifier that restores silences, the notification log and firing alerts. Throws a
   * VigilError, changing nothing, when anything fails to load or a setting that needs a
   * restart changed.
   */
  reload(next: ServerConfig): ReloadReport;
  /** Re-reads the rule files (and file_sd) of the running config: `reload` of the same config. */
  reloadRules(): ReloadReport;
  replay: ReplayReport;
  store: PersistentStore;
  rules: RuleManager;
  scrape: ScrapeManager;
  /** The rate guards' circuit breakers (persisted in data_dir/guards.json). */
  guards: GuardStore;
  /** Routing, grouping, silences; undefined without a `notify:` section. */
  notifier: Notifier | undefined;
  /** The durable outbox and delivery to receivers; undefined without a `notify:` section. */
  delivery: deliveryPart.DeliveryService | undefined;
  close(): Promise<void>;
}

/** Reads the server config; relative paths in it are relative to the file. */
export function loadServerConfig(file: string): ServerConfig {
  const base = dirname(resolve(file));
  // Receivers' *_file secrets are read relative to the config file, as Alertmanager does.
  const config = loadConfigFile(
    serverConfigSchema.extend({ notify: makeNotifyConfigSchema(base).optional() }),
    file,
  );
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(base, p));
  return {
    ...config,
    data_dir: abs(config.data_dir),
    rule_files: config.rule_files.map(abs),
    scrape_configs: config.scrape_configs.map((s) => ({
      ...s,
      file_sd_configs: s.file_sd_configs.map((f) => ({ ...f, files: f.files.map(abs) })),
    })),
  };
}

/** Loads every rule file, all or nothing. */
export function loadRules(patterns: readonly string[]): RuleGroup[] {
  return patterns.flatMap((p) => expandPattern(p)).flatMap((file) => loadRuleFile(file));
}

/** The scrape jobs with their defaults resolved; a job name used twice is refused. */
function loadJobs(config: ServerConfig): ScrapeJob[] {
  const jobs = resolveJobs(config.global, config.scrape_configs);
  const names = new Set<string>();
  for (const job of jobs) {
    if (names.has(job.name))
      throw new VigilError('config', `scrape_configs: job_name "${job.name}" is used twice`);
    names.add(job.name);
  }
  return jobs;
}

/**
 * Settings a running server cannot take: they shape the store, the listener, the rule
 * engine's timing and labels, whether a notifier exists at all, and the pusher.
 */
const restartOnly: readonly [string, (c: ServerConfig) => unknown][] = [
  ['listen', (c) => c.listen],
  ['data_dir', (c) => c.data_dir],
  ['storage', (c) => c.storage],
  ['global.evaluation_interval', (c) => c.global.evaluation_interval],
  ['global.external_labels', (c) => c.global.external_labels],
  ['notify (added or removed)', (c) => c.notify !== undefined],
  ['alerting', (c) => c.alerting],
];

/** The names of the restart-only settings that differ between two configs. */
function restartOnlyChanges(current: ServerConfig, next: ServerConfig): string[] {
  return restartOnly.filter(([, get]) => configText(get(current)) !== configText(get(next))).map(([n]) => n);
}

/**
 * A config value as comparable text. Secrets print as `<secret>` in JSON, which would hide a
 * changed webhook URL or routing key, so they are compared by value here (never shown).
 */
function configText(value: unknown): string {
  return (
    JSON.stringify(value, function (this: Record<string, unknown>, key, v) {
      const raw = this[key];
      return raw instanceof receiversPart.Secret ? raw.reveal() : v;
    }) ?? ''
  );
}

const receiverMap = (notify: NotifyConfig) =>
  new Map(notify.receivers.map((r) => [r.name, receiversPart.buildReceivers(r)]));

/**
 * Starts the server: replays the store, starts scraping and rule evaluation, serves the API.
 *
 * @example
 * const server = await startServer(loadServerConfig('vigil.yaml'));
 * console.log(server.listening.url, server.replay);
 */
export async function startServer(
  config: ServerConfig,
  options: { clock?: Clock; token?: string } = {},
): Promise<ServerHandle> {
  const clock = options.clock ?? systemClock;
  requireTokenOffLoopback('vigil server API', config.listen.host, options.token);
  const groups = loadRules(config.rule_files);
  const jobs = loadJobs(config);
  /** The config applied last: the start one, then each reload's. */
  let current = config;
  const { store, replay } = PersistentStore.open({
    dir: config.data_dir,
    clock,
    limits: { maxSeries: config.storage.max_series, retentionMs: config.storage.retention },
  });
  const append = (labels: Record<string, string>, t: number, v: number, key?: string) => {
    store.append(labels, t, v, key);
  };
  let ruleFailures = 0;
  const guards = new GuardStore(config.data_dir);
  guards.setRules(groups);
  const rules = new RuleManager(groups, store, append, {
    clock,
    defaultIntervalMs: config.global.evaluation_interval,
    externalLabels: config.global.external_labels,
    // A rate guard's alert trips its circuit breaker as it starts firing.
    notify: (rule, transitions, t) => guards.observe(rule, transitions, t),
    // The notifier takes a group's whole alert set (firing and resolved) after each evaluation.
    onEvaluated: (ev, t) => {
      notifier?.update(sourceOf(ev), notifyAlerts(ev, externalURL), t);
      pusher?.push(
        alertsToPush(ev, t, sentToAlertmanagers, rules.intervalOf(ev), externalURL || listening.url),
      );
    },
  });
  // Created once the address is known (it is the default external URL); before rules start.
  let notifier: Notifier | undefined;
  let delivery: deliveryPart.DeliveryService | undefined;
  let externalURL = config.notify?.external_url ?? '';
  // Prometheus' `alerting:` section: alerts due for (re)sending go to every Alertmanager.
  const pusher = config.alerting
    ? new alertmanagerPart.AlertmanagerPusher(config.alerting, {
        clock,
        externalLabels: config.global.external_labels,
      })
    : undefined;
  const sentToAlertmanagers = new WeakMap<Alert, number>();
  // Scraped samples go by series reference: a repeated series skips the store's key lookup.
  const scrape = new ScrapeManager(
    jobs,
    { append: (ref, labels, t, v, key) => store.appendRef(ref, labels, t, v, key) },
    { clock },
  );
  const engine = new Engine(store, { defaultSubqueryStepMs: config.global.evaluation_interval });
  const metrics = () => {
    const s = store.memory.getStats();
    const lines = [
      '# TYPE vigil_store_series gauge',
      `vigil_store_series ${s.series}`,
      '# TYPE vigil_store_samples gauge',
      `vigil_store_samples ${s.samples}`,
      '# TYPE vigil_store_chunk_bytes gauge',
      `vigil_store_chunk_bytes ${store.memory.chunkBytes()}`,
      '# TYPE vigil_store_series_limit_hits_total counter',
      `vigil_store_series_limit_hits_total ${s.seriesLimitHits}`,
      '# TYPE vigil_store_out_of_order_samples_total counter',
      `vigil_store_out_of_order_samples_total ${s.outOfOrder}`,
      '# TYPE vigil_store_retention_dropped_samples_total counter',
      `vigil_store_retention_dropped_samples_total ${s.retentionDropped}`,
      '# TYPE vigil_store_wal_flush_errors_total counter',
      `vigil_store_wal_flush_errors_total ${store.flushErrors}`,
      '# TYPE vigil_store_replayed_samples gauge',
      `vigil_store_replayed_samples ${replay.samples}`,
      '# TYPE vigil_scrape_append_errors_total counter',
      `vigil_scrape_append_errors_total ${scrape.appendErrors}`,
      '# TYPE vigil_rule_group_last_duration_seconds gauge',
      ...rules.evaluators.map(
        (ev) =>
          `vigil_rule_group_last_duration_seconds{rule_group=${JSON.stringify(`${ev.group.file};${ev.group.name}`)}} ${ev.lastDurationMs / 1000}`,
      ),
      '# TYPE vigil_rule_evaluation_failures_total counter',
      `vigil_rule_evaluation_failures_total ${ruleFailures}`,
      '# TYPE vigil_guard_tripped gauge',
      ...guards
        .list()
        .map((b) => `vigil_guard_tripped{guard=${JSON.stringify(b.name)}} ${b.state === 'tripped' ? 1 : 0}`),
    ];
    return `${lines.join('\n')}\n${notifier?.metricsText() ?? ''}${delivery?.metricsText() ?? ''}${pusher?.metricsText() ?? ''}`;
  };
  let ready = false;
  const server = createServer((req, res) => {
    void handleApi(
      {
        engine,
        store: store.memory,
        rules: () => rules.evaluators,
        targets: () => scrape.targets(),
        now: () => clock.now(),
        metrics,
        ready: () => ready,
        guards: { guards, now: () => clock.now(), token: options.token },
      },
      req,
      res,
    )
      .then(
        (handled) =>
          handled ||
          handleAlertmanagerApi(
            { notifier: () => notifier, token: options.token, now: () => clock.now() },
            req,
            res,
          ),
      )
      .then((handled) => {
        if (!handled) res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      });
  });
  const closer = closable(server);
  const listening = await listen(server, { host: config.listen.host, port: config.listen.port });
  const openNotifier = (notifyConfig: NotifyConfig, url: string, outbox: deliveryPart.DeliveryService) =>
    new Notifier({
      config: { ...notifyConfig, external_url: url },
      dataDir: config.data_dir,
      clock,
      deliver: (n) => outbox.deliver(n),
    });
  if (config.notify) {
    const notifyConfig = config.notify;
    externalURL ||= listening.url;
    delivery = deliveryPart.DeliveryService.open({
      dataDir: config.data_dir,
      clock,
      receivers: receiverMap(notifyConfig),
      timeoutOf: (r) => receiversPart.configuredTimeouts.get(r),
    });
    const outbox = delivery;
    try {
      notifier = openNotifier(notifyConfig, externalURL, outbox);
    } catch (err) {
      // Notifier state it cannot read (a damaged silences.json): refuse to start, releasing
      // what is already open so the error is all that remains.
      await outbox.close();
      await closer.close(0);
      store.close();
      throw err;
    }
    // Alerts of rule groups that are gone since the last run are resolved now.
    notifier.retainSources(rules.evaluators.map(sourceOf));
    delivery.start();
  }
  let retentionTimer: TimerHandle | undefined;
  const retention = () => {
    store.applyRetention();
    retentionTimer = clock.setTimeout(retention, 60_000);
  };
  retention();
  scrape.start();
  rules.start();
  ready = true;
  const countFailures = setInterval(() => {
    ruleFailures = rules.evaluators.reduce(
      (n, ev) => n + ev.lastResults.filter((r) => r.error).length,
      ruleFailures,
    );
  }, 60_000);
  countFailures.unref();
  const reload = (next: ServerConfig): ReloadReport => {
    const refused = restartOnlyChanges(current, next);
    if (refused.length > 0)
      throw new VigilError('config', `${refused.join(', ')} changed: restart vigil to apply`);
    // Everything that can fail comes before anything is swapped: a refusal changes nothing.
    const nextGroups = loadRules(next.rule_files);
    const nextJobs = loadJobs(next);
    let rebuilt: { notifier: Notifier; receivers: ReturnType<typeof receiverMap>; url: string } | undefined;
    if (next.notify && notifier && delivery && configText(next.notify) !== configText(current.notify)) {
      const receivers = receiverMap(next.notify);
      // Like Alertmanager's dispatcher rebuild: the new notifier restores silences, the
      // notification log (so groups already notified are not notified again) and the firing
      // alerts from the files the running one writes now.
      if (!notifier.persist())
        throw new VigilError(
          'unavailable',
          `cannot write the notifier state in ${join(config.data_dir, 'notify')}`,
        );
      const url = next.notify.external_url || listening.url;
      rebuilt = { notifier: openNotifier(next.notify, url, delivery), receivers, url };
    }
    if (rebuilt && notifier && delivery) {
      // Resolved alerts not notified yet are only in the old dispatcher's groups: alerts.json
      // holds firing ones. Handed over, the new groups notify them (the log drops repeats).
      const waiting = new Map<string, NotifyAlert>();
      for (const group of notifier.dispatcher.list())
        for (const a of group.alerts.values()) if (a.endsAt !== undefined) waiting.set(a.fingerprint, a);
      notifier.close();
      notifier = rebuilt.notifier;
      for (const a of waiting.values()) notifier.dispatcher.put(a);
      externalURL = rebuilt.url;
      delivery.setReceivers(rebuilt.receivers);
    }
    const before = new Set(rules.evaluators.map(sourceOf));
    rules.replaceGroups(nextGroups);
    // A group that is gone resolves its alerts: nothing will evaluate it again.
    for (const ev of rules.evaluators) before.delete(sourceOf(ev));
    for (const gone of before) notifier?.update(gone, [], clock.now());
    guards.setRules(nextGroups);
    const targets = scrape.applyJobs(nextJobs);
    current = next;
    return { groups: nextGroups.length, jobs: nextJobs.length, targets, notify: rebuilt !== undefined };
  };
  return {
    listening,
    replay,
    store,
    rules,
    scrape,
    guards,
    get notifier() {
      return notifier;
    },
    get delivery() {
      return delivery;
    },
    reload,
    reloadRules: () => reload(current),
    async close() {
      clearInterval(countFailures);
      retentionTimer?.cancel();
      rules.stop();
      scrape.stop();
      notifier?.close();
      await closer.close(1000);
      await delivery?.close();
      await pusher?.close();
      store.close();
    },
  };
}

/** A rule group's identity as a source of alerts for the notifier. */
const sourceOf = (ev: GroupEvaluator) => `${ev.group.file};${ev.group.name}`;

/**
 * A group's alerts as the notifier takes them (firing, and resolved ones still retained),
 * with Prometheus' generatorURL: a link to the rule's expression in the graph page.
 */
function notifyAlerts(ev: GroupEvaluator, externalURL: string): SourceAlert[] {
  const out: SourceAlert[] = [];
  for (const [index, alerts] of ev.alerts) {
    const rule = ev.group.rules[index];
    const generatorURL = alertmanagerPart.generatorURLFor(
      externalURL,
      rule && 'exprText' in rule ? String(rule.exprText) : '',
    );
    for (const a of alerts.values())
      out.push({
        labels: a.labels,
        annotations: a.annotations,
        state: a.state,
        activeAt: a.activeAt,
        firedAt: a.firedAt,
        resolvedAt: a.resolvedAt,
        generatorURL,
      });
  }
  return out;
}

/**
 * A group's alerts that are due for (re)sending to Alertmanagers after an evaluation at `t`,
 * picked as Prometheus' sendAlerts does (firing every resend delay, resolved ones for 15m).
 */
function alertsToPush(
  ev: GroupEvaluator,
  t: number,
  sent: WeakMap<Alert, number>,
  intervalMs: number,
  externalURL: string,
): alertmanagerPart.PushAlert[] {
  const out: alertmanagerPart.PushAlert[] = [];
  for (const [index, alerts] of ev.alerts) {
    const rule = ev.group.rules[index];
    const url = alertmanagerPart.generatorURLFor(
      externalURL,
      rule && 'exprText' in rule ? String(rule.exprText) : '',
    );
    const resendDelay = alertmanagerPart.defaultResendDelayMs;
    out.push(...alertmanagerPart.selectAlerts(alerts.values(), sent, t, intervalMs, resendDelay, () => url));
  }
  return out;
}
