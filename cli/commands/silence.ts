import { api, notify } from '../../alerting/index.ts';
import { parseDuration, VigilError } from '../../core/index.ts';
import { type Command, type CommandIO, parseCommandArgs } from '../command.ts';

const usage = `vigil silence: create, list and expire silences (amtool's silence commands)

usage:
  vigil silence add MATCHER... --comment TEXT [--duration 1h | --end TIME] [--start TIME]
                    [--author NAME]
      mute every alert the matchers all match. MATCHER is Alertmanager's syntax:
      name=value, name!=value, name=~regex, name!~regex (quote values with spaces:
      'summary="disk full"'); a first argument without an operator is the alertname.
      --duration defaults to 1h; --author to $USER. Prints the new silence's id.
  vigil silence list [MATCHER...] [--expired] [--quiet] [--json]
      silences whose matchers match the given ones (all when none), without expired ones
      unless --expired. --quiet prints ids only.
  vigil silence expire ID...
      end silences now.

client flags: --server URL (default http://127.0.0.1:9090); the bearer token is read from
VIGIL_TOKEN. Times are RFC 3339 (2026-03-02T10:00:00Z).`;

const options = {
  comment: { type: 'string', short: 'c' },
  author: { type: 'string', short: 'a' },
  duration: { type: 'string', short: 'd' },
  start: { type: 'string' },
  end: { type: 'string' },
  expired: { type: 'boolean' },
  quiet: { type: 'boolean', short: 'q' },
  json: { type: 'boolean' },
  server: { type: 'string' },
} as const;

export const defaultServer = 'http://127.0.0.1:9090';

function time(flag: string, text: string): number {
  const t = Date.parse(text);
  if (Number.isNaN(t))
    throw new VigilError('usage', `vigil silence: --${flag}: cannot parse "${text}" as an RFC 3339 time`);
  return t;
}

/** amtool's argument rule: matchers, and a bare first word is the alertname. */
export function matchersFromArgs(args: string[]): notify.SilenceMatcher[] {
  return args.flatMap((arg, i) => {
    const text = i === 0 && !/[=!~]/.test(arg) ? `alertname=${notify.quoteMatcherValue(arg)}` : arg;
    try {
      return notify.parseMatchers(text).map(notify.fromMatcher);
    } catch (err) {
      throw new VigilError('usage', `vigil silence: ${(err as Error).message}`);
    }
  });
}

/** A table with columns padded to their widest cell. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return `${[line(header), ...rows.map(line)].join('\n')}\n`;
}

const show = (m: notify.SilenceMatcher) =>
  notify.formatMatcher({
    name: m.name,
    type: m.isRegex ? (m.isEqual ? '=~' : '!~') : m.isEqual ? '=' : '!=',
    value: m.value,
  });

async function add(client: api.AlertmanagerClient, values: Values, args: string[], io: CommandIO) {
  if (args.length === 0) throw new VigilError('usage', 'vigil silence add: at least one MATCHER is required');
  if (!values.comment?.trim()) throw new VigilError('usage', 'vigil silence add: --comment is required');
  const author = values.author ?? io.env.USER ?? io.env.LOGNAME;
  if (!author) throw new VigilError('usage', 'vigil silence add: --author is required ($USER is not set)');
  if (values.end && values.duration)
    throw new VigilError('usage', 'vigil silence add: give --duration or --end, not both');
  const start = values.start ? time('start', values.start) : Date.now();
  let end: number;
  if (values.end) end = time('end', values.end);
  else {
    try {
      end = start + parseDuration(values.duration ?? '1h');
    } catch (err) {
      throw new VigilError('usage', `vigil silence add: --duration: ${(err as Error).message}`);
    }
  }
  const id = await client.addSilence({
    matchers: matchersFromArgs(args),
    startsAt: new Date(start).toISOString(),
    endsAt: new Date(end).toISOString(),
    createdBy: author,
    comment: values.comment,
  });
  io.stdout.write(`${id}\n`);
}

async function list(client: api.AlertmanagerClient, values: Values, args: string[], io: CommandIO) {
  const filter = matchersFromArgs(args).map(show);
  const silences = (await client.silences(filter)).filter(
    (s) => values.expired || s.status.state !== 'expired',
  );
  if (values.json) io.stdout.write(`${JSON.stringify(silences, null, 2)}\n`);
  else if (values.quiet) io.stdout.write(silences.map((s) => `${s.id}\n`).join(''));
  else
    io.stdout.write(
      table(
        ['ID', 'Matchers', 'State', 'Ends At', 'Created By', 'Comment'],
        silences.map((s) => [
          s.id,
          s.matchers.map(show).join(' '),
          s.status.state,
          s.endsAt,
          s.createdBy,
          s.comment,
        ]),
      ),
    );
}

type Values = ReturnType<typeof parseCommandArgs<typeof options>>['values'];

export const silence: Command = {
  name: 'silence',
  usage,
  async run(argv, io) {
    const [sub, ...rest] = argv;
    const { values, positionals } = parseCommandArgs(`silence ${sub ?? ''}`.trim(), rest, options);
    const client = new api.AlertmanagerClient(values.server ?? defaultServer, io.env.VIGIL_TOKEN);
    switch (sub) {
      case 'add':
        await add(client, values, positionals, io);
        return 0;
      case 'list':
      case 'query':
        await list(client, values, positionals, io);
        return 0;
      case 'expire':
        if (positionals.length === 0) throw new VigilError('usage', 'vigil silence expire: expected an ID');
        for (const id of positionals) await client.expireSilence(id);
        return 0;
      default:
        throw new VigilError(
          'usage',
          'vigil silence: expected "add", "list" or "expire" (see vigil silence --help)',
        );
    }
  },
};
