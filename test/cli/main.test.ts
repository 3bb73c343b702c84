import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { commands } from '../../cli/commands/index.ts';
import { runCli as run } from '../support/cli.ts';

describe('vigil CLI', () => {
  it('prints help listing commands and exit codes', async () => {
    const { code, out } = await run(['--help']);
    expect(code).toBe(0);
    expect(out).toContain('usage: vigil <command>');
    expect(out).toContain('version');
    expect(out).toContain(
      'exit codes: 0 ok, 1 a gate or check failed, 2 usage or config error, 3 runtime failure',
    );
  });

  it('prints the package version', async () => {
    const { code, out } = await run(['--version']);
    expect(code).toBe(0);
    expect(out).toMatch(/^vigil \d+\.\d+\.\d+\n$/);
  });

  it('refuses an unknown command with one line and exit 2', async () => {
    const { code, err } = await run(['frobnicate']);
    expect(code).toBe(2);
    expect(err).toBe('vigil: unknown command "frobnicate" (see vigil --help)\n');
  });

  it('refuses an unknown flag with one line and exit 2', async () => {
    expect(await run(['--frob'])).toMatchObject({
      code: 2,
      err: 'vigil: unknown flag "--frob" (see vigil --help)\n',
    });
    const bad = await run(['version', '--frob']);
    expect(bad.code).toBe(2);
    expect(bad.err.trim().split('\n')).toHaveLength(1);
    expect(bad.err).toContain("vigil version: Unknown option '--frob'");
  });

  it('shows a command help with --help and with `help NAME`', async () => {
    expect((await run(['version', '--help'])).out).toContain('vigil version');
    expect((await run(['help', 'version'])).out).toContain('vigil version');
  });

  it('works as the installed bin', () => {
    const result = spawnSync(process.execPath, ['bin/vigil.js', '--version'], { encoding: 'utf8' });
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^vigil \d/);
    const bad = spawnSync(process.execPath, ['bin/vigil.js', 'nope'], { encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('lists each command once, and each entry loads the command it names', async () => {
    const names = commands.map((c) => c.name);
    expect(new Set(names).size).toBe(names.length);
    for (const entry of commands) {
      const command = await entry.load();
      expect(command.name, entry.name).toBe(entry.name);
      expect(command.usage, entry.name).toContain(`vigil ${entry.name}`);
      expect(entry.summary.length, entry.name).toBeLessThan(90);
    }
  });
});
