import { demo as demoSystem } from '../../examples/index.ts';
import { type Command, parseCommandArgs } from '../command.ts';

const usage = `vigil demo [--data-dir DIR] [--port N] [--rate N] [--no-traffic] [--nats URL|own|off] [--seed N] [--requests N]

Runs the demo system under test on 127.0.0.1 until Ctrl-C: a photos HTTP service with its blobs
in s3rver, events on NATS JetStream, a metadata worker, a garbage collector and a traffic
generator. Writes DIR/demo.json (pids, ports, URLs, tokens) for the tools that watch and break it.

flags:
  --data-dir DIR   blobs, JetStream store, logs and demo.json (default: a new temp dir)
  --port N         photos service port; the worker uses N+1 and s3rver N+2 (default 8080;
                   0 = any free ports)
  --rate N         traffic generator requests per second (default 10)
  --no-traffic     do not generate traffic
  --nats URL       NATS server to use; "own" starts a private nats-server, "off" runs without
                   a queue (default: nats://127.0.0.1:4222 if it answers, else own if
                   nats-server is installed, else off)
  --seed N         seed of the traffic mix (default 1)
  --requests N     stop generating traffic after N requests

See docs/demo.md.`;

export const demo: Command = {
  name: 'demo',
  usage,
  async run(argv, io) {
    const { values } = parseCommandArgs(
      'demo',
      argv,
      {
        'data-dir': { type: 'string' },
        port: { type: 'string' },
        rate: { type: 'string' },
        'no-traffic': { type: 'boolean' },
        nats: { type: 'string' },
        seed: { type: 'string' },
        requests: { type: 'string' },
      },
      false,
    );
    // vigil supports Node 20; the AWS SDK's notice about its own future Node versions would be
    // the first thing a user of `npm start` reads, above the summary that matters.
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
    const say = (line: string) => io.stdout.write(`${line}\n`);
    const running = await demoSystem.startDemo({
      dataDir: values['data-dir'],
      port: demoSystem.parseIntFlag('--port', values.port),
      rate: demoSystem.parseNumberFlag('--rate', values.rate),
      traffic: !values['no-traffic'],
      nats: demoSystem.parseNatsRequest(values.nats),
      seed: demoSystem.parseIntFlag('--seed', values.seed),
      trafficRequests: demoSystem.parseIntFlag('--requests', values.requests),
      say,
    });
    say(`vigil demo ready: ${running.serviceUrl} (Ctrl-C to stop)`);
    if (!io.signal.aborted) {
      await new Promise<void>((resolve) =>
        io.signal.addEventListener('abort', () => resolve(), { once: true }),
      );
    }
    say('vigil demo: stopping');
    const stats = await running.stop();
    if (stats) {
      const sent = Object.values(stats.sent).reduce((a, b) => a + b, 0);
      say(
        `vigil demo: traffic sent ${sent} requests, ${stats.unexpected} unexpected answers, ` +
          `${stats.failed} without answer (details in ${running.dataDir}/traffic.json)`,
      );
    }
    say('vigil demo: stopped');
    return 0;
  },
};
