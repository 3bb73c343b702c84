#!/usr/bin/env node
// vigil is written in TypeScript and run from source through tsx's loader, so the package
// works straight from `npm install` with no build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
