import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  apiVersionSchema,
  durationSchema,
  isVigilError,
  listenAddressSchema,
  loadConfigFile,
  parseConfig,
  parseListenAddress,
} from '../../core/index.ts';

const schema = z.strictObject({
  apiVersion: apiVersionSchema,
  listen: listenAddressSchema.default({ host: '127.0.0.1', port: 9090 }),
  jobs: z.array(z.strictObject({ name: z.string(), interval: durationSchema })),
});

function errorOf(fn: () => unknown): Error {
  try {
    fn();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected an error');
}

describe('parseConfig', () => {
  it('parses YAML into the typed model with defaults resolved', () => {
    const cfg = parseConfig(
      schema,
      'vigil.yaml',
      'apiVersion: vigil/v1\njobs:\n  - name: api\n    interval: 15s\n',
    );
    expect(cfg).toEqual({
      apiVersion: 'vigil/v1',
      listen: { host: '127.0.0.1', port: 9090 },
      jobs: [{ name: 'api', interval: 15_000 }],
    });
  });

  it('parses JSON too', () => {
    const cfg = parseConfig(schema, 'vigil.json', '{"apiVersion":"vigil/v1","listen":":8080","jobs":[]}');
    expect(cfg.listen).toEqual({ host: '127.0.0.1', port: 8080 });
  });

  it('names the file, the line, the field and what was expected', () => {
    const text =
      'apiVersion: vigil/v1\njobs:\n  - name: api\n    interval: 15s\n  - name: db\n    interval: soon\n';
    const err = errorOf(() => parseConfig(schema, 'conf/vigil.yaml', text));
    expect(isVigilError(err, 'config')).toBe(true);
    expect(err.message).toContain('conf/vigil.yaml:6: jobs[1].interval: invalid duration "soon"');
  });

  it('reports a missing field at its parent and an unknown field by name', () => {
    const err = errorOf(() =>
      parseConfig(schema, 'a.yaml', 'apiVersion: vigil/v1\njobs:\n  - nam: api\n    interval: 1m\n'),
    );
    expect(err.message).toMatch(/a\.yaml:3: jobs\[0\]\.name: /);
    expect(err.message).toMatch(/a\.yaml:3: jobs\[0\]: .*nam/);
  });

  it('refuses a wrong apiVersion, saying which one it wants', () => {
    const err = errorOf(() => parseConfig(schema, 'a.yaml', 'apiVersion: v2\njobs: []\n'));
    expect(err.message).toContain('a.yaml:1: apiVersion: expected apiVersion: vigil/v1');
  });

  it('refuses malformed YAML with its position', () => {
    const err = errorOf(() => parseConfig(schema, 'bad.yaml', 'apiVersion: vigil/v1\njobs: [\n'));
    expect(isVigilError(err, 'config')).toBe(true);
    expect(err.message).toMatch(/^bad\.yaml:\d+:\d+: not valid YAML/);
  });

  it('refuses duplicate keys, which YAML allows silently elsewhere', () => {
    const err = errorOf(() => parseConfig(schema, 'dup.yaml', 'apiVersion: vigil/v1\njobs: []\njobs: []\n'));
    expect(err.message).toContain('dup.yaml:3');
  });

  it('never throws anything but a config VigilError on arbitrary text', () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        try {
          parseConfig(schema, 'fuzz.yaml', text);
        } catch (err) {
          expect(isVigilError(err, 'config')).toBe(true);
        }
      }),
    );
  });
});

describe('loadConfigFile', () => {
  it('reads a file and names it when it is missing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-config-'));
    const file = join(dir, 'vigil.yaml');
    writeFileSync(file, 'apiVersion: vigil/v1\njobs: []\n');
    expect(loadConfigFile(schema, file).jobs).toEqual([]);
    const err = errorOf(() => loadConfigFile(schema, join(dir, 'nope.yaml')));
    expect(err.message).toBe(`${join(dir, 'nope.yaml')}: cannot read config: no such file`);
  });
});

describe('parseListenAddress', () => {
  it.each([
    [':9090', { host: '127.0.0.1', port: 9090 }],
    ['0.0.0.0:80', { host: '0.0.0.0', port: 80 }],
    ['[::1]:8474', { host: '::1', port: 8474 }],
    ['localhost:0', { host: 'localhost', port: 0 }],
  ])('reads %s', (text, expected) => {
    expect(parseListenAddress(text)).toEqual(expected);
  });
  it.each(['9090', 'host:', 'a:b', ':70000', '::1:80'])('refuses %s', (text) => {
    expect(parseListenAddress(text)).toBeUndefined();
  });
});
