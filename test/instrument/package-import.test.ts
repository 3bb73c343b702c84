import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');

describe('the published package', () => {
  it('lets a plain Node.js program import vigil/instrument and vigil/core without a TypeScript loader', () => {
    // npm install builds dist/ through the prepare script; build here if a developer skipped it.
    if (!existsSync(join(root, 'dist/instrument/index.js'))) {
      execFileSync(
        process.execPath,
        [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'],
        { cwd: root },
      );
    }
    const program = `
      import { createTelemetry } from 'vigil/instrument';
      import { parseDuration } from 'vigil/core';
      const t = createTelemetry({ service: 'plain', tracing: false, logLevel: 'silent' });
      await t.shutdown();
      console.log(parseDuration('1h30m'));
    `;
    const result = spawnSync(process.execPath, ['--input-type=module', '-e', program], {
      cwd: root,
      encoding: 'utf8',
    });
    expect(result.stderr).toBe('');
    expect(result.stdout.trim()).toBe('5400000');
  });
});
