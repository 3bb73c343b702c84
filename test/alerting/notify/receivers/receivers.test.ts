import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildReceivers,
  compileNotifyTemplate,
  makeReceiverSchema,
  type ReceiverConfig,
  receiverSchema,
} from '../../../../alerting/notify/receivers/index.ts';
import { isVigilError, parseConfig } from '../../../../core/index.ts';
import { notification, resolvedNotification, t0 } from './fixtures.ts';
import { receiverConformance } from './receiver.case.ts';
import { Recorder } from './recorder.ts';

const parse = (yaml: string, baseDir = process.cwd()): ReceiverConfig =>
  parseConfig(makeReceiverSchema(baseDir), 'alertmanager.yml', yaml);

const signal = () => AbortSignal.timeout(5000);

describe('receivers: config', () => {
  it("applies Alertmanager's defaults", () => {
    const c = parse(`
name: ops
pagerduty_configs: [{ routing_key: abc }]
webhook_configs: [{ url: 'http://127.0.0.1:1/hook' }]
slack_configs: [{ api_url: 'https://hooks.slack.com/services/T/B/X' }]
`);
    expect(c.pagerduty_configs[0]!.send_resolved).toBe(true);
    expect(c.pagerduty_configs[0]!.url).toBe('https://events.pagerduty.com/v2/enqueue');
    expect(c.webhook_configs[0]!.send_resolved).toBe(true);
    expect(c.webhook_configs[0]!.max_alerts).toBe(0);
    expect(c.slack_configs[0]!.send_resolved).toBe(false);
    expect(c.slack_configs[0]!.mrkdwn_in).toEqual(['fallback', 'pretext', 'text']);
  });

  it('reads routing_key_file and url_file at load, relative to the config directory', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-receivers-'));
    writeFileSync(join(dir, 'pd.key'), 'R0UT1NGKEY\n');
    writeFileSync(join(dir, 'hook.url'), 'http://127.0.0.1:9/hook\n');
    const c = parse(
      `
name: ops
pagerduty_configs: [{ routing_key_file: pd.key }]
webhook_configs: [{ url_file: hook.url }]
`,
      dir,
    );
    expect(c.pagerduty_configs[0]!.routing_key.reveal()).toBe('R0UT1NGKEY');
    expect(c.webhook_configs[0]!.url.reveal()).toBe('http://127.0.0.1:9/hook');
  });

  it('refuses a missing secret file, naming the file and field', () => {
    expect(() => parse('name: ops\npagerduty_configs:\n  - routing_key_file: /nonexistent/pd.key\n')).toThrow(
      /alertmanager\.yml:3: pagerduty_configs\[0\]\.routing_key_file: cannot read \/nonexistent\/pd\.key: no such file/,
    );
  });

  it('refuses both or neither of a secret and its file, unknown integrations, bad templates, v1 keys', () => {
    expect(() => parse('name: ops\npagerduty_configs: [{}]\n')).toThrow(
      /one of routing_key or routing_key_file is required/,
    );
    expect(() => parse('name: ops\nwebhook_configs: [{ url: "http://a/", url_file: x }]\n')).toThrow(
      /at most one of url and url_file/,
    );
    expect(() => parse('name: ops\nemail_configs: [{ to: a@b }]\n')).toThrow(/email_configs/);
    expect(() => parse('name: ops\npagerduty_configs: [{ service_key: x }]\n')).toThrow(/service_key/);
    expect(() =>
      parse(
        'name: ops\npagerduty_configs: [{ routing_key: k, description: "{{ range .Alerts }}x{{ end }}" }]\n',
      ),
    ).toThrow(/pagerduty_configs\[0\]\.description: template action "\{\{ range \.Alerts \}\}": unsupported/);
    expect(() => parse('name: ops\nslack_configs: [{ api_url: "ftp://x" }]\n')).toThrow(/expected an http/);
  });

  it('never prints a secret: not in errors, JSON or inspect', () => {
    const c = parse('name: ops\npagerduty_configs: [{ routing_key: TOPSECRETKEY }]\n');
    expect(JSON.stringify(c)).not.toContain('TOPSECRETKEY');
    expect(inspect(c, { depth: 10 })).not.toContain('TOPSECRETKEY');
    let message = '';
    try {
      parse('name: ops\nslack_configs: [{ api_url: "nope://TOPSECRETURL" }]\n');
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toContain('api_url');
    expect(message).not.toContain('TOPSECRETURL');
  });

  it('any input either parses or is refused with a config error (fuzzed)', () => {
    const value = fc.letrec((tie) => ({
      any: fc.oneof(
        { depthSize: 'small' },
        fc.string(),
        fc.integer(),
        fc.boolean(),
        fc.constant(null),
        fc.array(tie('any'), { maxLength: 3 }),
        fc.dictionary(
          fc.oneof(
            fc.constantFrom(
              'name',
              'pagerduty_configs',
              'webhook_configs',
              'slack_configs',
              'routing_key',
              'url',
              'api_url',
              'send_resolved',
              'max_alerts',
              'description',
              'details',
              'links',
              'images',
            ),
            fc.string(),
          ),
          tie('any'),
          { maxKeys: 4 },
        ),
      ),
    })).any;
    fc.assert(
      fc.property(value, (input) => {
        const result = receiverSchema.safeParse(input);
        if (result.success) expect(typeof result.data.name).toBe('string');
        else expect(result.error.issues.length).toBeGreaterThan(0);
      }),
      { numRuns: 500 },
    );
  });

  it('templates either compile or are refused as config errors, and expand without throwing (fuzzed)', () => {
    const piece = fc.oneof(
      fc.string(),
      fc.constantFrom(
        '{{ .Status }}',
        '{{ .CommonLabels.alertname }}',
        '{{ .GroupLabels.x | toUpper }}',
        '{{ .Alerts.Firing | len }}',
        '{{ template "__subject" . }}',
        '{{- .Receiver -}}',
        '{{',
        '}}',
        '{{ range . }}',
        '{{ .Nope }}',
      ),
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 6 }), (parts) => {
        const source = parts.join('');
        let compiled: ReturnType<typeof compileNotifyTemplate> | undefined;
        try {
          compiled = compileNotifyTemplate(source);
        } catch (err) {
          expect(isVigilError(err, 'config')).toBe(true);
          return;
        }
        expect(typeof compiled.expand({ receiver: 'ops', notification: notification() })).toBe('string');
      }),
      { numRuns: 500 },
    );
  });
});

describe('receivers: payloads field by field', () => {
  const server = new Recorder();
  beforeAll(async () => {
    await server.start();
  });
  afterAll(async () => {
    await server.stop();
  });
  const last = () => server.requests[server.requests.length - 1]!;

  it('PagerDuty Events API v2: trigger with dedup_key = sha256(groupKey)', async () => {
    server.respond = () => ({
      status: 202,
      body: '{"status":"success","message":"Event processed","dedup_key":"x"}',
    });
    const [pd] = buildReceivers(
      parse(`
name: ops
pagerduty_configs:
  - routing_key: R0UT1NGKEY
    url: ${server.url}
    severity: critical
    class: disk
    component: '{{ .CommonLabels.alertname }}'
    group: storage
    links: [{ href: 'https://runbooks/disk', text: runbook }]
    images: [{ src: 'https://graphs/disk.png', alt: disk, href: 'https://graphs' }]
`),
    );
    expect(pd!.kind).toBe('pagerduty');
    await pd!.send(notification(), signal());
    const req = last();
    expect(req.method).toBe('POST');
    expect(req.path).toBe('/v2/enqueue');
    expect(req.headers['content-type']).toBe('application/json');
    const firingList =
      'Labels:\n - alertname = DiskFull\n - instance = db-1:9100\n - severity = page\nAnnotations:\n' +
      ' - runbook = https://runbooks/disk\n - summary = db-1 disk 97% full\n' +
      'Source: http://vigil:9090/graph?g0.expr=disk&g0.tab=1\n';
    const resolvedList =
      'Labels:\n - alertname = DiskFull\n - instance = db-2:9100\n - severity = page\nAnnotations:\n' +
      ' - runbook = https://runbooks/disk\n - summary = db-2 disk 96% full\n' +
      'Source: http://vigil:9090/graph?g0.expr=disk&g0.tab=1\n';
    expect(req.body).toEqual({
      routing_key: 'R0UT1NGKEY',
      dedup_key: createHash('sha256').update('{}/{severity="page"}:{alertname="DiskFull"}').digest('hex'),
      event_action: 'trigger',
      payload: {
        summary: '[FIRING:1] DiskFull (page)',
        source: 'vigil',
        severity: 'critical',
        class: 'disk',
        component: 'DiskFull',
        group: 'storage',
        custom_details: { firing: firingList, resolved: resolvedList, num_firing: '1', num_resolved: '1' },
      },
      client: 'vigil',
      client_url: 'http://vigil.example:9090',
      links: [{ href: 'https://runbooks/disk', text: 'runbook' }],
      images: [{ src: 'https://graphs/disk.png', alt: 'disk', href: 'https://graphs' }],
    });
  });

  it('PagerDuty: resolve with the same dedup_key; summary cut at 1024 characters with "…"', async () => {
    server.respond = () => ({ status: 202 });
    const [pd] = buildReceivers(
      parse(`
name: ops
pagerduty_configs: [{ routing_key: K, url: '${server.url}/v2/enqueue', description: '{{ .CommonAnnotations.long }}' }]
`),
    );
    await pd!.send(notification({ commonAnnotations: { long: 'é'.repeat(2000) } }), signal());
    const summary = (last().body as { payload: { summary: string } }).payload.summary;
    expect(Array.from(summary)).toHaveLength(1024);
    expect(summary.endsWith('é…')).toBe(true);
    await pd!.send(resolvedNotification(), signal());
    const body = last().body as { event_action: string; dedup_key: string; payload: { summary: string } };
    expect(body.event_action).toBe('resolve');
    expect(body.dedup_key).toBe(createHash('sha256').update(notification().groupKey).digest('hex'));
    expect(body.payload.summary).toBe('');
  });

  it('PagerDuty: send_resolved false sends no resolve', async () => {
    const before = server.requests.length;
    const [pd] = buildReceivers(
      parse(
        `name: ops\npagerduty_configs: [{ routing_key: K, url: '${server.url}', send_resolved: false }]\n`,
      ),
    );
    await pd!.send(resolvedNotification(), signal());
    expect(server.requests.length).toBe(before);
  });

  it('webhook: Alertmanager payload version 4, every field', async () => {
    server.respond = () => ({ status: 200 });
    const [hook] = buildReceivers(parse(`name: ops\nwebhook_configs: [{ url: '${server.url}/hook' }]\n`));
    await hook!.send(notification(), signal());
    const req = last();
    expect(req.path).toBe('/hook');
    expect(req.body).toEqual({
      receiver: 'ops',
      status: 'firing',
      alerts: [
        {
          status: 'firing',
          labels: { alertname: 'DiskFull', instance: 'db-1:9100', severity: 'page' },
          annotations: { runbook: 'https://runbooks/disk', summary: 'db-1 disk 97% full' },
          startsAt: '2026-01-01T00:00:00Z',
          endsAt: '0001-01-01T00:00:00Z',
          generatorURL: 'http://vigil:9090/graph?g0.expr=disk&g0.tab=1',
          fingerprint: '1a2b3c4d5e6f7081',
        },
        {
          status: 'resolved',
          labels: { alertname: 'DiskFull', instance: 'db-2:9100', severity: 'page' },
          annotations: { runbook: 'https://runbooks/disk', summary: 'db-2 disk 96% full' },
          startsAt: '2026-01-01T00:00:01.5Z',
          endsAt: '2026-01-01T00:01:00.25Z',
          generatorURL: 'http://vigil:9090/graph?g0.expr=disk&g0.tab=1',
          fingerprint: '2a2b3c4d5e6f7082',
        },
      ],
      groupLabels: { alertname: 'DiskFull' },
      commonLabels: { alertname: 'DiskFull', severity: 'page' },
      commonAnnotations: { runbook: 'https://runbooks/disk' },
      externalURL: 'http://vigil.example:9090',
      version: '4',
      groupKey: '{}/{severity="page"}:{alertname="DiskFull"}',
      truncatedAlerts: 0,
    });
  });

  it('webhook: max_alerts keeps the first and counts the rest; send_resolved false drops resolved alerts', async () => {
    const [capped] = buildReceivers(
      parse(`name: ops\nwebhook_configs: [{ url: '${server.url}', max_alerts: 1 }]\n`),
    );
    await capped!.send(notification(), signal());
    let body = last().body as { alerts: { status: string }[]; truncatedAlerts: number };
    expect(body.alerts).toHaveLength(1);
    expect(body.truncatedAlerts).toBe(1);
    const [firingOnly] = buildReceivers(
      parse(`name: ops\nwebhook_configs: [{ url: '${server.url}', send_resolved: false }]\n`),
    );
    await firingOnly!.send(notification(), signal());
    body = last().body as { alerts: { status: string }[]; truncatedAlerts: number };
    expect(body.alerts.map((a) => a.status)).toEqual(['firing']);
    const before = server.requests.length;
    await firingOnly!.send(resolvedNotification(), signal());
    expect(server.requests.length).toBe(before);
  });

  it('Slack incoming webhook: attachment with title, text, color by status; overrides', async () => {
    server.respond = () => ({ status: 200, body: 'ok' });
    const [slack] = buildReceivers(
      parse(`
name: ops
slack_configs:
  - api_url: '${server.url}/services/T0/B0/XYZ'
    send_resolved: true
    channel: '#storage-oncall'
    username: vigil-bot
    icon_emoji: ':rotating_light:'
    text: '{{ .CommonAnnotations.runbook }}'
`),
    );
    await slack!.send(notification(), signal());
    expect(last().path).toBe('/services/T0/B0/XYZ');
    expect(last().body).toEqual({
      channel: '#storage-oncall',
      username: 'vigil-bot',
      icon_emoji: ':rotating_light:',
      attachments: [
        {
          title: '[FIRING:1] DiskFull (page)',
          title_link: 'http://vigil.example:9090',
          text: 'https://runbooks/disk',
          fallback: '[FIRING:1] DiskFull (page) | http://vigil.example:9090',
          callback_id: '',
          footer: '',
          color: 'danger',
          mrkdwn_in: ['fallback', 'pretext', 'text'],
        },
      ],
    });
    await slack!.send(resolvedNotification(), signal());
    const resolved = last().body as { attachments: { color: string; title: string }[] };
    expect(resolved.attachments[0]!.color).toBe('good');
    expect(resolved.attachments[0]!.title).toBe('[RESOLVED] DiskFull (page)');
  });

  it('Slack: resolved notifications are not sent by default (send_resolved false)', async () => {
    const before = server.requests.length;
    const [slack] = buildReceivers(parse(`name: ops\nslack_configs: [{ api_url: '${server.url}/s' }]\n`));
    await slack!.send(resolvedNotification(), signal());
    expect(server.requests.length).toBe(before);
    expect(t0).toBeGreaterThan(0);
  });
});

receiverConformance(
  'pagerduty',
  (url) => buildReceivers(parse(`name: ops\npagerduty_configs: [{ routing_key: K, url: '${url}' }]\n`))[0]!,
  202,
);
receiverConformance(
  'webhook',
  (url) => buildReceivers(parse(`name: ops\nwebhook_configs: [{ url: '${url}' }]\n`))[0]!,
);
receiverConformance(
  'slack',
  (url) => buildReceivers(parse(`name: ops\nslack_configs: [{ api_url: '${url}' }]\n`))[0]!,
);
