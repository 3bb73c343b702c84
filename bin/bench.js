#!/usr/bin/env node
// `npm run bench -- NAME [args]` runs bench/NAME.ts; with no NAME it lists the benchmarks.
import { readdirSync } from 'node:fs';
import { register } from 'tsx/esm/api';

const benchDir = new URL('../bench/', import.meta.url);
const available = readdirSync(benchDir)
  .filter((f) => f.endsWith('.ts') && !f.startsWith('_'))
  .map((f) => f.slice(0, -3))
  .sort();
const [name, ...args] = process.argv.slice(2);
if (!name) {
  process.stdout.write(
    `usage: npm run bench -- NAME [args]\n\nbenchmarks:\n${available.map((b) => `  ${b}`).join('\n') || '  (none yet)'}\n`,
  );
  process.exit(0);
}
if (!available.includes(name)) {
  process.stderr.write(`bench: no benchmark "${name}" in bench/ (have: ${available.join(', ') || 'none'})\n`);
  process.exit(2);
}
register();
process.argv = [process.argv[0], new URL(`${name}.ts`, benchDir).pathname, ...args];
await import(new URL(`${name}.ts`, benchDir).href);
