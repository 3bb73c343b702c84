import type { Reporter, TestModule } from 'vitest/node';

/**
 * Prints one plain closing line, `vigil: N passed, N failed, N skipped`, after vitest's own
 * summary. CI systems that read closing lines understand this form; vitest's own summary is
 * a table. A test file that failed to load, and an unhandled error, each count as a failure.
 */
export default class SummaryReporter implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<unknown>): void {
    let passed = 0;
    let failed = unhandledErrors.length;
    let skipped = 0;
    for (const module of modules) {
      let tests = 0;
      for (const test of module.children.allTests()) {
        tests++;
        const state = test.result().state;
        if (state === 'passed') passed++;
        else if (state === 'failed') failed++;
        else skipped++;
      }
      if (tests === 0 && module.state() === 'failed') failed++;
    }
    process.stdout.write(`\nvigil: ${passed} passed, ${failed} failed, ${skipped} skipped\n`);
  }
}
