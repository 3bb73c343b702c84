import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli as run } from '../../support/cli.ts';
import { needService } from '../../support/requires.ts';
import { fill, fsStore, TempDirs } from './support.ts';

const dirs = new TempDirs();
afterAll(() => dirs.cleanup());

function configFile(text: string): string {
  const file = join(dirs.make(), 'verify.yaml');
  writeFileSync(file, text);
  return file;
}

describe('vigil verify', () => {
  it('scrub --once passes on a clean store and fails, naming the key, on a damaged one', async () => {
    const dir = dirs.make();
    const keys = await fill(fsStore(dir), 50);
    const reportFile = join(dirs.make(), 'report.json');
    const config = configFile(
      [
        'apiVersion: vigil/v1',
        'kind: Verify',
        'stores:',
        `  data: { type: filesystem, dir: ${JSON.stringify(dir)} }`,
        'scrub:',
        '  store: data',
        '  rate: { objects: 100000, bytes: 1GB }',
        'index:',
        '  store: data',
        '  source: { listing: data }',
      ].join('\n'),
    );
    const clean = await run(['verify', 'scrub', '-c', config, '--once', '--report', reportFile]);
    expect(clean.err).toBe('');
    expect(clean.code).toBe(0);
    expect(clean.out).toMatch(/^scrub: 50 objects \(ok 50\), \d+ objects\/s, [\d.]+ MB\/s: passed\n$/);
    writeFileSync(join(dir, keys[7]!), 'not what was written');
    const damaged = await run(['verify', 'scrub', '-c', config, '--once', '--report', reportFile]);
    expect(damaged.code).toBe(1);
    expect(damaged.out).toContain('FAILED');
    expect(JSON.parse(damaged.err.trim())).toMatchObject({
      msg: 'durability violation',
      key: keys[7],
      verdict: 'corrupt',
    });
    const report = JSON.parse(readFileSync(reportFile, 'utf8'));
    expect(report).toMatchObject({
      kind: 'VerifyReport',
      verifier: 'scrub',
      passed: false,
      counts: { ok: 49, corrupt: 1 },
    });
    expect(report.violations).toEqual([
      expect.objectContaining({ key: keys[7], verdict: 'corrupt', class: 'corruption' }),
    ]);
    const index = await run(['verify', 'index', '-c', config]);
    expect(index.code).toBe(0);
    expect(index.out).toContain('index: 50 objects (ok 50)');
  });

  it('refuses a bad config with the file, line and field, exit 2', async () => {
    const config = configFile(
      [
        'apiVersion: vigil/v1',
        'kind: Verify',
        'stores: {}',
        'scrub:',
        '  store: nowhere',
        '  pause: soon',
      ].join('\n'),
    );
    const r = await run(['verify', 'scrub', '-c', config]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/verify\.yaml:6: scrub\.pause: invalid duration "soon"/);
    const typo = configFile(
      ['apiVersion: vigil/v1', 'kind: Verify', 'stores: {}', 'scrub:', '  store: nowhere'].join('\n'),
    );
    const t = await run(['verify', 'scrub', '-c', typo]);
    expect(t.code).toBe(2);
    expect(t.err).toMatch(/verify\.yaml:5: scrub\.store: no store "nowhere" under stores \(have: none\)/);
    const usage = await run(['verify', 'nothing', '-c', config]);
    expect(usage.code).toBe(2);
    expect(usage.err).toContain('expected one of watch, index, compare, trash, scrub, ledger');
  });

  it('watch --once runs the overdue read-backs its journal holds', async () => {
    const dir = dirs.make();
    const journal = dirs.make();
    const config = configFile(
      [
        'apiVersion: vigil/v1',
        'kind: Verify',
        `stores: { data: { type: filesystem, dir: ${JSON.stringify(dir)} } }`,
        `watch: { store: data, journal: ${JSON.stringify(journal)}, ages: [0s, 1h], feed: ${JSON.stringify(join(dir, 'x'))} }`,
      ].join('\n'),
    );
    const store = fsStore(dir);
    const { Watcher } = await import('../../../chaos/verify/watcher.ts');
    const { systemClock } = await import('../../../core/index.ts');
    const w = Watcher.open({ store, clock: systemClock, journalDir: journal, agesMs: [0, 3_600_000] });
    for (let i = 0; i < 5; i++) await w.writeSynthetic(100);
    await w.close();
    const r = await run(['verify', 'watch', '-c', config, '--once']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('watch: 5 objects (ok 5)');
  });
});

const noRedis = await needService('Redis', 6379);
describe.skipIf(noRedis)('vigil verify ledger', () => {
  it('publishes, drains and checks a Redis stream', async () => {
    const stream = `vigil_cli_ledger_${process.pid}_${Date.now()}`;
    const config = configFile(
      [
        'apiVersion: vigil/v1',
        'kind: Verify',
        'ledger:',
        `  target: { type: redis, url: "redis://127.0.0.1:6379", stream: ${stream} }`,
        '  messages: 50',
        '  idle: 1s',
      ].join('\n'),
    );
    const r = await run(['verify', 'ledger', '-c', config]);
    expect(r.out).toBe(
      'ledger redis: 50 acked, 0 unconfirmed, 50 deliveries; lost 0, duplicated 0, unexpected 0, reordered 0: passed\n',
    );
    expect(r.code).toBe(0);
    const { Redis } = await import('ioredis');
    const redis = new Redis(6379, '127.0.0.1');
    await redis.del(stream);
    redis.disconnect();
  });
});
