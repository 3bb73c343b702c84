import type { CommandEntry } from '../command.ts';

/**
 * Every `vigil` subcommand, listed explicitly, in the order `vigil --help` shows them: adding
 * one is a new file in this folder and one entry here. A command's module is imported only when
 * that command runs (see CommandEntry).
 */
export const commands: CommandEntry[] = [
  {
    name: 'server',
    summary: 'run the alert engine: store, scraper, rules and the Prometheus-compatible API',
    load: async () => (await import('./server.ts')).server,
  },
  {
    name: 'rules',
    summary: 'check, unit-test, export (to Prometheus) and backtest rule files',
    load: async () => (await import('./rules.ts')).rulesCommand,
  },
  {
    name: 'alerts',
    summary: 'list the active alerts of a running server, with silencing and inhibition',
    load: async () => (await import('./alerts.ts')).alertsCommand,
  },
  {
    name: 'silence',
    summary: 'add, list and expire silences on a running server (like amtool silence)',
    load: async () => (await import('./silence.ts')).silence,
  },
  {
    name: 'agent',
    summary: 'run the adapter agent, or try a log format with "agent parse"',
    load: async () => (await import('./agent.ts')).agent,
  },
  {
    name: 'proxy',
    summary: 'run or manage the TCP fault proxy (Toxiproxy-compatible API)',
    load: async () => (await import('./proxy.ts')).proxy,
  },
  {
    name: 'chaos',
    summary: 'run chaos experiments (faults, steady state, guaranteed rollback)',
    load: async () => (await import('./chaos.ts')).chaos,
  },
  {
    name: 'verify',
    summary: 'durability verifiers: watch, index, compare, trash, scrub, and the queue ledger',
    load: async () => (await import('./verify.ts')).verify,
  },
  {
    name: 'gate',
    summary: 'CI gates: exit 0 pass, 1 fail, 2 bad file',
    load: async () => (await import('./gate.ts')).gate,
  },
  {
    name: 'demo',
    summary: 'run the demo system under test (photos service, S3, NATS, worker, GC, traffic)',
    load: async () => (await import('./demo.ts')).demo,
  },
  {
    name: 'version',
    summary: 'print the version',
    load: async () => (await import('./version.ts')).version,
  },
];
