/**
 * chaos/: fault injectors (TCP proxy with toxics, HTTP, process and disk faults), experiments
 * with a steady-state hypothesis, abort conditions and guaranteed rollback, the shared blob
 * store and queue targets, and the CI gate. Other folders import only this file.
 */

export * from './experiments/index.ts';
export * from './faults/index.ts';
export * from './proxy/index.ts';
export * from './targets/index.ts';
export * from './verify/index.ts';
