import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, loadServerConfig, notify, startServer } from '../../../alerting/index.ts';
import { parseConfig } from '../../../core/index.ts';

/**
 * The v2 API's handling of untrusted input and of the bearer token, in process: a Notifier in
 * memory behind handleAlertmanagerApi on a loopback port.
 */

let server: Server;
let url = '';
const token = 'test-token';
const notifier = new notify.Notifier({
  config: parseConfig(notify.notifyConfigSchema, 'n.yml', 'route: { receiver: a }\nreceivers: [{ name: a }]'),
  deliver: () => {},
});

beforeAll(async () => {
  server = createServer((req, res) => {
    void api
      .handleAlertmanagerApi({ notifier: () => notifier, token, now: () => Date.now() }, req, res)
      .then((handled) => {
        if (!handled) res.writeHead(404).end();
      });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});

afterAll(async () => {
  notifier.close();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const body = () => ({
  matchers: [{ name: 'alertname', value: 'X', isRegex: false, isEqual: true }],
  startsAt: new Date().toISOString(),
  endsAt: new Date(Date.now() + 3_600_000).toISOString(),
  createdBy: 'ana',
  comment: 'c',
});

describe('v2 API input', () => {
  it('needs the bearer token to create or expire a silence, not to read', async () => {
    const post = (headers: Record<string, string>) =>
      fetch(`${url}/api/v2/silences`, { method: 'POST', headers, body: JSON.stringify(body()) });
    const denied = await post({});
    expect(denied.status).toBe(401);
    expect(await denied.json()).toBe('a bearer token is required');
    expect((await post({ authorization: 'Bearer wrong' })).status).toBe(401);
    const ok = await post({ authorization: `Bearer ${token}` });
    expect(ok.status).toBe(200);
    const { silenceID } = (await ok.json()) as { silenceID: string };
    expect((await fetch(`${url}/api/v2/silence/${silenceID}`, { method: 'DELETE' })).status).toBe(401);
    expect((await fetch(`${url}/api/v2/silences`)).status).toBe(200);
  });

  it('answers any JSON body with 200 or a 400 naming the problem, never 500 (fuzzed)', async () => {
    const silenceLike = fc.record(
      {
        matchers: fc.array(
          fc.record(
            {
              name: fc.string({ maxLength: 5 }),
              value: fc.string({ maxLength: 5 }),
              isRegex: fc.boolean(),
              isEqual: fc.anything(),
            },
            { requiredKeys: [] },
          ),
          { maxLength: 3 },
        ),
        startsAt: fc.oneof(
          fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
          fc.anything(),
        ),
        endsAt: fc.oneof(
          fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
          fc.anything(),
        ),
        createdBy: fc.oneof(fc.string(), fc.anything()),
        comment: fc.oneof(fc.string(), fc.anything()),
        id: fc.oneof(fc.constant(undefined), fc.string({ maxLength: 4 })),
      },
      { requiredKeys: [] },
    );
    await fc.assert(
      fc.asyncProperty(fc.oneof(silenceLike, fc.jsonValue()), async (value) => {
        const res = await fetch(`${url}/api/v2/silences`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}` },
          body: JSON.stringify(value) ?? 'null',
        });
        const message = await res.json();
        expect([200, 400, 404]).toContain(res.status);
        if (res.status !== 200) expect(typeof message).toBe('string');
      }),
      { numRuns: 300 },
    );
  });

  it('answers filters and flags it cannot read with 400', async () => {
    expect((await fetch(`${url}/api/v2/alerts?active=maybe`)).status).toBe(400);
    expect((await fetch(`${url}/api/v2/alerts?receiver=(`)).status).toBe(400);
    expect((await fetch(`${url}/api/v2/alerts?filter=a%3D~"("`)).status).toBe(400);
    expect((await fetch(`${url}/api/v2/nothing`)).status).toBe(404);
  });
});

describe('notify config loading (fuzzed)', () => {
  it('either loads or refuses with a config error, for any document', () => {
    const matcherText = fc.oneof(
      fc.string({ maxLength: 12 }),
      fc.constantFrom('a="1"', 'b=~"x|y"', 'c!="', '{d=1,e!~f}'),
    );
    const route = fc.letrec((tie) => ({
      route: fc.record(
        {
          receiver: fc.constantFrom('a', 'b', 'zz'),
          matchers: fc.array(matcherText, { maxLength: 2 }),
          group_by: fc.array(fc.constantFrom('alertname', '...', 'bad-name'), { maxLength: 2 }),
          group_wait: fc.constantFrom('0s', '30s', 'x', 5),
          continue: fc.boolean(),
          routes: fc.array(tie('route'), { maxLength: 2 }),
        },
        { requiredKeys: [] },
      ),
    })).route;
    const doc = fc.record(
      {
        route,
        receivers: fc.array(fc.record({ name: fc.constantFrom('a', 'b') }), { maxLength: 2 }),
        inhibit_rules: fc.array(
          fc.record({ source_matchers: fc.array(matcherText), equal: fc.array(fc.string()) }),
        ),
        extra: fc.anything(),
      },
      { requiredKeys: ['route'] },
    );
    fc.assert(
      fc.property(fc.oneof(doc, fc.anything()), (value) => {
        try {
          parseConfig(notify.notifyConfigSchema, 'n.yml', JSON.stringify(value) ?? 'null');
        } catch (err) {
          expect((err as { code?: string }).code).toBe('config');
        }
      }),
      { numRuns: 200 },
    );
  });

  it('refuses to start on a damaged silences file, naming it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-notify-damaged-'));
    try {
      mkdirSync(join(dir, 'data', 'notify'), { recursive: true });
      writeFileSync(join(dir, 'data', 'notify', 'silences.json'), '{"version":1,"silen');
      writeFileSync(
        join(dir, 'vigil.yaml'),
        'apiVersion: vigil/v1\nlisten: 127.0.0.1:0\nnotify:\n  route: { receiver: a }\n  receivers: [{ name: a }]\n',
      );
      const config = loadServerConfig(join(dir, 'vigil.yaml'));
      await expect(startServer(config)).rejects.toThrow(/silences\.json: notifier state is not valid JSON/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('names the server config file, line and field of a bad notify: section', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-notify-config-'));
    try {
      writeFileSync(
        join(dir, 'vigil.yaml'),
        `apiVersion: vigil/v1
notify:
  route:
    receiver: pager
    routes:
      - matchers: ['severity="page"']
        receiver: pagr
  receivers:
    - name: pager
`,
      );
      expect(() => loadServerConfig(join(dir, 'vigil.yaml'))).toThrow(
        /vigil\.yaml:7: notify\.route\.routes\[0\]\.receiver: undefined receiver "pagr" used in route/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
