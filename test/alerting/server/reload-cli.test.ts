import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, waitForPort } from '../../support/ports.ts';
import { waitFor } from '../../support/wait.ts';

/**
 * `vigil server` as a process: `kill -HUP` re-reads the config file. A new rule file in it is
 * served by /api/v1/rules; a changed listen address is refused by name, keeping what runs.
 */

const root = join(import.meta.dirname, '..', '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'vigil-reload-cli-'));
let child: ChildProcess | undefined;

afterAll(async () => {
  if (child && child.exitCode === null) {
    child.kill('SIGTERM');
    await new Promise((r) => child!.once('exit', r));
  }
  rmSync(dir, { recursive: true, force: true });
});

function writeConfig(port: number, ruleFiles: string[]): string {
  const file = join(dir, 'vigil.yaml');
  writeFileSync(
    file,
    `apiVersion: vigil/v1\nlisten: 127.0.0.1:${port}\ndata_dir: data\nrule_files: [${ruleFiles.join(', ')}]\n`,
  );
  return file;
}

describe('vigil server SIGHUP', () => {
  it('reloads the config file: a new rule group appears, a listen change is refused', async () => {
    for (const name of ['first', 'second'])
      writeFileSync(
        join(dir, `${name}.yml`),
        `groups:\n  - name: ${name}\n    rules:\n      - record: ${name}:one\n        expr: vector(1)\n`,
      );
    const port = await freePort();
    const file = writeConfig(port, ['first.yml']);
    child = spawn(process.execPath, [join(root, 'bin', 'vigil.js'), 'server', '-c', file], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr?.on('data', (c) => (stderr += c));
    // Node may print a warning of its own among the JSON lines.
    const logLines = (): Record<string, unknown>[] =>
      stderr
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line));
    await waitForPort(port, '127.0.0.1', 30_000);
    const groups = async () => {
      const res = await fetch(`http://127.0.0.1:${port}/api/v1/rules`);
      const body = (await res.json()) as { data: { groups: { name: string }[] } };
      return body.data.groups.map((g) => g.name);
    };
    expect(await groups()).toEqual(['first']);

    writeConfig(port, ['first.yml', 'second.yml']);
    child.kill('SIGHUP');
    const reloaded = await waitFor(
      'the second group',
      async () => {
        const names = await groups();
        return names.length === 2 ? names : undefined;
      },
      30_000,
    );
    expect(reloaded).toEqual(['first', 'second']);
    const logged = await waitFor(
      'the reload log line',
      async () => logLines().find((l) => l.msg === 'config reloaded'),
      30_000,
    );
    expect(logged).toMatchObject({ level: 'info', groups: 2, jobs: 0, notify: false });

    writeConfig(port + 1, ['first.yml']);
    child.kill('SIGHUP');
    const refused = await waitFor(
      'the refusal log line',
      async () => logLines().find((l) => l.level === 'error'),
      30_000,
    );
    expect(refused.msg).toBe('config reload refused, keeping the running config');
    expect(refused.error).toBe('listen changed: restart vigil to apply');
    expect(await groups()).toEqual(['first', 'second']);
  }, 60_000);
});
