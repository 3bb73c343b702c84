// Child entry of the metadata worker. Argument: one JSON object (WorkerOptions). Prints one
// JSON ready line on stdout; exits on SIGTERM, SIGINT or when its parent goes away.
import { startWorker } from '../worker.ts';
import { lifeline } from './lifeline.ts';

const options = JSON.parse(process.argv[2] ?? '{}');
const worker = await startWorker(options);
process.stdout.write(
  `${JSON.stringify({ ready: true, metricsUrl: worker.metricsUrl, metadataFile: worker.metadataFile, pid: process.pid })}\n`,
);
let stopping = false;
lifeline(() => {
  stopping = true;
  return worker.stop();
});
// The consume loop ending on its own (consumer deleted, stream gone) is fatal: exiting lets the
// demo's supervisor start a fresh worker, which recreates the consumer.
worker.done.finally(() => {
  if (!stopping) process.exit(1);
});
