import { readFileSync } from 'node:fs';
import {
  isToxicType,
  ProxyClient,
  type ProxySpec,
  parseProxyInput,
  startProxyServer,
  toxicDefinition,
  toxics,
  toxiproxyDefaultPort,
} from '../../chaos/index.ts';
import { VigilError } from '../../core/index.ts';
import { type Command, type CommandIO, parseCommandArgs } from '../command.ts';

const usage = `vigil proxy: TCP fault proxy with a Toxiproxy-compatible API

usage:
  vigil proxy [--host 127.0.0.1] [--port 8474] [--allow HOST]... [--seed N] [--config FILE]
      run the proxy and its API until Ctrl-C. A non-loopback --host requires a token in
      VIGIL_PROXY_TOKEN; upstreams off loopback must be named with --allow. --config creates
      the proxies of a Toxiproxy config file (a JSON array of {name, listen, upstream}) at start.
  vigil proxy list                                   list proxies and their toxics
  vigil proxy create NAME --upstream HOST:PORT [--listen HOST:PORT]
  vigil proxy delete NAME
  vigil proxy enable NAME | disable NAME
  vigil proxy toxic add PROXY --type TYPE [--name N] [--stream upstream|downstream]
                                  [--toxicity 0..1] [-a KEY=VALUE]...
  vigil proxy toxic remove PROXY NAME
  vigil proxy toxics                                 list toxic types and attributes
  vigil proxy reset                                  enable all proxies, remove all toxics

client flags: --api URL (default http://127.0.0.1:${toxiproxyDefaultPort}); token from VIGIL_PROXY_TOKEN`;

const options = {
  host: { type: 'string' },
  port: { type: 'string' },
  allow: { type: 'string', multiple: true },
  seed: { type: 'string' },
  config: { type: 'string' },
  api: { type: 'string' },
  upstream: { type: 'string' },
  listen: { type: 'string' },
  type: { type: 'string' },
  name: { type: 'string' },
  stream: { type: 'string' },
  toxicity: { type: 'string' },
  attribute: { type: 'string', short: 'a', multiple: true },
} as const;

/** The flags each mode reads: any other is refused, not silently ignored. */
const flagsOfMode: Readonly<Record<string, readonly string[]>> = {
  serve: ['host', 'port', 'allow', 'seed', 'config'],
  list: ['api'],
  create: ['api', 'upstream', 'listen'],
  delete: ['api'],
  enable: ['api'],
  disable: ['api'],
  reset: ['api'],
  toxics: [],
  toxic: ['api', 'type', 'name', 'stream', 'toxicity', 'attribute'],
};

function refuseOtherFlags(mode: string, values: Record<string, unknown>): void {
  const allowed = flagsOfMode[mode];
  if (!allowed) return; // an unknown subcommand is reported by the switch below
  for (const flag of Object.keys(values)) {
    if (values[flag] === undefined || allowed.includes(flag)) continue;
    const where = mode === 'serve' ? 'when running the proxy' : `with "vigil proxy ${mode}"`;
    throw new VigilError('usage', `vigil proxy: --${flag} does not apply ${where} (see vigil proxy --help)`);
  }
}

function integer(flag: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0)
    throw new VigilError('usage', `vigil proxy: --${flag}: expected a whole number, got "${text}"`);
  return n;
}

function attributes(pairs: string[] | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const pair of pairs ?? []) {
    const m = /^([a-z_]+)=(-?\d+(?:\.\d+)?)$/.exec(pair);
    if (!m)
      throw new VigilError('usage', `vigil proxy: -a ${pair}: expected KEY=NUMBER, e.g. -a latency=100`);
    out[m[1]!] = Number(m[2]);
  }
  return out;
}

/** Reads a Toxiproxy config file: a JSON array of proxies, validated before anything listens. */
function readProxyConfig(file: string): ProxySpec[] {
  let list: unknown;
  try {
    list = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message;
    throw new VigilError('config', `${file}: cannot read proxy config: ${why}`);
  }
  if (!Array.isArray(list)) throw new VigilError('config', `${file}: expected a JSON array of proxies`);
  return list.map((p, i) => {
    try {
      return parseProxyInput(p);
    } catch (err) {
      throw new VigilError('config', `${file}: [${i}]: ${(err as Error).message}`);
    }
  });
}

async function serve(
  values: { host?: string; port?: string; allow?: string[]; seed?: string; config?: string },
  io: CommandIO,
): Promise<number> {
  const initial = values.config ? readProxyConfig(values.config) : [];
  const server = await startProxyServer({
    host: values.host ?? '127.0.0.1',
    port: integer('port', values.port, toxiproxyDefaultPort),
    token: io.env['VIGIL_PROXY_TOKEN'] || undefined,
    allowUpstreams: values.allow ?? [],
    seed: integer('seed', values.seed, Date.now() % 2 ** 31),
    onEvent: (e) => io.stderr.write(`${JSON.stringify({ level: 'warn', time: Date.now(), ...e })}\n`),
  });
  try {
    await server.collection.populate(initial);
  } catch (err) {
    await server.close();
    throw err;
  }
  io.stderr.write(
    `${JSON.stringify({ level: 'info', msg: 'proxy API listening', url: server.url, proxies: initial.length })}\n`,
  );
  io.stdout.write(`vigil proxy: API on ${server.url}\n`);
  await new Promise<void>((resolve) => {
    if (io.signal.aborted) resolve();
    io.signal.addEventListener('abort', () => resolve(), { once: true });
  });
  await server.close();
  return 0;
}

export const proxy: Command = {
  name: 'proxy',
  usage,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs('proxy', argv, options);
    const [sub, ...args] = positionals;
    refuseOtherFlags(sub ?? 'serve', values);
    if (sub === undefined) return serve(values, io);
    const client = new ProxyClient({ url: values.api, token: io.env['VIGIL_PROXY_TOKEN'] || undefined });
    const print = (v: unknown) => io.stdout.write(`${JSON.stringify(v, null, 2)}\n`);
    const need = (i: number, what: string) => {
      const v = args[i];
      if (!v) throw new VigilError('usage', `vigil proxy ${sub}: missing ${what} (see vigil proxy --help)`);
      return v;
    };
    switch (sub) {
      case 'list':
        print(await client.list());
        return 0;
      case 'create':
        if (!values.upstream)
          throw new VigilError('usage', 'vigil proxy create: --upstream HOST:PORT is required');
        print(
          await client.create({
            name: need(0, 'NAME'),
            upstream: values.upstream,
            listen: values.listen ?? '127.0.0.1:0',
          }),
        );
        return 0;
      case 'delete':
        await client.remove(need(0, 'NAME'));
        return 0;
      case 'enable':
      case 'disable':
        print(await client.update(need(0, 'NAME'), { enabled: sub === 'enable' }));
        return 0;
      case 'reset':
        await client.reset();
        return 0;
      case 'toxics':
        for (const [type, def] of Object.entries(toxics))
          io.stdout.write(`${type.padEnd(12)} ${def.summary}\n`);
        return 0;
      case 'toxic': {
        const action = need(0, 'add|remove');
        const proxyName = need(1, 'PROXY');
        if (action === 'remove') {
          await client.removeToxic(proxyName, need(2, 'toxic NAME'));
          return 0;
        }
        if (action !== 'add')
          throw new VigilError('usage', `vigil proxy toxic: unknown action "${action}" (add or remove)`);
        const type = values.type;
        if (!type || !isToxicType(type)) {
          throw new VigilError(
            'usage',
            `vigil proxy toxic add: --type must be one of ${Object.keys(toxics).join(', ')}`,
          );
        }
        toxicDefinition(type);
        const toxicity = values.toxicity === undefined ? 1 : Number(values.toxicity);
        print(
          await client.addToxic(proxyName, {
            type,
            ...(values.name ? { name: values.name } : {}),
            ...(values.stream ? { stream: values.stream as 'upstream' } : {}),
            toxicity,
            attributes: attributes(values.attribute),
          }),
        );
        return 0;
      }
      default:
        throw new VigilError('usage', `vigil proxy: unknown subcommand "${sub}" (see vigil proxy --help)`);
    }
  },
};
