import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * DESIGN.md's layout rules, checked: each part's index.ts is its only public face; core/
 * imports no other part; nothing imports cli/. Tests and benchmarks may reach inside.
 */
const root = resolve(import.meta.dirname, '..');
const parts = [
  'core',
  'instrument',
  'agent',
  'alerting',
  'synthetics',
  'chaos',
  'dashboards',
  'cli',
  'examples',
];

function sourceFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (name === 'node_modules' || name === 'static') return [];
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

const importPattern =
  /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+['"](\.[^'"]+)['"]|import\(\s*['"](\.[^'"]+)['"]\s*\)/g;

function crossPartImports() {
  const found: Array<{ file: string; from: string; to: string; target: string }> = [];
  for (const part of parts) {
    for (const file of sourceFiles(join(root, part))) {
      const text = readFileSync(file, 'utf8');
      for (const match of text.matchAll(importPattern)) {
        const spec = match[1] ?? match[2]!;
        const target = resolve(dirname(file), spec);
        const targetPart = relative(root, target).split(sep)[0]!;
        if (targetPart !== part && parts.includes(targetPart)) {
          found.push({
            file: relative(root, file),
            from: part,
            to: targetPart,
            target: relative(root, target),
          });
        }
      }
    }
  }
  return found;
}

describe('architecture', () => {
  const imports = crossPartImports();

  it('parts import each other only through index.ts', () => {
    const offenders = imports
      .filter((i) => i.target !== `${i.to}/index.ts`)
      .map((i) => `${i.file} -> ${i.target}`);
    expect(offenders).toEqual([]);
  });

  it('core imports no other part', () => {
    expect(imports.filter((i) => i.from === 'core').map((i) => `${i.file} -> ${i.target}`)).toEqual([]);
  });

  it('nothing imports cli', () => {
    expect(imports.filter((i) => i.to === 'cli').map((i) => `${i.file} -> ${i.target}`)).toEqual([]);
  });

  it("every entry of package.json's exports map points at source that exists", () => {
    type Target = string | { types: string; import: string };
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
      exports: Record<string, Target>;
      bin: Record<string, string>;
    };
    for (const [entry, target] of Object.entries(pkg.exports)) {
      const source = typeof target === 'string' ? target : target.types;
      expect(existsSync(join(root, source)), `${entry} -> ${source}`).toBe(true);
      if (typeof target !== 'string') {
        // dist/ is what `npm install` builds (the prepare script) for plain Node.js importers.
        expect(target.import, entry).toBe(source.replace(/^\.\//, './dist/').replace(/\.ts$/, '.js'));
      }
    }
    for (const target of Object.values(pkg.bin)) expect(existsSync(join(root, target)), target).toBe(true);
  });
});
