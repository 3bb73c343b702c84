import { VigilError } from '../../core/index.ts';
import { formatFloatG } from '../promql/index.ts';
import type { Labels } from '../store/index.ts';

/**
 * The part of Go's text/template that Prometheus alert labels and annotations use:
 * `{{ $labels.x }}`, `{{ $value }}`, `.Labels` / `.Value`, pipelines (`{{ $value | humanize }}`),
 * `printf`, the humanize family, `toUpper`, `toLower`, `title`, `reReplaceAll`, `match`, and
 * `if` / `else if` / `else` / `end` with `eq ne lt le gt ge and or not`. A template using anything
 * else (`range`, `with`, `query`, `define`, ...) is refused when the rule file is loaded,
 * naming the construct. Compiled once; expanding is pure.
 */

type TValue =
  | { k: 'string'; v: string }
  | { k: 'float'; v: number }
  | { k: 'int'; v: number }
  | { k: 'bool'; v: boolean }
  | { k: 'map'; v: Labels };

type Operand =
  | { t: 'var'; name: string; fields: string[] }
  | { t: 'dot'; fields: string[] }
  | { t: 'lit'; value: TValue }
  | { t: 'sub'; pipe: Pipeline };

interface Command {
  fn: string | undefined;
  args: Operand[];
}

type Pipeline = Command[];

type Node =
  | { t: 'text'; text: string }
  | { t: 'action'; pipe: Pipeline }
  | { t: 'if'; branches: { cond: Pipeline; body: Node[] }[]; otherwise: Node[] };

/** What a template is expanded with. */
export interface TemplateData {
  labels: Labels;
  externalLabels: Labels;
  externalURL: string;
  value: number;
  /** Evaluation time in ms (humanizeTimestamp of .Value is unaffected). */
  time: number;
}

export interface CompiledTemplate {
  readonly source: string;
  expand(data: TemplateData): string;
}

const functionNames = new Set([
  'humanize',
  'humanize1024',
  'humanizeDuration',
  'humanizePercentage',
  'humanizeTimestamp',
  'printf',
  'toUpper',
  'toLower',
  'title',
  'reReplaceAll',
  'match',
  'eq',
  'ne',
  'lt',
  'le',
  'gt',
  'ge',
  'and',
  'or',
  'not',
  'len',
  'print',
]);

const refusedKeywords = new Set(['range', 'with', 'define', 'template', 'block', 'break', 'continue']);
const refusedFunctions = new Set([
  'query',
  'first',
  'label',
  'value',
  'sortByLabel',
  'args',
  'tmpl',
  'safeHtml',
  'pathPrefix',
  'externalURL',
  'strvalue',
  'graphLink',
  'tableLink',
  'parseDuration',
  'toTime',
  'stripPort',
  'stripDomain',
  'js',
  'html',
  'urlquery',
  'index',
  'slice',
  'call',
]);

/**
 * Compiles a label or annotation template.
 *
 * @example
 * compileTemplate('{{ $labels.instance }} is down ({{ $value | humanize }})').expand(data);
 * @throws VigilError('config') naming an unsupported construct or a syntax error.
 */
export function compileTemplate(source: string): CompiledTemplate {
  const tokens = splitActions(source);
  let pos = 0;
  const parseList = (stopAt: Set<string>): { nodes: Node[]; stop: string } => {
    const nodes: Node[] = [];
    while (pos < tokens.length) {
      const tok = tokens[pos++]!;
      if (tok.t === 'text') {
        nodes.push({ t: 'text', text: tok.text });
        continue;
      }
      const body = tok.text.trim();
      if (body.startsWith('/*')) continue;
      const word = /^[a-z]+/.exec(body)?.[0] ?? '';
      if (refusedKeywords.has(word))
        throw templateError(source, `"${word}" is not supported in vigil templates`);
      if (word === 'end' || word === 'else') {
        if (!stopAt.has(word)) throw templateError(source, `unexpected {{${word}}}`);
        return { nodes, stop: body };
      }
      if (word === 'if') {
        const branches: { cond: Pipeline; body: Node[] }[] = [];
        let cond = parsePipeline(body.slice(2), source);
        for (;;) {
          const inner = parseList(new Set(['end', 'else']));
          branches.push({ cond, body: inner.nodes });
          if (inner.stop === 'end') {
            nodes.push({ t: 'if', branches, otherwise: [] });
            break;
          }
          const rest = inner.stop.slice(4).trim();
          if (rest.startsWith('if ')) {
            cond = parsePipeline(rest.slice(3), source);
            continue;
          }
          const tail = parseList(new Set(['end']));
          nodes.push({ t: 'if', branches, otherwise: tail.nodes });
          break;
        }
        continue;
      }
      nodes.push({ t: 'action', pipe: parsePipeline(body, source) });
    }
    if (stopAt.size > 0) throw templateError(source, 'unexpected end of template: missing {{end}}');
    return { nodes, stop: '' };
  };
  const { nodes } = parseList(new Set());
  return {
    source,
    expand(data: TemplateData): string {
      try {
        return render(nodes, data);
      } catch (err) {
        return `<error expanding template: ${(err as Error).message}>`;
      }
    },
  };
}

function templateError(source: string, message: string): VigilError {
  return new VigilError('config', `template ${JSON.stringify(source)}: ${message}`);
}

function splitActions(source: string): ({ t: 'text'; text: string } | { t: 'action'; text: string })[] {
  const out: ({ t: 'text'; text: string } | { t: 'action'; text: string })[] = [];
  let i = 0;
  while (i < source.length) {
    const open = source.indexOf('{{', i);
    if (open < 0) {
      out.push({ t: 'text', text: source.slice(i) });
      break;
    }
    let text = source.slice(i, open);
    let start = open + 2;
    if (source[start] === '-' && /\s/.test(source[start + 1] ?? '')) {
      text = text.trimEnd();
      start++;
    }
    if (text) out.push({ t: 'text', text });
    const close = source.indexOf('}}', start);
    if (close < 0) throw templateError(source, 'unclosed action');
    let end = close;
    let trimAfter = false;
    if (source[close - 1] === '-' && /\s/.test(source[close - 2] ?? '')) {
      end = close - 1;
      trimAfter = true;
    }
    out.push({ t: 'action', text: source.slice(start, end) });
    i = close + 2;
    if (trimAfter) while (i < source.length && /\s/.test(source[i]!)) i++;
  }
  return out;
}

function parsePipeline(text: string, source: string): Pipeline {
  const tokens = tokenize(text, source);
  let pos = 0;
  const parsePipe = (): Pipeline => {
    const pipe: Pipeline = [];
    for (;;) {
      const args: Operand[] = [];
      let fn: string | undefined;
      while (pos < tokens.length && tokens[pos] !== '|' && tokens[pos] !== ')') {
        const tok = tokens[pos++]!;
        if (tok === '(') {
          args.push({ t: 'sub', pipe: parsePipe() });
          if (tokens[pos++] !== ')') throw templateError(source, 'unclosed parenthesis');
          continue;
        }
        const operand = parseOperand(tok, source);
        if (operand === undefined) {
          if (args.length > 0 || fn !== undefined) throw templateError(source, `unexpected "${tok}"`);
          if (refusedFunctions.has(tok))
            throw templateError(source, `function "${tok}" is not supported in vigil templates`);
          if (!functionNames.has(tok)) throw templateError(source, `function "${tok}" not defined`);
          fn = tok;
          continue;
        }
        args.push(operand);
      }
      if (fn === undefined && args.length === 0) throw templateError(source, 'missing value for command');
      if (fn === undefined && args.length > 1)
        throw templateError(source, `can't give argument to non-function`);
      pipe.push({ fn, args });
      if (tokens[pos] !== '|') return pipe;
      pos++;
    }
  };
  const pipe = parsePipe();
  if (pos < tokens.length) throw templateError(source, `unexpected "${tokens[pos]}"`);
  if (pipe.length > 1)
    for (const c of pipe.slice(1))
      if (c.fn === undefined) throw templateError(source, 'non executable command in pipeline stage');
  return pipe;
}

function tokenize(text: string, source: string): string[] {
  const out: string[] = [];
  const re = /\s*(?:("(?:[^"\\]|\\.)*")|(`[^`]*`)|([|()])|([^\s|()]+))/y;
  re.lastIndex = 0;
  while (re.lastIndex < text.length) {
    const m = re.exec(text);
    if (m === null) break;
    const tok = m[1] ?? m[2] ?? m[3] ?? m[4];
    if (tok === undefined) break;
    out.push(tok);
  }
  if (/:=|(^|\s)=(\s|$)/.test(text))
    throw templateError(source, 'variable assignment is not supported in vigil templates');
  return out;
}

function parseOperand(tok: string, source: string): Operand | undefined {
  if (tok.startsWith('"')) return { t: 'lit', value: { k: 'string', v: JSON.parse(tok) as string } };
  if (tok.startsWith('`')) return { t: 'lit', value: { k: 'string', v: tok.slice(1, -1) } };
  if (tok === 'true' || tok === 'false') return { t: 'lit', value: { k: 'bool', v: tok === 'true' } };
  if (/^[+-]?\d+$/.test(tok)) return { t: 'lit', value: { k: 'int', v: Number(tok) } };
  if (/^[+-]?(\d+\.\d*|\.\d+|\d+)(e[+-]?\d+)?$/i.test(tok))
    return { t: 'lit', value: { k: 'float', v: Number(tok) } };
  if (tok.startsWith('$')) {
    const [name, ...fields] = tok.split('.');
    if (!['$labels', '$externalLabels', '$externalURL', '$value', '$'].includes(name!)) {
      throw templateError(source, `undefined variable "${name}"`);
    }
    return { t: 'var', name: name!, fields };
  }
  if (tok.startsWith('.')) return { t: 'dot', fields: tok === '.' ? [] : tok.slice(1).split('.') };
  return undefined;
}

function render(nodes: Node[], data: TemplateData): string {
  let out = '';
  for (const node of nodes) {
    if (node.t === 'text') out += node.text;
    else if (node.t === 'action') out += printValue(runPipe(node.pipe, data));
    else {
      const branch = node.branches.find((b) => truthy(runPipe(b.cond, data)));
      out += render(branch ? branch.body : node.otherwise, data);
    }
  }
  return out;
}

/** The template's dot: a marker map resolved by fieldOf to .Labels, .Value and friends. */
const rootValue: TValue = { k: 'map', v: { __root: '1' } };

function root(_data: TemplateData): TValue {
  return rootValue;
}

function fieldOf(value: TValue, fields: string[], data: TemplateData): TValue {
  let cur = value;
  for (const f of fields) {
    if (cur === rootValue) {
      if (f === 'Labels') cur = { k: 'map', v: data.labels };
      else if (f === 'ExternalLabels') cur = { k: 'map', v: data.externalLabels };
      else if (f === 'ExternalURL') cur = { k: 'string', v: data.externalURL };
      else if (f === 'Value') cur = { k: 'float', v: data.value };
      else throw new Error(`can't evaluate field ${f}`);
    } else if (cur.k === 'map') {
      cur = { k: 'string', v: cur.v[f] ?? '' };
    } else {
      throw new Error(`can't evaluate field ${f} in type ${cur.k}`);
    }
  }
  return cur;
}

function operandValue(op: Operand, data: TemplateData): TValue {
  switch (op.t) {
    case 'lit':
      return op.value;
    case 'sub':
      return runPipe(op.pipe, data);
    case 'dot':
      return fieldOf(root(data), op.fields, data);
    case 'var': {
      const base: TValue =
        op.name === '$labels'
          ? { k: 'map', v: data.labels }
          : op.name === '$externalLabels'
            ? { k: 'map', v: data.externalLabels }
            : op.name === '$externalURL'
              ? { k: 'string', v: data.externalURL }
              : op.name === '$value'
                ? { k: 'float', v: data.value }
                : root(data);
      return fieldOf(base, op.fields, data);
    }
  }
}

function runPipe(pipe: Pipeline, data: TemplateData): TValue {
  let prev: TValue | undefined;
  for (const cmd of pipe) {
    const args = cmd.args.map((a) => operandValue(a, data));
    if (prev !== undefined) args.push(prev);
    prev = cmd.fn === undefined ? args[0]! : callFunction(cmd.fn, args);
  }
  return prev!;
}

function truthy(v: TValue): boolean {
  switch (v.k) {
    case 'bool':
      return v.v;
    case 'string':
      return v.v !== '';
    case 'float':
    case 'int':
      return v.v !== 0;
    case 'map':
      return Object.keys(v.v).length > 0;
  }
}

function printValue(v: TValue): string {
  switch (v.k) {
    case 'string':
      return v.v;
    case 'float':
      return formatFloatG(v.v);
    case 'int':
      return String(v.v);
    case 'bool':
      return String(v.v);
    case 'map':
      return `map[${Object.keys(v.v)
        .sort()
        .map((k) => `${k}:${v.v[k]}`)
        .join(' ')}]`;
  }
}

function toFloat(v: TValue): number {
  switch (v.k) {
    case 'float':
    case 'int':
      return v.v;
    case 'string': {
      const n = Number(v.v);
      if (v.v.trim() === '' || Number.isNaN(n)) {
        if (/^[+-]?(inf|nan)$/i.test(v.v))
          return v.v.toLowerCase().includes('nan') ? Number.NaN : v.v.startsWith('-') ? -Infinity : Infinity;
        throw new Error(`strconv.ParseFloat: parsing ${JSON.stringify(v.v)}: invalid syntax`);
      }
      return n;
    }
    default:
      throw new Error(`can't convert ${v.k} to float`);
  }
}

function str(s: string): TValue {
  return { k: 'string', v: s };
}

function compare(a: TValue, b: TValue): number {
  if (a.k !== b.k) throw new Error('incompatible types for comparison');
  if (a.k === 'string') return a.v < (b.v as string) ? -1 : a.v > (b.v as string) ? 1 : 0;
  if (a.k === 'float' || a.k === 'int') return a.v < (b.v as number) ? -1 : a.v > (b.v as number) ? 1 : 0;
  if (a.k === 'bool') return a.v === b.v ? 0 : 1;
  throw new Error('invalid type for comparison');
}

function callFunction(fn: string, args: TValue[]): TValue {
  const a0 = args[0];
  const need = (n: number) => {
    if (args.length !== n) throw new Error(`wrong number of args for ${fn}: want ${n} got ${args.length}`);
  };
  switch (fn) {
    case 'humanize':
      need(1);
      return str(humanize(toFloat(a0!)));
    case 'humanize1024':
      need(1);
      return str(humanize1024(toFloat(a0!)));
    case 'humanizeDuration':
      need(1);
      return str(humanizeDuration(toFloat(a0!)));
    case 'humanizePercentage':
      need(1);
      return str(`${goFormatG(toFloat(a0!) * 100, 4)}%`);
    case 'humanizeTimestamp':
      need(1);
      return str(humanizeTimestamp(toFloat(a0!)));
    case 'toUpper':
      need(1);
      return str(printValue(a0!).toUpperCase());
    case 'toLower':
      need(1);
      return str(printValue(a0!).toLowerCase());
    case 'title':
      need(1);
      return str(
        printValue(a0!).replace(
          /(^|[^\p{L}\p{N}_'])(\p{L})/gu,
          (_m, p: string, c: string) => p + c.toUpperCase(),
        ),
      );
    case 'reReplaceAll': {
      need(3);
      const re = new RegExp(printValue(args[0]!), 'g');
      return str(
        printValue(args[2]!).replace(
          re,
          printValue(args[1]!).replace(/\$(\d+|\{\w+\})/g, (m) => m),
        ),
      );
    }
    case 'match':
      need(2);
      return { k: 'bool', v: new RegExp(printValue(args[0]!)).test(printValue(args[1]!)) };
    case 'printf':
      if (!a0) throw new Error('printf needs a format');
      return str(sprintf(printValue(a0), args.slice(1)));
    case 'print':
      return str(args.map(printValue).join(''));
    case 'len':
      need(1);
      return { k: 'int', v: a0!.k === 'map' ? Object.keys(a0!.v).length : printValue(a0!).length };
    case 'eq':
      return { k: 'bool', v: args.slice(1).some((b) => compare(a0!, b) === 0) };
    case 'ne':
      need(2);
      return { k: 'bool', v: compare(a0!, args[1]!) !== 0 };
    case 'lt':
      need(2);
      return { k: 'bool', v: compare(a0!, args[1]!) < 0 };
    case 'le':
      need(2);
      return { k: 'bool', v: compare(a0!, args[1]!) <= 0 };
    case 'gt':
      need(2);
      return { k: 'bool', v: compare(a0!, args[1]!) > 0 };
    case 'ge':
      need(2);
      return { k: 'bool', v: compare(a0!, args[1]!) >= 0 };
    case 'and':
      return args.find((a) => !truthy(a)) ?? args[args.length - 1]!;
    case 'or':
      return args.find((a) => truthy(a)) ?? args[args.length - 1]!;
    case 'not':
      need(1);
      return { k: 'bool', v: !truthy(a0!) };
    default:
      throw new Error(`function "${fn}" not defined`);
  }
}

/** Go's %.<prec>g: shortest of %e / %f with `prec` significant digits, trailing zeros removed. */
export function goFormatG(v: number, prec: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Number.POSITIVE_INFINITY) return '+Inf';
  if (v === Number.NEGATIVE_INFINITY) return '-Inf';
  if (v === 0) return Object.is(v, -0) ? '-0' : '0';
  const m = /^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(toExponentialHalfEven(v, prec - 1))!;
  const exp = Number(m[4]);
  if (exp < -4 || exp >= prec) {
    let mant = m[2]! + (m[3] ? `.${m[3]}` : '');
    if (mant.includes('.')) mant = mant.replace(/0+$/, '').replace(/\.$/, '');
    const ae = Math.abs(exp);
    return `${m[1]}${mant}e${exp < 0 ? '-' : '+'}${ae < 10 ? `0${ae}` : ae}`;
  }
  let fixed = v.toFixed(Math.max(0, prec - 1 - exp));
  if (fixed.includes('.')) fixed = fixed.replace(/0+$/, '').replace(/\.$/, '');
  return fixed;
}

/**
 * toExponential, but an exact tie rounds to even as Go's strconv does (JavaScript rounds it
 * up): 12345 to 4 digits is 1.234e+4 in Go.
 */
function toExponentialHalfEven(v: number, fractionDigits: number): string {
  const plain = v.toExponential(fractionDigits);
  const exact = /^(-?)(\d)\.(\d+)e([+-]\d+)$/.exec(v.toExponential(Math.min(100, fractionDigits + 40)));
  if (!exact) return plain;
  const digits = exact[2]! + exact[3]!;
  const kept = digits.slice(0, fractionDigits + 1);
  const rest = digits.slice(fractionDigits + 1);
  if (!/^50*$/.test(rest) || Number(kept[kept.length - 1]) % 2 !== 0) return plain;
  // A tie with an even last digit: truncate instead of rounding up.
  const mant = kept.length > 1 ? `${kept[0]}.${kept.slice(1)}` : kept;
  return `${exact[1]}${mant}e${exact[4]}`;
}

export function humanize(input: number): string {
  let v = input;
  if (v === 0 || !Number.isFinite(v)) return goFormatG(v, 4);
  if (Math.abs(v) >= 1) {
    let prefix = '';
    for (const p of ['k', 'M', 'G', 'T', 'P', 'E', 'Z', 'Y']) {
      if (Math.abs(v) < 1000) break;
      prefix = p;
      v /= 1000;
    }
    return goFormatG(v, 4) + prefix;
  }
  let prefix = '';
  for (const p of ['m', 'u', 'n', 'p', 'f', 'a', 'z', 'y']) {
    if (Math.abs(v) >= 1) break;
    prefix = p;
    v *= 1000;
  }
  return goFormatG(v, 4) + prefix;
}

function humanize1024(input: number): string {
  let v = input;
  if (Math.abs(v) <= 1 || !Number.isFinite(v)) return goFormatG(v, 4);
  let prefix = '';
  for (const p of ['ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei', 'Zi', 'Yi']) {
    if (Math.abs(v) < 1024) break;
    prefix = p;
    v /= 1024;
  }
  return goFormatG(v, 4) + prefix;
}

function humanizeDuration(input: number): string {
  let v = input;
  if (!Number.isFinite(v)) return goFormatG(v, 4);
  if (v === 0) return `${goFormatG(v, 4)}s`;
  if (Math.abs(v) >= 1) {
    let sign = '';
    if (v < 0) {
      sign = '-';
      v = -v;
    }
    const duration = Math.trunc(v);
    const seconds = duration % 60;
    const minutes = Math.trunc(duration / 60) % 60;
    const hours = Math.trunc(duration / 3600) % 24;
    const days = Math.trunc(duration / 86400);
    if (days !== 0) return `${sign}${days}d ${hours}h ${minutes}m ${seconds}s`;
    if (hours !== 0) return `${sign}${hours}h ${minutes}m ${seconds}s`;
    if (minutes !== 0) return `${sign}${minutes}m ${seconds}s`;
    return `${sign}${goFormatG(v, 4)}s`;
  }
  let prefix = '';
  for (const p of ['m', 'u', 'n', 'p', 'f', 'a', 'z', 'y']) {
    if (Math.abs(v) >= 1) break;
    prefix = p;
    v *= 1000;
  }
  return `${goFormatG(v, 4)}${prefix}s`;
}

/** Go's time.Time.String() in UTC: `2006-01-02 15:04:05.999999999 +0000 UTC`. */
function humanizeTimestamp(seconds: number): string {
  if (!Number.isFinite(seconds)) return goFormatG(seconds, 4);
  const ms = Math.round(seconds * 1000);
  const d = new Date(ms);
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  let frac = '';
  const sub = ((ms % 1000) + 1000) % 1000;
  if (sub) frac = `.${pad(sub, 3)}`.replace(/0+$/, '');
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}${frac} +0000 UTC`;
}

/** A subset of Go's fmt verbs: %s %v %d %f %g %e %q %%, with width and precision. */
function sprintf(format: string, args: TValue[]): string {
  let i = 0;
  return format.replace(
    /%([-+ 0#]*)(\d+)?(?:\.(\d+))?([svdfgeEqx%])/g,
    (_m, flags: string, width: string | undefined, prec: string | undefined, verb: string) => {
      if (verb === '%') return '%';
      const arg = args[i++];
      if (!arg) return `%!${verb}(MISSING)`;
      let out: string;
      switch (verb) {
        case 's':
        case 'v':
          out = printValue(arg);
          break;
        case 'q':
          out = JSON.stringify(printValue(arg));
          break;
        case 'd':
          out =
            arg.k === 'int'
              ? String(arg.v)
              : `%!d(${arg.k === 'float' ? 'float64' : 'string'}=${printValue(arg)})`;
          break;
        case 'x':
          out = arg.k === 'int' ? arg.v.toString(16) : Buffer.from(printValue(arg)).toString('hex');
          break;
        case 'f': {
          const v = toFloat(arg);
          const digits = prec === undefined ? 6 : Number(prec);
          // toFixed switches to exponent notation from 1e21 on; Go's %f never does.
          out =
            Math.abs(v) >= 1e21 && Number.isFinite(v)
              ? `${BigInt(v).toString()}${digits > 0 ? `.${'0'.repeat(digits)}` : ''}`
              : v.toFixed(digits);
          break;
        }
        case 'e':
        case 'E': {
          const s = toFloat(arg).toExponential(prec === undefined ? 6 : Number(prec));
          out = s.replace(/e([+-])(\d)$/, 'e$10$2');
          if (verb === 'E') out = out.toUpperCase();
          break;
        }
        default:
          out = prec === undefined ? formatFloatG(toFloat(arg)) : goFormatG(toFloat(arg), Number(prec));
      }
      if (flags.includes('+') && /^[0-9]/.test(out) && verb !== 's') out = `+${out}`;
      const w = width ? Number(width) : 0;
      if (out.length < w)
        out = flags.includes('-')
          ? out.padEnd(w)
          : out.padStart(w, flags.includes('0') && verb !== 's' ? '0' : ' ');
      return out;
    },
  );
}
