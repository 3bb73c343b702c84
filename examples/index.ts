/**
 * examples/: systems and scripts that show vigil at work. Its TypeScript is reached through
 * this file only (see test/architecture.test.ts); each example is one namespace.
 */
export * as demo from './demo/index.ts';
