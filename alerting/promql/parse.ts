import type { SyntaxNode } from '@lezer/common';
import { parser } from '@prometheus-io/lezer-promql';
import { parseDuration, VigilError } from '../../core/index.ts';
import { type Matcher, type MatchType, metricNameLabel, newMatcher } from '../store/index.ts';
import {
  type AggregateOp,
  type AtModifier,
  type BinaryOp,
  type Cardinality,
  type Expr,
  isComparison,
  isSetOp,
  typeOf,
  type ValueType,
  type VectorMatching,
  type VectorSelector,
} from './ast.ts';
import { refusedFunctions, signatures } from './signatures.ts';

/**
 * Parses PromQL with Prometheus' own grammar (@prometheus-io/lezer-promql) into vigil's AST,
 * applying the type checks of Prometheus 2.42's parser. Anything vigil cannot evaluate
 * exactly like Prometheus (native histogram functions, newer syntax such as duration
 * arithmetic, `limitk`, `smoothed`) is refused here, naming the construct.
 */

class ParseError extends Error {
  constructor(
    message: string,
    readonly pos: number,
  ) {
    super(message);
  }
}

/**
 * Parses one PromQL expression.
 *
 * @example
 * const expr = parseExpr('sum by (job) (rate(http_requests_total[5m]))');
 * @throws VigilError('parse') naming the position and what is wrong or unsupported.
 */
export function parseExpr(query: string): Expr {
  if (query.trim() === '') throw new VigilError('parse', 'PromQL: empty expression');
  const tree = parser.parse(query);
  try {
    let errorAt = -1;
    tree.iterate({
      enter(node) {
        if (errorAt < 0 && node.type.isError) errorAt = node.from;
      },
    });
    if (errorAt >= 0) {
      // lezer knows only Prometheus' functions: an unknown name followed by "(" is a syntax
      // error there, reported here as the unsupported function it is.
      const call =
        /([a-zA-Z_][a-zA-Z0-9_]*)\s*\($/.exec(query.slice(0, errorAt + 1)) ??
        /([a-zA-Z_][a-zA-Z0-9_]*)\s*$/.exec(query.slice(0, errorAt));
      const name = call?.[1];
      if ((name && query.slice(errorAt).trimStart().startsWith('(')) || (name && call?.[0].endsWith('('))) {
        const refused = refusedFunctions[name!];
        throw new ParseError(refused ?? `function "${name}" is not supported by vigil`, errorAt);
      }
      throw new ParseError(
        `syntax error near ${JSON.stringify(query.slice(errorAt, errorAt + 20))}`,
        errorAt,
      );
    }
    const top = tree.topNode.firstChild;
    if (!top) throw new ParseError('empty expression', 0);
    if (top.nextSibling) throw new ParseError('unexpected trailing input', top.nextSibling.from);
    return new Builder(query).expr(top);
  } catch (err) {
    if (err instanceof ParseError) {
      throw new VigilError(
        'parse',
        `PromQL ${JSON.stringify(query)}: ${err.message} (at character ${err.pos + 1})`,
        {
          details: { position: err.pos },
        },
      );
    }
    if (err instanceof VigilError)
      throw new VigilError('parse', `PromQL ${JSON.stringify(query)}: ${err.message}`);
    throw err;
  }
}

const aggregateOps = new Set<AggregateOp>([
  'sum',
  'avg',
  'min',
  'max',
  'count',
  'group',
  'stddev',
  'stdvar',
  'topk',
  'bottomk',
  'quantile',
  'count_values',
]);

const binaryOps: Record<string, BinaryOp> = {
  Add: '+',
  Sub: '-',
  Mul: '*',
  Div: '/',
  Mod: '%',
  Pow: '^',
  Atan2: 'atan2',
  Eql: '==',
  Neq: '!=',
  Gtr: '>',
  Lss: '<',
  Gte: '>=',
  Lte: '<=',
  And: 'and',
  Or: 'or',
  Unless: 'unless',
};

const matchOps: Record<string, MatchType> = { EqlSingle: '=', Neq: '!=', EqlRegex: '=~', NeqRegex: '!~' };

class Builder {
  constructor(private readonly src: string) {}

  private text(node: SyntaxNode): string {
    return this.src.slice(node.from, node.to);
  }

  private children(node: SyntaxNode): SyntaxNode[] {
    const out: SyntaxNode[] = [];
    for (let c = node.firstChild; c; c = c.nextSibling) out.push(c);
    return out;
  }

  private fail(node: SyntaxNode, message: string): never {
    throw new ParseError(message, node.from);
  }

  expr(node: SyntaxNode): Expr {
    switch (node.name) {
      case 'NumberDurationLiteral':
        return { kind: 'number', value: this.number(node) };
      case 'StringLiteral':
        return { kind: 'string', value: this.string(node) };
      case 'VectorSelector':
        return this.vectorSelector(node);
      case 'MatrixSelector':
        return this.matrixSelector(node);
      case 'SubqueryExpr':
        return this.subquery(node);
      case 'OffsetExpr':
        return this.offset(node);
      case 'StepInvariantExpr':
        return this.at(node);
      case 'ParenExpr': {
        const inner = this.children(node)[0];
        if (!inner) this.fail(node, 'empty parentheses');
        return { kind: 'paren', expr: this.expr(inner) };
      }
      case 'UnaryExpr':
        return this.unary(node);
      case 'BinaryExpr':
        return this.binary(node);
      case 'FunctionCall':
        return this.call(node);
      case 'AggregateExpr':
        return this.aggregate(node);
      case 'AnchoredExpr':
      case 'SmoothedExpr':
        return this.fail(
          node,
          `the ${node.name === 'AnchoredExpr' ? 'anchored' : 'smoothed'} modifier is not supported by vigil`,
        );
      default:
        return this.fail(node, `unsupported expression ${node.name}`);
    }
  }

  private number(node: SyntaxNode): number {
    const text = this.text(node);
    const value = parseNumber(text);
    if (value === undefined) {
      if (/^[0-9.]+[a-z]/i.test(text))
        this.fail(node, `a duration used as a number ("${text}") is not supported`);
      this.fail(node, `invalid number "${text}"`);
    }
    return value;
  }

  private string(node: SyntaxNode): string {
    return unquote(this.text(node), node.from);
  }

  private duration(node: SyntaxNode): number {
    const lit = node.name === 'NumberDurationLiteralInDurationContext' ? node : this.children(node)[0];
    if (lit?.name !== 'NumberDurationLiteralInDurationContext' || lit.nextSibling) {
      this.fail(
        node,
        `duration expressions ("${this.text(node)}") are not supported; write a plain duration like 5m`,
      );
    }
    const text = this.text(lit);
    if (/^\d+(\.\d+)?$/.test(text)) this.fail(node, `a duration needs a unit: "${text}"`);
    try {
      return parseDuration(text);
    } catch {
      return this.fail(node, `invalid duration "${text}"`);
    }
  }

  private vectorSelector(node: SyntaxNode): VectorSelector {
    let name: string | undefined;
    const matchers: Matcher[] = [];
    for (const child of this.children(node)) {
      if (child.name === 'Identifier' || child.name === 'MetricName') name = this.text(child);
      else if (child.name === 'LabelMatchers') {
        for (const m of this.children(child)) {
          if (m.name === 'QuotedLabelMatcher' || m.name === 'QuotedLabelName') {
            this.fail(m, 'quoted label names (UTF-8 names) are not supported');
          }
          if (m.name !== 'UnquotedLabelMatcher') continue;
          const parts = this.children(m);
          const labelName = parts.find((p) => p.name === 'LabelName');
          const op = parts.find((p) => p.name === 'MatchOp')?.firstChild;
          const value = parts.find((p) => p.name === 'StringLiteral');
          if (!labelName || !op || !value) this.fail(m, 'incomplete label matcher');
          const type = matchOps[op.name];
          if (!type) this.fail(op, `unknown match operator "${this.text(op)}"`);
          try {
            matchers.push(newMatcher(this.text(labelName), type, this.string(value)));
          } catch (err) {
            this.fail(value, (err as Error).message);
          }
        }
      }
    }
    if (name !== undefined) {
      if (matchers.some((m) => m.name === metricNameLabel))
        this.fail(node, `metric name must not be set twice: "${name}"`);
      matchers.unshift(newMatcher(metricNameLabel, '=', name));
    }
    if (!matchers.some((m) => !m.matches(''))) {
      this.fail(node, 'vector selector must contain at least one non-empty matcher');
    }
    return { kind: 'vector', name, matchers, offsetMs: 0, at: undefined };
  }

  private matrixSelector(node: SyntaxNode): Expr {
    const [inner, range] = this.children(node);
    if (!inner || !range) this.fail(node, 'incomplete range selector');
    const selector = this.expr(inner);
    if (selector.kind !== 'vector') this.fail(node, 'ranges only allowed for vector selectors');
    if (selector.offsetMs !== 0 || selector.at)
      this.fail(node, 'offset and @ must follow the range: x[5m] offset 1m');
    return { kind: 'matrix', selector, rangeMs: this.duration(range) };
  }

  private subquery(node: SyntaxNode): Expr {
    const parts = this.children(node);
    const inner = parts[0];
    const durations = parts.filter(
      (p) => p.name === 'DurationExpr' || p.name === 'NumberDurationLiteralInDurationContext',
    );
    if (!inner || durations.length === 0) this.fail(node, 'incomplete subquery');
    const expr = this.expr(inner);
    if (typeOf(expr) !== 'vector')
      this.fail(node, `subquery is only allowed on instant vector, got ${typeOf(expr)}`);
    const rangeMs = this.duration(durations[0]!);
    const stepMs = durations[1] ? this.duration(durations[1]) : 0;
    return { kind: 'subquery', expr, rangeMs, stepMs, offsetMs: 0, at: undefined };
  }

  /** The selector or subquery that `offset` / `@` apply to, or a failure naming why. */
  private modifiable(
    node: SyntaxNode,
    inner: Expr,
    what: string,
  ): VectorSelector | { kind: 'subquery'; offsetMs: number; at: AtModifier | undefined } {
    if (inner.kind === 'vector') return inner;
    if (inner.kind === 'matrix') return inner.selector;
    if (inner.kind === 'subquery') return inner;
    // lezer sometimes attaches a trailing modifier to a whole binary or unary expression
    // (`a > bool on(x) b offset 5m`); in PromQL it belongs to the selector right before it.
    if (inner.kind === 'binary') return this.modifiable(node, inner.rhs, what);
    if (inner.kind === 'unary') return this.modifiable(node, inner.expr, what);
    return this.fail(
      node,
      `${what} modifier must be preceded by an instant vector selector or range vector selector or a subquery`,
    );
  }

  private offset(node: SyntaxNode): Expr {
    const parts = this.children(node);
    const inner = parts[0];
    const sub = parts.find((p) => p.name === 'Sub');
    const durationNode = parts.find((p) => p.name === 'OffsetDurationExpr');
    if (!inner || !durationNode) this.fail(node, 'incomplete offset');
    const expr = this.expr(inner);
    const target = this.modifiable(node, expr, 'offset');
    if (target.offsetMs !== 0) this.fail(node, 'offset may not be set multiple times');
    const durationText = this.text(durationNode).replace(/\s+/g, '');
    const negative = sub !== undefined || durationText.startsWith('-');
    let ms: number;
    if (durationText.startsWith('-')) {
      try {
        ms = parseDuration(durationText.slice(1));
      } catch {
        this.fail(durationNode, `invalid duration "${durationText}"`);
      }
    } else ms = this.duration(durationNode);
    if (negative) ms = -Math.abs(ms);
    target.offsetMs = ms;
    return expr;
  }

  private at(node: SyntaxNode): Expr {
    const parts = this.children(node);
    const inner = parts[0];
    const value = parts[parts.length - 1];
    if (!inner || !value || value === inner) this.fail(node, 'incomplete @ modifier');
    const expr = this.expr(inner);
    const target = this.modifiable(node, expr, '@');
    if (target.at) this.fail(node, '@ <timestamp> may not be set multiple times');
    let at: AtModifier;
    if (value.name === 'AtModifierPreprocessors') {
      at = { kind: this.text(value).startsWith('start') ? 'start' : 'end' };
    } else {
      let sign = 1;
      let numberNode: SyntaxNode | undefined = value;
      if (value.name === 'UnaryExpr' || value.name === 'Sub') {
        sign = -1;
        numberNode = parts.find((p) => p.name === 'NumberDurationLiteral');
      }
      if (numberNode?.name !== 'NumberDurationLiteral') this.fail(value, 'invalid @ timestamp');
      const seconds = sign * this.number(numberNode);
      if (!Number.isFinite(seconds)) this.fail(value, 'timestamp out of bounds for @ modifier');
      at = { kind: 'time', ms: Math.round(seconds * 1000) };
    }
    target.at = at;
    return expr;
  }

  private unary(node: SyntaxNode): Expr {
    const [opNode, inner] = this.children(node);
    if (!opNode || !inner) this.fail(node, 'incomplete unary expression');
    const expr = this.expr(inner);
    const type = typeOf(expr);
    if (type !== 'scalar' && type !== 'vector')
      this.fail(
        node,
        `unary expression only allowed on expressions of type scalar or instant vector, got ${type}`,
      );
    const op = this.text(opNode) === '-' ? '-' : '+';
    if (op === '-' && expr.kind === 'number') return { kind: 'number', value: -expr.value };
    return { kind: 'unary', op, expr };
  }

  private binary(node: SyntaxNode): Expr {
    const parts = this.children(node);
    const lhsNode = parts[0];
    const rhsNode = parts[parts.length - 1];
    const opNode = parts[1];
    if (!lhsNode || !rhsNode || !opNode) this.fail(node, 'incomplete binary expression');
    const op = binaryOps[opNode.name];
    if (!op) this.fail(opNode, `unsupported operator "${this.text(opNode)}"`);
    if (op === 'atan2')
      this.fail(
        opNode,
        "the atan2 operator is not supported by vigil (its result would differ from Prometheus' in the last digits)",
      );
    // lezer reads "-2 ^ 2" as (-2) ^ 2; PromQL's unary minus binds looser than ^: -(2 ^ 2).
    if (op === '^' && lhsNode.name === 'NumberDurationLiteral' && /^[-+]/.test(this.text(lhsNode))) {
      const negative = this.text(lhsNode).startsWith('-');
      const magnitude: Expr = { kind: 'number', value: Math.abs(this.number(lhsNode)) };
      const rhsExpr = this.expr(rhsNode);
      if (typeOf(rhsExpr) !== 'scalar' && typeOf(rhsExpr) !== 'vector')
        this.fail(node, 'binary expression must contain only scalar and instant vector types');
      const power: Expr = {
        kind: 'binary',
        op: '^',
        lhs: magnitude,
        rhs: rhsExpr,
        returnBool: false,
        matching: undefined,
        type: typeOf(rhsExpr),
      };
      return negative ? { kind: 'unary', op: '-', expr: power } : power;
    }
    const lhs = this.expr(lhsNode);
    const rhs = this.expr(rhsNode);
    const returnBool = parts.some((p) => p.name === 'BoolModifier');
    const clause = parts.find((p) => p.name === 'MatchingModifierClause');
    if (parts.some((p) => p.name === 'FillModifier')) this.fail(node, 'fill modifiers are not supported');
    const lt = typeOf(lhs);
    const rt = typeOf(rhs);
    for (const [side, t] of [
      ['left', lt],
      ['right', rt],
    ] as const) {
      if (t !== 'scalar' && t !== 'vector')
        this.fail(
          node,
          `binary expression must contain only scalar and instant vector types (${side} side is ${t})`,
        );
    }
    if (returnBool && !isComparison(op))
      this.fail(node, 'bool modifier can only be used on comparison operators');
    if (isComparison(op) && lt === 'scalar' && rt === 'scalar' && !returnBool) {
      this.fail(node, 'comparisons between scalars must use BOOL modifier');
    }
    if (isSetOp(op) && (lt !== 'vector' || rt !== 'vector')) {
      this.fail(node, `set operator "${op}" not allowed in binary scalar expression`);
    }
    let matching: VectorMatching | undefined;
    if (lt === 'vector' && rt === 'vector') {
      matching = { card: isSetOp(op) ? 'many-to-many' : 'one-to-one', on: false, labels: [], include: [] };
      if (clause) {
        const clauseParts = this.children(clause);
        let sawGroup: Cardinality | undefined;
        let seenLabels = false;
        for (const p of clauseParts) {
          if (p.name === 'On') matching.on = true;
          else if (p.name === 'GroupLeft') sawGroup = 'many-to-one';
          else if (p.name === 'GroupRight') sawGroup = 'one-to-many';
          else if (p.name === 'GroupingLabels') {
            const names = this.labelList(p);
            if (!seenLabels) {
              matching.labels = names;
              seenLabels = true;
            } else matching.include = names;
          }
        }
        if (sawGroup) {
          if (isSetOp(op)) this.fail(node, `no grouping allowed for "${op}" operation`);
          matching.card = sawGroup;
          for (const label of matching.include) {
            if (matching.on && matching.labels.includes(label))
              this.fail(node, `label "${label}" must not occur in ON and GROUP clause at once`);
          }
        }
      }
    } else if (clause) {
      this.fail(node, 'vector matching only allowed between instant vectors');
    }
    const type: ValueType = lt === 'scalar' && rt === 'scalar' ? 'scalar' : 'vector';
    return { kind: 'binary', op, lhs, rhs, returnBool, matching, type };
  }

  private labelList(node: SyntaxNode): string[] {
    const out: string[] = [];
    for (const c of this.children(node)) {
      if (c.name === 'LabelName') out.push(this.text(c));
      else if (c.name === 'QuotedLabelName' || c.name === 'StringLiteral')
        this.fail(c, 'quoted label names are not supported');
    }
    return out;
  }

  private call(node: SyntaxNode): Expr {
    const [ident, body] = this.children(node);
    if (!ident || !body) this.fail(node, 'incomplete function call');
    const name = this.text(ident);
    const refused = refusedFunctions[name];
    if (refused) this.fail(node, refused);
    const sig = signatures[name];
    if (!sig) this.fail(node, `function "${name}" is not supported by vigil`);
    const args = this.children(body).map((c) => this.expr(c));
    const min = sig.args.length - (sig.variadic ? sig.optional : sig.optional);
    if (args.length < min)
      this.fail(node, `expected at least ${min} argument(s) in call to "${name}", got ${args.length}`);
    if (!sig.variadic && args.length > sig.args.length) {
      this.fail(
        node,
        `expected at most ${sig.args.length} argument(s) in call to "${name}", got ${args.length}`,
      );
    }
    args.forEach((arg, i) => {
      const want = sig.args[Math.min(i, sig.args.length - 1)]!;
      const got = typeOf(arg);
      if (got !== want)
        this.fail(
          node,
          `expected type ${typeName(want)} in call to function "${name}", got ${typeName(got)}`,
        );
    });
    return { kind: 'call', func: name, args, type: sig.returns };
  }

  private aggregate(node: SyntaxNode): Expr {
    const parts = this.children(node);
    const opNode = parts.find((p) => p.name === 'AggregateOp');
    const modifier = parts.find((p) => p.name === 'AggregateModifier');
    const body = parts.find((p) => p.name === 'FunctionCallBody');
    if (!opNode || !body) this.fail(node, 'incomplete aggregation');
    const op = this.text(opNode) as AggregateOp;
    if (!aggregateOps.has(op))
      this.fail(opNode, `aggregation "${this.text(opNode)}" is not supported by vigil`);
    let grouping: string[] = [];
    let without = false;
    if (modifier) {
      without = this.children(modifier).some((c) => c.name === 'Without');
      const labels = this.children(modifier).find((c) => c.name === 'GroupingLabels');
      if (labels) grouping = this.labelList(labels);
    }
    const args = this.children(body).map((c) => this.expr(c));
    const needsParam = op === 'topk' || op === 'bottomk' || op === 'quantile' || op === 'count_values';
    if (args.length !== (needsParam ? 2 : 1)) {
      this.fail(
        node,
        `wrong number of arguments for aggregate expression provided, expected ${needsParam ? 2 : 1}, got ${args.length}`,
      );
    }
    const param = needsParam ? args[0] : undefined;
    const expr = args[args.length - 1]!;
    if (typeOf(expr) !== 'vector')
      this.fail(
        node,
        `expected type instant vector in aggregation expression, got ${typeName(typeOf(expr))}`,
      );
    if (param) {
      const want = op === 'count_values' ? 'string' : 'scalar';
      if (typeOf(param) !== want)
        this.fail(
          node,
          `expected type ${typeName(want)} in aggregation parameter, got ${typeName(typeOf(param))}`,
        );
    }
    return { kind: 'aggregate', op, param, expr, grouping, without };
  }
}

function typeName(t: ValueType): string {
  return t === 'vector' ? 'instant vector' : t === 'matrix' ? 'range vector' : t;
}

/**
 * Parses a number as Go's strconv.ParseFloat does for PromQL: decimals, exponents, hex
 * integers, `Inf` and `NaN` in any case.
 */
export function parseNumber(text: string): number | undefined {
  const t = text.toLowerCase();
  if (t === 'inf' || t === '+inf') return Number.POSITIVE_INFINITY;
  if (t === '-inf') return Number.NEGATIVE_INFINITY;
  if (t === 'nan') return Number.NaN;
  if (/^0x[0-9a-f]+$/.test(t)) return Number.parseInt(t.slice(2), 16);
  if (/^0[0-7]+$/.test(t)) return Number.parseInt(t, 8);
  if (/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/.test(t)) return Number(t);
  if (/^[+-](inf|nan|0x[0-9a-f]+)$/.test(t)) {
    const rest = parseNumber(t.slice(1));
    return rest === undefined ? undefined : t.startsWith('-') ? -rest : rest;
  }
  return undefined;
}

/** Unquotes a PromQL string literal ("...", '...' with Go escapes, or `raw`). */
export function unquote(text: string, pos = 0): string {
  const quote = text[0];
  const body = text.slice(1, -1);
  if (quote === '`') return body;
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c !== '\\') {
      out += c;
      continue;
    }
    const n = body[++i];
    switch (n) {
      case 'n':
        out += '\n';
        break;
      case 't':
        out += '\t';
        break;
      case 'r':
        out += '\r';
        break;
      case 'a':
        out += '\x07';
        break;
      case 'b':
        out += '\b';
        break;
      case 'f':
        out += '\f';
        break;
      case 'v':
        out += '\v';
        break;
      case '\\':
      case '"':
      case "'":
        out += n;
        break;
      case 'x':
        out += String.fromCharCode(Number.parseInt(body.slice(i + 1, i + 3), 16));
        i += 2;
        break;
      case 'u':
        out += String.fromCodePoint(Number.parseInt(body.slice(i + 1, i + 5), 16));
        i += 4;
        break;
      case 'U':
        out += String.fromCodePoint(Number.parseInt(body.slice(i + 1, i + 9), 16));
        i += 8;
        break;
      default:
        if (n !== undefined && /[0-7]/.test(n)) {
          out += String.fromCharCode(Number.parseInt(body.slice(i, i + 3), 8));
          i += 2;
          break;
        }
        throw new ParseError(`unknown escape sequence "\\${n ?? ''}"`, pos + i);
    }
  }
  return out;
}
