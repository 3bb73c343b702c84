import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import S3rver from 's3rver';
import { afterAll, describe, expect, it } from 'vitest';
import {
  FilesystemBlobStore,
  parseExperiment,
  planExperiment,
  runExperiment,
  S3BlobStore,
  type VerificationOutcome,
  VerifyMetrics,
  verificationFailures,
} from '../../../chaos/index.ts';
import { parseExposition } from '../../../core/index.ts';
import { runCli as cli } from '../../support/cli.ts';
import { freePort } from '../../support/ports.ts';
import { needBinary } from '../../support/requires.ts';

const dirs: string[] = [];
function tempDir(prefix = 'vigil-exp-verify-'): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(d);
  return d;
}
afterAll(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function fillStore(dir: string, count: number): Promise<string[]> {
  const store = new FilesystemBlobStore(dir);
  const keys = Array.from({ length: count }, (_, i) => `obj/${String(i).padStart(3, '0')}`);
  for (const [i, k] of keys.entries()) await store.put(k, Buffer.alloc(64 + i, i % 251));
  return keys;
}

describe('verificationFailures (pure)', () => {
  const outcome = (o: Partial<VerificationOutcome>): VerificationOutcome => ({
    step: 's',
    verifier: 'scrub',
    phase: 'recovery',
    passed: false,
    attempts: 1,
    summary: '',
    findings: [],
    omitted: 0,
    ...o,
  });

  it('names loss, corruption and lost messages, each with its keys', () => {
    const reasons = verificationFailures([
      outcome({
        step: 'scrub',
        findings: [
          { key: 'a', verdict: 'corrupt', class: 'corruption', failing: true, detail: 'sha256 mismatch' },
          { key: 'b', verdict: 'missing', class: 'loss', failing: true },
          { key: 'c', verdict: 'unreadable', class: 'availability', failing: false },
        ],
      }),
      outcome({
        step: 'ledger',
        verifier: 'ledger',
        findings: [
          { key: 'orders/3', verdict: 'lost', class: 'lost', failing: true },
          { key: 'orders/4', verdict: 'lost', class: 'lost', failing: true },
        ],
      }),
    ]);
    expect(reasons).toEqual([
      'data corrupted: 1 object (scrub: a: corrupt (sha256 mismatch))',
      'data lost: 1 object (scrub: b: missing)',
      'messages lost: 2 messages (ledger: orders/3: lost; ledger: orders/4: lost)',
    ]);
  });

  it('is empty when nothing fails the gate', () => {
    expect(
      verificationFailures([
        outcome({
          passed: true,
          findings: [{ key: 'c', verdict: 'unreadable', class: 'availability', failing: false }],
        }),
      ]),
    ).toEqual([]);
  });
});

describe('verify steps in the experiment model', () => {
  const base = (verify: string, targets = '') => `
apiVersion: vigil/v1
kind: Experiment
title: t
targets:
  blobs:
    data: { type: filesystem, dir: /tmp/x }
  queues:
    orders: { type: nats, servers: "127.0.0.1:4222", stream: orders, subject: orders.new, storage: memory }
${targets}
method:
  - fault: { type: disk, dir: d, kind: flip, count: 1 }
verify:
${verify}
`;
  const withDir = '  dirs:\n    d: { path: /tmp/x }';

  it('parses every verifier with its defaults, and plans them', () => {
    const exp = parseExperiment(
      't.yaml',
      base(
        [
          '  - scrub: { blobs: data }',
          '  - { name: idx, phase: after-method, index: { blobs: data, manifest: m.jsonl } }',
          '  - compare: { a: data, b: data, deep: true }',
          '  - trash: { blobs: data, tombstones: t.jsonl, grace: 1m }',
          '  - watch: { blobs: data, every: 200ms }',
          '  - ledger: { queue: orders, every: 50ms }',
        ].join('\n'),
        withDir,
      ),
    );
    expect(exp.verify).toHaveLength(6);
    expect(exp.verify[0]).toMatchObject({
      phase: 'recovery',
      failOn: ['loss', 'corruption'],
      retry: { attempts: 2, delay: 1000 },
    });
    expect(exp.verify[3]).toMatchObject({ trash: { grace: 60_000 } });
    expect(exp.verify[5]).toMatchObject({ ledger: { every: 50, failOnMessages: ['lost', 'unexpected'] } });
    const plan = planExperiment(exp);
    expect(plan).toContain('verify (after-method): idx: index {"blobs":"data","manifest":"m.jsonl"}');
    expect(
      plan.some((l) => l.startsWith('verify (recovery): ledger#5: ledger publish to orders every 50ms')),
    ).toBe(true);
  });

  it('refuses unknown targets and a watch with nothing to read back, naming the field', () => {
    expect(() =>
      parseExperiment('t.yaml', base('  - scrub: { blobs: nope }\n  - ledger: { queue: q }', withDir)),
    ).toThrow(
      /verify\[0\]\.scrub\.blobs: unknown blobs target "nope"[\s\S]*verify\[1\]\.ledger\.queue: unknown queues target "q"/,
    );
    expect(() => parseExperiment('t.yaml', base('  - watch: { blobs: data }', withDir))).toThrow(
      /verify\[0\]\.watch: give every/,
    );
    expect(() => parseExperiment('t.yaml', base('  - scrub: { blobs: data, speed: 3 }', withDir))).toThrow(
      /t\.yaml/,
    );
  });

  it('refuses a queue off loopback unless allowed', () => {
    const exp = parseExperiment(
      't.yaml',
      base(
        '  - ledger: { queue: orders }',
        `${withDir}\n  queues:\n    orders: { type: redis, url: "redis://10.1.2.3:6379", stream: s }`,
      ).replace(/ {2}queues:\n {4}orders: \{ type: nats[^\n]*\n/, ''),
    );
    expect(() => planExperiment(exp)).toThrow(
      /targets\.queues\.orders\.url: host "10\.1\.2\.3" is not loopback/,
    );
  });
});

describe('vigil gate chaos with verification steps', () => {
  function experimentFile(dir: string, body: string): string {
    const file = join(tempDir(), 'exp.yaml');
    writeFileSync(
      file,
      `apiVersion: vigil/v1
kind: Experiment
title: disk damage under a filesystem store
seed: 11
targets:
  blobs:
    store: { type: filesystem, dir: ${JSON.stringify(dir)} }
  dirs:
    data: { path: ${JSON.stringify(dir)} }
steadyState:
  interval: 200ms
  recovery: 2s
${body}`,
    );
    return file;
  }

  it('bit flips left in place fail the gate with "data corrupted", naming every flipped key', async () => {
    const dir = tempDir();
    await fillStore(dir, 30);
    const file = experimentFile(
      dir,
      `method:
  - name: flip
    fault: { type: disk, dir: data, kind: flip, count: 3, match: "^obj/", restore: false }
verify:
  - name: scrub store
    phase: after-method
    retry: { attempts: 1 }
    scrub: { blobs: store }
`,
    );
    const out = tempDir();
    const r = await cli([
      'gate',
      'chaos',
      file,
      '--json',
      join(out, 'r.json'),
      '--junit',
      join(out, 'r.xml'),
    ]);
    expect(r.code).toBe(1);
    const report = JSON.parse(readFileSync(join(out, 'r.json'), 'utf8'));
    const flipped = (report.diskChanges[0].changes as Array<{ object: string }>).map((c) => c.object).sort();
    expect(flipped).toHaveLength(3);
    expect(report.status).toBe('failed');
    expect(report.exitCode).toBe(1);
    expect(report.reason).toMatch(/^data corrupted: 3 objects \(scrub store: obj\//);
    const v = report.verification[0];
    expect(v).toMatchObject({ step: 'scrub store', verifier: 'scrub', phase: 'after-method', passed: false });
    expect(v.findings.map((f: { key: string }) => f.key).sort()).toEqual(flipped);
    expect(v.findings.every((f: { verdict: string }) => f.verdict === 'corrupt')).toBe(true);
    expect(v.report.counts).toEqual({ ok: 27, corrupt: 3 });
    // The text report and the JUnit report name every corrupted key too.
    for (const key of flipped) {
      expect(r.out).toContain(`  - ${key}: corrupt`);
      expect(readFileSync(join(out, 'r.xml'), 'utf8')).toContain(`${key}: corrupt`);
    }
    expect(readFileSync(join(out, 'r.xml'), 'utf8')).toContain(
      '<testcase classname="vigil.chaos" name="verification: scrub store">',
    );
  });

  it('records the results in the verifier metrics the durability rule pack alerts on', async () => {
    const dir = tempDir();
    await fillStore(dir, 10);
    const exp = parseExperiment(
      'exp.yaml',
      readFileSync(
        experimentFile(
          dir,
          `method:
  - fault: { type: disk, dir: data, kind: truncate, count: 2, restore: false, match: "^obj/" }
verify:
  - { name: scrub, phase: after-method, retry: { attempts: 1 }, scrub: { blobs: store } }
`,
        ),
        'utf8',
      ),
    );
    const metrics = new VerifyMetrics();
    const result = await runExperiment(exp, { verifyMetrics: metrics });
    expect(result.status).toBe('failed');
    const samples = parseExposition(await metrics.registry.metrics()).flatMap((f) => f.samples);
    const value = (name: string, labels: Record<string, string>) =>
      samples.find((x) => x.name === name && Object.entries(labels).every(([k, v]) => x.labels[k] === v))
        ?.value;
    expect(value('vigil_verify_violations_total', { verifier: 'scrub', class: 'corruption' })).toBe(2);
    expect(value('vigil_verify_total', { verifier: 'scrub', verdict: 'ok' })).toBe(8);
    expect(value('vigil_verify_last_run_passed', { verifier: 'scrub' })).toBe(0);
  });

  it('vigil chaos run --metrics serves the verifier metrics while the experiment runs', async () => {
    const dir = tempDir();
    await fillStore(dir, 10);
    const file = experimentFile(
      dir,
      `method:
  - name: flip
    fault: { type: disk, dir: data, kind: flip, count: 2, match: "^obj/", restore: false }
verify:
  - { name: scrub, phase: after-method, retry: { attempts: 1 }, scrub: { blobs: store } }
  - { name: scrub again, phase: recovery, retry: { attempts: 1 }, scrub: { blobs: store } }
`,
    );
    const port = await freePort();
    const running = cli(['chaos', 'run', file, '--metrics', `127.0.0.1:${port}`]);
    // Poll until the first verification is visible; bounded in count and time.
    const found = /vigil_verify_violations_total\{verifier="scrub",class="corruption"\} 2/;
    let seen = '';
    for (let i = 0; i < 400 && !found.test(seen); i++) {
      seen = await fetch(`http://127.0.0.1:${port}/metrics`).then(
        (r) => r.text(),
        () => '',
      );
      await new Promise((r) => setTimeout(r, 25));
    }
    const r = await running;
    expect(r.code).toBe(1);
    expect(seen).toMatch(found);
    // The endpoint goes away with the run.
    await expect(fetch(`http://127.0.0.1:${port}/metrics`)).rejects.toThrow();
    const bad = await cli(['chaos', 'run', file, '--metrics', 'nowhere']);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/vigil chaos run: --metrics: expected HOST:PORT or :PORT, got "nowhere"/);
  });

  it('the same flips restored by the rollback pass the gate', async () => {
    const dir = tempDir();
    await fillStore(dir, 30);
    const file = experimentFile(
      dir,
      `method:
  - name: flip
    fault: { type: disk, dir: data, kind: flip, count: 3, match: "^obj/" }
verify:
  - name: scrub store
    retry: { attempts: 1 }
    scrub: { blobs: store }
`,
    );
    const json = join(tempDir(), 'r.json');
    const r = await cli(['gate', 'chaos', file, '--json', json]);
    expect(r.code).toBe(0);
    const report = JSON.parse(readFileSync(json, 'utf8'));
    expect(report.verification[0]).toMatchObject({
      passed: true,
      findings: [],
      report: { counts: { ok: 30 } },
    });
    expect(r.out).toContain('verification scrub store (scrub, recovery): passed: 30 objects (ok 30)');
  });

  it('a watcher pass over the writes of the run fails with "data lost" when some are deleted', async () => {
    const dir = tempDir();
    await fillStore(dir, 5);
    const file = experimentFile(
      dir,
      `method:
  - name: delete watched writes
    at: 1500ms
    fault: { type: disk, dir: data, kind: delete, count: 2, match: "^vigil-watch/", restore: false }
verify:
  - name: watch writes
    retry: { attempts: 1 }
    watch: { blobs: store, every: 100ms, size: 512 }
`,
    );
    const json = join(tempDir(), 'r.json');
    const r = await cli(['gate', 'chaos', file, '--json', json]);
    expect(r.code).toBe(1);
    const report = JSON.parse(readFileSync(json, 'utf8'));
    const deleted = (report.diskChanges[0].changes as Array<{ object: string }>).map((c) => c.object).sort();
    expect(deleted).toHaveLength(2);
    const v = report.verification[0];
    expect(v.findings.map((f: { key: string }) => f.key).sort()).toEqual(deleted);
    expect(v.findings.every((f: { verdict: string }) => f.verdict === 'missing')).toBe(true);
    expect(v.report.counts.ok).toBeGreaterThanOrEqual(1);
    expect(report.reason).toMatch(/^data lost: 2 objects \(watch writes: vigil-watch\//);
  });
});

describe('verification steps on S3 and during recovery', () => {
  it('bit flips under s3rver\'s files fail the gate with "data corrupted", naming the keys', async () => {
    const dir = tempDir('vigil-exp-s3-');
    const port = await freePort();
    const server = new S3rver({
      port,
      address: '127.0.0.1',
      silent: true,
      directory: dir,
      configureBuckets: [{ name: 'photos' }],
    });
    await server.run();
    try {
      const endpoint = `http://127.0.0.1:${port}`;
      const store = new S3BlobStore({
        bucket: 'photos',
        endpoint,
        accessKeyId: 'S3RVER',
        secretAccessKey: 'S3RVER',
      });
      for (let i = 0; i < 20; i++)
        await store.put(`p/${String(i).padStart(2, '0')}`, Buffer.alloc(100 + i, i + 1));
      await store.close();
      const file = join(tempDir(), 'exp.yaml');
      writeFileSync(
        file,
        `apiVersion: vigil/v1
kind: Experiment
title: bit flips under s3rver
seed: 5
targets:
  blobs:
    photos: { type: s3, bucket: photos, endpoint: "${endpoint}", accessKeyId: S3RVER, secretAccessKey: S3RVER }
  dirs:
    s3data: { path: ${JSON.stringify(dir)} }
method:
  - name: flip
    fault: { type: disk, dir: s3data, kind: flip, count: 2, match: "\\\\._S3rver_object$", restore: false }
verify:
  - { name: scrub photos, phase: after-method, retry: { attempts: 1 }, scrub: { blobs: photos } }
`,
      );
      const json = join(tempDir(), 'r.json');
      const r = await cli(['gate', 'chaos', file, '--json', json]);
      expect(r.code, r.out).toBe(1);
      const report = JSON.parse(readFileSync(json, 'utf8'));
      const flipped = (report.diskChanges[0].changes as Array<{ object: string }>)
        .map((c) => c.object.replace(/^photos\//, '').replace(/\._S3rver_object$/, ''))
        .sort();
      expect(flipped).toHaveLength(2);
      expect(report.verification[0].findings.map((f: { key: string }) => f.key).sort()).toEqual(flipped);
      expect(report.reason).toMatch(/^data corrupted: 2 objects \(scrub photos: p\//);
    } finally {
      await server.close();
    }
  }, 60_000);

  it('a recovery step runs again until the replica has caught up, and then passes', async () => {
    const a = tempDir();
    const b = tempDir();
    await fillStore(a, 12);
    await fillStore(b, 9);
    const file = join(tempDir(), 'exp.yaml');
    // The "replication" the experiment starts copies the missing objects only after 4 s; the
    // run's setup and method take well under that, even on a loaded machine.
    const replicate = `sleep 4 && cp -r ${a}/. ${b}/ && exec sleep 300`;
    writeFileSync(
      file,
      `apiVersion: vigil/v1
kind: Experiment
title: replica catches up within the recovery window
targets:
  processes:
    replicate: { command: [sh, -c, ${JSON.stringify(replicate)}], startupDelay: 0s }
    idle: { command: [sleep, "300"], startupDelay: 0s }
  blobs:
    a: { type: filesystem, dir: ${JSON.stringify(a)} }
    b: { type: filesystem, dir: ${JSON.stringify(b)} }
steadyState:
  interval: 300ms
  recovery: 20s
method:
  - { name: pause idle, fault: { type: pause, process: idle }, duration: 100ms }
verify:
  - { name: replicas agree, retry: { attempts: 1 }, compare: { a: a, b: b, deep: true } }
`,
    );
    const json = join(tempDir(), 'r.json');
    const r = await cli(['gate', 'chaos', file, '--json', json]);
    expect(r.code, r.out).toBe(0);
    const report = JSON.parse(readFileSync(json, 'utf8'));
    expect(report.verification[0]).toMatchObject({ step: 'replicas agree', passed: true, findings: [] });
    expect(report.verification[0].attempts).toBeGreaterThan(1);
    // The earlier runs' findings are on the timeline, marked as not clean yet.
    expect(r.out).toMatch(/replicas agree: 12 objects \(ok 9, missing 3\): not clean yet, again in 300 ms/);
  }, 60_000);

  it('a replica that never catches up fails at the end of the recovery window, naming the side', async () => {
    const a = tempDir();
    const b = tempDir();
    await fillStore(a, 5);
    await fillStore(b, 4);
    const file = join(tempDir(), 'exp.yaml');
    writeFileSync(
      file,
      `apiVersion: vigil/v1
kind: Experiment
title: replica never catches up
targets:
  processes:
    idle: { command: [sleep, "300"], startupDelay: 0s }
  blobs:
    a: { type: filesystem, dir: ${JSON.stringify(a)} }
    b: { type: filesystem, dir: ${JSON.stringify(b)} }
steadyState:
  interval: 300ms
  recovery: 1s
method:
  - { name: pause idle, fault: { type: pause, process: idle }, duration: 100ms }
verify:
  - { name: replicas agree, retry: { attempts: 1 }, compare: { a: a, b: b } }
`,
    );
    const json = join(tempDir(), 'r.json');
    const r = await cli(['gate', 'chaos', file, '--json', json]);
    expect(r.code, r.out).toBe(1);
    const report = JSON.parse(readFileSync(json, 'utf8'));
    expect(report.verification[0].findings).toEqual([
      {
        key: 'obj/004 (side b)',
        verdict: 'missing',
        class: 'loss',
        failing: true,
        detail: expect.any(String),
      },
    ]);
    expect(report.reason).toMatch(/^data lost: 1 object \(replicas agree: obj\/004 \(side b\): missing/);
  }, 60_000);
});

const noNats = needBinary('nats-server');
describe.skipIf(noNats)('a ledger step over a NATS stream killed mid-way', () => {
  it('fails the gate with "messages lost", naming each lost message', async () => {
    const port = await freePort();
    const store = tempDir('vigil-exp-nats-');
    const stream = `exp_ledger_${process.pid}`;
    const file = join(tempDir(), 'exp.yaml');
    writeFileSync(
      file,
      `apiVersion: vigil/v1
kind: Experiment
title: NATS with a memory stream killed mid-way
targets:
  processes:
    nats: { command: [nats-server, -js, -a, 127.0.0.1, -p, "${port}", -sd, ${JSON.stringify(store)}], startupDelay: 1s }
  queues:
    orders: { type: nats, servers: "127.0.0.1:${port}", stream: ${stream}, subject: ${stream}.in, storage: memory }
steadyState:
  recovery: 20s
method:
  - name: kill nats
    at: 1500ms
    fault: { type: kill, process: nats }
  - name: restart nats
    at: 2s
    fault: { type: restart, process: nats }
verify:
  - name: orders ledger
    ledger: { queue: orders, every: 50ms, publishTimeout: 1s, idle: 1500ms, maxDrain: 20s }
`,
    );
    const out = tempDir();
    const r = await cli([
      'gate',
      'chaos',
      file,
      '--json',
      join(out, 'r.json'),
      '--junit',
      join(out, 'r.xml'),
    ]);
    expect(r.code, r.out).toBe(1);
    const report = JSON.parse(readFileSync(join(out, 'r.json'), 'utf8'));
    const v = report.verification[0];
    expect(v).toMatchObject({ step: 'orders ledger', verifier: 'ledger', passed: false });
    const s = v.report.streams[0];
    // Everything acknowledged before the kill lived only in the server's memory.
    expect(s.acked).toBeGreaterThan(5);
    expect(s.lost.length).toBeGreaterThan(5);
    expect(s.unexpected).toEqual([]);
    const lostKeys = s.lost.map((id: string) => `${stream}/${id}`);
    expect(
      v.findings.filter((f: { verdict: string }) => f.verdict === 'lost').map((f: { key: string }) => f.key),
    ).toEqual(lostKeys);
    expect(report.reason).toMatch(
      new RegExp(`messages lost: ${s.lost.length} messages \\(orders ledger: ${stream}/0: lost`),
    );
    const junit = readFileSync(join(out, 'r.xml'), 'utf8');
    for (const key of lostKeys) {
      expect(junit).toContain(`${key}: lost`);
      expect(r.out).toContain(`  - ${key}: lost`);
    }
  }, 90_000);
});
