import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadServerConfig, type ServerHandle, startServer } from '../../../alerting/index.ts';
import { runCli } from '../../support/cli.ts';
import { needBinary } from '../../support/requires.ts';
import { waitFor } from '../../support/wait.ts';

/**
 * `vigil server` with a notify: section, end to end: a rule fires, the notifier groups it and
 * a webhook (a local server recording requests) receives it; silences go through
 * Alertmanager's v2 API, through `vigil silence` and through the real `amtool`.
 */

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'vigil-notify-api-'));
const hooks: { body: { status: string; groupKey: string; alerts: { labels: Record<string, string> }[] } }[] =
  [];
let hook: Server;
let server: ServerHandle;
let url = '';
const noAmtool = needBinary('amtool', 'prometheus-alertmanager');

const json = async (path: string, init?: RequestInit) => {
  const res = await fetch(`${url}${path}`, init);
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
};
const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  json(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });

const hour = 3_600_000;
const silenceBody = (over: Record<string, unknown> = {}) => ({
  matchers: [{ name: 'alertname', value: 'AlwaysFiring', isRegex: false, isEqual: true }],
  startsAt: new Date().toISOString(),
  endsAt: new Date(Date.now() + hour).toISOString(),
  createdBy: 'ana',
  comment: 'maintenance',
  ...over,
});

beforeAll(async () => {
  hook = createServer((req, res) => {
    let text = '';
    req.on('data', (c) => (text += c));
    req.on('end', () => {
      hooks.push({ body: JSON.parse(text) });
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
  const hookPort = (hook.address() as { port: number }).port;
  writeFileSync(
    join(dir, 'rules.yml'),
    `groups:
  - name: notify
    rules:
      - alert: AlwaysFiring
        expr: vector(1)
        labels: { team: db, severity: page }
        annotations: { summary: always }
`,
  );
  writeFileSync(
    join(dir, 'vigil.yaml'),
    `apiVersion: vigil/v1
listen: 127.0.0.1:0
data_dir: data
global:
  evaluation_interval: 1s
rule_files: [rules.yml]
notify:
  route:
    receiver: hook
    group_by: [alertname]
    group_wait: 0s
    group_interval: 1s
  receivers:
    - name: hook
      webhook_configs:
        - url: http://127.0.0.1:${hookPort}/hook
`,
  );
  server = await startServer(loadServerConfig(join(dir, 'vigil.yaml')));
  url = server.listening.url;
}, 30_000);

afterAll(async () => {
  await server?.close();
  await new Promise<void>((resolve) => hook.close(() => resolve()));
  rmSync(dir, { recursive: true, force: true });
});

describe('notifications from vigil server', () => {
  it('delivers a firing rule to the webhook receiver, grouped by alertname', async () => {
    const got = await waitFor('a webhook notification', async () => hooks[0]);
    expect(got.body.status).toBe('firing');
    expect(got.body.groupKey).toBe('{}:{alertname="AlwaysFiring"}');
    expect(got.body.alerts[0]!.labels).toEqual({ alertname: 'AlwaysFiring', team: 'db', severity: 'page' });
  });
});

describe("Alertmanager's v2 silence API", () => {
  it('creates, lists, gets and expires a silence', async () => {
    const created = await post('/api/v2/silences', silenceBody());
    expect(created.status).toBe(200);
    const id = created.body.silenceID as string;
    const one = await json(`/api/v2/silence/${id}`);
    expect(one.body).toMatchObject({
      id,
      status: { state: 'active' },
      createdBy: 'ana',
      comment: 'maintenance',
      matchers: [{ name: 'alertname', value: 'AlwaysFiring', isRegex: false, isEqual: true }],
    });
    const alerts = await waitFor('the alert marked silenced', async () => {
      const r = await json('/api/v2/alerts');
      return r.body.length > 0 && r.body[0].status.state === 'suppressed' ? r.body : undefined;
    });
    expect(alerts[0].status).toEqual({ state: 'suppressed', silencedBy: [id], inhibitedBy: [] });
    expect(alerts[0].receivers).toEqual([{ name: 'hook' }]);
    expect((await json('/api/v2/alerts?silenced=false')).body).toEqual([]);
    expect((await json('/api/v2/silences?filter=team%3D"db"')).body).toEqual([]);
    expect(
      (await json('/api/v2/silences?filter=alertname%3D"AlwaysFiring"')).body.map(
        (s: { id: string }) => s.id,
      ),
    ).toContain(id);
    expect((await json(`/api/v2/silence/${id}`, { method: 'DELETE' })).status).toBe(200);
    expect((await json(`/api/v2/silence/${id}`)).body.status.state).toBe('expired');
    const again = await json(`/api/v2/silence/${id}`, { method: 'DELETE' });
    expect(again).toEqual({ status: 409, body: `silence ${id} already expired` });
    expect((await json('/api/v2/silence/nope')).status).toBe(404);
  });

  it('refuses bad silences with 400 and a message naming the problem', async () => {
    const bad = async (body: unknown) => {
      const r = await post('/api/v2/silences', body);
      expect(r.status).toBe(400);
      return r.body as string;
    };
    expect(await bad(silenceBody({ matchers: [] }))).toBe('at least one matcher required');
    expect(
      await bad(silenceBody({ matchers: [{ name: 'a', value: '.*', isRegex: true, isEqual: true }] })),
    ).toBe('at least one matcher must not match the empty string');
    expect(await bad(silenceBody({ matchers: [{ name: 'a', value: '(', isRegex: true }] }))).toMatch(
      /invalid regular expression/,
    );
    expect(
      await bad(
        silenceBody({
          startsAt: new Date(Date.now() - 2 * hour).toISOString(),
          endsAt: new Date(Date.now() - hour).toISOString(),
        }),
      ),
    ).toBe("end time can't be in the past");
    expect(await bad(silenceBody({ startsAt: new Date(Date.now() + 2 * hour).toISOString() }))).toBe(
      'start time must be before end time',
    );
    expect(await bad(silenceBody({ endsAt: 'tomorrow' }))).toMatch(/endsAt: cannot parse "tomorrow"/);
    expect(await bad(silenceBody({ comment: undefined }))).toBe('comment: expected a string');
    expect(await bad([1])).toMatch(/expected a JSON object/);
    const notJson = await fetch(`${url}/api/v2/silences`, { method: 'POST', body: '{' });
    expect(notJson.status).toBe(400);
    expect(await notJson.json()).toMatch(/not valid JSON/);
    expect((await json('/api/v2/silences?filter=%3D%3D')).status).toBe(400);
    expect((await json('/api/v2/silences', { method: 'PUT' })).status).toBe(405);
  });
});

describe('vigil silence and vigil alerts', () => {
  it('adds, lists and expires a silence, and lists the alert as silenced', async () => {
    const add = await runCli(
      [
        'silence',
        'add',
        'AlwaysFiring',
        'team=~"d.*"',
        '--comment',
        'disk swap',
        '--duration',
        '2h',
        '--server',
        url,
      ],
      { USER: 'ops' },
    );
    expect(add.err).toBe('');
    expect(add.code).toBe(0);
    const id = add.out.trim();
    const list = await runCli(['silence', 'list', 'alertname=AlwaysFiring', '--server', url]);
    expect(list.code).toBe(0);
    expect(list.out).toMatch(
      new RegExp(`${id}\\s+alertname="AlwaysFiring" team=~"d\\.\\*"\\s+active\\s+\\S+\\s+ops\\s+disk swap`),
    );
    const alerts = await waitFor('the alert silenced in vigil alerts', async () => {
      const r = await runCli(['alerts', 'list', '--json', '--server', url]);
      const parsed = JSON.parse(r.out) as { silencedBy: string[]; state: string }[];
      return parsed[0]?.silencedBy.includes(id) ? parsed : undefined;
    });
    expect(alerts[0]!.state).toBe('firing');
    const table = await runCli(['alerts', 'list', '--server', url]);
    expect(table.out.split('\n')[0]).toMatch(/^ALERTNAME\s+STATE\s+SINCE\s+MUTED\s+LABELS$/);
    expect(table.out).toContain(`silenced by ${id}`);
    expect((await runCli(['silence', 'expire', id, '--server', url])).code).toBe(0);
    const quiet = await runCli(['silence', 'list', '--quiet', '--server', url]);
    expect(quiet.out).not.toContain(id);
    expect((await runCli(['silence', 'list', '--quiet', '--expired', '--server', url])).out).toContain(id);
  });

  it('fails with usage errors before calling the server, and names a server that is down', async () => {
    const noComment = await runCli(['silence', 'add', 'x=1', '--server', url], { USER: 'ops' });
    expect(noComment).toMatchObject({ code: 2 });
    expect(noComment.err).toMatch(/--comment is required/);
    const badMatcher = await runCli(['silence', 'add', 'x=~"("', '-c', 'c', '--server', url], {
      USER: 'ops',
    });
    expect(badMatcher.code).toBe(2);
    const down = await runCli(['silence', 'list', '--server', 'http://127.0.0.1:1']);
    expect(down.code).toBe(3);
    expect(down.err).toMatch(/cannot reach http:\/\/127\.0\.0\.1:1/);
  });
});

describe.skipIf(noAmtool)('amtool against vigil', () => {
  const amtool = (...args: string[]) =>
    run('amtool', [`--alertmanager.url=${url}`, ...args], { timeout: 20_000 });

  it('adds, queries and expires silences and queries alerts', async () => {
    const added = await amtool(
      'silence',
      'add',
      'alertname=AlwaysFiring',
      '--comment=from amtool',
      '--author=amtool',
      '--duration=1h',
    );
    const id = added.stdout.trim();
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    const query = JSON.parse((await amtool('silence', 'query', '-o', 'json')).stdout) as {
      id: string;
      createdBy: string;
    }[];
    expect(query.find((s) => s.id === id)?.createdBy).toBe('amtool');
    const alerts = JSON.parse((await amtool('alert', 'query', '-o', 'json', '--silenced')).stdout) as {
      labels: Record<string, string>;
      status: { silencedBy: string[] };
    }[];
    expect(alerts.find((a) => a.labels.alertname === 'AlwaysFiring')?.status.silencedBy).toContain(id);
    await amtool('silence', 'expire', id);
    const after = JSON.parse((await amtool('silence', 'query', '-o', 'json')).stdout) as { id: string }[];
    expect(after.map((s) => s.id)).not.toContain(id);
  });
});

describe('a restart of vigil server', () => {
  it('does not notify a notified group again, and still sends its resolution', async () => {
    const before = hooks.length;
    const groupKey = hooks[0]!.body.groupKey;
    await server.close();
    server = await startServer(loadServerConfig(join(dir, 'vigil.yaml')));
    url = server.listening.url;
    // The restored alert's group is looked at (group_wait 0s) and the log says it was sent.
    await waitFor('the group looked at after the restart', async () =>
      server.notifier!.dispatcher.list().some((g) => g.hasFlushed) ? true : undefined,
    );
    expect(server.notifier!.dispatcher.stats.notifications).toBe(0);
    expect(hooks.length).toBe(before);
    // The rule goes away: the alert resolves and the receiver hears it, under the same key.
    writeFileSync(join(dir, 'rules.yml'), 'groups: []\n');
    server.reloadRules();
    const resolved = await waitFor('the resolved notification', async () =>
      hooks.slice(before).find((h) => h.body.status === 'resolved'),
    );
    expect(resolved.body.groupKey).toBe(groupKey);
    expect(hooks.slice(before).filter((h) => h.body.status === 'firing')).toEqual([]);
  });
});
